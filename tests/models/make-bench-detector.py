#!/usr/bin/python3
"""Writes a detector for pipeline benchmarks: torchvision's MobileNetV2
features (random weights, BatchNorms calibrated as in
tools/models/export-torchvision.py so activations stay at unit scale) on a
300x300 input, and an SSD-style 1x1 head over the 10x10 grid with 6 boxes
per cell, decoded in the graph to DL Streamer's DetectionOutput layout
[1, 1, 600, 7] (image_id, label, confidence, x_min, y_min, x_max, y_max,
normalized). Random weights: the boxes mean nothing, but a few pass the
0.5 threshold per frame, so decoding, NMS and metadata run as they do
with a real detector. Also writes its model-proc JSON.

Usage: make-bench-detector.py OUT.onnx"""
import importlib.util
import json
import os
import sys
import warnings

import torch
import torchvision

warnings.filterwarnings("ignore")
out = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "export_torchvision", os.path.join(here, "..", "..", "tools", "models", "export-torchvision.py"))
export_torchvision = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export_torchvision)

GRID, BOXES, CLASSES = 10, 6, 4


class BenchDetector(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torchvision.models.mobilenet_v2(weights=None).features
        self.pool = torch.nn.AdaptiveAvgPool2d(GRID)
        self.head = torch.nn.Conv2d(1280, BOXES * (5 + CLASSES), 1)
        ys, xs = torch.meshgrid(torch.arange(GRID), torch.arange(GRID), indexing="ij")
        self.register_buffer("cx", ((xs + 0.5) / GRID).reshape(1, GRID * GRID, 1))
        self.register_buffer("cy", ((ys + 0.5) / GRID).reshape(1, GRID * GRID, 1))

    def forward(self, x):
        h = self.head(self.pool(self.features(x)))              # [1, B*(5+C), G, G]
        h = h.permute(0, 2, 3, 1).reshape(1, GRID * GRID, BOXES, 5 + CLASSES)
        cx = self.cx + torch.tanh(h[..., 0]) / GRID
        cy = self.cy + torch.tanh(h[..., 1]) / GRID
        w = 0.05 + 0.3 * torch.sigmoid(h[..., 2])
        hh = 0.05 + 0.3 * torch.sigmoid(h[..., 3])
        conf = torch.sigmoid(h[..., 4] - 3.0)
        label = torch.argmax(h[..., 5:], dim=-1).float()
        zero = torch.zeros_like(conf)
        det = torch.stack([zero, label, conf, cx - w / 2, cy - hh / 2, cx + w / 2, cy + hh / 2], -1)
        return det.reshape(1, 1, GRID * GRID * BOXES, 7)


torch.manual_seed(0)
m = BenchDetector().eval()
export_torchvision.calibrate_bn(m.features, (1, 3, 300, 300), False)
with torch.no_grad():
    torch.nn.init.normal_(m.head.weight, std=0.05)
    x = torch.rand(1, 3, 300, 300)
    torch.onnx.export(m, x, out, opset_version=13, input_names=["input"],
                      output_names=["detection_out"], do_constant_folding=True)
    n = int((m(x)[0, 0, :, 2] > 0.5).sum())
proc = {
    "json_schema_version": "2.2.0",
    "input_preproc": [{"params": {"range": [0.0, 1.0], "color_space": "RGB"}}],
    "output_postproc": [{"converter": "detection_output",
                         "labels": ["person", "car", "bicycle", "dog"]}],
}
with open(os.path.splitext(out)[0] + ".json", "w") as f:
    json.dump(proc, f, indent=2)
print(f"wrote {out} ({os.path.getsize(out) / 1e6:.1f} MB), {n} boxes above 0.5 on a random input")
