#!/bin/bash
# Photo indexing throughput and peak memory: `ovi-faces index` on face-api's
# six demo photos repeated to N files (default 300) against face-api.js
# itself (TensorFlow.js CPU backend, tools/faceapi/bench-faceapi.js) on the
# first M of the same files (default 12: it takes about 20 s a photo, so
# its per-photo rate is measured on fewer files; FACEAPI_PHOTOS=300 runs
# them all). Then each converted model's latency: ovi-bench against ONNX
# Runtime (ort-bench.js, NODE_PATH with onnxruntime-node, 2 threads).
#
#   tools/bench/faces-bench.sh [BUILD_DIR] [N]
# Needs scripts/fetch-face-models.sh and the Node packages of
# tools/faceapi/make-reference.sh (models/faceapi/node).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
n=${2:-300}
m=${FACEAPI_PHOTOS:-12}
models=$root/models/faceapi
pkg=$models/npm/package
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/photos"
for i in $(seq 0 $((n - 1))); do
  cp "$pkg/demo/sample$((i % 6 + 1)).jpg" "$tmp/photos/p$(printf %04d "$i").jpg"
done
export GST_PLUGIN_PATH=$build/elements

# ovi-faces: wall time of the whole run (model loading included), peak RSS.
/usr/bin/time -f '%e %M' -o "$tmp/ovi.time" "$build/apps/faces/ovi-faces" -q \
  --db "$tmp/faces.db" --models "$models" index "$tmp/photos"
read -r ovi_s ovi_kb < "$tmp/ovi.time"
ovi_faces=$("$build/apps/faces/ovi-faces" --db "$tmp/faces.db" who | tail -1 | cut -d' ' -f3)

# face-api on the first m files.
files=$(ls "$tmp"/photos/*.jpg | head -n "$m")
# shellcheck disable=SC2086
NODE_PATH=$models/node/node_modules /usr/bin/time -f '%e %M' -o "$tmp/fa.time" \
  node "$root/tools/faceapi/bench-faceapi.js" "$pkg" $files > "$tmp/fa.json"
read -r fa_wall fa_kb < "$tmp/fa.time"
fa_s=$(/usr/bin/python3 -c "import json;print(json.load(open('$tmp/fa.json'))['seconds'])")
fa_faces=$(/usr/bin/python3 -c "import json;print(json.load(open('$tmp/fa.json'))['faces'])")

/usr/bin/python3 - "$n" "$ovi_s" "$ovi_kb" "$ovi_faces" "$m" "$fa_s" "$fa_wall" "$fa_kb" "$fa_faces" <<'PY'
import sys
n, ovi_s, ovi_kb, ovi_faces, m, fa_s, fa_wall, fa_kb, fa_faces = sys.argv[1:]
n, m = int(n), int(m)
ovi_rate, fa_rate = n / float(ovi_s), m / float(fa_s)
print(f"ovi-faces: {n} photos, {ovi_faces} faces in {float(ovi_s):.1f} s: "
      f"{ovi_rate:.2f} photos/s, {int(ovi_faces) / float(ovi_s):.1f} faces/s, peak RSS {int(ovi_kb) / 1024:.0f} MiB")
print(f"face-api:  {m} photos, {fa_faces} faces in {float(fa_s):.1f} s (models loaded; "
      f"{float(fa_wall):.1f} s with start-up): {fa_rate:.3f} photos/s, "
      f"{int(fa_faces) / float(fa_s):.2f} faces/s, peak RSS {int(fa_kb) / 1024:.0f} MiB")
print(f"ratio: {ovi_rate / fa_rate:.0f}x photos/s, peak memory {int(ovi_kb) / int(fa_kb):.2f} of face-api's")
PY

echo "== per-model latency, ms (median): ovi-bench vs ONNX Runtime, 2 threads"
export NODE_PATH=${ORT_NODE_PATH:-$root/build-peers/ort/node_modules}
for net in ssd_mobilenetv1:512 face_landmark_68:112 face_recognition:150 age_gender:112 face_expression:112; do
  name=${net%%:*} size=${net##*:}
  ours=$("$build/tools/ovi-bench" --model "$models/$name.onnx" --hint latency --time 3 --json \
    | /usr/bin/python3 -c "import json,sys;d=json.load(sys.stdin);print(d['median_ms'])")
  ort=$(node "${ORT_BENCH:-/work/shared/tools/ort-bench.js}" "$models/$name.onnx" \
    "1x3x${size}x${size}" 50 2 | tail -1 \
    | /usr/bin/python3 -c "import json,sys;print(json.load(sys.stdin)['median_ms'])")
  echo "$name: ovi $ours ms, ORT $ort ms, ratio $(/usr/bin/python3 -c "print(f'{$ort/$ours:.2f}')")"
done
