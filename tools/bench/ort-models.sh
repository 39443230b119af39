#!/bin/sh
# Times every model exported by tools/models/export-torchvision.py with ONNX
# Runtime: GFLOP (tools/models/onnx-flops.py), latency (ort-bench.js, ITER
# iterations, 2 threads) and throughput (ort-throughput.js, SECONDS per
# setting). Prints JSON lines, with the load average before each model.
#   tools/bench/ort-models.sh [MODELDIR] [SECONDS] [ITER]
# Defaults: models/torchvision, 10, 20. NODE_PATH defaults to build-peers/ort.
# ORT_BENCH may point at ort-bench.js (default /work/shared/tools/ort-bench.js).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-"$root/models/torchvision"}
seconds=${2:-10}
iters=${3:-20}
export NODE_PATH=${NODE_PATH:-"$root/build-peers/ort/node_modules"}
bench=${ORT_BENCH:-/work/shared/tools/ort-bench.js}
for f in "$dir"/*.onnx; do
    case $(basename "$f" .onnx) in
        lraspp_*) shape=1x3x512x512 ;;
        ssdlite320_*) shape=1x3x320x320 ;;
        *) shape=1x3x224x224 ;;
    esac
    printf '{"model": "%s", "loadavg": "%s"}\n' "$f" "$(cut -d' ' -f1-3 /proc/loadavg)"
    /usr/bin/python3 "$root/tools/models/onnx-flops.py" "$f"
    node "$bench" "$f" "$shape" "$iters" 2
    node "$root/tools/bench/ort-throughput.js" "$f" "$shape" "$seconds"
done
