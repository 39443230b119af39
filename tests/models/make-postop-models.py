#!/usr/bin/python3
"""Generates one small model per post-op the CPU plan fuses into a Conv
(inference/passes/fuse-postops.c): Conv [+ residual Add] + activation, for
each activation and gate the pass knows. The NPU device's serializer must
write them back as standard IR layers; test-npu checks that the IR it
writes computes what the fused plan computes.

Usage: make-postop-models.py OUTDIR
Uses Debian's python3-onnx and python3-numpy (build time only)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(6)

# name: (activation nodes from "c" to "y", opset)
ACTIVATIONS = {
    "relu": ([("Relu", ["c"], {})], 13),
    "clip": ([("Clip", ["c", "lo", "hi"], {})], 13),
    "clip-max": ([("Clip", ["c", "", "hi"], {})], 13),
    "leakyrelu": ([("LeakyRelu", ["c"], {"alpha": 0.07})], 13),
    "elu": ([("Elu", ["c"], {"alpha": 0.8})], 13),
    "hardsigmoid": ([("HardSigmoid", ["c"], {"alpha": 0.3, "beta": 0.4})], 13),
    "hardswish": ([("HardSwish", ["c"], {})], 14),
    "sigmoid": ([("Sigmoid", ["c"], {})], 13),
    "tanh": ([("Tanh", ["c"], {})], 13),
    "gelu": ([("Gelu", ["c"], {})], 20),
    "gelu-tanh": ([("Gelu", ["c"], {"approximate": "tanh"})], 20),
    "silu": ([("Sigmoid", ["c"], {}), ("Mul", ["c", "a0"], {})], 13),
    "hardgate": ([("HardSigmoid", ["c"], {"alpha": 0.25, "beta": 0.45}),
                  ("Mul", ["c", "a0"], {})], 13),
}

for residual in (False, True):
    for name, (acts, opset) in ACTIVATIONS.items():
        inits = [
            numpy_helper.from_array(
                (0.3 * rng.standard_normal((8, 8, 3, 3))).astype(np.float32), "w"),
            numpy_helper.from_array(
                (0.1 * rng.standard_normal(8)).astype(np.float32), "b"),
            numpy_helper.from_array(np.array(-0.5, np.float32), "lo"),
            numpy_helper.from_array(np.array(0.7, np.float32), "hi"),
        ]
        nodes = [helper.make_node("Conv", ["x", "w", "b"], ["conv"],
                                  kernel_shape=[3, 3], pads=[1, 1, 1, 1])]
        if residual:
            nodes.append(helper.make_node("Add", ["conv", "x"], ["c"]))
        else:
            nodes[0].output[0] = "c"
        for i, (op, ins, attrs) in enumerate(acts):
            last = i == len(acts) - 1
            nodes.append(helper.make_node(op, ins, ["y" if last else f"a{i}"],
                                          **attrs))
        graph = helper.make_graph(
            nodes, "postop",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 6, 6])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 6, 6])],
            inits)
        model = helper.make_model(graph,
                                  opset_imports=[helper.make_opsetid("", opset)])
        model.ir_version = 8
        # Debian's onnx predates Gelu (opset 20): not checked there.
        if opset < 20:
            onnx.checker.check_model(model)
        prefix = "postop-sum-" if residual else "postop-"
        onnx.save(model, os.path.join(out, prefix + name + ".onnx"))
