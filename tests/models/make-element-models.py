#!/usr/bin/python3
"""Generates the tiny models, model-proc files and labels the element tests
use. Each model's outputs depend on its input, so a test can tell whether
pre-processing, inference and decoding each did their part.

Usage: make-element-models.py OUTDIR
Uses Debian's python3-onnx and python3-numpy (build time only)."""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(nodes, name, inputs, outputs, inits, metadata=None):
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    if metadata:
        helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))


def const(name, array):
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def image_input(h, w, c=3, batch=1):
    return helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, c, h, w])


# The image's mean brightness (inputs scaled to 0..1 by model-proc) as a
# [1, 1, 1, 1] tensor: the detectors add it to their confidences.
mean_nodes = [helper.make_node("ReduceMean", ["image"], ["mean"], keepdims=1)]

# detect-ssd: DetectionOutput [1, 1, 3, 7]; the second box's confidence is
# 0.3 + 0.5 * brightness, so a white frame has two objects, a black one.
boxes = [[0, 1, 0.9, 0.10, 0.20, 0.50, 0.60],
         [0, 2, 0.3, 0.50, 0.50, 0.90, 0.80],
         [-1, 0, 0, 0, 0, 0, 0]]
gain = np.zeros((1, 1, 3, 7), np.float32)
gain[0, 0, 1, 2] = 0.5
save(mean_nodes + [
        helper.make_node("Mul", ["mean", "gain"], ["scaled"]),
        helper.make_node("Add", ["scaled", "boxes"], ["detection_out"])],
     "detect-ssd", [image_input(32, 32)],
     [helper.make_tensor_value_info("detection_out", TensorProto.FLOAT, [1, 1, 3, 7])],
     [const("boxes", np.array(boxes, np.float32).reshape(1, 1, 3, 7)),
      const("gain", gain)])
with open(os.path.join(out, "detect-ssd.json"), "w") as f:
    json.dump({"json_schema_version": "2.2.0",
               "input_preproc": [{"format": "image", "layer_name": "image",
                                  "params": {"range": [0.0, 1.0],
                                             "color_space": "RGB"}}],
               "output_postproc": [{"converter": "detection_output",
                                    "labels": ["background", "person", "car"]}]},
              f, indent=2)

# detect-yolov8: [1, 4 + 2, 8] channels first, 64x64 input; candidates 0
# and 1 overlap (IoU 0.68) with class 0, 2 overlaps 0 but is class 1, 3 is
# below threshold, 4 and 5 are far away and disjoint. Scores scaled by
# brightness so a black frame gives nothing.
cand = np.array([
    # cx    cy    w     h    s0   s1
    [16.0, 16.0, 16.0, 16.0, 0.9, 0.0],
    [18.0, 17.0, 16.0, 16.0, 0.8, 0.1],
    [16.0, 16.0, 16.0, 16.0, 0.1, 0.7],
    [40.0, 40.0, 8.0, 8.0, 0.2, 0.1],
    [48.0, 12.0, 10.0, 10.0, 0.6, 0.0],
    [12.0, 50.0, 10.0, 6.0, 0.0, 0.95],
    [30.0, 30.0, 4.0, 4.0, 0.0, 0.0],
    [34.0, 30.0, 4.0, 4.0, 0.0, 0.0],
], np.float32).T.reshape(1, 6, 8)
scale = np.zeros((1, 6, 8), np.float32)
scale[0, 4:, :] = 1.0
keep = np.ones((1, 6, 8), np.float32)
keep[0, 4:, :] = 0.0
save(mean_nodes + [
        helper.make_node("Reshape", ["mean", "shape1"], ["m1"]),
        helper.make_node("Mul", ["m1", "scale"], ["ms"]),
        helper.make_node("Add", ["ms", "keep"], ["factor"]),
        helper.make_node("Mul", ["cand", "factor"], ["output0"])],
     "detect-yolov8", [image_input(64, 64)],
     [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 6, 8])],
     [const("cand", cand), const("scale", scale), const("keep", keep),
      numpy_helper.from_array(np.array([1, 1, 1], np.int64), "shape1")])
