#!/bin/bash
# Our greedy decoding against llama.cpp's on the generated test models
# (float weights, llama and qwen2 layouts, tied output, RoPE scaling):
# the same prompt token ids (ours, from ovi-llm's tokenizer) must give the
# same 24 generated ids. TAP output; exit 77 (skip) when node-llama-cpp
# cannot be installed (offline).
#
#   tests/llm/check-llama-cpp.sh BUILD_DIR
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
node_dir=$root/models/llm/node
models=(llama-f32 llama-f16 llama-bf16 llama-f32-tied llama-f32-rope-scaled
        qwen2-f32 qwen2-f16 qwen2-bf16)
"$root/tools/llm/install-node-llama-cpp.sh" "$node_dir" \
  || { echo "1..0 # SKIP node-llama-cpp could not be installed"; exit 77; }
echo "1..${#models[@]}"
n=0 failed=0
for m in "${models[@]}"; do
  n=$((n + 1))
  file=$build/tests/$m.gguf
  ours=$("$build/tools/ovi-llm" --model "$file" --prompt "The camera saw a person" \
      --max-new-tokens 24 --temperature 0 --json)
  prompt=$(echo "$ours" | jq -c .prompt_token_ids)
  mine=$(echo "$ours" | jq -c .answer_token_ids)
  theirs=$(node "$root/tools/llm/llama-cpp-greedy.mjs" "$node_dir/node_modules" \
      "$file" "$prompt" 24 2>/dev/null)
  if [ "$mine" = "$theirs" ]; then
    echo "ok $n - $m: 24 greedy tokens identical to llama.cpp's"
  else
    echo "not ok $n - $m: ours $mine, llama.cpp $theirs (prompt $prompt)"
    failed=$((failed + 1))
  fi
done
[ $failed -eq 0 ]
