#!/bin/bash
# Real tokenizer vocabularies for the tokenizer agreement test: installs
# three npm packages (pinned versions) under models/llm/npm (git-ignored),
# extracts their vocabularies and their own encodings of the committed
# corpus tests/data/llm/tokenizer-corpus.txt (tools/llm/export-vocab.js), and
# packs each vocabulary into a vocab-only GGUF (tools/llm/pack-vocab-gguf.py).
#
#   tools/llm/fetch-tokenizer-vocabs.sh [OUT]    (OUT defaults to models/llm/vocab)
#
# OUT then holds NAME.gguf and NAME.ids for NAME in llama-spm (LLaMA
# SentencePiece, llama-tokenizer-js), llama3-bpe (Llama 3 byte-level BPE,
# llama3-tokenizer-js) and gpt2 (GPT-2's r50k_base, gpt-tokenizer). Point
# the unit test at it with OVI_LLM_VOCAB_DIR=OUT. Idempotent: each step is
# skipped when its outputs are newer than its inputs.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
npm_dir=$root/models/llm/npm
out=${1:-$root/models/llm/vocab}
corpus=$root/tests/data/llm/tokenizer-corpus.txt
packages=(llama-tokenizer-js@1.2.2 llama3-tokenizer-js@1.2.0 gpt-tokenizer@4.0.0)
names=(llama-spm llama3-bpe gpt2)

mkdir -p "$npm_dir" "$out"
stamp=$npm_dir/installed-$(echo "${packages[*]}" | tr ' @/' '_+-')
if [ ! -f "$stamp" ]; then
  [ -f "$npm_dir/package.json" ] || echo '{"private": true}' > "$npm_dir/package.json"
  (cd "$npm_dir" && npm install --silent --no-audit --no-fund --ignore-scripts \
    --save-exact "${packages[@]}")
  touch "$stamp"
fi

stale=0
for n in "${names[@]}"; do
  for input in "$stamp" "$corpus" "$root/tools/llm/export-vocab.js"; do
    [ "$out/$n.ids" -nt "$input" ] || stale=1
  done
done
if [ $stale = 1 ]; then
  node "$root/tools/llm/export-vocab.js" "$npm_dir" "$corpus" "$out"
fi
for n in "${names[@]}"; do
  if [ ! "$out/$n.gguf" -nt "$out/$n.json" ] || \
     [ ! "$out/$n.gguf" -nt "$root/tools/llm/pack-vocab-gguf.py" ]; then
    /usr/bin/python3 "$root/tools/llm/pack-vocab-gguf.py" "$out/$n.json" "$out/$n.gguf"
  fi
  echo "$n: $out/$n.gguf"
done
