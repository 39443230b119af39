#!/bin/sh
# Packs what a session on a lent GPU machine needs into one folder that the
# `device` tool carries (it must be ignored by git: add it to
# .git/info/exclude). That machine runs a CUDA image, not Debian 12: it has
# no GLib, GStreamer or ocl-icd, and nothing can be installed there, so the
# release build's programs travel with the Debian libraries they load
# (glibc, libstdc++ and libgcc_s excepted: the image's are newer), with
# GStreamer's plugins for the N-stream pipeline, the generated test models,
# the ONNX conformance data (xz) and the pipeline benchmark's detector.
# tools/bench/gpu-session.sh runs on the other side.
#
# Usage: tools/bench/gpu-bundle.sh [BUILD_DIR] [OUT_DIR]   (build, .devrun)
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build}
out=${2:-.devrun}
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/gst" "$out/models"

bins="$build/tools/ovi-run $build/tools/ovi-bench $build/tools/ovi-conformance
      $build/tests/test-gpu-ops $build/tests/test-gpu-typed $build/tests/test-image
      $build/gst/ovi-nstream-bench"
cp $bins "$out/bin/"
cp "$build/elements/libgstovi.so" "$out/gst/"
gstdir=/usr/lib/x86_64-linux-gnu/gstreamer-1.0
for p in coreelements videotestsrc videoconvertscale imagefreeze app; do
  cp "$gstdir/libgst$p.so" "$out/gst/"
done
gstplugins=$(for p in coreelements videotestsrc videoconvertscale imagefreeze app; do echo "$gstdir/libgst$p.so"; done)
cp /usr/lib/x86_64-linux-gnu/gstreamer1.0/gstreamer-1.0/gst-plugin-scanner "$out/bin/"
cp /usr/bin/gst-launch-1.0 "$out/bin/"

# Every library those load, resolved here, except the C and C++ runtimes.
# (ldd the build's own files: the copies' RUNPATH no longer finds libovi.)
for f in $bins "$build/elements/libgstovi.so" $gstplugins \
    /usr/bin/gst-launch-1.0; do
  ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
done | sort -u | while read -r lib; do
  case $(basename "$lib") in
    libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*|libstdc++.so*|libgcc_s.so*) ;;
    *) cp -L "$lib" "$out/lib/" ;;
  esac
done

# Debug information would not fit: the tree that travels is limited to 64 MiB.
strip --strip-unneeded "$out"/bin/* "$out"/gst/*.so "$out"/lib/*

cp "$build"/tests/*.onnx "$out/models/"
cp "$build"/tests/*.json "$out/models/" 2>/dev/null || true
cp "$build"/tests/*.npy "$out/models/" 2>/dev/null || true
if [ ! -f models/bench-detector.onnx ]; then
  mkdir -p models
  /usr/bin/python3 tests/models/make-bench-detector.py models/bench-detector.onnx
fi
cp models/bench-detector.onnx models/bench-detector.json "$out/models/"
tar -C /usr/share/libonnx-testdata -cJf "$out/onnx-testdata.tar.xz" data
cp tools/models/export-torchvision.py "$out/"
# One xz archive: the programs shrink to a third, under the size limit.
tar -C "$out" -cJf "$out.tar.xz" bin lib gst models export-torchvision.py onnx-testdata.tar.xz
rm -rf "$out"
mkdir -p "$out"
mv "$out.tar.xz" "$out/bundle.tar.xz"
cp tools/bench/gpu-session.sh "$out/"
du -sh "$out"
