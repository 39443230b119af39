#!/bin/bash
# The demo pipeline: detection, tracking, JSON published to a file, boxes
# with labels and ids drawn on the video, encoded to WebM (VP8), with the
# frame rate printed along the way.
#
#   pipelines/detect-track-overlay.sh MODEL_DIR [OUT_DIR]
#
# MODEL_DIR holds demo-detector.onnx + .json (a hand-built bright-object
# detector; the test suite and scripts/demo.sh generate it). Writes
# OUT_DIR/detections.webm and OUT_DIR/detections.json (a JSON array, one
# gvametaconvert-style object per frame); without OUT_DIR, into a
# temporary folder removed afterwards (the test suite runs it that way).
# Needs GST_PLUGIN_PATH to include the plugin (build/elements).
set -euo pipefail
m=${1:?model folder}
out=${2:-}
keep=1
if [ -z "$out" ]; then
  out=$(mktemp -d)
  keep=0
fi
mkdir -p "$out"
frames=150
gst-launch-1.0 -q \
  videotestsrc num-buffers=$frames pattern=ball ! \
  video/x-raw,format=NV12,width=640,height=360,framerate=30/1 ! \
  ovdetect model="$m/demo-detector.onnx" model-proc="$m/demo-detector.json" \
      threshold=0.3 inference-interval=2 ! \
  ovtrack tracking-type=short-term-imageless ! \
  ovmetaconvert source=videotestsrc ! \
  ovmetapublish file-format=json file-path="$out/detections.json" ! \
  ovoverlay ! \
  ovfpscounter interval=2 ! \
  videoconvert ! vp8enc deadline=1 ! webmmux ! \
  filesink location="$out/detections.webm"
video=$(stat -c %s "$out/detections.webm")
records=$(grep -o '"resolution"' "$out/detections.json" | wc -l)
ids=$(grep -o '"id":[0-9]*' "$out/detections.json" | sort -u | tr '\n' ' ')
echo "wrote $out/detections.webm ($video bytes) and $out/detections.json" \
  "($records frames with objects; tracked ids: ${ids:-none})"
[ "$keep" -eq 1 ] || rm -rf "$out"
[ "$video" -gt 0 ] && [ "$records" -eq "$frames" ]
