#!/bin/sh
# Installs the ONNX Runtime CPU peer (npm onnxruntime-node) into a git-ignored
# folder, without running its postinstall script.
#
#   tools/bench/setup-ort.sh [DEST]        (default DEST: build-peers/ort)
#   export NODE_PATH=$PWD/build-peers/ort/node_modules
#   node /work/shared/tools/ort-bench.js MODEL.onnx 1x3x224x224 20 2
#
# Why --ignore-scripts is enough: onnxruntime-node 1.30.0 bundles the CPU
# binaries in its npm tarball (bin/napi-v6/linux/x64/libonnxruntime.so.1 and
# onnxruntime_binding.node). Its postinstall (script/install.js) only fetches
# the CUDA/TensorRT execution-provider libraries from NuGet, which we neither
# need nor can reach. Only the npm registry is used here.
set -eu

ORT_VERSION=${ORT_VERSION:-1.30.0}
root=$(cd "$(dirname "$0")/../.." && pwd)
dest=${1:-"$root/build-peers/ort"}
mkdir -p "$dest"
cd "$dest"
[ -f package.json ] || printf '{ "name": "ort-peer", "private": true }\n' > package.json
npm install --ignore-scripts --no-audit --no-fund --no-save \
    "onnxruntime-node@$ORT_VERSION"

pkg=node_modules/onnxruntime-node
arch=$(node -p 'process.arch')
lib=$pkg/bin/napi-v6/linux/$arch/libonnxruntime.so.1
binding=$pkg/bin/napi-v6/linux/$arch/onnxruntime_binding.node
for f in "$lib" "$binding"; do
    [ -s "$f" ] || { echo "setup-ort: missing $dest/$f" >&2; exit 1; }
done
NODE_PATH="$dest/node_modules" node -e '
const ort = require("onnxruntime-node");
const v = ort.env.versions.node;
if (v !== process.argv[1]) { console.error("setup-ort: got version " + v); process.exit(1); }
console.log("onnxruntime-node " + v + " loads; backends: " +
  ort.listSupportedBackends().map((b) => b.name).join(","));' "$ORT_VERSION"
echo "libonnxruntime: $dest/$lib"
echo "export NODE_PATH=$dest/node_modules"