with open(os.path.join(out, "detect-yolov8.json"), "w") as f:
    json.dump({"json_schema_version": "2.2.0",
               "input_preproc": [{"params": {"resize": "aspect-ratio",
                                             "range": [0.0, 1.0]}}],
               "output_postproc": [{"converter": "yolo_v8",
                                    "labels": ["face", "hand"]}]}, f, indent=2)

# detect-ssd-anchors: TF-style SSD head before decoding, box encodings
# [1, 40, 4] (ty, tx, th, tw) and class logits [1, 40, 2] (background,
# face), on a 32x32 input. Anchors per model-proc: feature maps 4x4 and
# 2x2, scales 0.2 and 0.6, aspect ratio 1 plus the interpolated box, so
# two boxes per cell; anchor 12 is layer 0, row 1, column 2, box 0:
# center (0.375, 0.625), 0.2 x 0.2. Its face logit is 8 * brightness - 4,
# tx = 5 * brightness (center x + 0.1 * brightness) and th = 5 ln 2 *
# brightness (height 0.2 * 2^brightness): white finds a face at
# (0.625..0.825, 0.175..0.575), black finds none.
n_anchors = 4 * 4 * 2 + 2 * 2 * 2
target = (1 * 4 + 2) * 2
enc = np.zeros((1, n_anchors, 4), np.float32)
enc_gain = np.zeros((1, n_anchors, 4), np.float32)
enc_gain[0, target, 1] = 5.0
enc_gain[0, target, 2] = 5.0 * np.log(2.0)
logits = np.zeros((1, n_anchors, 2), np.float32)
logits[0, :, 1] = -10.0
logits[0, target, 1] = -4.0
logit_gain = np.zeros((1, n_anchors, 2), np.float32)
logit_gain[0, target, 1] = 8.0
save(mean_nodes + [
        helper.make_node("Reshape", ["mean", "shape3"], ["mean3"]),
        helper.make_node("Mul", ["mean3", "enc_gain"], ["enc_s"]),
        helper.make_node("Add", ["enc_s", "enc"], ["box_encodings"]),
        helper.make_node("Mul", ["mean3", "logit_gain"], ["logit_s"]),
        helper.make_node("Add", ["logit_s", "logits"], ["class_logits"])],
     "detect-ssd-anchors", [image_input(32, 32)],
     [helper.make_tensor_value_info("box_encodings", TensorProto.FLOAT,
                                    [1, n_anchors, 4]),
      helper.make_tensor_value_info("class_logits", TensorProto.FLOAT,
                                    [1, n_anchors, 2])],
     [const("enc", enc), const("enc_gain", enc_gain), const("logits", logits),
      const("logit_gain", logit_gain),
      numpy_helper.from_array(np.array([1, 1, 1], np.int64), "shape3")])
with open(os.path.join(out, "detect-ssd-anchors.json"), "w") as f:
    json.dump({"json_schema_version": "2.2.0",
               "input_preproc": [{"params": {"range": [0.0, 1.0]}}],
               "output_postproc": [{"converter": "boxes_scores",
                                    "feature_map_shapes": [4, 2],
                                    "min_scale": 0.2, "max_scale": 0.6,
                                    "aspect_ratios": [1.0],
                                    "reduce_boxes_in_lowest_layer": False,
                                    "score_activation": "sigmoid",
                                    "background_label_id": 0,
                                    "labels": ["background", "face"]}]},
              f, indent=2)

