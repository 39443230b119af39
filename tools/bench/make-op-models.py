#!/usr/bin/python3
"""Single-op ONNX models for kernel timings (docs/performance.md, Kernels).

    /usr/bin/python3 tools/bench/make-op-models.py OUTDIR
    for m in OUTDIR/*.onnx; do
      build/tools/ovi-bench -m $m --niter 300 --json    # min_ms: best of 300
    done

Each conv model is Conv (random weights, bias, 'same'-style padding k/2
unless noted) followed by Clip(0, 6), as MobileNets and ResNets use
them; the MatMul model multiplies by a constant matrix. Names give the
shape: c3x3_64 is 1x64x56x56 -> 64, dw144s1 a depthwise 3x3 on
1x144x56x56, pw320x1280 a 1x1 on 1x320x7x7, and so on."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)


def save(name, nodes, inputs, outputs, inits):
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
              os.path.join(out, name + ".onnx"))


def conv(name, c, h, m, k, stride=1, group=1, pad=None):
    w = (rng.standard_normal((m, c // group, k, k)) * 0.1).astype(np.float32)
    p = k // 2 if pad is None else pad
    oh = (h + 2 * p - k) // stride + 1
    save(name,
         [helper.make_node("Conv", ["x", "W", "B"], ["c"], kernel_shape=[k, k],
                           strides=[stride, stride], pads=[p] * 4, group=group),
          helper.make_node("Clip", ["c", "lo", "hi"], ["y"])],
         [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, h, h])],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, m, oh, oh])],
         [numpy_helper.from_array(w, "W"),
          numpy_helper.from_array(rng.standard_normal(m).astype(np.float32), "B"),
          numpy_helper.from_array(np.array(0, np.float32), "lo"),
          numpy_helper.from_array(np.array(6, np.float32), "hi")])


def matmul(name, m, k, n):
    save(name, [helper.make_node("MatMul", ["x", "W"], ["y"])],
         [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
         [numpy_helper.from_array(rng.standard_normal((k, n)).astype(np.float32), "W")])


# 3x3 stride 1 (Winograd)
conv("c3x3_64", 64, 56, 64, 3)
conv("c3x3_128_28", 128, 28, 128, 3)
conv("c3x3_256_14", 256, 14, 256, 3)
conv("c3x3_512_7", 512, 7, 512, 3)
conv("c3x3_32_112", 32, 112, 32, 3)
conv("c3x3_16_56", 16, 56, 24, 3)
# depthwise
conv("dw144s1", 144, 56, 144, 3, group=144)
conv("dw96s2", 96, 112, 96, 3, stride=2, group=96)
conv("dw672s1", 672, 14, 672, 5, group=672)
conv("dw672s2", 672, 14, 672, 5, stride=2, group=672)
# 1x1
conv("pw16x96", 16, 112, 96, 1)
conv("pw256x64", 256, 56, 64, 1)
conv("pw64x256", 64, 56, 256, 1)
conv("pw320x1280", 320, 7, 1280, 1)
conv("pw160x960_7", 160, 7, 960, 1)
conv("pw96x576_14", 96, 14, 576, 1)
conv("pw1024x512_14", 1024, 14, 512, 1)
conv("pw2048x512_7", 2048, 7, 512, 1)
# stride 2
conv("c3s2_512_14", 512, 14, 512, 3, stride=2)
conv("c3s2_256_28", 256, 28, 256, 3, stride=2)
conv("c7s2_3_224", 3, 224, 64, 7, stride=2)
conv("c1s2_1024_14", 1024, 14, 2048, 1, stride=2)
matmul("mm1024", 1024, 1024, 1024)
matmul("mm512", 512, 512, 512)
