#!/usr/bin/python3
"""Convert face-api's TF.js weights to ONNX models plus DL Streamer model-procs.

    convert.py PACKAGE_DIR OUT_DIR [NAME ...]

PACKAGE_DIR is the extracted npm package @vladmandic/face-api (its `model/`
folder holds the weights manifests and shards). For each network this writes
OUT_DIR/<name>.onnx and OUT_DIR/<name>.json. The layer structure follows
face-api's TypeScript sources (src/<net>/); weights are read by the names its
manifests give them. Every graph takes NCHW float32 RGB [1, 3, S, S] that
model-proc has already normalized; batch norms, scale layers and constant
arithmetic are folded into the convolutions.

Build-time only: needs python3-onnx and python3-numpy.
"""
import json
import math
import os
import re
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13

# Normalizations as face-api writes them, in pixel units (0..255).
MEAN_FACE = [122.782, 117.001, 104.298]       # faceFeatureExtractor, xception, recognition
MEAN_TINY_DETECTOR = [117.001, 114.697, 97.404]  # tinyFaceDetector/const.ts


# --------------------------------------------------------------------------
# Weights

QUANT_BYTES = {"uint8": (1, "<u1"), "uint16": (2, "<u2"), "float16": (2, "<f2")}
PLAIN_BYTES = {"float32": (4, "<f4"), "int32": (4, "<i4"), "bool": (1, "<u1")}


