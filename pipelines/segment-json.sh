#!/bin/bash
# Segmentation, then JSON: instance segmentation (YOLOv8-seg: objects with
# their masks) on 640x360 frames, then semantic segmentation (a class per
# pixel) on small frames, whose masks are printed with add-tensor-data.
# Prints one JSON object per frame.
#
#   pipelines/segment-json.sh MODEL_DIR
#
# MODEL_DIR holds segment-yolov8.onnx + .json and segment-semantic.onnx +
# .json (the test suite's generated ones). Needs GST_PLUGIN_PATH to include
# the plugin (build/elements).
set -euo pipefail
m=${1:?model folder}
GST_DEBUG=ovmetaconvert:6 GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -q \
  videotestsrc num-buffers=5 pattern=smpte ! \
  video/x-raw,format=NV12,width=640,height=360,framerate=30/1 ! \
  ovsegment model="$m/segment-yolov8.onnx" model-proc="$m/segment-yolov8.json" \
      threshold=0.1 ! \
  ovmetaconvert json-indent=-1 add-tensor-data=true ! \
  fakesink 2>&1 | grep -o '{"resolution.*}'
GST_DEBUG=ovmetaconvert:6 GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -q \
  videotestsrc num-buffers=5 pattern=smpte ! \
  video/x-raw,format=BGRx,width=32,height=24,framerate=30/1 ! \
  ovsegment model="$m/segment-semantic.onnx" \
      model-proc="$m/segment-semantic.json" ! \
  ovmetaconvert json-indent=-1 add-tensor-data=true ! \
  fakesink 2>&1 | grep -o '{"resolution.*}'
