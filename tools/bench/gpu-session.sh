#!/bin/bash
# Runs on the lent GPU machine, from the repository root, over the folder
# tools/bench/gpu-bundle.sh packed (.devrun): points the ICD loader at the
# vendor's OpenCL driver, then runs the steps named on the command line.
# Logs go to $OUT (the device tool brings them back); a summary is printed.
#
#   probe        GPU, OS, OpenCL driver files, `ovi-run --list-devices`
#   tests        test-gpu-ops (op by op and the test CNNs, GPU against CPU),
#                test-gpu-typed (integer, bool and index ops, bit for bit)
#                and test-image (pictures pre-processed on the GPU and CPU)
#   conformance  ovi-conformance --device GPU.0 over Debian's ONNX test data
#   models       exports the torchvision models with the image's PyTorch
#   agree        each model on GPU.0 and CPU against PyTorch's output
#   bench        ovi-bench latency and throughput, CPU and GPU.0, per model
#   profile      ovi-bench --pc on GPU.0 (per-step device time), per model
#   nireq        GPU throughput against requests in flight (NIREQ_MODELS)
#   splitk       GPU latency against OVI_GPU_SPLIT_K_WAVES
#   preproc      pre-processing's share with 1080p NV12 pictures (ovi-bench --image)
#   pipeline     ovi-nstream-bench (ovdetect, N streams), CPU and GPU.0
#
# Usage: bash .devrun/gpu-session.sh STEP...   (the bundle is unpacked in /tmp)
set -u
B=/tmp/ovi-bundle
if [ ! -d "$B" ]; then
  mkdir -p "$B" && tar -C "$B" -xJf "$PWD/.devrun/bundle.tar.xz"
fi
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$B/lib
export OVI_OPENCL_CACHE_DIR=/tmp/ovi-cl-cache
export GST_PLUGIN_SYSTEM_PATH=$B/gst GST_PLUGIN_PATH=$B/gst
export GST_PLUGIN_SCANNER=$B/bin/gst-plugin-scanner GST_REGISTRY=/tmp/gst-registry.bin
TV=/tmp/tv
MODELS=${MODELS:-resnet50,mobilenet_v2,mobilenet_v3_large,efficientnet_b0,lraspp_mobilenet_v3_large,ssdlite320_mobilenet_v3_large_head}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
GPU=${GPU:-GPU.0}

# The image's ICD folder may name only pocl; the NVIDIA driver's OpenCL
# library is looked for where the driver's files are mounted, and when found
# the loader is pointed at it alone (so GPU.0 is the GPU, not pocl).
icd_setup () {
  local lib
  lib=$( (ldconfig -p | awk '/libnvidia-opencl.so.1/ { print $NF }';
          find /usr/local/nvidia /usr/lib /usr/lib64 /usr/local/lib -name 'libnvidia-opencl.so*' 2>/dev/null) | head -1)
  if [ -n "$lib" ]; then
    mkdir -p /tmp/icd
    echo "$lib" > /tmp/icd/nvidia.icd
    export OCL_ICD_VENDORS=/tmp/icd
  fi
}

