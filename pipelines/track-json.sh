#!/bin/bash
# Tracking: the detector runs on every third frame, ovtrack carries the
# objects through the frames between and gives them ids; one JSON object
# per frame with each object's `id`.
#
#   pipelines/track-json.sh MODEL_DIR
#
# MODEL_DIR holds demo-detector.onnx + .json (a bright-object detector;
# the test suite and scripts/demo.sh generate it). Needs GST_PLUGIN_PATH to
# include the plugin (build/elements).
set -euo pipefail
m=${1:?model folder}
GST_DEBUG=ovmetaconvert:6 GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -q \
  videotestsrc num-buffers=60 pattern=ball ! \
  video/x-raw,format=BGRx,width=640,height=480,framerate=30/1 ! \
  ovdetect model="$m/demo-detector.onnx" model-proc="$m/demo-detector.json" \
      threshold=0.3 inference-interval=3 ! \
  ovtrack tracking-type=short-term-imageless ! \
  ovmetaconvert json-indent=-1 ! \
  fakesink 2>&1 | grep -o '{"resolution.*}' > "${TMPDIR:-/tmp}/track-json.$$"
# Every frame has the ball, and it keeps one id all along.
frames=$(wc -l < "${TMPDIR:-/tmp}/track-json.$$")
ids=$(grep -o '"id":[0-9]*' "${TMPDIR:-/tmp}/track-json.$$" | sort -u | wc -l)
cat "${TMPDIR:-/tmp}/track-json.$$"
rm -f "${TMPDIR:-/tmp}/track-json.$$"
if [ "$frames" -ne 60 ] || [ "$ids" -ne 1 ]; then
  echo "expected 60 frames with one tracked id, got $frames frames and $ids ids" >&2
  exit 1
fi
