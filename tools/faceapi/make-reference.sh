#!/bin/sh
# Regenerates tests/data/faceapi/reference.json: face-api.js itself on its
# six demo photos (TensorFlow.js pure-JS CPU backend; about 20 s a photo).
# Needs the package fetched by scripts/fetch-face-models.sh. Run by hand
# when the reference should change; CI only reads the committed JSON.
set -eu
cd "$(dirname "$0")/../.."
pkg=models/faceapi/npm/package
node_dir=models/faceapi/node
[ -d "$pkg" ] || { echo "run scripts/fetch-face-models.sh first" >&2; exit 1; }
if [ ! -d "$node_dir/node_modules/@tensorflow/tfjs" ]; then
  mkdir -p "$node_dir"
  (cd "$node_dir" && npm install --no-save --ignore-scripts --no-audit --no-fund \
    @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 jpeg-js@0.4.4 >/dev/null)
fi
# face-api gets the pixels our pipeline decodes (jpegdec ! videoconvert),
# so the test compares models and processing, not JPEG decoders.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=""
for n in 1 2 3 4 5 6; do
  gst-launch-1.0 -q filesrc location="$pkg/demo/sample$n.jpg" ! jpegdec ! \
    videoconvert ! video/x-raw,format=RGB ! pnmenc ! \
    filesink location="$tmp/sample$n.ppm"
  args="$args $pkg/demo/sample$n.jpg=$tmp/sample$n.ppm"
done
# shellcheck disable=SC2086
NODE_PATH="$PWD/$node_dir/node_modules" node tools/faceapi/reference.js "$pkg" \
  $args > tests/data/faceapi/reference.json
