#!/bin/bash
# Pipeline overhead: N streams through ovdetect sharing one model
# (ovi-nstream-bench) against the engine alone (ovi-bench --hint
# throughput) on the same model, in one run, alternating, REPEAT times.
# Prints each figure and the ratio pipeline / engine (issue 3 asks >= 0.9).
#
# Usage: scripts/bench-pipeline.sh [BUILD_DIR [REPEAT [STREAMS...]]]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
repeat=${2:-3}
shift $(( $# > 2 ? 2 : $# ))
streams=(1 2 4)
[ $# -gt 0 ] && streams=("$@")
mkdir -p models
[ -f models/bench-detector.onnx ] || \
  /usr/bin/python3 tests/models/make-bench-detector.py models/bench-detector.onnx
export GST_PLUGIN_PATH=$build/elements
for r in $(seq "$repeat"); do
  engine=$("$build"/tools/ovi-bench --model models/bench-detector.onnx \
    --hint throughput --time 10 --json | sed -n 's/.*"throughput_fps": \([0-9.]*\).*/\1/p')
  line="run $r: ovi-bench throughput $engine inf/s"
  for n in "${streams[@]}"; do
    fps=$("$build"/gst/ovi-nstream-bench --model models/bench-detector.onnx \
      --model-proc models/bench-detector.json --streams "$n" \
      --frames $(( 400 / n + 20 )) --json | sed -n 's/.*"total_fps": \([0-9.]*\).*/\1/p')
    line="$line; N=$n $fps fps ($(awk "BEGIN { printf \"%.3f\", $fps / $engine }"))"
  done
  echo "$line"
done
