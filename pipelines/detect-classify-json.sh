#!/bin/bash
# Detection, then classification of each detected object, then JSON:
# the shape of every analytics pipeline. Prints one JSON object per frame.
#
#   pipelines/detect-classify-json.sh MODEL_DIR
#
# MODEL_DIR holds a detector (detect-ssd.onnx + .json) and a classifier
# (classify.onnx + .json); the test suite passes its generated ones. Needs
# GST_PLUGIN_PATH to include the plugin (build/elements).
set -euo pipefail
m=${1:?model folder}
GST_DEBUG=ovmetaconvert:6 GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -q \
  videotestsrc num-buffers=30 pattern=white ! \
  video/x-raw,format=NV12,width=640,height=360,framerate=30/1 ! \
  ovdetect model="$m/detect-ssd.onnx" model-proc="$m/detect-ssd.json" \
      threshold=0.6 ! \
  ovclassify model="$m/classify.onnx" model-proc="$m/classify.json" \
      object-class=car ! \
  ovmetaconvert json-indent=-1 source=videotestsrc ! \
  fakesink 2>&1 | grep -o '{"resolution.*}'
