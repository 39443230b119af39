#!/bin/bash
# Installs llama.cpp's Node binding (npm node-llama-cpp with its prebuilt
# CPU binaries only; the optional CUDA/Vulkan builds are large) into
# DIR/node_modules, once: the peer for the LLM benchmark and the greedy
# cross-check. One pinned version for both.
#
#   tools/llm/install-node-llama-cpp.sh DIR
set -eu
version=3.22.1
dir=$1
if [ ! -d "$dir/node_modules/@node-llama-cpp/linux-x64" ]; then
  mkdir -p "$dir"
  (cd "$dir" && npm install --silent --no-audit --no-fund --omit=optional \
      "node-llama-cpp@$version" "@node-llama-cpp/linux-x64@$version" >/dev/null 2>&1)
fi
