#!/bin/bash
# A DL Streamer pipeline ported by renaming gva* to ov*: the settings its
# users write (ie-config, pre-process-backend, scale-method, qos,
# pre-process-config, deep-sort tracking on a re-identification model's
# features, gvafpscounter's print-std-dev) parse and work together.
#
#   pipelines/dlstreamer-port.sh MODEL_DIR
#
# MODEL_DIR holds demo-detector.onnx + .json (a bright-object detector)
# and classify.onnx (its channel means stand in for a re-identification
# network); the test suite generates them. Needs GST_PLUGIN_PATH to
# include the plugin (build/elements).
set -euo pipefail
m=${1:?model folder}
json="${TMPDIR:-/tmp}/dlstreamer-port.$$"
gst-launch-1.0 -q \
  videotestsrc num-buffers=60 pattern=ball ! \
  video/x-raw,format=BGRx,width=640,height=480,framerate=30/1 ! \
  ovdetect model="$m/demo-detector.onnx" model-proc="$m/demo-detector.json" \
      threshold=0.3 device=CPU nireq=2 pre-process-backend=opencv \
      scale-method=fast qos=true \
      ie-config="PERFORMANCE_HINT=THROUGHPUT,NUM_STREAMS=2,INFERENCE_PRECISION_HINT=f32" ! \
  ovinference model="$m/classify.onnx" inference-region=roi-list \
      pre-process-config="reverse_input_channels=yes" ! \
  ovtrack tracking-type=deep-sort deepsort-trck-cfg="n_init=2,max_age=60" ! \
  ovmetaconvert add-empty-results=true ! \
  ovmetapublish file-format=json-lines file-path="$json" ! \
  ovfpscounter interval=1 print-std-dev=true ! fakesink
frames=$(wc -l < "$json")
ids=$(grep -o '"id":[0-9]*' "$json" | sort -u | wc -l)
with_id=$(grep -c '"id":' "$json" || true)
tail -2 "$json"
rm -f "$json"
# One message per frame; the ball gets one id from its second frame on.
if [ "$frames" -ne 60 ] || [ "$ids" -ne 1 ] || [ "$with_id" -lt 58 ]; then
  echo "expected 60 frames, one id on at least 58 of them; got $frames" \
    "frames, $ids ids, $with_id frames with an id" >&2
  exit 1
fi
