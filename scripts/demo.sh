#!/bin/bash
# The main job: builds the engine and the GStreamer plugin, generates the
# demo detector (a small hand-built ONNX network that finds bright objects;
# no downloaded weights), and runs the analytics pipeline end to end:
# videotestsrc's bouncing ball -> ovdetect (every 2nd frame) -> ovtrack ->
# ovmetaconvert -> ovmetapublish (JSON file) -> ovoverlay -> VP8/WebM.
# Writes demo-out/detections.webm (the annotated video) and
# demo-out/detections.json, prints a few JSON records, then times the
# detector alone with ovi-bench.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ ! -f build-demo/build.ninja ]; then
  meson setup build-demo -Dbuildtype=release > /dev/null
fi
ninja -C build-demo > /dev/null
export GST_PLUGIN_PATH=$PWD/build-demo/elements
echo "== pipeline (pipelines/detect-track-overlay.sh)"
pipelines/detect-track-overlay.sh build-demo/tests demo-out
echo "== first records of demo-out/detections.json"
head -3 demo-out/detections.json | cut -c1-300
echo "== the detector alone (ovi-bench, latency hint)"
build-demo/tools/ovi-bench --model build-demo/tests/demo-detector.onnx --hint latency --time 2
