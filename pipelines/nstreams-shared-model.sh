#!/bin/bash
# Three streams sharing one compiled model and its requests
# (model-instance-id), each with its own tracker, as a multi-camera
# application runs them. Prints each stream's JSON, one object per frame,
# tagged with its source.
#
#   pipelines/nstreams-shared-model.sh MODEL_DIR
#
# MODEL_DIR holds demo-detector.onnx + .json. Needs GST_PLUGIN_PATH to
# include the plugin (build/elements).
set -euo pipefail
m=${1:?model folder}
branches=()
for i in 0 1 2; do
  branches+=(videotestsrc num-buffers=40 pattern=ball "motion=$i" !
    video/x-raw,format=NV12,width=640,height=360,framerate=30/1 !
    ovdetect model="$m/demo-detector.onnx" model-proc="$m/demo-detector.json"
      threshold=0.3 model-instance-id=shared !
    ovtrack tracking-type=zero-term-imageless !
    ovmetaconvert json-indent=-1 source="camera$i" ! fakesink)
done
out=$(GST_DEBUG=ovmetaconvert:6 GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -q "${branches[@]}" 2>&1 \
  | grep -o '{"resolution.*}')
echo "$out"
for i in 0 1 2; do
  n=$(grep -c "\"source\":\"camera$i\"" <<< "$out" || true)
  if [ "$n" -ne 40 ]; then
    echo "camera$i: $n frames of JSON, expected 40" >&2
    exit 1
  fi
done
