#!/bin/bash
# The main job, for now: build the engine, generate a sample CNN
# (MobileNetV2-shaped, random weights), run one inference and benchmark it
# in latency and throughput modes.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ ! -f build-demo/build.ninja ]; then
  meson setup build-demo -Dbuildtype=release > /dev/null
fi
ninja -C build-demo > /dev/null
mkdir -p models
[ -f models/sample-cnn.onnx ] || /usr/bin/python3 tests/models/make-sample-cnn.py models/sample-cnn.onnx
/usr/bin/python3 - <<'PY'
import numpy as np
np.save("models/sample-input.npy", np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32))
PY
build-demo/tools/ovi-run --model models/sample-cnn.onnx \
  --input input=models/sample-input.npy --output-dir models/sample-output
/usr/bin/python3 -c "
import numpy as np
p = np.load('models/sample-output/probabilities.npy')
print('output', p.shape, 'sum %.4f' % p.sum(), 'top-5 classes', np.argsort(-p[0])[:5].tolist())"
echo "== latency (1 request, all cores)"
build-demo/tools/ovi-bench --model models/sample-cnn.onnx --hint latency --time 5
echo "== throughput (streams x threads)"
build-demo/tools/ovi-bench --model models/sample-cnn.onnx --hint throughput --time 5
