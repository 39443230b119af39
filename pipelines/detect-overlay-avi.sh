#!/bin/bash
# Detection drawn on the video: boxes and labels by ovoverlay, then
# encoded to a file (Motion JPEG in AVI: the encoders of a plain Debian
# GStreamer install; use x264enc ! mp4mux where gst-plugins-ugly is).
#
#   pipelines/detect-overlay-avi.sh MODEL_DIR [OUT.avi]
#
# Without OUT.avi the video goes to a temporary file, removed after its
# size is printed (the test suite runs it that way).
#
# MODEL_DIR holds a detector (detect-ssd.onnx + .json); the test suite's
# generated one finds a "person" and a "car" on a white frame. Needs
# GST_PLUGIN_PATH to include the plugin (build/elements).
set -euo pipefail
m=${1:?model folder}
out=${2:-}
keep=1
if [ -z "$out" ]; then
  out=$(mktemp --suffix=.avi)
  keep=0
fi
gst-launch-1.0 -q \
  videotestsrc num-buffers=60 pattern=white ! \
  video/x-raw,format=NV12,width=640,height=360,framerate=30/1 ! \
  ovdetect model="$m/detect-ssd.onnx" model-proc="$m/detect-ssd.json" ! \
  ovoverlay ! \
  videoconvert ! jpegenc ! avimux ! filesink location="$out"
size=$(stat -c %s "$out")
echo "wrote $out ($size bytes)"
[ "$keep" -eq 1 ] || rm -f "$out"
[ "$size" -gt 0 ]
