#!/bin/bash
# LLM speed against llama.cpp on the same GGUF files: a TinyLlama-1.1B-
# shaped model with random weights (tools/llm/make-test-gguf.py --bench) in
# each weight type, prompt processing (512 tokens) and decode (128 tokens)
# at THREADS threads, ovi-llm --bench against llama.cpp through
# node-llama-cpp's prebuilt CPU binaries (tools/bench/llm-peer-bench.mjs),
# interleaved, medians of REPEATS runs each; and decode's share of the
# machine's memory bandwidth: the large-copy bandwidth
# (ovi-llm-matmul-bench --membw-only) is measured right after each ovi-llm
# run, and each run's decode rate is judged against its own measurement
# (the shared machine's bandwidth moves by a quarter within minutes).
#
#   tools/bench/llm-bench.sh [BUILD_DIR] [TYPES] [THREADS] [REPEATS]
#   (defaults: build, "Q8_0 Q4_0", 2, 3)
# Models are written to models/llm/bench/ (git-ignored, about 0.6-1.2 GB
# each); node-llama-cpp is installed into models/llm/node on first use.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
types=${2:-Q8_0 Q4_0}
threads=${3:-2}
repeats=${4:-3}
out=$root/models/llm/bench
node_dir=$root/models/llm/node
mkdir -p "$out" "$node_dir"

"$root/tools/llm/install-node-llama-cpp.sh" "$node_dir"

for t in $types; do
  model=$out/tinyllama-shape-$t.gguf
  if [ ! -f "$model" ] || [ "$model" -ot "$root/tools/llm/make-test-gguf.py" ]; then
    /usr/bin/python3 "$root/tools/llm/make-test-gguf.py" --bench "$model" --type "$t"
  fi
  for r in $(seq "$repeats"); do
    OMP_WAIT_POLICY=active "$build/tools/ovi-llm" --model "$model" --bench \
      --threads "$threads" --repeat 1 --json > "$out/ovi-$t-$r.json"
    "$build/tools/ovi-llm-matmul-bench" --membw-only --threads "$threads" \
      > "$out/membw-$t-$r.txt"
    node "$root/tools/bench/llm-peer-bench.mjs" "$node_dir/node_modules" "$model" \
      "$threads" 512 128 1 > "$out/peer-$t-$r.json"
  done
  /usr/bin/python3 - "$out" "$t" "$repeats" <<'PY'
import json, re, statistics, sys
out, t, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
copy = [float(re.search(r'copy ([0-9.]+) GB/s', open(f'{out}/membw-{t}-{r}.txt')
                        .read()).group(1)) for r in range(1, n + 1)]
ovi = [json.load(open(f'{out}/ovi-{t}-{r}.json')) for r in range(1, n + 1)]
peer = [json.load(open(f'{out}/peer-{t}-{r}.json')) for r in range(1, n + 1)]
med = lambda xs, k: statistics.median(x[k] for x in xs)
pp_o, pp_p = med(ovi, 'prompt_tokens_per_s'), med(peer, 'prompt_tokens_per_s')
tg_o, tg_p = med(ovi, 'decode_tokens_per_s'), med(peer, 'decode_tokens_per_s')
print(f'{t}: prompt 512: ovi {pp_o:.1f} tok/s, llama.cpp {pp_p:.1f} tok/s, '
      f'ratio {pp_o / pp_p:.2f}; decode: ovi {tg_o:.2f} tok/s, '
      f'llama.cpp {tg_p:.2f} tok/s, ratio {tg_o / tg_p:.2f}; '
      f'ovi decode reads {med(ovi, "decode_gb_per_s"):.1f} GB/s of weights, '
      f'large copy {statistics.median(copy):.1f} GB/s, decode / copy '
      f'{statistics.median(o["decode_gb_per_s"] / c for o, c in zip(ovi, copy)):.2f} '
      f'(median of the runs\' own ratios)')
PY
done
