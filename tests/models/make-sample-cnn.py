#!/usr/bin/python3
"""Writes a MobileNetV2-style CNN with random weights (ONNX, opset 13) for
the demo and tests: Conv+BatchNorm+Clip stem, inverted residual blocks
(1x1 expand, 3x3 depthwise, 1x1 project, residual Add), global pooling,
Gemm classifier and Softmax.

Usage: make-sample-cnn.py OUT.onnx [--size 224]"""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--size", type=int, default=224)
args = ap.parse_args()

rng = np.random.default_rng(42)
nodes, inits = [], []
counter = [0]


def name(prefix):
    counter[0] += 1
    return f"{prefix}{counter[0]}"


def const(array, prefix="w"):
    n = name(prefix)
    inits.append(numpy_helper.from_array(array.astype(np.float32), n))
    return n


def conv_bn(x, cin, cout, k, stride=1, group=1, act=True):
    w = rng.standard_normal((cout, cin // group, k, k)) * np.sqrt(2.0 / (cin // group * k * k))
    y = name("conv")
    nodes.append(helper.make_node("Conv", [x, const(w)], [y], kernel_shape=[k, k],
                                  strides=[stride, stride], pads=[k // 2] * 4, group=group))
    bn = name("bn")
    nodes.append(helper.make_node(
        "BatchNormalization",
        [y, const(1 + 0.1 * rng.standard_normal(cout), "g"), const(0.1 * rng.standard_normal(cout), "b"),
         const(0.1 * rng.standard_normal(cout), "m"), const(1 + 0.1 * rng.random(cout), "v")],
        [bn], epsilon=1e-5))
    if not act:
        return bn
    out = name("relu6")
    nodes.append(helper.make_node("Clip", [bn, const(np.array(0.0), "lo"), const(np.array(6.0), "hi")], [out]))
    return out


def inverted_residual(x, cin, cout, stride, expand):
    hidden = cin * expand
    h = conv_bn(x, cin, hidden, 1) if expand != 1 else x
    h = conv_bn(h, hidden, hidden, 3, stride, group=hidden)
    h = conv_bn(h, hidden, cout, 1, act=False)
    if stride == 1 and cin == cout:
        out = name("add")
        nodes.append(helper.make_node("Add", [x, h], [out]))
        return out
    return h


x = conv_bn("input", 3, 32, 3, 2)
cin = 32
for expand, cout, repeats, stride in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                                      (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                                      (6, 320, 1, 1)]:
    for i in range(repeats):
        x = inverted_residual(x, cin, cout, stride if i == 0 else 1, expand)
        cin = cout
x = conv_bn(x, cin, 1280, 1)
nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
nodes.append(helper.make_node("Flatten", ["pooled"], ["flat"], axis=1))
nodes.append(helper.make_node("Gemm", ["flat", const(0.01 * rng.standard_normal((1000, 1280))),
                                       const(np.zeros(1000), "fcb")], ["logits"], transB=1))
nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1))

graph = helper.make_graph(
    nodes, "sample_mobilenet_v2",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, args.size, args.size])],
    [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 1000])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, args.out)
print(f"wrote {args.out}: {len(nodes)} nodes, "
      f"{sum(int(np.prod(i.dims)) for i in inits) / 1e6:.1f} M parameters")