def load_weights(package_dir, model):
    """Every weight of one manifest, by name, decoded as TF.js decodes them:
    quantized values become q * scale + min (computed in double, stored as
    float32), float16 is widened."""
    model_dir = os.path.join(package_dir, "model")
    with open(os.path.join(model_dir, model + "-weights_manifest.json")) as f:
        manifest = json.load(f)
    weights = {}
    for group in manifest:
        data = b"".join(open(os.path.join(model_dir, p), "rb").read()
                        for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = spec["shape"]
            count = int(np.prod(shape)) if shape else 1
            q = spec.get("quantization")
            if q:
                size, fmt = QUANT_BYTES[q["dtype"]]
            else:
                size, fmt = PLAIN_BYTES[spec["dtype"]]
            raw = np.frombuffer(data, dtype=fmt, count=count, offset=offset)
            offset += size * count
            if q and q["dtype"] in ("uint8", "uint16"):
                values = raw.astype(np.float64) * q["scale"] + q["min"]
            else:
                values = raw.astype(np.float64)
            if spec["dtype"] == "int32":
                values = np.round(values).astype(np.int32)
            else:
                values = values.astype(np.float32)
            weights[spec["name"]] = values.reshape(shape)
        if offset != len(data):
            raise ValueError("%s: manifest covers %d of %d bytes"
                             % (model, offset, len(data)))
    return weights


# --------------------------------------------------------------------------
# Graph building

def tf_same_pads(size, kernel, stride):
    """TF's 'SAME' padding for one axis: (before, after), the odd pixel after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Graph:
    """A small NCHW graph builder that tracks the static shape of every
    tensor, so TF's 'SAME' padding can be written as explicit pads."""

    def __init__(self, size):
        self.nodes, self.inits, self.outputs = [], [], []
        self.shapes = {"input": (3, size, size)}
        self.size = size
        self.count = 0

    def _name(self, hint):
        self.count += 1
        return "%s_%d" % (hint, self.count)

    def const(self, array, hint):
        name = self._name(hint)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op, inputs, shape, hint, **attrs):
        out = self._name(hint or op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        self.shapes[out] = shape
        return out

    def conv(self, x, w, b, stride=1, pads=(0, 0, 0, 0), group=1, hint="conv"):
        """w: ONNX layout [out, in / group, kh, kw]."""
        c, h, wd = self.shapes[x]
        kh, kw = w.shape[2], w.shape[3]
        oh = (h + pads[0] + pads[2] - kh) // stride + 1
        ow = (wd + pads[1] + pads[3] - kw) // stride + 1
        inputs = [x, self.const(w.astype(np.float32), hint + "_w")]
        if b is not None:
            inputs.append(self.const(b.astype(np.float32), hint + "_b"))
        return self.node("Conv", inputs, (w.shape[0], oh, ow), hint,
                         kernel_shape=[kh, kw], strides=[stride, stride],
                         pads=list(pads), group=group)

    def same(self, x, kernel, stride):
        _, h, w = self.shapes[x]
        ph, pw = tf_same_pads(h, kernel, stride), tf_same_pads(w, kernel, stride)
        return (ph[0], pw[0], ph[1], pw[1])

    def relu(self, x):
        return self.node("Relu", [x], self.shapes[x], "relu")

    def relu6(self, x):
        if not hasattr(self, "clip_bounds"):   # one pair for every Clip
            self.clip_bounds = [self.const(np.array(v, np.float32), "clip")
                                for v in (0.0, 6.0)]
        return self.node("Clip", [x] + self.clip_bounds, self.shapes[x], "relu6")

    def leaky(self, x, alpha):
        return self.node("LeakyRelu", [x], self.shapes[x], "leaky", alpha=alpha)

    def add(self, a, b):
        assert self.shapes[a] == self.shapes[b], (self.shapes[a], self.shapes[b])
        return self.node("Add", [a, b], self.shapes[a], "add")

    def max_pool(self, x, kernel, stride, pads):
        c, h, w = self.shapes[x]
        oh = (h + pads[0] + pads[2] - kernel) // stride + 1
        ow = (w + pads[1] + pads[3] - kernel) // stride + 1
        return self.node("MaxPool", [x], (c, oh, ow), "maxpool",
                         kernel_shape=[kernel, kernel], strides=[stride, stride],
                         pads=list(pads))

    def avg_pool(self, x, kernel, stride):
        """TF 'VALID' average pooling."""
        c, h, w = self.shapes[x]
        if (h, w) == (kernel, kernel):
            return self.node("GlobalAveragePool", [x], (c, 1, 1), "gap")
        oh, ow = (h - kernel) // stride + 1, (w - kernel) // stride + 1
        return self.node("AveragePool", [x], (c, oh, ow), "avgpool",
                         kernel_shape=[kernel, kernel], strides=[stride, stride])

    def concat_zeros(self, x, axis, count):
        """x with `count` zero slices appended along NCHW axis 1, 2 or 3."""
        shape = [1] + list(self.shapes[x])
        zshape = list(shape)
        zshape[axis] = count
        zeros = self.const(np.zeros(zshape, np.float32), "zeros")
        shape[axis] += count
        return self.node("Concat", [x, zeros], tuple(shape[1:]), "pad", axis=axis)

    def flatten(self, x):
        c, h, w = self.shapes[x]
        shape = self.const(np.array([1, -1], np.int64), "shape")
        return self.node("Reshape", [x, shape], (c * h * w,), "flat")

    def dense(self, x, w, b, hint="fc"):
        """x [1, K] times w [K, N] (+ b)."""
        inputs = [x, self.const(w.astype(np.float32), hint + "_w")]
        if b is None:
            return self.node("MatMul", inputs, (w.shape[1],), hint)
        inputs.append(self.const(b.astype(np.float32), hint + "_b"))
        return self.node("Gemm", inputs, (w.shape[1],), hint)

    def softmax(self, x):
        return self.node("Softmax", [x], self.shapes[x], "softmax", axis=1)

    def output(self, x, name):
        """Rename x's producing node output to the public name `name`."""
        for n in self.nodes:
            for i, o in enumerate(n.output):
                if o == x:
                    n.output[i] = name
        for n in self.nodes:
            for i, o in enumerate(n.input):
                if o == x:
                    n.input[i] = name
        self.shapes[name] = self.shapes.pop(x)
        self.outputs.append(name)

    def model(self, name, doc):
        s = self.size
        inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, s, s])
        outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT,
                                              [1] + list(self.shapes[o]))
                for o in self.outputs]
        graph = helper.make_graph(self.nodes, name, [inp], outs, self.inits)
        m = helper.make_model(graph, producer_name="gst-ovi tools/faceapi/convert.py",
                              opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = 8
        m.doc_string = doc
        onnx.checker.check_model(m, full_check=True)
        return m


# TF.js filter layouts to ONNX.
def conv_filter(f):
    """[kh, kw, in, out] -> [out, in, kh, kw]."""
    return np.transpose(f, (3, 2, 0, 1))


def depthwise_filter(f):
    """[kh, kw, in, 1] -> [in, 1, kh, kw] (group = in)."""
    assert f.shape[3] == 1
    return np.transpose(f, (2, 3, 0, 1))


def fold_scale(w, b, scale, shift):
    """(conv(x, w) + b) * scale + shift as one convolution (per out channel)."""
    scale = scale.astype(np.float64)
    w = (w.astype(np.float64) * scale[:, None, None, None])
    b = (np.zeros(w.shape[0]) if b is None else b.astype(np.float64)) * scale + shift
    return w, b


def separable(g, x, W, prefix, stride, pads=None):
    """tf.separableConv2d(x, depthwise, pointwise, stride, 'same') + bias:
    a depthwise convolution with no bias, then a 1x1 one with it.
    `pads` overrides TF's SAME (for the explicit tf.pad of TinyYolov2)."""
    dw = depthwise_filter(W[prefix + "/depthwise_filter"])
    pads = pads if pads is not None else g.same(x, dw.shape[2], stride)
    x = g.conv(x, dw, None, stride, pads, group=dw.shape[0], hint="dw")
    return g.conv(x, conv_filter(W[prefix + "/pointwise_filter"]),
                  W[prefix + "/bias"], hint="pw")


def conv_same(g, x, W, prefix, stride, fkey="/filters", bkey="/bias"):
    f = conv_filter(W[prefix + fkey])
    return g.conv(x, f, W[prefix + bkey], stride, g.same(x, f.shape[2], stride))


# --------------------------------------------------------------------------
# SSD MobileNet v1 (src/ssdMobilenetv1)

SSD_BN_EPSILON = 0.0010000000474974513   # mobileNetV1.ts
SSD_DEPTHWISE_STRIDE2 = (2, 4, 6, 12)     # getStridesForLayerIdx


def ssd_pointwise(g, x, W, prefix, idx, stride):
    """pointwiseConvLayer: conv 'same' + batch_norm_offset, relu6."""
    f = conv_filter(W["%s/Conv2d_%d_pointwise/weights" % (prefix, idx)])
    b = W["%s/Conv2d_%d_pointwise/convolution_bn_offset" % (prefix, idx)]
    return g.relu6(g.conv(x, f, b, stride, g.same(x, f.shape[2], stride)))


def ssd_depthwise(g, x, W, idx, stride):
    """depthwiseConvLayer: depthwise 'same', batch norm, relu6."""
    p = "MobilenetV1/Conv2d_%d_depthwise" % idx
    f = depthwise_filter(W[p + "/depthwise_weights"])
    inv = 1.0 / np.sqrt(W[p + "/BatchNorm/moving_variance"].astype(np.float64)
                        + SSD_BN_EPSILON)
    scale = W[p + "/BatchNorm/gamma"] * inv
    shift = W[p + "/BatchNorm/beta"] - W[p + "/BatchNorm/moving_mean"] * scale
    f, b = fold_scale(f, None, scale, shift)
    return g.relu6(g.conv(x, f, b, stride, g.same(x, 3, stride),
                          group=f.shape[0], hint="dw"))


def build_ssd(W):
    g = Graph(512)
    x = ssd_pointwise(g, "input", W, "MobilenetV1", 0, 2)
    conv11 = None
    for i in range(1, 14):
        x = ssd_depthwise(g, x, W, i, 2 if i in SSD_DEPTHWISE_STRIDE2 else 1)
        x = ssd_pointwise(g, x, W, "MobilenetV1", i, 1)
        if i == 11:
            conv11 = x
    pred = [x]
    for i in range(8):
        pred.append(ssd_pointwise(g, pred[-1], W, "Prediction", i, 2 if i % 2 else 1))
    # predictionLayer.ts: box predictor k reads these feature maps.
    sources = [conv11, x, pred[2], pred[4], pred[6], pred[8]]
    boxes, scores = [], []
    for k, src in enumerate(sources):
        for kind, width, acc in (("BoxEncodingPredictor", 4, boxes),
                                 ("ClassPredictor", 3, scores)):
            p = "Prediction/BoxPredictor_%d/%s" % (k, kind)
            y = g.conv(src, conv_filter(W[p + "/weights"]), W[p + "/biases"])
            c, h, w = g.shapes[y]
            # NHWC order (cell, then anchor), as TF reshapes [1, -1, width].
            y = g.node("Transpose", [y], (h, w, c), "nhwc", perm=[0, 2, 3, 1])
            shape = g.const(np.array([1, -1, width], np.int64), "shape")
            acc.append(g.node("Reshape", [y, shape], (h * w * c // width, width),
                              "rows"))
    n = sum(g.shapes[b][0] for b in boxes)
    g.output(g.node("Concat", boxes, (n, 4), "boxes", axis=1), "boxes")
    g.output(g.node("Concat", scores, (n, 3), "scores", axis=1), "scores")
    return g


def tf_ssd_anchors(spec, size):
    """The anchors of TF's ssd_anchor_generator (the model-proc keys), as
    [cy, cx, h, w] rows in output order, for checking against face-api's
    stored Output/extra_dim."""
    n = len(spec["feature_map_shapes"])
    lo, hi = spec["min_scale"], spec["max_scale"]
    scales = [lo + (hi - lo) * k / (n - 1) for k in range(n)] + [1.0]
    rows = []
    for k, fm in enumerate(spec["feature_map_shapes"]):
        if k == 0 and spec["reduce_boxes_in_lowest_layer"]:
            boxes = [(0.1, 1.0), (scales[0], 2.0), (scales[0], 0.5)]
        else:
            boxes = []
            interp = (math.sqrt(scales[k] * scales[k + 1]),
                      spec["interpolated_scale_aspect_ratio"])
            for a in spec["aspect_ratios"]:
                boxes.append((scales[k], a))
                if a == 1.0 and spec["interpolated_scale_position"] == "after_aspect_ratio_1":
                    boxes.append(interp)
            if spec["interpolated_scale_position"] != "after_aspect_ratio_1":
                boxes.append(interp)
        for y in range(fm):
            for x in range(fm):
                for s, a in boxes:
                    r = math.sqrt(a)
                    rows.append(((y + 0.5) / fm, (x + 0.5) / fm, s / r, s * r))
    return np.array(rows)


def check_ssd_anchors(W, postproc):
    stored = W["Output/extra_dim"].reshape(-1, 4).astype(np.float64)
    ymin, xmin, ymax, xmax = stored.T
    stored = np.stack([(ymin + ymax) / 2, (xmin + xmax) / 2,
                       ymax - ymin, xmax - xmin], 1)
    ours = tf_ssd_anchors(postproc, 512)
    if ours.shape != stored.shape:
        raise ValueError("SSD anchors: model-proc gives %d, face-api stores %d"
                         % (len(ours), len(stored)))
    err = np.abs(ours - stored).max()
    # 1.7.15 stores them as float32 (they agree to 2e-7); the tolerance
    # leaves room for a uint8-quantized copy (about 0.006 a step).
    if err > 0.01:
        raise ValueError("SSD anchors differ from face-api's by %.4f" % err)
    return err


# --------------------------------------------------------------------------
# Tiny face detector (src/tinyYolov2 with tinyFaceDetector's config)

LEAKY_ALPHA = 0.10000000149011612   # tinyYolov2/leaky.ts


def build_tiny_face_detector(W):
    g = Graph(416)
    # runMobilenet with isFirstLayerConv2d: conv0 is a 'valid' conv.
    x = g.leaky(g.conv("input", conv_filter(W["conv0/filters"]), W["conv0/bias"]),
                LEAKY_ALPHA)
    for i in range(1, 6):
        x = g.max_pool(x, 2, 2, g.same(x, 2, 2))
        # depthwiseSeparableConv.ts pads by 1 then convolves 'valid'.
        x = g.leaky(separable(g, x, W, "conv%d" % i, 1, pads=(1, 1, 1, 1)),
                    LEAKY_ALPHA)
    x = g.max_pool(x, 2, 1, g.same(x, 2, 1))
    # 7 filter sizes in the config: no conv6 / conv7.
    x = g.conv(x, conv_filter(W["conv8/filters"]), W["conv8/bias"], hint="grid")
    g.output(x, "grid")
    return g


# --------------------------------------------------------------------------
# Face feature extractors + landmarks / expressions (src/faceFeatureExtractor)

def dense_block(g, W, x, prefix, n_convs, first):
    """denseBlock3 / denseBlock4: each conv sees the relu of the sum of all
    earlier outputs; the block returns the relu of the sum of all."""
    if first:
        out1 = g.relu(conv_same(g, x, W, prefix + "/conv0", 2))
    else:
        out1 = g.relu(separable(g, x, W, prefix + "/conv0", 2))
    outs, block_in = [out1], out1
    for i in range(1, n_convs):
        outs.append(separable(g, block_in, W, "%s/conv%d" % (prefix, i), 1))
        total = outs[0]
        for o in outs[1:]:
            total = g.add(total, o)
        block_in = g.relu(total)
    return block_in


def feature_extractor(g, W, tiny):
    n_blocks, n_convs, pool = (3, 3, 14) if tiny else (4, 4, 7)
    x = "input"
    for b in range(n_blocks):
        x = dense_block(g, W, x, "dense%d" % b, n_convs, b == 0)
    return g.flatten(g.avg_pool(x, pool, 2))


def build_landmarks(W, tiny):
    g = Graph(112)
    x = g.dense(feature_extractor(g, W, tiny), W["fc/weights"], W["fc/bias"])
    g.output(x, "landmarks")
    return g


def build_expression(W):
    g = Graph(112)
    x = g.dense(feature_extractor(g, W, False), W["fc/weights"], W["fc/bias"])
    g.output(g.softmax(x), "expression")
    return g


# --------------------------------------------------------------------------
# Face recognition (src/faceRecognitionNet)

def rec_conv(g, W, x, prefix, stride, relu, valid=False):
    """convLayer: conv + bias, scale layer (folded), optional relu."""
    f = conv_filter(W[prefix + "/conv/filters"])
    f, b = fold_scale(f, W[prefix + "/conv/bias"], W[prefix + "/scale/weights"],
                      W[prefix + "/scale/biases"])
    pads = (0, 0, 0, 0) if valid else g.same(x, f.shape[2], stride)
    y = g.conv(x, f, b, stride, pads)
    return g.relu(y) if relu else y


def rec_residual(g, W, x, prefix):
    y = rec_conv(g, W, x, prefix + "/conv1", 1, True)
    y = rec_conv(g, W, y, prefix + "/conv2", 1, False)
    return g.relu(g.add(y, x))


def rec_residual_down(g, W, x, prefix):
    y = rec_conv(g, W, x, prefix + "/conv1", 2, True, valid=True)
    y = rec_conv(g, W, y, prefix + "/conv2", 1, False)
    pooled = g.avg_pool(x, 2, 2)
    # residualDown: zero row / column after the conv path where it came out
    # smaller, zero channels after the pooled path where it has fewer.
    if g.shapes[pooled][1:] != g.shapes[y][1:]:
        y = g.concat_zeros(y, 2, 1)
        y = g.concat_zeros(y, 3, 1)
    if g.shapes[pooled][0] != g.shapes[y][0]:
        pooled = g.concat_zeros(pooled, 1, g.shapes[pooled][0])
    return g.relu(g.add(pooled, y))


def build_recognition(W):
    g = Graph(150)
    x = rec_conv(g, W, "input", "conv32_down", 2, True, valid=True)
    x = g.max_pool(x, 3, 2, (0, 0, 0, 0))
    for name in ("conv32_1", "conv32_2", "conv32_3", "conv64_down", "conv64_1",
                 "conv64_2", "conv64_3", "conv128_down", "conv128_1",
                 "conv128_2", "conv256_down", "conv256_1", "conv256_2",
                 "conv256_down_out"):
        x = (rec_residual_down if "_down" in name else rec_residual)(g, W, x, name)
    # out.mean([1, 2]): the global average over what is left (2x2 at 150).
    x = g.flatten(g.node("GlobalAveragePool", [x], (g.shapes[x][0], 1, 1), "gap"))
    g.output(g.dense(x, W["fc"], None), "descriptor")
    return g


# --------------------------------------------------------------------------
# Age / gender (src/xception/TinyXception.ts + src/ageGenderNet)

def xception_reduction(g, W, x, prefix, activate_input):
    y = g.relu(x) if activate_input else x
    y = separable(g, y, W, prefix + "/separable_conv0", 1)
    y = separable(g, g.relu(y), W, prefix + "/separable_conv1", 1)
    y = g.max_pool(y, 3, 2, g.same(y, 3, 2))
    return g.add(y, conv_same(g, x, W, prefix + "/expansion_conv", 2))


def xception_main(g, W, x, prefix):
    y = x
    for i in range(3):
        y = separable(g, g.relu(y), W, "%s/separable_conv%d" % (prefix, i), 1)
    return g.add(y, x)


def build_age_gender(W):
    g = Graph(112)
    x = g.relu(conv_same(g, "input", W, "entry_flow/conv_in", 2))
    x = xception_reduction(g, W, x, "entry_flow/reduction_block_0", False)
    x = xception_reduction(g, W, x, "entry_flow/reduction_block_1", True)
    for i in range(2):   # new TinyXception(2)
        x = xception_main(g, W, x, "middle_flow/main_block_%d" % i)
    x = xception_reduction(g, W, x, "exit_flow/reduction_block", True)
    x = g.relu(separable(g, x, W, "exit_flow/separable_conv", 1))
    x = g.flatten(g.avg_pool(x, 7, 2))
    g.output(g.dense(x, W["fc/age/weights"], W["fc/age/bias"], "age"), "age")
    gender = g.dense(x, W["fc/gender/weights"], W["fc/gender/bias"], "gender")
    g.output(g.softmax(gender), "gender")
    return g


# --------------------------------------------------------------------------
# Model-procs

def image_input(mean=None, std=None, value_range=None, **extra):
    # face-api resizes with tf.image.resizeBilinear (no half-pixel centres)
    # and pads to square by whole pixels: "asymmetric" reproduces both.
    params = {"resize": "aspect-ratio", "color_space": "RGB",
              "coordinate_transformation_mode": "asymmetric"}
    params.update(extra)
    if value_range is not None:
        params["range"] = value_range
    if mean is not None:
        params["mean"] = mean
        params["std"] = std
    return [{"format": "image", "params": params}]


def face_input(**extra):
    """(pixel - mean) / 255 over 0..255: faceFeatureExtractor, xception and
    faceRecognitionNet all normalize so."""
    return image_input(MEAN_FACE, [255.0] * 3, [0.0, 255.0], **extra)


# Age/gender and expressions see face-api's alignedRect (the landmarks'
# box grown by 0.2 of its size); the recognizer sees
# align(null, {useDlibAlignment: true}), a square from the eye and mouth
# centres.
ALIGNED = {"alignment": "landmarks-box", "alignment_padding": 0.2}
ALIGNED_DLIB = {"alignment": "eyes-mouth"}

SSD_POSTPROC = {
    "converter": "boxes_scores",
    "feature_map_shapes": [32, 16, 8, 4, 2, 1],
    "min_scale": 0.2,
    "max_scale": 0.95,
    "aspect_ratios": [1.0, 2.0, 0.5, 3.0, 0.3333],
    "reduce_boxes_in_lowest_layer": True,
    "interpolated_scale_aspect_ratio": 1.0,
    "interpolated_scale_position": "after_aspect_ratio_1",
    "box_scale": [10.0, 10.0, 5.0, 5.0],
    "score_activation": "sigmoid",
    "background_label_id": 0,
    "classes": 2,
    "iou_threshold": 0.5,
    "labels": ["background", "face"],
}


def model_proc(inputs, outputs):
    return {"json_schema_version": "2.2.0", "input_preproc": inputs,
            "output_postproc": outputs}


NETS = {
    "ssd_mobilenetv1": dict(
        weights="ssd_mobilenetv1_model", build=build_ssd,
        doc="face-api SSD MobileNet v1 face detector: box encodings [1, 5118, 4] "
            "(ty, tx, th, tw) and class logits [1, 5118, 3] (column 1: face)",
        proc=model_proc(
            image_input(value_range=[-1.0, 1.0], aspect_ratio_anchor="top-left"),
            [SSD_POSTPROC])),
    "tiny_face_detector": dict(
        weights="tiny_face_detector_model", build=build_tiny_face_detector,
        doc="face-api tiny face detector: raw YOLOv2 grid [1, 5 * 5, 13, 13] "
            "(per anchor tx, ty, tw, th, objectness)",
        # No converter of ours decodes YOLOv2 grids with objectness only:
        # input side only (see docs/face-models.md).
        proc=model_proc(
            image_input(MEAN_TINY_DETECTOR, [255.0] * 3, [0.0, 255.0],
                        aspect_ratio_anchor="top-left"), [])),
    "face_landmark_68": dict(
        weights="face_landmark_68_model", build=lambda W: build_landmarks(W, False),
        doc="face-api 68-point landmarks: [1, 136] x, y pairs in 0..1 of the input",
        proc=model_proc(face_input(), [
            {"converter": "landmark_points", "attribute_name": "landmarks"}])),
    "face_landmark_68_tiny": dict(
        weights="face_landmark_68_tiny_model", build=lambda W: build_landmarks(W, True),
        doc="face-api tiny 68-point landmarks: [1, 136] x, y pairs in 0..1 of the input",
        proc=model_proc(face_input(), [
            {"converter": "landmark_points", "attribute_name": "landmarks"}])),
    "face_recognition": dict(
        weights="face_recognition_model", build=build_recognition,
        doc="face-api face recognition (ResNet-34-like): descriptor [1, 128]",
        proc=model_proc(face_input(**ALIGNED_DLIB), [
            {"converter": "raw_data_copy", "attribute_name": "face_descriptor"}])),
    "age_gender": dict(
        weights="age_gender_model", build=build_age_gender,
        doc="face-api age / gender (TinyXception): age [1, 1] in years, "
            "gender [1, 2] softmax (male, female)",
        proc=model_proc(face_input(**ALIGNED), [
            {"layer_name": "age", "converter": "text", "attribute_name": "age",
             "text_scale": 1.0, "text_precision": 1},
            {"layer_name": "gender", "converter": "label", "method": "max",
             "attribute_name": "gender", "labels": ["male", "female"]}])),
    "face_expression": dict(
        weights="face_expression_model", build=build_expression,
        doc="face-api face expressions: softmax [1, 7]",
        proc=model_proc(face_input(**ALIGNED), [
            {"converter": "label", "method": "max", "attribute_name": "emotion",
             "labels": ["neutral", "happy", "sad", "angry", "fearful",
                        "disgusted", "surprised"]}])),
}


def proc_json(proc):
    """Indented JSON with lists of numbers or strings kept on one line."""
    text = json.dumps(proc, indent=2)
    return re.sub(r"\[\s*([^\[\]{}]*?)\s*\]",
                  lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)


def convert(package_dir, out_dir, name):
    net = NETS[name]
    W = load_weights(package_dir, net["weights"])
    g = net["build"](W)
    note = ""
    if name == "ssd_mobilenetv1":
        note = " (anchors within %.1e of face-api's)" % check_ssd_anchors(W, SSD_POSTPROC)
    m = g.model(name, net["doc"])
    onnx.save(m, os.path.join(out_dir, name + ".onnx"))
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        f.write(proc_json(net["proc"]) + "\n")
    ops = sorted({n.op_type for n in m.graph.node})
    print("%s: %d nodes (%s), outputs %s%s" % (
        name, len(m.graph.node), " ".join(ops),
        ", ".join("%s%s" % (o, [1] + list(g.shapes[o])) for o in g.outputs), note))


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    package_dir, out_dir = argv[1], argv[2]
    names = argv[3:] or list(NETS)
    os.makedirs(out_dir, exist_ok=True)
    for name in names:
        if name not in NETS:
            sys.stderr.write("convert.py: unknown net %s (%s)\n"
                             % (name, ", ".join(NETS)))
            return 2
        convert(package_dir, out_dir, name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