step_probe () {
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
  grep PRETTY /etc/os-release; ldd --version | head -1; nproc
  echo "ICD files: $(ls /etc/OpenCL/vendors 2>/dev/null) OCL_ICD_VENDORS=${OCL_ICD_VENDORS:-}"
  cat "${OCL_ICD_VENDORS:-/etc/OpenCL/vendors}"/*.icd 2>/dev/null
  find / -xdev \( -name 'libnvidia-opencl*' -o -name 'libcuda.so*' -o -name 'nvidia.icd' \) 2>/dev/null | head
  ls /usr/local/nvidia /usr/local/nvidia/lib* 2>/dev/null | head -40
  "$B/bin/ovi-run" --list-devices
}

step_tests () {
  OVI_TEST_MODELS=$B/models timeout 500 "$B/bin/test-gpu-ops" --tap > "$OUT/test-gpu-ops.log" 2>&1
  echo "test-gpu-ops exit $?: $(grep -c '^ok' "$OUT/test-gpu-ops.log") ok," \
    "$(grep -c '^not ok' "$OUT/test-gpu-ops.log") not ok"
  grep -E '^not ok|falls back|fallback' "$OUT/test-gpu-ops.log" | head -20
  timeout 300 "$B/bin/test-gpu-typed" --tap > "$OUT/test-gpu-typed.log" 2>&1
  echo "test-gpu-typed exit $?: $(grep -c '^ok' "$OUT/test-gpu-typed.log") ok," \
    "$(grep -c '^not ok' "$OUT/test-gpu-typed.log") not ok"
  grep -E '^not ok|Bail|cases' "$OUT/test-gpu-typed.log" | head -10
  timeout 120 "$B/bin/test-image" --tap > "$OUT/test-image.log" 2>&1
  echo "test-image exit $?: $(grep -c '^ok' "$OUT/test-image.log") ok," \
    "$(grep -c '^not ok' "$OUT/test-image.log") not ok"
  grep -E 'max difference' "$OUT/test-image.log"
}

# Each test is a fresh process, and creating a CUDA context takes a good
# part of a second: the suite runs as SHARDS runs side by side.
step_conformance () {
  local i shards=${SHARDS:-12} t0=$SECONDS
  [ -d /tmp/onnx-data ] || { mkdir -p /tmp/onnx-data && tar -C /tmp/onnx-data -xJf "$B/onnx-testdata.tar.xz"; }
  for i in $(seq 0 $((shards - 1))); do
    G_MESSAGES_DEBUG=ovi timeout 400 "$B/bin/ovi-conformance" --device "$GPU" \
      --shard "$i/$shards" /tmp/onnx-data/data > "/tmp/conformance-$i.log" 2>&1 &
  done
  wait
  cat /tmp/conformance-*.log > "$OUT/conformance-gpu.log"
  echo "conformance on $GPU in $((SECONDS - t0)) s, $shards shards:" \
    "$(grep -E '^[0-9]+ passed' "$OUT/conformance-gpu.log" | awk '{ p += $1; f += $3; s += $5 }
       END { printf "%d passed, %d failed, %d skipped (%d shards finished)", p, f, s, NR }')"
  grep -E '^FAIL' "$OUT/conformance-gpu.log" | head -20
  # Tests with a step on the CPU fallback (G_MESSAGES_DEBUG=ovi names it).
  echo "tests with CPU fallback steps: $(grep -c 'CPU fallback' "$OUT/conformance-gpu.log")"
}

step_models () {
  local t0=$SECONDS
  python3 "$B/export-torchvision.py" "$TV" --models "$MODELS" > "$OUT/export.log" 2>&1
  echo "export exit $? in $((SECONDS - t0)) s"; grep -E 'wrote|FAILED' "$OUT/export.log" | cut -c1-100
}

step_agree () {
  local m d
  for m in ${MODELS//,/ }; do
    [ -f "$TV/$m.onnx" ] || continue
    for d in CPU "$GPU"; do
      rm -rf "/tmp/agree/$m/$d"; mkdir -p "/tmp/agree/$m/$d"
      "$B/bin/ovi-run" --model "$TV/$m.onnx" --input "input=$TV/$m.input.npy" \
        --output-dir "/tmp/agree/$m/$d" --device "$d" || echo "$m on $d failed"
    done
  done
  python3 - "$TV" "$GPU" "${MODELS//,/ }" <<'EOF'
import glob, os, sys
import numpy as np
tv, gpu, models = sys.argv[1], sys.argv[2], sys.argv[3].split()
for m in models:
    for ref in sorted(glob.glob(f'{tv}/{m}.output.*.npy')):
        name = ref.split('.output.')[1][:-4]
        r = np.load(ref).astype(np.float64)
        line = f'{m:36s} {name:16s}'
        for d in ('CPU', gpu):
            p = f'/tmp/agree/{m}/{d}/{name}.npy'
            if not os.path.exists(p):
                line += f' {d}: missing'
                continue
            x = np.load(p).astype(np.float64)
            err = np.abs(x - r)
            line += (f' {d}: max abs {err.max():.2e} max rel {(err / (np.abs(r) + 1e-6)).max():.1e}'
                     f' nrmse {np.sqrt((err ** 2).mean() / max((r ** 2).mean(), 1e-30)):.1e}')
        print(line)
EOF
}

bench_one () {  # model device hint [ovi-bench options]
  timeout 120 "$B/bin/ovi-bench" --model "$1" --device "$2" --hint "$3" --time "$SECONDS_PER_RUN" --json "${@:4}" 2>>"$OUT/bench.err" \
    | python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.3f %.3f %.1f %s" % (j["median_ms"], j.get("p90_ms", 0), j["throughput_fps"], j.get("nireq", "")))' 2>/dev/null \
    || echo "failed"
}

step_bench () {
  local m
  echo "model | CPU latency ms | $GPU latency ms | CPU throughput/s | $GPU throughput/s (median, p90, fps, nireq)"
  for m in ${MODELS//,/ }; do
    [ -f "$TV/$m.onnx" ] || continue
    echo "$m | $(bench_one "$TV/$m.onnx" CPU latency) | $(bench_one "$TV/$m.onnx" "$GPU" latency) |" \
      "$(bench_one "$TV/$m.onnx" CPU throughput) | $(bench_one "$TV/$m.onnx" "$GPU" throughput)"
  done | tee "$OUT/bench.log"
}

step_profile () {
  local m
  for m in ${MODELS//,/ }; do
    [ -f "$TV/$m.onnx" ] || continue
    echo "== $m"
    timeout 120 "$B/bin/ovi-bench" --model "$TV/$m.onnx" --device "$GPU" --hint latency --time 2 --pc --pc-nodes 15 2>&1
  done > "$OUT/profile.log"
  grep -E '^==|latency median|per op type|^  [A-Z][A-Za-z]+ +[0-9]+ nodes' "$OUT/profile.log"
}

# Throughput against requests in flight (NIREQ_MODELS, comma-separated).
step_nireq () {
  local n m models=${NIREQ_MODELS:-mobilenet_v2}
  for m in ${models//,/ }; do
    for n in 1 2 4 8 16; do
      echo "$m $GPU nireq=$n $(bench_one "$TV/$m.onnx" "$GPU" throughput --nireq $n)"
    done
  done | tee "$OUT/nireq.log"
}

# Latency against OVI_GPU_SPLIT_K_WAVES (0: no split), two models.
step_splitk () {
  local w m
  for m in resnet50 mobilenet_v2; do
    for w in 0 1 2 4 8; do
      echo "$m waves=$w $(OVI_GPU_SPLIT_K_WAVES=$w bench_one "$TV/$m.onnx" "$GPU" latency)"
    done
  done | tee "$OUT/splitk.log"
}

# Pre-processing's share of an inference fed 1080p NV12 pictures
# (ovi-bench --image: the picture's bytes cross the bus, the device
# resizes, converts and normalizes), GPU.0 and CPU, with --pc.
step_preproc () {
  local m d
  for m in ${MODELS//,/ }; do
    [ -f "$TV/$m.onnx" ] || continue
    for d in "$GPU" CPU; do
      echo "== $m $d"
      timeout 120 "$B/bin/ovi-bench" --model "$TV/$m.onnx" --device "$d" --hint latency \
        --time 2 --image NV12:1920x1080 --pc --pc-nodes 3 2>&1
    done
  done > "$OUT/preproc.log"
  grep -E '^==|latency median|Preprocess  ' "$OUT/preproc.log"
}

step_pipeline () {
  local d n
  for d in CPU "$GPU"; do
    for n in 1 4 8; do
      echo "$d streams=$n $(timeout 120 "$B/bin/ovi-nstream-bench" --model "$B/models/bench-detector.onnx" \
        --model-proc "$B/models/bench-detector.json" --device "$d" --streams $n \
        --frames $(( 800 / n + 40 )) --json 2>>"$OUT/pipeline.err")"
    done
  done | tee "$OUT/pipeline.log"
}

icd_setup
for s in "$@"; do
  echo "#### $s"
  "step_$s"
done
