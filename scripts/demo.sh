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
#     (demo-out/detections.webm, demo-out/detections.json),
#  4. generates a TinyLlama-1.1B-shaped language model with random Q4_0
#     weights (tools/llm/make-test-gguf.py; no pretrained GGUF is
#     reachable here, so its answers are noise: the speed is the point),
#     measures prompt and decode speed (ovi-llm --bench) and answers two
#     prompts through the ovllm element.
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
echo "== language model: TinyLlama-1.1B shape, random Q4_0 weights (answers are noise)"
llm=models/llm/bench/tinyllama-shape-Q4_0.gguf
mkdir -p models/llm/bench
if [ ! -f "$llm" ]; then
  /usr/bin/python3 tools/llm/make-test-gguf.py --bench "$llm" --type Q4_0
fi
build-demo/tools/ovi-llm --model "$llm" --bench --bench-prompt 128 --bench-decode 32 --repeat 1
printf 'What did the camera see?\nSummarise the day.\n' > demo-out/prompts.txt
gst-launch-1.0 -q filesrc location=demo-out/prompts.txt ! text/x-raw,format=utf8 ! \
  ovllm model="$llm" split-lines=true append-newline=true max-new-tokens=12 seed=1 ! \
  filesink location=demo-out/answers.txt
echo "answers (demo-out/answers.txt): $(wc -l < demo-out/answers.txt) lines, $(wc -c < demo-out/answers.txt) bytes"
