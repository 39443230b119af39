#!/usr/bin/python3
"""Reference SSD anchors for tests/elements/test-converters.c, computed with
numpy from the formulas the TF object detection API documents for its
ssd_anchor_generator (multiple grid anchor generator), independently of
the C generator in gst/converters/ssd-anchors.c:

- layer k of n has scale s_k = min_scale + (max_scale - min_scale) k / (n - 1),
  and s_n = 1;
- each aspect ratio a gives a box of height s_k / sqrt(a) and width
  s_k * sqrt(a) (times the base anchor size, which for a non-square input
  is scaled by min(H, W) / H and min(H, W) / W), plus one box of aspect
  ratio `interpolated_scale_aspect_ratio` at scale sqrt(s_k s_k+1);
- with reduce_boxes_in_lowest_layer, layer 0 has only (0.1, 1), (s_0, 2),
  (s_0, 0.5);
- centers at (i + 0.5) * stride, the stride being 1 / cells, or the stride
  in pixels / input size; anchors ordered by layer, row, column, box.

Each file holds one anchor per line: cy cx h w (normalized).

Usage: make-ssd-anchors.py OUTDIR"""
import os
import sys

import numpy as np


def layer_specs(n_layers, min_scale, max_scale, ratios, reduce_lowest,
                interpolated, interpolated_after_unit):
    if n_layers > 1:
        scales = list(np.linspace(min_scale, max_scale, n_layers))
    else:
        scales = [min_scale]
    scales.append(1.0)
    specs = []
    for k in range(n_layers):
        if k == 0 and reduce_lowest:
            specs.append([(0.1, 1.0), (scales[0], 2.0), (scales[0], 0.5)])
            continue
        extra = (np.sqrt(scales[k] * scales[k + 1]), interpolated)
        boxes = [(scales[k], r) for r in ratios]
        if interpolated > 0:
            if interpolated_after_unit and 1.0 in ratios:
                boxes.insert(ratios.index(1.0) + 1, extra)
            else:
                boxes.append(extra)
        specs.append(boxes)
    return specs


def anchors(height, width, feature_maps=None, strides=None, min_scale=0.2,
            max_scale=0.95, ratios=(1.0, 2.0, 0.5, 3.0, 0.3333),
            reduce_lowest=True, interpolated=1.0,
            interpolated_after_unit=False):
    n_layers = len(feature_maps or strides)
    specs = layer_specs(n_layers, min_scale, max_scale, list(ratios),
                        reduce_lowest, interpolated, interpolated_after_unit)
    short = min(height, width)
    base_h, base_w = short / height, short / width
    out = []
    for k in range(n_layers):
        if strides:
            rows = -(-height // strides[k])
            cols = -(-width // strides[k])
            step_y, step_x = strides[k] / height, strides[k] / width
        else:
            rows, cols = feature_maps[k]
            step_y, step_x = 1.0 / rows, 1.0 / cols
        scale = np.array([s for s, _ in specs[k]])
        ratio = np.sqrt(np.array([r for _, r in specs[k]]))
        box_h = scale / ratio * base_h
        box_w = scale * ratio * base_w
        cy = (np.arange(rows) + 0.5) * step_y
        cx = (np.arange(cols) + 0.5) * step_x
        grid = np.zeros((rows, cols, len(scale), 4))
        grid[..., 0] = cy[:, None, None]
        grid[..., 1] = cx[None, :, None]
        grid[..., 2] = box_h[None, None, :]
        grid[..., 3] = box_w[None, None, :]
        out.append(grid.reshape(-1, 4))
    return np.concatenate(out)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cases = {
        # ssd_mobilenet_v1 (300x300 pipeline config): 1917 anchors.
        "ssd-anchors-300.txt": anchors(
            300, 300, feature_maps=[(19, 19), (10, 10), (5, 5), (3, 3),
                                    (2, 2), (1, 1)]),
        # face-api.js ssd_mobilenetv1 layout: 512 input, the interpolated
        # box right after aspect ratio 1: 5118 anchors.
        "ssd-anchors-512-faceapi.txt": anchors(
            512, 512, feature_maps=[(32, 32), (16, 16), (8, 8), (4, 4),
                                    (2, 2), (1, 1)],
            interpolated_after_unit=True),
        # Non-square input given by strides, no reduced lowest layer.
        "ssd-anchors-strides.txt": anchors(
            120, 200, strides=[16, 32, 64], min_scale=0.1, max_scale=0.8,
            ratios=(1.0, 2.0, 0.5), reduce_lowest=False),
    }
    expected = {"ssd-anchors-300.txt": 1917, "ssd-anchors-512-faceapi.txt": 5118}
    for name, a in cases.items():
        if name in expected:
            assert len(a) == expected[name], (name, len(a))
        np.savetxt(os.path.join(out, name), a, fmt="%.8f")


main()