# detect-yolov5-grid: raw YOLOv5 outputs (logits) on a 64x64 input, two
# anchors per cell and two classes: [1, 14, 4, 4] (stride 16) and
# [1, 14, 2, 2] (stride 32); anchors 16x16, 20x20 (4x4 grid) and 40x40,
# 60x60 (2x2 grid). In the 4x4 grid, cell (row 1, column 2): anchor 0 a
# "dog" at x 40, y (2 sigmoid(ln 3 * brightness) - 0.5 + 1) * 16 (32 on
# white, 24 on black), 16x16, confidence sigmoid(4) * sigmoid(2); anchor 1
# the same object a bit less sure and 20x20 (suppressed by NMS). In the
# 2x2 grid, cell (1, 1), anchor 0: a "cat" centered (48, 48), 40x40,
# confidence sigmoid(4) * sigmoid(3).
grid_fields = 5 + 2
big = np.full((1, 2, grid_fields, 4, 4), -10.0, np.float32)
big_gain = np.zeros_like(big)
big[0, 0, :, 1, 2] = [0.0, 0.0, 0.0, 0.0, 4.0, -2.0, 2.0]
big_gain[0, 0, 1, 1, 2] = np.log(3.0)
big[0, 1, :, 1, 2] = [0.0, 0.0, 0.0, 0.0, 3.0, -2.0, 2.0]
big_gain[0, 1, 1, 1, 2] = np.log(3.0)
small = np.full((1, 2, grid_fields, 2, 2), -10.0, np.float32)
small[0, 0, :, 1, 1] = [0.0, 0.0, 0.0, 0.0, 4.0, 3.0, -2.0]
save(mean_nodes + [
        helper.make_node("Reshape", ["mean", "shape4"], ["mean4"]),
        helper.make_node("Mul", ["mean4", "big_gain"], ["big_s"]),
        helper.make_node("Add", ["big_s", "big"], ["p3"]),
        helper.make_node("Add", ["mean4", "small"], ["small_s"]),
        helper.make_node("Sub", ["small_s", "mean4"], ["p4"])],
     "detect-yolov5-grid", [image_input(64, 64)],
     [helper.make_tensor_value_info("p3", TensorProto.FLOAT, [1, 14, 4, 4]),
      helper.make_tensor_value_info("p4", TensorProto.FLOAT, [1, 14, 2, 2])],
     [const("big", big.reshape(1, 14, 4, 4)),
      const("big_gain", big_gain.reshape(1, 14, 4, 4)),
      const("small", small.reshape(1, 14, 2, 2)),
      numpy_helper.from_array(np.array([1, 1, 1, 1], np.int64), "shape4")])
with open(os.path.join(out, "detect-yolov5-grid.json"), "w") as f:
    json.dump({"json_schema_version": "2.2.0",
               "input_preproc": [{"params": {"range": [0.0, 1.0]}}],
               "output_postproc": [{"converter": "yolo_v5",
                                    "anchors": [16, 16, 20, 20, 40, 40, 60, 60],
                                    "masks": [2, 3, 0, 1],
                                    "classes": 2, "cells_number": 2,
                                    "bbox_number_on_cell": 2,
                                    "output_sigmoid_activation": True,
                                    "labels": ["cat", "dog"]}]},
              f, indent=2)

# classify: the mean of each input channel, [1, 3]: the top class is the
# strongest channel in the model's color order.
save([helper.make_node("ReduceMean", ["image"], ["m"], axes=[2, 3], keepdims=0)]
     + [helper.make_node("Identity", ["m"], ["prob"])],
     "classify", [image_input(16, 16)],
     [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 3])], [])
with open(os.path.join(out, "classify.json"), "w") as f:
    json.dump({"json_schema_version": "2.2.0",
               "input_preproc": [{"params": {"color_space": "RGB",
                                             "range": [0.0, 1.0]}}],
               "output_postproc": [{"layer_name": "prob", "attribute_name": "color",
                                    "converter": "label", "method": "max",
                                    "labels": ["red", "green", "blue"]}]},
              f, indent=2)
with open(os.path.join(out, "colors.txt"), "w") as f:
    f.write("red\ngreen\nblue\n")

# classify-aligned: classify cropping the box around the ROI's landmark
# points (no padding), as face-api's recognizer does.
with open(os.path.join(out, "classify-aligned.json"), "w") as f:
    json.dump({"json_schema_version": "2.2.0",
               "input_preproc": [{"params": {"color_space": "RGB",
                                             "range": [0.0, 1.0],
                                             "alignment": "landmarks-box",
                                             "alignment_padding": 0.0}}],
               "output_postproc": [{"layer_name": "prob", "attribute_name": "color",
                                    "converter": "label", "method": "max",
                                    "labels": ["red", "green", "blue"]}]},
              f, indent=2)

