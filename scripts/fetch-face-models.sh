#!/bin/bash
# Fetches face-api's pretrained models (npm @vladmandic/face-api, MIT) and
# converts them to ONNX + model-proc with tools/faceapi/convert.py.
#
#   scripts/fetch-face-models.sh [OUT]     (OUT defaults to models/faceapi)
#
# The npm tarball goes to models/faceapi/npm/ (models/ is git-ignored) and
# is checked against a pinned sha256. Idempotent: the download, the
# extraction and each conversion are skipped when already done (a model is
# converted again when convert.py is newer than it).
set -eu

version=1.7.15
sha256=0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031
tarball_url=https://registry.npmjs.org/@vladmandic/face-api/-/face-api-$version.tgz
nets=(ssd_mobilenetv1 tiny_face_detector face_landmark_68 face_landmark_68_tiny
      face_recognition age_gender face_expression)

root=$(cd "$(dirname "$0")/.." && pwd)
npm_dir=$root/models/faceapi/npm
out=${1:-$root/models/faceapi}
tarball=$npm_dir/vladmandic-face-api-$version.tgz
package=$npm_dir/package
convert=$root/tools/faceapi/convert.py

mkdir -p "$npm_dir" "$out"
if [ ! -f "$tarball" ]; then
  if command -v npm >/dev/null; then
    (cd "$npm_dir" && npm pack --silent "@vladmandic/face-api@$version" >/dev/null)
  else
    # No npm: the registry's tarball for the same version.
    curl -fsSL -o "$tarball.part" "$tarball_url"
    mv "$tarball.part" "$tarball"
  fi
fi
if ! echo "$sha256  $tarball" | sha256sum -c --quiet -; then
  echo "fetch-face-models: $tarball does not have the expected sha256" >&2
  exit 1
fi
if [ ! -f "$package/model/ssd_mobilenetv1_model.bin" ]; then
  rm -rf "$package"
  tar -xzf "$tarball" -C "$npm_dir"
fi

todo=()
for n in "${nets[@]}"; do
  if [ "$out/$n.onnx" -nt "$convert" ] && [ "$out/$n.json" -nt "$convert" ]; then
    echo "$n: up to date"
  else
    todo+=("$n")
  fi
done
if [ ${#todo[@]} -gt 0 ]; then
  /usr/bin/python3 "$convert" "$package" "$out" "${todo[@]}"
fi
