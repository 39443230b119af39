#!/usr/bin/python3
"""Export random-weight torchvision models to ONNX for benchmarks and agreement tests.

Run with Debian's python (python3-torch, python3-torchvision, python3-numpy):
    /usr/bin/python3 tools/models/export-torchvision.py OUTDIR [--models a,b] [--opset 13]

For each model it writes OUTDIR/<name>.onnx (static shapes, constant folding,
weights=None after torch.manual_seed(0), eval mode) and OUTDIR/<name>.input.npy
(float32 reference input from a fixed numpy seed), and PyTorch's outputs for
that input as OUTDIR/<name>.output.<output-name>.npy. No pretrained weights
are downloaded or written.

BatchNorm calibration (default; --raw-init turns it off): with torchvision's
own initialisation every BatchNorm is the identity in eval mode (mean 0, var 1,
gamma 1, beta 0), and the activations of the MobileNets/EfficientNet shrink by
orders of magnitude per block (logits ~1e-10 to 1e-14), which makes outputs
useless for agreement tests. So, still deterministically, each BatchNorm gets a
random affine (gamma ~ U(0.5, 1.5), beta ~ N(0, 0.1)) and running statistics
measured on a small random batch, which keeps activations at unit scale.
"""
import argparse
import inspect
import os
import sys
import time
import warnings

import numpy as np
import onnx
import torch
import torchvision

# name -> (constructor, input shape, output names, model kwargs)
MODELS = {
    'resnet50': (torchvision.models.resnet50, (1, 3, 224, 224), ['logits'], {}),
    'mobilenet_v2': (torchvision.models.mobilenet_v2, (1, 3, 224, 224), ['logits'], {}),
    'mobilenet_v3_large': (torchvision.models.mobilenet_v3_large, (1, 3, 224, 224), ['logits'], {}),
    'efficientnet_b0': (torchvision.models.efficientnet_b0, (1, 3, 224, 224), ['logits'], {}),
    'lraspp_mobilenet_v3_large': (torchvision.models.segmentation.lraspp_mobilenet_v3_large,
                                  (1, 3, 512, 512), ['out'], {'weights_backbone': None}),
    'ssdlite320_mobilenet_v3_large': (torchvision.models.detection.ssdlite320_mobilenet_v3_large,
                                      (1, 3, 320, 320), ['boxes', 'scores', 'labels'],
                                      {'weights_backbone': None}),
    # Same network without postprocess_detections: random weights put every
    # one of the 3234 anchors above the 0.001 score threshold for all 90
    # classes, so the full model spends ~90% of its time in TopK/NMS over
    # 27000 boxes; this variant times just the CNN (normalise, backbone, head).
    'ssdlite320_mobilenet_v3_large_head': (torchvision.models.detection.ssdlite320_mobilenet_v3_large,
                                           (1, 3, 320, 320), ['bbox_regression', 'cls_logits'],
                                           {'weights_backbone': None}),
}
DEFAULT = list(MODELS)
# Exported when it works; a failure is reported but does not fail the run.
OPTIONAL = {'ssdlite320_mobilenet_v3_large', 'ssdlite320_mobilenet_v3_large_head'}


# PyTorch 2.9 and later default to the dynamo exporter (opset 18, other
# node names); ask for the TorchScript one, which Debian's PyTorch always uses.
TORCHSCRIPT_EXPORTER = ({'dynamo': False}
                        if 'dynamo' in inspect.signature(torch.onnx.export).parameters else {})


class DictOut(torch.nn.Module):
    """Segmentation models return {'out': tensor}; export the tensor."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)['out']


class DetOut(torch.nn.Module):
    """SSD with static shapes: the input is already at the model's size, so
    GeneralizedRCNNTransform's resize and the final box rescale are identities
    and are left out (traced, they turn into ~700 Shape/Gather/Concat nodes that
    hide every shape from ONNX shape inference). Normalisation stays in the
    graph, the anchors become a constant, and postprocess_detections (score
    threshold, per-class top-k, batched NMS, top detections_per_img) is traced
    as usual, so the outputs equal torchvision's own forward()."""

    def __init__(self, m, shape, head_only=False):
        super().__init__()
        from torchvision.models.detection.image_list import ImageList
        self.m = m
        self.head_only = head_only
        self.size = (shape[2], shape[3])
        self.register_buffer('mean', torch.tensor(m.transform.image_mean).view(-1, 1, 1))
        self.register_buffer('std', torch.tensor(m.transform.image_std).view(-1, 1, 1))
        with torch.no_grad():
            x = torch.zeros(shape)
            feats = list(m.backbone(x).values())
            anchors = m.anchor_generator(ImageList(x, [self.size]), feats)[0]
        self.register_buffer('anchors', anchors)

    def forward(self, x):
        x = (x - self.mean) / self.std
        feats = list(self.m.backbone(x).values())
        head = self.m.head(feats)
        if self.head_only:
            return head['bbox_regression'], head['cls_logits']
        d = self.m.postprocess_detections(head, [self.anchors], [self.size])[0]
        return d['boxes'], d['scores'], d['labels']