# classify-batch: classify with a dynamic batch ("N"): prob [N, 3].
save([helper.make_node("ReduceMean", ["image"], ["m"], axes=[2, 3], keepdims=0)]
     + [helper.make_node("Identity", ["m"], ["prob"])],
     "classify-batch", [image_input(16, 16, batch="N")],
     [helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["N", 3])], [])

# batch-merged: a dynamic batch averaged into one [1, 3, 1, 1] output,
# which no image of the batch can claim.
save([helper.make_node("ReduceMean", ["image"], ["merged"], axes=[0, 2, 3],
                       keepdims=1)],
     "batch-merged", [image_input(16, 16, batch="N")],
     [helper.make_tensor_value_info("merged", TensorProto.FLOAT, [1, 3, 1, 1])], [])

# detect-yolov8-batch: detect-yolov8 per image of a dynamic batch: each
# image's scores scale with its own brightness, [N, 6, 8].
save([helper.make_node("ReduceMean", ["image"], ["mean"], axes=[1, 2, 3],
                       keepdims=1),
      helper.make_node("Reshape", ["mean", "shape_n11"], ["m1"]),
      helper.make_node("Mul", ["m1", "scale"], ["ms"]),
      helper.make_node("Add", ["ms", "keep"], ["factor"]),
      helper.make_node("Mul", ["cand", "factor"], ["output0"])],
     "detect-yolov8-batch", [image_input(64, 64, batch="N")],
     [helper.make_tensor_value_info("output0", TensorProto.FLOAT, ["N", 6, 8])],
     [const("cand", cand), const("scale", scale), const("keep", keep),
      numpy_helper.from_array(np.array([-1, 1, 1], np.int64), "shape_n11")])

# detect-ssd-batch2: DetectionOutput for a fixed batch of 2, [1, 1, 5, 7]:
# rows 0-1 are image 0's (detect-ssd's two boxes), rows 2-3 image 1's,
# then the end; each image's second box gains 0.5 * its own brightness.
rows = np.array([[0, 1, 0.9, 0.10, 0.20, 0.50, 0.60],
                 [0, 2, 0.3, 0.50, 0.50, 0.90, 0.80],
                 [1, 1, 0.9, 0.10, 0.20, 0.50, 0.60],
                 [1, 2, 0.3, 0.50, 0.50, 0.90, 0.80],
                 [-1, 0, 0, 0, 0, 0, 0]], np.float32)
spread = np.zeros((2, 35), np.float32)
spread[0, 1 * 7 + 2] = 0.5
spread[1, 3 * 7 + 2] = 0.5
save([helper.make_node("ReduceMean", ["image"], ["mean"], axes=[1, 2, 3],
                       keepdims=0),
      helper.make_node("Reshape", ["mean", "shape_12"], ["m12"]),
      helper.make_node("MatMul", ["m12", "spread"], ["gain"]),
      helper.make_node("Reshape", ["gain", "shape_out"], ["gain4"]),
      helper.make_node("Add", ["gain4", "rows"], ["detection_out"])],
     "detect-ssd-batch2", [image_input(32, 32, batch=2)],
     [helper.make_tensor_value_info("detection_out", TensorProto.FLOAT, [1, 1, 5, 7])],
     [const("rows", rows.reshape(1, 1, 5, 7)), const("spread", spread),
      numpy_helper.from_array(np.array([1, 2], np.int64), "shape_12"),
      numpy_helper.from_array(np.array([1, 1, 5, 7], np.int64), "shape_out")])

# landmarks: two fixed points (0.25, 0.25) and (0.75, 0.5) of the 16x16
# input (the input's mean times 0 keeps the graph input-dependent).
save([helper.make_node("ReduceMean", ["image"], ["m"], axes=[1, 2, 3], keepdims=0),
      helper.make_node("Mul", ["m", "zero"], ["z"]),
      helper.make_node("Add", ["z", "pts"], ["points"])],
     "landmarks", [image_input(16, 16)],
     [helper.make_tensor_value_info("points", TensorProto.FLOAT, [1, 4])],
     [const("zero", np.zeros((1, 1), np.float32)),
      const("pts", np.array([[0.25, 0.25, 0.75, 0.5]], np.float32))])
