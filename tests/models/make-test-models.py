#!/usr/bin/python3
"""Generates the small ONNX models the unit tests use.

Usage: make-test-models.py OUTDIR
Uses Debian's python3-onnx and python3-numpy (build time only)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)


def save(graph, name, opset=13, check=True, metadata=None):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    if metadata:
        helper.set_model_props(model, metadata)
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name))


# add-relu: y = relu(x + b), static shape.
b = numpy_helper.from_array(rng.standard_normal((1, 3, 1, 1)).astype(np.float32), "b")
save(helper.make_graph(
    [helper.make_node("Add", ["x", "b"], ["s"]), helper.make_node("Relu", ["s"], ["y"])],
    "add_relu",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])],
    [b]), "add-relu.onnx",
    metadata={"author": "ovi tests", "names": "{0: 'a', 1: 'b c'}"})

# dynamic: batch dimension symbolic; y = tanh(x * w + c) per row.
w = numpy_helper.from_array(rng.standard_normal((8,)).astype(np.float32), "w")
c = numpy_helper.from_array(np.array([0.5], np.float32), "c")
save(helper.make_graph(
    [helper.make_node("Mul", ["x", "w"], ["m"]),
     helper.make_node("Add", ["m", "c"], ["a"]),
     helper.make_node("Tanh", ["a"], ["y"])],
    "dynamic",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])],
    [w, c]), "dynamic.onnx")

# unsupported: an op no engine knows.
save(helper.make_graph(
    [helper.make_node("FrobnicateTensor", ["x"], ["y"], name="frob1")],
    "unsupported",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])]), "unsupported.onnx",
    check=False)

# external data: the weight lives in a side file.
ext = helper.make_graph(
    [helper.make_node("Mul", ["x", "k"], ["y"])],
    "external",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
    [numpy_helper.from_array(np.arange(1, 5, dtype=np.float32), "k")])
model = helper.make_model(ext, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.save(model, os.path.join(out, "external.onnx"), save_as_external_data=True,
          all_tensors_to_one_file=True, location="external.bin", size_threshold=0)

# chain: a longer elementwise chain whose intermediate values must share
# arena memory (liveness planning).
nodes = []
prev = "x"
for i in range(12):
    op = ["Relu", "Sigmoid", "Neg", "Abs"][i % 4]
    nodes.append(helper.make_node(op, [prev], [f"t{i}"]))
    prev = f"t{i}"
nodes.append(helper.make_node("Identity", [prev], ["y"]))
save(helper.make_graph(nodes, "chain",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 32, 32])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16, 32, 32])]), "chain.onnx")

# block: the ops of a transformer block and of detection/segmentation
# heads, for the allocation test: LayerNorm, MatMul, Softmax, Erf-GELU,
# Transpose, Concat, Slice, Gather, ReduceMean, TopK, Resize.
d = 32
w1 = numpy_helper.from_array(rng.standard_normal((d, d)).astype(np.float32) * 0.2, "w1")
w2 = numpy_helper.from_array(rng.standard_normal((d, d)).astype(np.float32) * 0.2, "w2")
gamma = numpy_helper.from_array(np.ones(d, np.float32), "gamma")
beta = numpy_helper.from_array(np.zeros(d, np.float32), "beta")
half = numpy_helper.from_array(np.array(0.5, np.float32), "half")
one = numpy_helper.from_array(np.array(1.0, np.float32), "one")
rt2 = numpy_helper.from_array(np.array(1.0 / np.sqrt(2), np.float32), "rt2")
k = numpy_helper.from_array(np.array([5], np.int64), "k")
idx = numpy_helper.from_array(np.array([0, 3, 7], np.int64), "idx")
starts = numpy_helper.from_array(np.array([2], np.int64), "starts")
ends = numpy_helper.from_array(np.array([30], np.int64), "ends")
axes = numpy_helper.from_array(np.array([2], np.int64), "axes")
scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
roi = numpy_helper.from_array(np.array([], np.float32), "roi")
save(helper.make_graph([
    helper.make_node("LayerNormalization", ["x", "gamma", "beta"], ["ln"], axis=-1),
    helper.make_node("MatMul", ["ln", "w1"], ["q"]),
    helper.make_node("Transpose", ["q"], ["qt"], perm=[0, 2, 1]),
    helper.make_node("MatMul", ["q", "qt"], ["att"]),
    helper.make_node("Softmax", ["att"], ["p"], axis=-1),
    helper.make_node("MatMul", ["p", "q"], ["ctx"]),
    helper.make_node("Mul", ["ctx", "rt2"], ["e0"]),
    helper.make_node("Erf", ["e0"], ["e1"]),
    helper.make_node("Add", ["e1", "one"], ["e2"]),
    helper.make_node("Mul", ["ctx", "e2"], ["e3"]),
    helper.make_node("Mul", ["e3", "half"], ["gelu"]),
    helper.make_node("MatMul", ["gelu", "w2"], ["h"]),
    helper.make_node("Concat", ["h", "x"], ["cat"], axis=2),
    helper.make_node("Slice", ["cat", "starts", "ends", "axes"], ["sl"]),
    helper.make_node("Gather", ["sl", "idx"], ["g"], axis=1),
    helper.make_node("ReduceMean", ["sl"], ["mean"], axes=[1], keepdims=0),
    helper.make_node("TopK", ["mean", "k"], ["topv", "topi"], axis=-1),
    helper.make_node("Unsqueeze", ["g", "axes0"], ["g4"]),
    helper.make_node("Resize", ["g4", "roi", "scales"], ["up"], mode="linear"),
], "block",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 16, d])],
    [helper.make_tensor_value_info("topv", TensorProto.FLOAT, [2, 5]),
     helper.make_tensor_value_info("topi", TensorProto.INT64, [2, 5]),
     helper.make_tensor_value_info("up", TensorProto.FLOAT, [1, 2, 6, 56])],
    [w1, w2, gamma, beta, half, one, rt2, k, idx, starts, ends, axes, scales, roi,
     numpy_helper.from_array(np.array([0], np.int64), "axes0")]), "block.onnx", opset=17)


# resnet: the convolution paths other than the sample CNN's: Winograd 3x3
# (with a residual sum), a SiLU gate (Sigmoid + Mul, fused as Swish), a
# stride-2 depthwise conv (phase-split rows), a stride-2 3x3 down to 7x7
# and a 1x1 conv there (transposed GEMM).
def conv_node(nodes, inits, x, y, cin, cout, k, stride=1, pad=None, group=1):
    w = f"w_{y}"
    inits.append(numpy_helper.from_array(
        (rng.standard_normal((cout, cin // group, k, k)) * np.sqrt(2.0 / (cin // group * k * k)))
        .astype(np.float32), w))
    inits.append(numpy_helper.from_array(0.1 * rng.standard_normal(cout).astype(np.float32), f"b_{y}"))
    p = k // 2 if pad is None else pad
    nodes.append(helper.make_node("Conv", [x, w, f"b_{y}"], [y], kernel_shape=[k, k],
                                  strides=[stride, stride], pads=[p] * 4, group=group))


nodes, inits = [], []
conv_node(nodes, inits, "x", "c1", 32, 32, 3)
nodes.append(helper.make_node("Relu", ["c1"], ["r1"]))
conv_node(nodes, inits, "r1", "c2", 32, 32, 3)
nodes.append(helper.make_node("Add", ["c2", "x"], ["s2"]))
nodes.append(helper.make_node("Relu", ["s2"], ["r2"]))
conv_node(nodes, inits, "r2", "c3", 32, 32, 1)
nodes.append(helper.make_node("Sigmoid", ["c3"], ["g3"]))
nodes.append(helper.make_node("Mul", ["c3", "g3"], ["r3"]))
conv_node(nodes, inits, "r3", "d4", 32, 32, 3, stride=2, group=32)
conv_node(nodes, inits, "r3", "c5", 32, 64, 3, stride=2, pad=0)
conv_node(nodes, inits, "c5", "c6", 64, 256, 1)
nodes.append(helper.make_node("GlobalAveragePool", ["c6"], ["y"]))
nodes.append(helper.make_node("GlobalAveragePool", ["d4"], ["z"]))
save(helper.make_graph(nodes, "resnet",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32, 16, 16])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 256, 1, 1]),
     helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 32, 1, 1])], inits), "resnet.onnx")