BN_TYPES = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)


def calibrate_bn(m, shape, detection):
    """Random BN affine + running stats from a random batch (see docstring)."""
    bns = [b for b in m.modules() if isinstance(b, BN_TYPES)]
    if not bns:
        return
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for b in bns:
            b.reset_running_stats()
            b.momentum = None  # cumulative average over the calibration pass
            b.weight.copy_(torch.rand(b.weight.shape, generator=g) + 0.5)
            b.bias.copy_(torch.randn(b.bias.shape, generator=g) * 0.1)
            b.train()
        x = torch.rand((4,) + tuple(shape[1:]), generator=g)
        m([xi for xi in x] if detection else x)
    m.eval()


def build(name, calibrate=True):
    ctor, shape, outs, kw = MODELS[name]
    torch.manual_seed(0)
    m = ctor(weights=None, **kw).eval()
    if calibrate:
        calibrate_bn(m, shape, name.startswith('ssdlite'))
    if name.startswith('lraspp'):
        m = DictOut(m)
    elif name.startswith('ssdlite'):
        m = DetOut(m, shape, head_only=name.endswith('_head'))
    return m.eval(), shape, outs


def reference_input(shape, seed=0):
    # Values in [0, 1) like a normalised-free image; fixed seed, float32.
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def export(name, outdir, opset, calibrate):
    t0 = time.time()
    m, shape, outs = build(name, calibrate)
    x = reference_input(shape)
    path = os.path.join(outdir, name + '.onnx')
    with torch.no_grad():
        torch.onnx.export(m, torch.from_numpy(x), path, opset_version=opset,
                          input_names=['input'], output_names=outs,
                          do_constant_folding=True, dynamic_axes=None,
                          **TORCHSCRIPT_EXPORTER)
    onnx.checker.check_model(path)
    np.save(os.path.join(outdir, name + '.input.npy'), x)
    with torch.no_grad():
        y = m(torch.from_numpy(x))
    for o, t in zip(outs, y if isinstance(y, tuple) else (y,)):
        np.save(os.path.join(outdir, f'{name}.output.{o}.npy'), t.numpy())
    print(f'wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB, opset {opset}, '
          f'input {"x".join(map(str, shape))}), {name}.input.npy and '
          f'{name}.output.{{{",".join(outs)}}}.npy '
          f'in {time.time() - t0:.1f}s', flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('outdir')
    ap.add_argument('--models', default=','.join(DEFAULT),
                    help='comma-separated subset of: ' + ','.join(MODELS))
    ap.add_argument('--opset', type=int, default=13)
    ap.add_argument('--raw-init', action='store_true',
                    help="keep torchvision's identity BatchNorms (no calibration)")
    ap.add_argument('--verbose', action='store_true',
                    help='show the tracer/exporter warnings')
    a = ap.parse_args()
    if not a.verbose:
        warnings.filterwarnings('ignore')
    names = [n for n in a.models.split(',') if n]
    bad = [n for n in names if n not in MODELS]
    if bad:
        ap.error('unknown model(s): ' + ','.join(bad))
    os.makedirs(a.outdir, exist_ok=True)
    torch.set_num_threads(max(1, min(16, os.cpu_count() or 1)))
    failed = []
    for n in names:
        try:
            export(n, a.outdir, a.opset, not a.raw_init)
        except Exception as e:  # report and go on with the others
            msg = str(e).strip().splitlines()
            print(f'FAILED {n}: {type(e).__name__}: {msg[0] if msg else ""}',
                  file=sys.stderr, flush=True)
            failed.append(n)
            for f in os.listdir(a.outdir):
                if f.startswith(n + '.') and f.split('.')[1] in ('onnx', 'input', 'output'):
                    os.remove(os.path.join(a.outdir, f))
    if failed:
        print('not exported: ' + ','.join(failed), file=sys.stderr)
    return 1 if set(failed) - OPTIONAL else 0


if __name__ == '__main__':
    sys.exit(main())
