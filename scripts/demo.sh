#!/bin/bash
# The main job: builds the engine, the GStreamer plugin and the tools,
# converts face-api.js's pretrained face models to ONNX (npm package,
# scripts/fetch-face-models.sh), then
#  1. enrols one person from one demo photo (ovi-gallery add),
#  2. indexes face-api's six demo photos (ovi-faces index: detection,
#     landmarks, descriptors, age/gender, expression, identity into
#     demo-out/faces.db) and prints who was found where (ovi-faces who),
#  3. runs the video analytics pipeline on videotestsrc's bouncing ball
#     with the hand-built demo detector: ovdetect -> ovtrack ->
#     ovmetaconvert -> ovmetapublish (JSON) -> ovoverlay -> VP8/WebM
#     (demo-out/detections.webm, demo-out/detections.json).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ ! -f build-demo/build.ninja ]; then
  meson setup build-demo -Dbuildtype=release > /dev/null
fi
ninja -C build-demo > /dev/null
export GST_PLUGIN_PATH=$PWD/build-demo/elements
mkdir -p demo-out
echo "== face models (face-api.js, converted to ONNX)"
scripts/fetch-face-models.sh > demo-out/fetch-face-models.log
demo=models/faceapi/npm/package/demo
db=demo-out/faces.db
rm -f "$db" "$db-wal" "$db-shm"
echo "== enrol one person from one photo"
build-demo/tools/ovi-gallery/ovi-gallery --db "$db" add Anna "$demo/sample1.jpg"
echo "== index the demo photos"
build-demo/apps/faces/ovi-faces --db "$db" index "$demo"
echo "== who was found where"
build-demo/apps/faces/ovi-faces --db "$db" who
echo "== video pipeline (pipelines/detect-track-overlay.sh)"
pipelines/detect-track-overlay.sh build-demo/tests demo-out
echo "== first records of demo-out/detections.json"
head -2 demo-out/detections.json | cut -c1-300