with open(os.path.join(out, "landmarks.json"), "w") as f:
    json.dump({"json_schema_version": "2.2.0",
               "input_preproc": [{"params": {"resize": "aspect-ratio",
                                             "range": [0.0, 1.0]}}],
               "output_postproc": [{"format": "landmark_points",
                                    "attribute_name": "landmarks"}]},
              f, indent=2)

# identity: the pre-processed input itself, to check pre-processing.
save([helper.make_node("Identity", ["image"], ["pixels"])],
     "identity", [image_input(4, 6)],
     [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [1, 3, 4, 6])], [])

# identity-dynamic: the same with a dynamic height and width, which only
# reshape=true (the frames' size) can run.
save([helper.make_node("Identity", ["image"], ["pixels"])],
     "identity-dynamic",
     [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "H", "W"])],
     [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [1, 3, "H", "W"])], [])

# embed: an L2-normalizable 4-vector from the channel means, 8x8 NHWC u8 input.
save([helper.make_node("Cast", ["image"], ["f"], to=TensorProto.FLOAT),
      helper.make_node("ReduceMean", ["f"], ["m"], axes=[1, 2], keepdims=0),
      helper.make_node("Concat", ["m", "one"], ["embedding"], axis=1)],
     "embed-nhwc-u8",
     [helper.make_tensor_value_info("image", TensorProto.UINT8, [1, 8, 8, 3])],
     [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 4])],
     [const("one", [[1.0]])])

# A model file that is not a model.
with open(os.path.join(out, "corrupt.onnx"), "wb") as f:
    f.write(b"\x0a\xff\xff\xff\xff\x0f garbage, not a protobuf")


# segment-semantic: per-class logits from the pixel colors (inputs 0..1,
# RGB): background 0.5, red 2R - G - B, green 2G - R - B; so red pixels
# are class 1, green class 2, anything else (black, white, gray, the
# letterbox border) class 0. A 2x2 average pool halves the resolution
# (32x32 input, 16x16 output), so masks must be resized to the frame.
seg_weights = np.array([[0, 0, 0], [2, -1, -1], [-1, 2, -1]],
                       np.float32).reshape(3, 3, 1, 1)
seg_bias = np.array([0.5, 0, 0], np.float32)
seg_nodes = [helper.make_node("Conv", ["image", "seg_w", "seg_b"], ["color_logits"]),
             helper.make_node("AveragePool", ["color_logits"], ["logits"],
                              kernel_shape=[2, 2], strides=[2, 2])]
seg_inits = [const("seg_w", seg_weights), const("seg_b", seg_bias)]
save(seg_nodes, "segment-semantic", [image_input(32, 32)],
     [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3, 16, 16])],
     seg_inits)


def semantic_proc(name, resize, postproc):
    params = {"color_space": "RGB", "range": [0.0, 1.0]}
    if resize:
        params["resize"] = resize
    proc = {"json_schema_version": "2.2.0", "input_preproc": [{"params": params}]}
    if postproc is not None:
        proc["output_postproc"] = [postproc]
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(proc, f, indent=2)


semantic_proc("segment-semantic", None,
              {"converter": "semantic_mask", "method": "softmax",
               "labels": ["background", "red", "green"]})
semantic_proc("segment-semantic-letterbox", "aspect-ratio",
              {"converter": "semantic_mask", "method": "softmax"})

# segment-classes: the same model ending in ArgMax, class ids [1, 16, 16]
# int64 (as OpenVINO's DeepLab export gives); segment-classes-wide
# multiplies them by 150 (ids 0, 150, 300: more than a byte holds). Their
# model-proc has no output_postproc: the converter is recognized.
save(seg_nodes + [helper.make_node("ArgMax", ["logits"], ["classes"], axis=1,
                                   keepdims=0)],
     "segment-classes", [image_input(32, 32)],
     [helper.make_tensor_value_info("classes", TensorProto.INT64, [1, 16, 16])],
     seg_inits)
