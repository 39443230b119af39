#!/usr/bin/python3
"""Writes the demo's detector: a small hand-built ONNX network (no
training, no downloaded weights) that finds bright objects on a dark
background, such as videotestsrc's `pattern=ball`, and reports them in the
YOLOv8 layout [1, 4 + 1, N] (cx, cy, w, h in input pixels, then the score
of its one class, "ball"), so ovdetect decodes it with its own yolo_v8
converter and NMS. Also writes its model-proc JSON.

How it finds them: luma (1x1 conv) pooled into an 8x8-pixel grid, each
cell's brightness mass clipped to 0..1; over a 9x9-cell window, the moments of
the bright mass (one convolution with five kernels) give its centroid and
spread, hence a box centred on the centroid, 4 standard deviations wide
and high (exact for a uniform ellipse); a cell
scores high when it is bright and is that centroid, so NMS keeps one box
per object.

Usage: make-demo-detector.py OUT.onnx [--size 320]"""
import argparse
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--size", type=int, default=320)
args = ap.parse_args()
S, CELL, WIN = args.size, 8, 9
G = S // CELL
R = WIN // 2

inits, nodes = [], []


def const(name, array):
    inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
    return name


def node(op, inputs, output, **attrs):
    nodes.append(helper.make_node(op, inputs, [output], **attrs))
    return output


luma = node("Conv", ["image", const("luma_w", np.array([0.299, 0.587, 0.114]).reshape(1, 3, 1, 1))], "luma")
cells = node("AveragePool", [luma], "cells", kernel_shape=[CELL, CELL], strides=[CELL, CELL])
# Brightness mass per cell: 0 at luma <= 0.3, 1 from 0.7 on.
mass = node("Clip", [node("Mul", [node("Sub", [cells, const("lo", 0.3)], "cells_off"),
                                   const("gain", 2.5)], "cells_gain"),
                     const("zero", 0.0), const("one", 1.0)], "mass")
offsets = np.arange(WIN, dtype=np.float32) - R
ox, oy = np.tile(offsets, (WIN, 1)), np.tile(offsets[:, None], (1, WIN))
kernels = np.stack([np.ones((WIN, WIN)), ox, oy, ox * ox, oy * oy])
moments = node("Conv", [mass, const("moment_w", kernels.reshape(5, 1, WIN, WIN))], "moments",
               pads=[R, R, R, R])
nodes.append(helper.make_node("Split", [moments], ["area", "sum_dx", "sum_dy", "sum_dx2", "sum_dy2"],
                              axis=1))
denominator = node("Add", ["area", const("eps", 1e-3)], "area_eps")
dx = node("Div", ["sum_dx", denominator], "dx")
dy = node("Div", ["sum_dy", denominator], "dy")
grid = np.arange(G, dtype=np.float32) + 0.5
cx = node("Mul", [node("Add", [const("grid_x", np.tile(grid, (G, 1)).reshape(1, 1, G, G)), dx], "gx"),
                  const("cell", float(CELL))], "cx")
cy = node("Mul", [node("Add", [const("grid_y", np.tile(grid[:, None], (1, G)).reshape(1, 1, G, G)), dy], "gy"),
                  "cell"], "cy")


def extent(sum2, mean, axis):
    """An ellipse's width along an axis is 4 standard deviations of its
    area's coordinate; the grid adds a cell's own variance, 1/12."""
    var = node("Sub", [node("Div", [sum2, denominator], f"e{axis}2"),
                       node("Mul", [mean, mean], f"m{axis}2")], f"var_{axis}")
    var = node("Add", [var, const(f"cell_var_{axis}", 1.0 / 12)], f"var_cells_{axis}")
    var = node("Relu", [var], f"var_pos_{axis}")
    return node("Mul", [node("Sqrt", [var], f"sd_{axis}"), const(f"k_{axis}", 4.0 * CELL)], f"size_{axis}")


width = extent("sum_dx2", dx, "x")
height = extent("sum_dy2", dy, "y")
distance2 = node("Add", [node("Mul", [dx, dx], "dx2"), node("Mul", [dy, dy], "dy2")], "d2")
centrality = node("Exp", [node("Neg", [distance2], "neg_d2")], "centrality")
score = node("Mul", [mass, centrality], "score")
boxes = node("Concat", [cx, cy, width, height, score], "boxes", axis=1)
node("Reshape", [boxes, const("out_shape", np.array([1, 5, G * G]))], "output0")
inits[-1] = numpy_helper.from_array(np.array([1, 5, G * G], dtype=np.int64), "out_shape")

graph = helper.make_graph(
    nodes, "demo-detector",
    [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, S, S])],
    [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 5, G * G])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="gst-ovi make-demo-detector.py")
onnx.checker.check_model(model)
onnx.save(model, args.out)
proc = {
    "json_schema_version": "2.2.0",
    "input_preproc": [{"params": {"range": [0.0, 1.0], "color_space": "RGB"}}],
    "output_postproc": [{"converter": "yolo_v8", "labels": ["ball"], "iou_threshold": 0.3}],
}
with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
    json.dump(proc, f, indent=2)
print(f"wrote {args.out} and its model-proc JSON")
