#!/usr/bin/python3
"""Counts the multiply-accumulates of an ONNX model's Conv/ConvTranspose/Gemm/MatMul nodes.

    /usr/bin/python3 tools/models/onnx-flops.py MODEL.onnx [...]
    /usr/bin/python3 tools/models/onnx-flops.py --nodes MODEL.onnx

--nodes adds "MFLOP_by_node" (node name to MFLOP), to set against the
per-node times of `ovi-bench --pc`.

Prints one JSON line per model: GMAC and GFLOP (= 2 x GMAC, the unit of the
FMA peak in DESIGN.md section 6), from ONNX shape inference. Element-wise ops,
pooling and the like are not counted (a few percent at most for CNNs); nodes
whose shapes are data-dependent are skipped and counted in "unknown".
"""
import json
import sys

import onnx
from onnx import shape_inference


def dims(vi):
    t = vi.type.tensor_type
    if not t.HasField('shape'):
        return None
    d = [x.dim_value if x.HasField('dim_value') else None for x in t.shape.dim]
    return None if any(v is None for v in d) else d


def prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def count(path, nodes=False):
    m = shape_inference.infer_shapes(onnx.load(path), data_prop=True)
    g = m.graph
    shp = {i.name: list(i.dims) for i in g.initializer}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        d = dims(vi)
        if d is not None:
            shp[vi.name] = d
    macs, unknown, per_op, per_node = 0, 0, {}, {}
    for n in g.node:
        if n.op_type not in ('Conv', 'ConvTranspose', 'Gemm', 'MatMul'):
            continue
        ins = [shp.get(x) for x in n.input[:2]]
        out = shp.get(n.output[0])
        if out is None or any(x is None for x in ins):
            unknown += 1
            continue
        a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
        if n.op_type == 'Conv':      # W: Cout x Cin/group x k...
            c = prod(out) * prod(ins[1][1:])
        elif n.op_type == 'ConvTranspose':  # W: Cin x Cout/group x k...
            c = prod(ins[0]) * prod(ins[1][1:])
        elif n.op_type == 'Gemm':
            k = ins[0][0] if a.get('transA', 0) else ins[0][1]
            c = prod(out) * k
        else:                        # MatMul, broadcast batch dims
            c = prod(out) * ins[0][-1]
        macs += c
        per_op[n.op_type] = per_op.get(n.op_type, 0) + c
        per_node[n.name] = round(2 * c / 1e6, 3)
    r = {'model': path, 'GMAC': round(macs / 1e9, 4), 'GFLOP': round(2 * macs / 1e9, 4),
         'by_op_GMAC': {k: round(v / 1e9, 4) for k, v in per_op.items()},
         'unknown': unknown}
    if nodes:
        r['MFLOP_by_node'] = per_node
    return r


if __name__ == '__main__':
    args = sys.argv[1:]
    nodes = '--nodes' in args
    paths = [a for a in args if a != '--nodes']
    if not paths:
        sys.exit(__doc__)
    for p in paths:
        print(json.dumps(count(p, nodes)), flush=True)