save(seg_nodes + [helper.make_node("ArgMax", ["logits"], ["ids"], axis=1,
                                   keepdims=0),
                  helper.make_node("Mul", ["ids", "spread"], ["classes"])],
     "segment-classes-wide", [image_input(32, 32)],
     [helper.make_tensor_value_info("classes", TensorProto.INT64, [1, 16, 16])],
     seg_inits + [numpy_helper.from_array(np.array(150, np.int64), "spread")])
semantic_proc("segment-classes", None, None)

# segment-yolov8: a YOLOv8-seg head, 64x64 input: boxes [1, 4 + 2 + 4, 16]
# (channels first) and prototypes [1, 4, 16, 16] (stride 4). Prototypes:
# 0 is +10 on red and -10 elsewhere, 1 the same for green (both from the
# pixels), 2 is +6 everywhere, 3 is +6 above input row 16 and -6 below.
# Candidates (scores times the image's mean brightness):
#   0: the whole input, class 0, 0.9, mask = prototype 0 (the red part)
#   1: nearly the same box and class, 0.8: NMS removes it
#   2: (40, 8)-(56, 24), class 1, 0.85, mask = prototype 3 (top half on)
#   3: (12, 44)-(20, 52), class 0, 0.1, mask = prototype 2
seg_cand = np.zeros((16, 10), np.float32)
seg_cand[0] = [32, 32, 64, 64, 0.9, 0.0, 1, 0, 0, 0]
seg_cand[1] = [33, 32, 62, 64, 0.8, 0.0, 0, 1, 0, 0]
seg_cand[2] = [48, 16, 16, 16, 0.0, 0.85, 0, 0, 0, 1]
seg_cand[3] = [16, 48, 8, 8, 0.1, 0.0, 0, 0, 1, 0]
seg_cand = seg_cand.T.reshape(1, 10, 16).copy()
seg_scale = np.zeros((1, 10, 16), np.float32)
seg_scale[0, 4:6, :] = 1.0
seg_keep = 1.0 - seg_scale
proto_w = np.zeros((4, 3, 1, 1), np.float32)
proto_w[0, 0] = 20.0
proto_w[1, 1] = 20.0
proto_b = np.array([-10, -10, 6, 0], np.float32)
proto_pattern = np.zeros((1, 4, 16, 16), np.float32)
proto_pattern[0, 3, :4, :] = 6.0
proto_pattern[0, 3, 4:, :] = -6.0
save(mean_nodes + [
        helper.make_node("Reshape", ["mean", "shape1"], ["m1"]),
        helper.make_node("Mul", ["m1", "seg_scale"], ["ms"]),
        helper.make_node("Add", ["ms", "seg_keep"], ["factor"]),
        helper.make_node("Mul", ["seg_cand", "factor"], ["output0"]),
        helper.make_node("Conv", ["image", "proto_w", "proto_b"], ["proto_full"]),
        helper.make_node("AveragePool", ["proto_full"], ["proto_pooled"],
                         kernel_shape=[4, 4], strides=[4, 4]),
        helper.make_node("Add", ["proto_pooled", "proto_pattern"], ["output1"])],
     "segment-yolov8", [image_input(64, 64)],
     [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 10, 16]),
      helper.make_tensor_value_info("output1", TensorProto.FLOAT, [1, 4, 16, 16])],
     [const("seg_cand", seg_cand), const("seg_scale", seg_scale),
      const("seg_keep", seg_keep), const("proto_w", proto_w),
      const("proto_b", proto_b), const("proto_pattern", proto_pattern),
      numpy_helper.from_array(np.array([1, 1, 1], np.int64), "shape1")])
with open(os.path.join(out, "segment-yolov8.json"), "w") as f:
    json.dump({"json_schema_version": "2.2.0",
               "input_preproc": [{"params": {"resize": "aspect-ratio",
                                             "color_space": "RGB",
                                             "range": [0.0, 1.0]}}],
               "output_postproc": [{"converter": "yolo_v8_seg",
                                    "labels": ["reddish", "box"]}]},
              f, indent=2)


