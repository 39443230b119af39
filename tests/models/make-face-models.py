#!/usr/bin/python3
"""Writes a stand-in for models/faceapi that ovi-gallery's tests can run
without face-api's weights: the same file names, tiny hand-built models.

- ssd_mobilenetv1.onnx/.json: the demo's bright-object detector
  (make-demo-detector.py), so a bright disc on a dark photo is "a face".
- face_recognition.onnx/.json: a 128-value descriptor from the region's
  mean color (input 1x3x16x16, 0..1, RGB): a fixed 3x128 projection of
  the mean, L2-normalized, so differently colored discs get descriptors
  far apart and the same color the same descriptor. Attached as the raw
  tensor "face_descriptor" (raw_data_copy), as face-api's model-proc does.
No landmark model: ovi-gallery runs that stage only when the file exists.

Usage: make-face-models.py OUTDIR"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
subprocess.run([sys.executable, os.path.join(here, "make-demo-detector.py"),
                os.path.join(out, "ssd_mobilenetv1.onnx")], check=True,
               stdout=subprocess.DEVNULL)

rng = np.random.default_rng(20261121)
# A random projection: distinct mean colors, distinct directions.
projection = rng.standard_normal((3, 128)).astype(np.float32)
nodes = [
    helper.make_node("ReduceMean", ["image"], ["mean"], axes=[2, 3], keepdims=0),
    helper.make_node("MatMul", ["mean", "projection"], ["raw"]),
    helper.make_node("ReduceL2", ["raw"], ["norm"], axes=[1], keepdims=1),
    helper.make_node("Div", ["raw", "norm"], ["descriptor"]),
]
graph = helper.make_graph(
    nodes, "face-recognition-stand-in",
    [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 16, 16])],
    [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, [1, 128])],
    [numpy_helper.from_array(projection, "projection")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "face_recognition.onnx"))
with open(os.path.join(out, "face_recognition.json"), "w") as f:
    json.dump({"json_schema_version": "2.2.0",
               "input_preproc": [{"params": {"range": [0.0, 1.0],
                                             "color_space": "RGB"}}],
               "output_postproc": [{"converter": "raw_data_copy",
                                    "attribute_name": "face_descriptor"}]},
              f, indent=2)
