#!/usr/bin/python3
"""OpenVINO IR reader checks for what the ONNX round trip cannot reach:
IR forms the writer never emits (StridedSlice masks, transposed MatMul,
Interpolate-4, explicit Broadcast, FakeQuantize, Python division, MVN-1,
NormalizeL2, ...). Each case builds a small IR (xml + bin) by hand, runs
it with ovi-run and compares with a numpy (or torch) reference written from
the IR operation specification. Error cases check the exit status and the
message.

    /usr/bin/python3 tests/ir/loader-ops.py [--build build-ir] [-v] [-k SUBSTR]
        [--seeds DIR]   (also write every case as a fuzzing seed)

Prints "N passed, N failed".
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile
import xml.sax.saxutils as su

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ET = {np.float32: ('f32', 'FP32'), np.float16: ('f16', 'FP16'), np.float64: ('f64', 'FP64'),
      np.int64: ('i64', 'I64'), np.int32: ('i32', 'I32'), np.int8: ('i8', 'I8'),
      np.uint8: ('u8', 'U8'), np.bool_: ('boolean', 'BOOL')}


def et(dtype):
    return ET[np.dtype(dtype).type]


class Ref:
    def __init__(self, layer, port, dtype, shape):
        self.layer, self.port, self.dtype, self.shape = layer, port, np.dtype(dtype), tuple(shape)


class IR:
    def __init__(self):
        self.layers = []
        self.edges = []
        self.bin = bytearray()
        self.next = 0

    def _port(self, pid, dtype, shape, names=None):
        n = ' names="%s"' % su.escape(names, {'"': '&quot;'}) if names else ''
        dims = ''.join('<dim>%d</dim>' % d for d in shape)
        return '<port id="%d" precision="%s"%s>%s</port>' % (pid, et(dtype)[1], n, dims)

    def layer(self, type, version, inputs, outputs, attrs=None, name=None, names=None):
        lid = self.next
        self.next += 1
        data = ''
        if attrs:
            data = '<data %s/>' % ' '.join('%s="%s"' % (k, v) for k, v in attrs.items())
        ins = ''.join(self._port(i, r.dtype, r.shape) for i, r in enumerate(inputs))
        outs = ''.join(self._port(len(inputs) + k, dt, sh, (names or {}).get(k))
                       for k, (dt, sh) in enumerate(outputs))
        self.layers.append('<layer id="%d" name="%s" type="%s" version="%s">%s%s%s</layer>' % (
            lid, name or '%s_%d' % (type, lid), type, version, data,
            '<input>%s</input>' % ins if inputs else '',
            '<output>%s</output>' % outs if outputs else ''))
        for i, r in enumerate(inputs):
            self.edges.append((r.layer, r.port, lid, i))
        return [Ref(lid, len(inputs) + k, dt, sh) for k, (dt, sh) in enumerate(outputs)]

    def param(self, name, dtype, shape):
        return self.layer('Parameter', 'opset1', [], [(dtype, shape)],
                          {'element_type': et(dtype)[0], 'shape': ','.join(map(str, shape))},
                          name=name, names={0: name})[0]

    def const(self, arr, dtype=None):
        a = np.ascontiguousarray(np.asarray(arr, dtype=dtype))
        off = len(self.bin)
        self.bin += a.tobytes()
        return self.layer('Const', 'opset1', [], [(a.dtype, a.shape)],
                          {'element_type': et(a.dtype)[0], 'shape': ', '.join(map(str, a.shape)),
                           'offset': off, 'size': a.nbytes})[0]

    def op(self, type, inputs, outputs, attrs=None, version='opset1'):
        r = self.layer(type, version, inputs, outputs, attrs)
        return r[0] if len(r) == 1 else r

    def result(self, ref, name):
        # Name the tensor through a Convert copy so that outputs are found by name.
        c = self.layer('Convert', 'opset1', [ref], [(ref.dtype, ref.shape)],
                       {'destination_type': et(ref.dtype)[0]}, names={0: name})[0]
        self.layer('Result', 'opset1', [c], [], name=name + '/sink')

    def xml(self):
        return ('<?xml version="1.0"?>\n<net name="t" version="11"><layers>%s</layers><edges>%s</edges>'
                '</net>\n' % (''.join(self.layers), ''.join(
                    '<edge from-layer="%d" from-port="%d" to-layer="%d" to-port="%d"/>' % e
                    for e in self.edges)))


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


rng = np.random.RandomState(0)


def rnd(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


# Each case returns (ir, {input: array}, {output: expected}[, tolerance]).

def strided(x, begin, end, stride, **masks):
    ir = IR()
    p = ir.param('x', x.dtype, x.shape)
    y = masks.pop('expect')
    attrs = {k: ','.join(map(str, v)) for k, v in masks.items()}
    for k in ('begin_mask', 'end_mask'):
        attrs.setdefault(k, '')
    o = ir.op('StridedSlice', [p, ir.const(begin, np.int64), ir.const(end, np.int64),
                               ir.const(stride, np.int64)], [(y.dtype, y.shape)], attrs)
    ir.result(o, 'y')
    return ir, {'x': x}, {'y': y}


@case
def strided_slice_masks_reverse():
    x = rnd(2, 3, 4)
    return strided(x, [1, 1, 123], [0, 0, 2], [1, 1, -1], begin_mask=[0, 1, 1],
                   end_mask=[1, 1, 1], expect=x[1:, :, ::-1])


@case
def strided_slice_new_axis_shrink():
    x = rnd(3, 4)
    return strided(x, [0, 0, 1], [0, 0, 3], [1, 1, 1], new_axis_mask=[1, 0, 0],
                   shrink_axis_mask=[0, 1, 0], expect=x[np.newaxis, 0, 1:3])


@case
def strided_slice_ellipsis():
    x = rnd(2, 3, 4, 5)
    return strided(x, [0, 1, 0], [0, 2, 3], [1, 1, 2], ellipsis_mask=[1, 0, 0],
                   shrink_axis_mask=[0, 1, 0], expect=x[..., 1, 0:3:2])


@case
def strided_slice_shrink_last():
    x = rnd(3, 4)
    return strided(x, [-1], [0], [1], shrink_axis_mask=[1], expect=x[-1])


@case
def strided_slice_negative_clamp():
    x = rnd(5, 6)
    return strided(x, [-100, 4], [100, -100], [2, -2], expect=x[-100:100:2, 4:-100:-2])


@case
def strided_slice_dynamic_begin():
    ir = IR()
    x = rnd(4, 6)
    p = ir.param('x', np.float32, x.shape)
    b = ir.param('b', np.int64, (2,))
    o = ir.op('StridedSlice', [p, b, ir.const([3, 5], np.int64), ir.const([1, 2], np.int64)],
              [(np.float32, (2, 2))], {'begin_mask': '0,0', 'end_mask': '0,0'})
    ir.result(o, 'y')
    return ir, {'x': x, 'b': np.array([1, 1], np.int64)}, {'y': x[1:3, 1:5:2]}


@case
def slice8_with_axes():
    ir = IR()
    x = rnd(4, 5, 6)
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('Slice', [p, ir.const([5, 1], np.int64), ir.const([0, -1], np.int64),
                        ir.const([-2, 1], np.int64), ir.const([2, 0], np.int64)],
              [(np.float32, (3, 5, 3))], version='opset8')
    ir.result(o, 'y')
    return ir, {'x': x}, {'y': x[1:-1, :, 5:0:-2]}


@case
def matmul_transposed():
    ir = IR()
    a, b = rnd(2, 5, 3), rnd(2, 4, 5)
    pa = ir.param('a', np.float32, a.shape)
    o = ir.op('MatMul', [pa, ir.const(b)], [(np.float32, (2, 3, 4))],
              {'transpose_a': 'true', 'transpose_b': 'true'})
    ir.result(o, 'y')
    return ir, {'a': a}, {'y': np.swapaxes(a, 1, 2) @ np.swapaxes(b, 1, 2)}, 1e-5


@case
def matmul_add_to_gemm():
    ir = IR()
    a, b, c = rnd(3, 8), rnd(4, 8), rnd(1, 4)
    pa = ir.param('a', np.float32, a.shape)
    m = ir.op('MatMul', [pa, ir.const(b)], [(np.float32, (3, 4))], {'transpose_b': 'true'})
    o = ir.op('Add', [m, ir.const(c)], [(np.float32, (3, 4))], {'auto_broadcast': 'numpy'})
    ir.result(o, 'y')
    return ir, {'a': a}, {'y': a @ b.T + c}, 1e-5


def conv_ref(x, w, stride, pad, groups=1, dil=1):
    import torch
    return torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), stride=stride,
                                      padding=pad, groups=groups, dilation=dil).numpy()


@case
def group_convolution_bias():
    ir = IR()
    x, w, b = rnd(1, 4, 7, 7), rnd(2, 3, 2, 3, 3), rnd(1, 6, 1, 1)
    p = ir.param('x', np.float32, x.shape)
    c = ir.op('GroupConvolution', [p, ir.const(w)], [(np.float32, (1, 6, 4, 4))],
              {'strides': '2,2', 'pads_begin': '1,1', 'pads_end': '1,1', 'dilations': '1,1',
               'auto_pad': 'explicit'})
    o = ir.op('Add', [c, ir.const(b)], [(np.float32, (1, 6, 4, 4))])
    ir.result(o, 'y')
    return ir, {'x': x}, {'y': conv_ref(x, w.reshape(6, 2, 3, 3), 2, 1, groups=2) + b}, 1e-4


@case
def fp16_compressed_conv_bias():
    ir = IR()
    x = rnd(1, 3, 5, 5)
    w, b = rnd(4, 3, 3, 3).astype(np.float16), rnd(1, 4, 1, 1).astype(np.float16)
    p = ir.param('x', np.float32, x.shape)
    wc = ir.op('Convert', [ir.const(w)], [(np.float32, w.shape)], {'destination_type': 'f32'})
    bc = ir.op('Convert', [ir.const(b)], [(np.float32, b.shape)], {'destination_type': 'f32'})
    c = ir.op('Convolution', [p, wc], [(np.float32, (1, 4, 5, 5))],
              {'strides': '1,1', 'pads_begin': '1,1', 'pads_end': '1,1', 'dilations': '1,1',
               'auto_pad': 'explicit'})
    o = ir.op('Add', [bc, c], [(np.float32, (1, 4, 5, 5))])
    ir.result(o, 'y')
    ref = conv_ref(x, w.astype(np.float32), 1, 1) + b.astype(np.float32)
    return ir, {'x': x}, {'y': ref}, 1e-4


@case
def convolution_same_upper():
    ir = IR()
    x, w = rnd(1, 2, 6, 6), rnd(3, 2, 3, 3)
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('Convolution', [p, ir.const(w)], [(np.float32, (1, 3, 3, 3))],
              {'strides': '2,2', 'pads_begin': '0,0', 'pads_end': '0,0', 'dilations': '1,1',
               'auto_pad': 'same_upper'})
    ir.result(o, 'y')
    xp = np.pad(x, ((0, 0), (0, 0), (0, 1), (0, 1)))
    return ir, {'x': x}, {'y': conv_ref(xp, w, 2, 0)}, 1e-4


@case
def group_convolution_backprop():
    import torch
    ir = IR()
    x, w = rnd(1, 4, 3, 3), rnd(2, 2, 3, 3, 3)
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('GroupConvolutionBackpropData', [p, ir.const(w)], [(np.float32, (1, 6, 6, 6))],
              {'strides': '2,2', 'pads_begin': '1,1', 'pads_end': '0,0', 'dilations': '1,1',
               'auto_pad': 'explicit', 'output_padding': '0,0'})
    ir.result(o, 'y')
    ref = torch.nn.functional.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(
        w.reshape(4, 3, 3, 3)), stride=2, padding=0, groups=2).numpy()[:, :, 1:, 1:]
    return ir, {'x': x}, {'y': ref}, 1e-4


@case
def maxpool8_indices_ceil():
    import torch
    ir = IR()
    x = rnd(1, 2, 5, 5)
    p = ir.param('x', np.float32, x.shape)
    v, i = ir.op('MaxPool', [p], [(np.float32, (1, 2, 2, 2)), (np.int32, (1, 2, 2, 2))],
                 {'strides': '3,3', 'pads_begin': '0,0', 'pads_end': '0,0', 'kernel': '3,3',
                  'dilations': '1,1', 'rounding_type': 'ceil', 'auto_pad': 'explicit',
                  'index_element_type': 'i32', 'axis': '0'}, version='opset8')
    ir.result(v, 'v')
    ir.result(i, 'i')
    tv, ti = torch.nn.functional.max_pool2d(torch.from_numpy(x), 3, 3, ceil_mode=True,
                                            return_indices=True)
    ti = ti.numpy() + (np.arange(2) * 25).reshape(1, 2, 1, 1)   # flat over N*C*H*W
    return ir, {'x': x}, {'v': tv.numpy(), 'i': ti.astype(np.int32)}


@case
def avgpool_include_pad():
    import torch
    ir = IR()
    x = rnd(1, 1, 4, 4)
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('AvgPool', [p], [(np.float32, (1, 1, 3, 3))],
              {'strides': '2,2', 'pads_begin': '1,1', 'pads_end': '1,1', 'kernel': '2,2',
               'exclude-pad': 'false', 'rounding_type': 'floor', 'auto_pad': 'explicit'})
    ir.result(o, 'y')
    ref = torch.nn.functional.avg_pool2d(torch.from_numpy(x), 2, 2, padding=1,
                                         count_include_pad=True).numpy()
    return ir, {'x': x}, {'y': ref}, 1e-5


@case
def interpolate4_linear_sizes():
    import torch
    ir = IR()
    x = rnd(1, 2, 4, 5)
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('Interpolate', [p, ir.const([8, 10], np.int64), ir.const([2, 2], np.float32),
                              ir.const([2, 3], np.int64)], [(np.float32, (1, 2, 8, 10))],
              {'mode': 'linear_onnx', 'shape_calculation_mode': 'sizes',
               'coordinate_transformation_mode': 'half_pixel'}, version='opset4')
    ir.result(o, 'y')
    ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=(8, 10), mode='bilinear',
                                          align_corners=False).numpy()
    return ir, {'x': x}, {'y': ref}, 1e-5


@case
def interpolate11_nearest_scales():
    ir = IR()
    x = rnd(1, 1, 3, 3)
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('Interpolate', [p, ir.const([2, 3], np.float32), ir.const([2, 3], np.int64)],
              [(np.float32, (1, 1, 6, 9))],
              {'mode': 'nearest', 'shape_calculation_mode': 'scales',
               'coordinate_transformation_mode': 'asymmetric', 'nearest_mode': 'floor'},
              version='opset11')
    ir.result(o, 'y')
    return ir, {'x': x}, {'y': x.repeat(2, axis=2).repeat(3, axis=3)}


@case
def broadcast_explicit():
    ir = IR()
    x = rnd(3)
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('Broadcast', [p, ir.const([2, 3, 4], np.int64), ir.const([1], np.int64)],
              [(np.float32, (2, 3, 4))], {'mode': 'explicit'}, version='opset3')
    ir.result(o, 'y')
    return ir, {'x': x}, {'y': np.broadcast_to(x.reshape(1, 3, 1), (2, 3, 4))}


@case
def broadcast_numpy_i32_shape():
    ir = IR()
    x = rnd(3, 1)
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('Broadcast', [p, ir.const([2, 3, 4], np.int32)], [(np.float32, (2, 3, 4))],
              {'mode': 'numpy'})
    ir.result(o, 'y')
    return ir, {'x': x}, {'y': np.broadcast_to(x, (2, 3, 4))}


@case
def fake_quantize():
    ir = IR()
    x = rnd(2, 3, 4) * 3
    il, ih = np.float32([-2, -1, -3]).reshape(1, 3, 1), np.float32([2, 1, 3]).reshape(1, 3, 1)
    ol, oh = np.float32(-1), np.float32(1)
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('FakeQuantize', [p, ir.const(il), ir.const(ih), ir.const(ol), ir.const(oh)],
              [(np.float32, x.shape)], {'levels': 5, 'auto_broadcast': 'numpy'})
    ir.result(o, 'y')
    q = np.round((x - il) / (ih - il) * 4) / 4 * (oh - ol) + ol
    y = np.where(x <= np.minimum(il, ih), ol, np.where(x > np.maximum(il, ih), oh, q))
    return ir, {'x': x}, {'y': y.astype(np.float32)}, 1e-5


def binary(type, a, b, y, attrs=None, version='opset1'):
    ir = IR()
    pa = ir.param('a', a.dtype, a.shape)
    pb = ir.param('b', b.dtype, b.shape)
    o = ir.op(type, [pa, pb], [(y.dtype, y.shape)], attrs or {'auto_broadcast': 'numpy'},
              version=version)
    ir.result(o, 'y')
    return ir, {'a': a, 'b': b}, {'y': y}


@case
def divide_python_int():
    a = np.array([7, -7, 7, -7, 6, -6, 0], np.int32)
    b = np.array([2, 2, -2, -2, 3, -4, 5], np.int32)
    return binary('Divide', a, b, a // b, {'auto_broadcast': 'numpy', 'm_pythondiv': 'true'})


@case
def divide_truncating_int():
    a = np.array([7, -7, 7, -7], np.int64)
    b = np.array([2, 2, -2, -2], np.int64)
    return binary('Divide', a, b, np.trunc(a / b).astype(np.int64),
                  {'auto_broadcast': 'numpy', 'm_pythondiv': 'false'})


@case
def floor_mod_float():
    a, b = np.float32([5.5, -5.5, 5.5, -5.5]), np.float32([2, 2, -2, -2])
    return binary('FloorMod', a, b, np.mod(a, b).astype(np.float32))


@case
def floor_mod_int():
    a, b = np.int32([5, -5, 5, -5]), np.int32([3, 3, -3, -3])
    return binary('FloorMod', a, b, np.mod(a, b).astype(np.int32))


@case
def mod_float():
    a, b = np.float32([5.5, -5.5, 5.5, -5.5]), np.float32([2, 2, -2, -2])
    return binary('Mod', a, b, np.fmod(a, b).astype(np.float32))


@case
def squared_difference():
    a, b = rnd(2, 3), rnd(3)
    return binary('SquaredDifference', a, b, (a - b) ** 2)


@case
def not_equal():
    a, b = np.float32([1, 2, 3]), np.float32([1, 0, 3])
    return binary('NotEqual', a, b, a != b)


@case
def select():
    ir = IR()
    c, a, b = rnd(2, 3) > 0, rnd(2, 3), rnd(3)
    pc, pa = ir.param('c', np.bool_, c.shape), ir.param('a', np.float32, a.shape)
    o = ir.op('Select', [pc, pa, ir.const(b)], [(np.float32, (2, 3))], {'auto_broadcast': 'numpy'})
    ir.result(o, 'y')
    return ir, {'c': c, 'a': a}, {'y': np.where(c, a, b)}


def unary(type, x, y, attrs=None, version='opset1', extra=(), tol=1e-5):
    ir = IR()
    p = ir.param('x', x.dtype, x.shape)
    o = ir.op(type, [p] + [ir.const(e) for e in extra], [(y.dtype, y.shape)], attrs,
              version=version)
    ir.result(o, 'y')
    return ir, {'x': x}, {'y': y}, tol


@case
def swish_beta():
    x = rnd(10)
    return unary('Swish', x, x / (1 + np.exp(-1.5 * x)), version='opset4',
                 extra=[np.float32(1.5)])


@case
def hsigmoid():
    x = rnd(20) * 4
    return unary('HSigmoid', x, np.minimum(np.maximum(x + 3, 0), 6) / 6, version='opset5')


@case
def hswish():
    x = rnd(20) * 4
    return unary('HSwish', x, x * np.minimum(np.maximum(x + 3, 0), 6) / 6, version='opset4')


@case
def clamp_int():
    x = np.arange(-5, 6, dtype=np.int32)
    return unary('Clamp', x, np.clip(x, -1, 3).astype(np.int32), {'min': '-1.5', 'max': '3.7'})


@case
def round_half_away():
    x = np.float32([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4])
    return unary('Round', x, np.sign(x) * np.floor(np.abs(x) + 0.5),
                 {'mode': 'half_away_from_zero'}, version='opset5')


@case
def gelu_tanh():
    x = rnd(16)
    y = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    return unary('Gelu', x, y.astype(np.float32), {'approximation_mode': 'tanh'},
                 version='opset7', tol=1e-5)


@case
def elu():
    x = rnd(16)
    return unary('Elu', x, np.where(x > 0, x, 0.5 * (np.exp(x) - 1)).astype(np.float32),
                 {'alpha': '0.5'})


@case
def prelu_channel_slope():
    x, s = rnd(2, 3, 4, 4), np.float32([0.1, 0.2, 0.3])
    return unary('PRelu', x, np.where(x > 0, x, x * s.reshape(1, 3, 1, 1)), extra=[s])


@case
def softmax1_axis():
    x = rnd(2, 3, 4)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return unary('Softmax', x, e / e.sum(axis=1, keepdims=True), {'axis': '1'})


@case
def log_softmax():
    x = rnd(2, 5)
    e = x - x.max(axis=-1, keepdims=True)
    return unary('LogSoftmax', x, e - np.log(np.exp(e).sum(axis=-1, keepdims=True)),
                 {'axis': '-1'}, version='opset5')


@case
def mvn1_instance():
    x = rnd(2, 3, 4, 5)
    m = x.mean(axis=(2, 3), keepdims=True)
    v = ((x - m) ** 2).mean(axis=(2, 3), keepdims=True)
    return unary('MVN', x, (x - m) / np.sqrt(v + 1e-6),
                 {'across_channels': 'false', 'normalize_variance': 'true', 'eps': '1e-6'},
                 tol=1e-4)


@case
def mvn6_outside():
    x = rnd(2, 3, 4)
    m = x.mean(axis=(-1,), keepdims=True)
    v = ((x - m) ** 2).mean(axis=(-1,), keepdims=True)
    return unary('MVN', x, (x - m) / (np.sqrt(v) + 1e-3),
                 {'normalize_variance': 'true', 'eps': '0.001', 'eps_mode': 'outside_sqrt'},
                 version='opset6', extra=[np.int64([-1])], tol=1e-4)


@case
def normalize_l2_max():
    x = rnd(2, 3, 4) * 1e-3
    s = (x * x).sum(axis=1, keepdims=True)
    return unary('NormalizeL2', x, x / np.sqrt(np.maximum(s, 1e-6)),
                 {'eps': '1e-6', 'eps_mode': 'max'}, extra=[np.int64([1])], tol=1e-4)


@case
def lrn_across():
    import torch
    x = rnd(1, 5, 3, 3)
    ref = torch.nn.functional.local_response_norm(torch.from_numpy(x), 3, alpha=1e-2, beta=0.75,
                                                  k=1.0).numpy()
    return unary('LRN', x, ref, {'alpha': '0.01', 'beta': '0.75', 'bias': '1', 'size': '3'},
                 extra=[np.int64([1])], tol=1e-5)


@case
def batchnorm_inference_v1():
    ir = IR()
    x = rnd(2, 3, 4)
    g, b, m, v = rnd(3), rnd(3), rnd(3), np.abs(rnd(3)) + 0.5
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('BatchNormInference', [ir.const(g), ir.const(b), p, ir.const(m), ir.const(v)],
              [(np.float32, x.shape)], {'epsilon': '0.001'})
    ir.result(o, 'y')
    r = lambda a: a.reshape(1, 3, 1)
    y = (x - r(m)) / np.sqrt(r(v) + 1e-3) * r(g) + r(b)
    return ir, {'x': x}, {'y': y}, 1e-5


@case
def topk1_min_i32():
    ir = IR()
    x = rnd(3, 6)
    p = ir.param('x', np.float32, x.shape)
    v, i = ir.op('TopK', [p, ir.const(np.int32(2))], [(np.float32, (3, 2)), (np.int32, (3, 2))],
                 {'axis': '1', 'mode': 'min', 'sort': 'value'})
    ir.result(v, 'v')
    ir.result(i, 'i')
    idx = np.argsort(x, axis=1, kind='stable')[:, :2]
    return ir, {'x': x}, {'v': np.take_along_axis(x, idx, 1), 'i': idx.astype(np.int32)}


@case
def gather8_negative():
    ir = IR()
    x = rnd(4, 5)
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('Gather', [p, ir.const(np.int32([-1, 0, 2])), ir.const(np.int64(1))],
              [(np.float32, (4, 3))], {'batch_dims': '0'}, version='opset8')
    ir.result(o, 'y')
    return ir, {'x': x}, {'y': x[:, [-1, 0, 2]]}


@case
def split1_and_variadic():
    ir = IR()
    x = rnd(2, 6)
    p = ir.param('x', np.float32, x.shape)
    a, b, c = ir.op('Split', [p, ir.const(np.int64(1))], [(np.float32, (2, 2))] * 3,
                    {'num_splits': 3})
    d, e = ir.op('VariadicSplit', [p, ir.const(np.int64(-1)), ir.const(np.int32([-1, 4]))],
                 [(np.float32, (2, 2)), (np.float32, (2, 4))])
    for n, r in zip('abcde', (a, b, c, d, e)):
        ir.result(r, n)
    return ir, {'x': x}, {'a': x[:, :2], 'b': x[:, 2:4], 'c': x[:, 4:], 'd': x[:, :2],
                          'e': x[:, 2:]}


@case
def pad12_negative_and_reflect():
    ir = IR()
    x = rnd(3, 5)
    p = ir.param('x', np.float32, x.shape)
    a = ir.op('Pad', [p, ir.const(np.int32([1, -1])), ir.const(np.int32([-1, 2])),
                      ir.const(np.float32(7))], [(np.float32, (3, 6))], {'pad_mode': 'constant'},
              version='opset12')
    b = ir.op('Pad', [p, ir.const(np.int64([1, 2])), ir.const(np.int64([0, 1]))],
              [(np.float32, (4, 8))], {'pad_mode': 'reflect'})
    ir.result(a, 'a')
    ir.result(b, 'b')
    ea = np.pad(x, ((1, 0), (0, 2)), constant_values=7)[:-1 or None, 1:]
    ea = np.pad(x[:-1, 1:], ((1, 0), (0, 2)), constant_values=7)
    return ir, {'x': x}, {'a': ea, 'b': np.pad(x, ((1, 0), (2, 1)), mode='reflect')}


@case
def tile_short_repeats():
    ir = IR()
    x = rnd(2, 3)
    p = ir.param('x', np.float32, x.shape)
    a = ir.op('Tile', [p, ir.const(np.int64([3]))], [(np.float32, (2, 9))])
    b = ir.op('Tile', [p, ir.const(np.int64([2, 1, 2]))], [(np.float32, (2, 2, 6))])
    ir.result(a, 'a')
    ir.result(b, 'b')
    return ir, {'x': x}, {'a': np.tile(x, 3), 'b': np.tile(x, (2, 1, 2))}


@case
def range4_mixed_types():
    ir = IR()
    o = ir.op('Range', [ir.const(np.int32(1)), ir.const(np.float32(10)), ir.const(np.int64(3))],
              [(np.float32, (3,))], {'output_type': 'f32'}, version='opset4')
    p = ir.param('x', np.float32, (3,))
    s = ir.op('Add', [o, p], [(np.float32, (3,))])
    ir.result(s, 'y')
    x = rnd(3)
    return ir, {'x': x}, {'y': np.float32([1, 4, 7]) + x}


@case
def shape_reshape_squeeze():
    ir = IR()
    x = rnd(2, 1, 3)
    p = ir.param('x', np.float32, x.shape)
    s = ir.op('ShapeOf', [p], [(np.int32, (3,))], {'output_type': 'i32'}, version='opset3')
    q = ir.op('Squeeze', [p, ir.const(np.int64(1))], [(np.float32, (2, 3))])
    u = ir.op('Unsqueeze', [q, ir.const(np.int32(-1))], [(np.float32, (2, 3, 1))])
    r = ir.op('Reshape', [u, ir.const(np.int64([0, -1]))], [(np.float32, (2, 3))],
              {'special_zero': 'true'})
    ir.result(s, 's')
    ir.result(r, 'r')
    return ir, {'x': x}, {'s': np.int32([2, 1, 3]), 'r': x.reshape(2, 3)}


@case
def transpose_convert():
    ir = IR()
    x = rnd(2, 3, 4) * 10
    p = ir.param('x', np.float32, x.shape)
    t = ir.op('Transpose', [p, ir.const(np.int32([2, 0, 1]))], [(np.float32, (4, 2, 3))])
    c = ir.op('Convert', [t], [(np.int32, (4, 2, 3))], {'destination_type': 'i32'})
    ir.result(c, 'y')
    return ir, {'x': x}, {'y': np.transpose(x, (2, 0, 1)).astype(np.int32)}


@case
def scatter_update_axis0():
    ir = IR()
    x = rnd(5, 3)
    u = rnd(2, 3)
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('ScatterUpdate', [p, ir.const(np.int32([3, 0])), ir.const(u), ir.const(np.int64(0))],
              [(np.float32, x.shape)], version='opset3')
    ir.result(o, 'y')
    y = x.copy()
    y[[3, 0]] = u
    return ir, {'x': x}, {'y': y}


@case
def scatter_elements_update():
    ir = IR()
    x = rnd(3, 3)
    u = rnd(1, 2)
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('ScatterElementsUpdate', [p, ir.const(np.int64([[1, 2]])), ir.const(u),
                                        ir.const(np.int64(1))], [(np.float32, x.shape)],
              version='opset3')
    ir.result(o, 'y')
    y = x.copy()
    y[0, 1], y[0, 2] = u[0]
    return ir, {'x': x}, {'y': y}


@case
def cumsum_default_axis():
    x = rnd(3, 2)
    return unary('CumSum', x, np.cumsum(x, axis=0), {'exclusive': 'false', 'reverse': 'false'},
                 version='opset3')


@case
def reduce_logical_and_global_mean():
    ir = IR()
    b = rnd(2, 3, 4) > 0
    x = rnd(2, 3, 4, 5)
    pb = ir.param('b', np.bool_, b.shape)
    px = ir.param('x', np.float32, x.shape)
    a = ir.op('ReduceLogicalAnd', [pb, ir.const(np.int64([1]))], [(np.bool_, (2, 4))],
              {'keep_dims': 'false'})
    m = ir.op('ReduceMean', [px, ir.const(np.int64([3, 2]))], [(np.float32, (2, 3, 1, 1))],
              {'keep_dims': 'true'})
    ir.result(a, 'a')
    ir.result(m, 'm')
    return ir, {'b': b, 'x': x}, {'a': b.all(axis=1), 'm': x.mean(axis=(2, 3), keepdims=True)}, 1e-5


@case
def depth_to_space_depth_first():
    ir = IR()
    x = rnd(1, 8, 2, 3)
    p = ir.param('x', np.float32, x.shape)
    o = ir.op('DepthToSpace', [p], [(np.float32, (1, 2, 4, 6))],
              {'mode': 'depth_first', 'block_size': 2})
    ir.result(o, 'y')
    y = x.reshape(1, 2, 2, 2, 2, 3).transpose(0, 1, 4, 2, 5, 3).reshape(1, 2, 4, 6)
    return ir, {'x': x}, {'y': y}


@case
def nms9_sorted_scores():
    ir = IR()
    boxes = np.float32([[[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 5, 1, 6], [0, 10, 1, 11]]])
    scores = np.float32([[[0.9, 0.8, 0.3, 0.6], [0.2, 0.95, 0.5, 0.1]]])
    pb = ir.param('boxes', np.float32, boxes.shape)
    ps = ir.param('scores', np.float32, scores.shape)
    sel, sc, n = ir.op('NonMaxSuppression', [pb, ps, ir.const(np.int64(2)),
                                             ir.const(np.float32(0.5)), ir.const(np.float32(0.0))],
                       [(np.int32, (8, 3)), (np.float32, (8, 3)), (np.int32, (1,))],
                       {'box_encoding': 'corner', 'sort_result_descending': 'true',
                        'output_type': 'i32'}, version='opset9')
    ir.result(sel, 'sel')
    ir.result(sc, 'sc')
    ir.result(n, 'n')
    # class 0: boxes 0 (0.9), 3 (0.6); class 1: boxes 1 (0.95), 2 (0.5); sorted by score.
    s = np.int32([[0, 1, 1], [0, 0, 0], [0, 0, 3], [0, 1, 2]])
    return ir, {'boxes': boxes, 'scores': scores}, {
        'sel': s, 'sc': np.float32([[0, 1, 0.95], [0, 0, 0.9], [0, 0, 0.6], [0, 1, 0.5]]),
        'n': np.int32([4])}


@case
def eye9():
    ir = IR()
    o = ir.op('Eye', [ir.const(np.int64(3)), ir.const(np.int64(4)), ir.const(np.int64(1))],
              [(np.float32, (3, 4))], {'output_type': 'f32'}, version='opset9')
    p = ir.param('x', np.float32, (3, 4))
    ir.result(ir.op('Add', [o, p], [(np.float32, (3, 4))]), 'y')
    x = rnd(3, 4)
    return ir, {'x': x}, {'y': np.eye(3, 4, 1, dtype=np.float32) + x}


@case
def one_hot():
    ir = IR()
    i = np.int64([[0, 2], [1, 3]])
    p = ir.param('i', np.int64, i.shape)
    o = ir.op('OneHot', [p, ir.const(np.int64(3)), ir.const(np.float32(5)), ir.const(np.float32(-1))],
              [(np.float32, (2, 3, 2))], {'axis': '1'})
    ir.result(o, 'y')
    y = np.full((2, 3, 2), -1, np.float32)
    for a in range(2):
        for b in range(2):
            if i[a, b] < 3:
                y[a, i[a, b], b] = 5
    return ir, {'i': i}, {'y': y}


# Error handling: (ir_or_text, bin, expected exit status, message substring).
ERRORS = []


def error_case(fn):
    ERRORS.append(fn)
    return fn


@error_case
def unknown_op():
    ir = IR()
    p = ir.param('x', np.float32, (2,))
    ir.result(ir.op('Frobnicate', [p], [(np.float32, (2,))], version='opset1'), 'y')
    return ir.xml(), b'', "layer 'Frobnicate_1' (Frobnicate): operation Frobnicate"


@error_case
def const_out_of_range():
    ir = IR()
    c = ir.const(np.float32([1, 2]))
    ir.layers[-1] = ir.layers[-1].replace('offset="0"', 'offset="4"')
    ir.result(c, 'y')
    return ir.xml(), bytes(ir.bin), 'lies outside the 8-byte weights file'


@error_case
def malformed_xml():
    return '<net version="11"><layers><layer id="0"', b'', 'malformed XML'


@error_case
def bad_edge():
    ir = IR()
    p = ir.param('x', np.float32, (2,))
    ir.result(ir.op('Relu', [p], [(np.float32, (2,))]), 'y')
    ir.edges[0] = (0, 5, 1, 0)
    return ir.xml(), b'', 'names a missing port'


def run_case(fn, args, tmp):
    r = fn()
    ir, inputs, expected = r[:3]
    tol = r[3] if len(r) > 3 else 0
    xml = os.path.join(tmp, fn.__name__ + '.xml')
    with open(xml, 'w') as f:
        f.write(ir.xml())
    with open(xml[:-4] + '.bin', 'wb') as f:
        f.write(ir.bin)
    if args.seeds:
        x = ir.xml().encode()
        with open(os.path.join(args.seeds, 'loader_' + fn.__name__), 'wb') as f:
            f.write(struct.pack('<I', len(x)) + x + bytes(ir.bin))
    cmd = [os.path.join(args.build, 'tools', 'ovi-run'), '--model', xml, '--output-dir',
           os.path.join(tmp, fn.__name__)]
    for k, v in inputs.items():
        path = os.path.join(tmp, '%s.%s.npy' % (fn.__name__, k))
        np.save(path, v)
        cmd += ['--input', '%s=%s' % (k, path)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        return p.stdout.strip()
    for k, e in expected.items():
        got = np.load(os.path.join(tmp, fn.__name__, k + '.npy'))
        e = np.asarray(e)
        if got.dtype != e.dtype or got.shape != e.shape:
            return '%s: got %s%s, expected %s%s' % (k, got.dtype, got.shape, e.dtype, e.shape)
        if e.dtype.kind == 'f':
            if not np.allclose(got, e, rtol=tol, atol=tol):
                return '%s: max abs diff %g' % (k, np.abs(got - e).max())
        elif not np.array_equal(got, e):
            return '%s: got %s, expected %s' % (k, got.tolist(), e.tolist())
    return None


def run_error(fn, args, tmp):
    text, bin_data, want = fn()
    xml = os.path.join(tmp, fn.__name__ + '.xml')
    with open(xml, 'w') as f:
        f.write(text)
    with open(xml[:-4] + '.bin', 'wb') as f:
        f.write(bin_data)
    if args.seeds:
        x = text.encode()
        with open(os.path.join(args.seeds, 'loader_' + fn.__name__), 'wb') as f:
            f.write(struct.pack('<I', len(x)) + x + bin_data)
    p = subprocess.run([os.path.join(args.build, 'tools', 'ovi-run'), '--model', xml,
                        '--output-dir', os.path.join(tmp, 'err')], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if p.returncode == 0:
        return 'loaded, expected an error'
    if p.returncode < 0 or 'Sanitizer' in p.stdout:
        return 'crashed: ' + p.stdout
    if want not in p.stdout:
        return 'message %r lacks %r' % (p.stdout.strip(), want)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--build', default=os.path.join(ROOT, 'build-ir'))
    ap.add_argument('-k', default='')
    ap.add_argument('-v', '--verbose', action='store_true')
    ap.add_argument('--seeds')
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix='ovi-ir-ops-') as tmp:
        for fn, runner in [(f, run_case) for f in CASES] + [(f, run_error) for f in ERRORS]:
            if args.k not in fn.__name__:
                continue
            try:
                err = runner(fn, args, tmp)
            except Exception as e:
                err = 'harness: %r' % e
            if err:
                failed += 1
                print('FAIL %s: %s' % (fn.__name__, err))
            else:
                passed += 1
                if args.verbose:
                    print('PASS %s' % fn.__name__)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