# OpenVINO IRs carrying their pre- and post-processing in
# <rt_info><model_info>, as Ultralytics' exporter writes it.
def save_ir(name, layers, edges, model_info, bin_bytes=b""):
    info = "".join('<%s value="%s"/>' % kv for kv in model_info.items())
    xml = ('<?xml version="1.0"?>\n<net name="%s" version="11">\n<layers>\n%s'
           '</layers>\n<edges>\n%s</edges>\n<rt_info><Runtime_version '
           'value="2024.4.0"/><model_info>%s</model_info></rt_info>\n</net>\n'
           % (name, "".join(layers), "".join(
               '<edge from-layer="%d" from-port="%d" to-layer="%d" '
               'to-port="%d"/>\n' % e for e in edges), info))
    with open(os.path.join(out, name + ".xml"), "w") as f:
        f.write(xml)
    with open(os.path.join(out, name + ".bin"), "wb") as f:
        f.write(bin_bytes)


def dims(shape):
    return "".join("<dim>%d</dim>" % d for d in shape)


def ir_parameter(lid, shape):
    return ('<layer id="%d" name="image" type="Parameter" version="opset1">'
            '<data shape="%s" element_type="f32"/><output><port id="0" '
            'precision="FP32" names="image">%s</port></output></layer>\n'
            % (lid, ",".join(map(str, shape)), dims(shape)))


def ir_result(lid, shape):
    return ('<layer id="%d" name="out" type="Result" version="opset1"><input>'
            '<port id="0">%s</port></input></layer>\n' % (lid, dims(shape)))


# identity-model-info: the pre-processed input itself, letterboxed with
# Ultralytics' grey border, RGB, scaled to 0..1.
ultralytics = {"model_type": "YOLO", "reverse_input_channels": "True",
               "pad_value": "114", "scale_values": "255.0",
               "resize_type": "fit_to_window_letterbox", "iou_threshold": "0.7",
               "labels": "a b_c d"}
save_ir("identity-model-info", [ir_parameter(0, [1, 3, 4, 6]),
                                ir_result(1, [1, 3, 4, 6])],
        [(0, 0, 1, 0)], ultralytics)
save_ir("identity-bad-model-info", [ir_parameter(0, [1, 3, 4, 6]),
                                    ir_result(1, [1, 3, 4, 6])],
        [(0, 0, 1, 0)], {"resize_type": "sideways"})

# classify-model-info: the channel means of a 4x4 input, [1, 3]; labels and
# RGB order from model_info, so a red frame is "red".
axes = np.array([2, 3], np.int64)
save_ir("classify-model-info", [
    ir_parameter(0, [1, 3, 4, 4]),
    '<layer id="1" name="axes" type="Const" version="opset1"><data '
    'element_type="i64" shape="2" offset="0" size="16"/><output><port id="0" '
    'precision="I64"><dim>2</dim></port></output></layer>\n',
    '<layer id="2" name="scores" type="ReduceMean" version="opset1"><data '
    'keep_dims="false"/><input><port id="0">%s</port><port id="1"><dim>2'
    '</dim></port></input><output><port id="2" precision="FP32" '
    'names="scores"><dim>1</dim><dim>3</dim></port></output></layer>\n'
    % dims([1, 3, 4, 4]),
    ir_result(3, [1, 3])],
    [(0, 0, 2, 0), (1, 0, 2, 1), (2, 2, 3, 0)],
    {"model_type": "label", "labels": "red,green,blue",
     "reverse_input_channels": "True", "scale_values": "255"},
    axes.tobytes())

# The same two as Ultralytics' ONNX exporter describes its models: no
# model_info, but author, task and names in metadata_props.
save([helper.make_node("Identity", ["image"], ["pixels"])],
     "identity-ultralytics", [image_input(4, 6)],
     [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [1, 3, 4, 6])], [],
     {"author": "Ultralytics", "task": "detect", "stride": "32",
      "names": "{0: 'person', 1: \"kid's toy\"}"})
save([helper.make_node("ReduceMean", ["image"], ["prob"], axes=[2, 3], keepdims=0)],
     "classify-ultralytics", [image_input(16, 16)],
     [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 3])], [],
     {"author": "Ultralytics", "task": "classify",
      "names": "{0: 'red', 1: 'green', 2: 'blue'}"})
