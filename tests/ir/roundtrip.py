#!/usr/bin/python3
"""ONNX -> OpenVINO IR round trip: for each model M.onnx, convert it with
ovi-convert to M.xml/.bin, run both with ovi-run on the same inputs and
compare every output (same names, dtypes, shapes; values within
|a - b| <= tol * (1 + |a|), tol = 1e-5; NaNs must match).

Run with Debian's python (python3-onnx, python3-numpy):
    /usr/bin/python3 tests/ir/roundtrip.py [--build build-ir] [--filter SUBSTR]
        [--suite node,pytorch-converted,pytorch-operator,simple,torchvision]
        [--quick] [--jobs N] [-v] [MODEL_DIR_OR_ONNX ...]

Without explicit models it walks the ONNX backend test data
(/usr/share/libonnx-testdata/data/<suite>/<test>/model.onnx with
test_data_set_0/input_*.pb) and the torchvision exports in models/torchvision
(<name>.onnx with <name>.input.npy). --quick walks a subset for CI instead
of the suites (under a minute on two cores): the pytorch-converted suite
and 100 node tests spread evenly over the node suite in name order.

A test whose ONNX run fails (op not supported by the engine yet) or whose
conversion reports an unsupported op is SKIPPED; a conversion error of any
other kind, a failing IR run or a mismatch is FAILED. Prints "N passed,
N failed, N skipped" and exits 1 when something failed.
"""
import argparse
import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = '/usr/share/libonnx-testdata/data'
TOL = 1e-5
QUICK_NODE_TESTS = 100


def graph_inputs(model):
    inits = {i.name for i in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits]


def collect(args):
    """Yields (name, onnx_path, [(input_name, npy_or_pb_path)])."""
    if args.quick:
        yield from quick_tests()
        return
    if args.models:
        for m in args.models:
            if os.path.isdir(m):
                yield from backend_test(m)
            else:
                yield from torchvision_model(m)
        return
    for suite in args.suite.split(','):
        if suite == 'torchvision':
            for m in sorted(glob.glob(os.path.join(ROOT, 'models/torchvision/*.onnx'))):
                yield from torchvision_model(m)
            continue
        for d in sorted(glob.glob(os.path.join(DATA, suite, '*'))):
            yield from backend_test(d)


def quick_tests():
    """The pytorch-converted suite, then every (N / 100)th of the N node
    tests: the same tests on every run, covering the ops evenly."""
    for d in sorted(glob.glob(os.path.join(DATA, 'pytorch-converted', '*'))):
        yield from backend_test(d)
    node = [d for d in sorted(glob.glob(os.path.join(DATA, 'node', '*')))
            if os.path.exists(os.path.join(d, 'model.onnx'))]
    count = min(QUICK_NODE_TESTS, len(node))
    for i in range(count):
        yield from backend_test(node[i * len(node) // count])


def backend_test(d):
    model = os.path.join(d, 'model.onnx')
    if not os.path.exists(model):
        return
    pbs = sorted(glob.glob(os.path.join(d, 'test_data_set_0', 'input_*.pb')),
                 key=lambda p: int(p.rsplit('_', 1)[1].split('.')[0]))
    yield (os.path.basename(d), model, pbs)


def torchvision_model(path):
    inp = path[:-len('.onnx')] + '.input.npy'
    if os.path.exists(inp):
        yield (os.path.basename(path)[:-len('.onnx')], path, [inp])


def run(cmd, timeout=600):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    return p.returncode, (p.stderr.strip() or p.stdout.strip())


def compare(a_dir, b_dir, stats=None):
    a_files = sorted(os.listdir(a_dir))
    b_files = sorted(os.listdir(b_dir))
    if a_files != b_files:
        return 'output files differ: %s vs %s' % (a_files, b_files)
    for f in a_files:
        a = np.load(os.path.join(a_dir, f))
        b = np.load(os.path.join(b_dir, f))
        if a.dtype != b.dtype or a.shape != b.shape:
            return '%s: %s%s vs %s%s' % (f, a.dtype, a.shape, b.dtype, b.shape)
        if a.dtype.kind in 'fc':
            a64 = a.astype(np.float64)
            b64 = b.astype(np.float64)
            if not np.array_equal(np.isnan(a64), np.isnan(b64)):
                return '%s: NaN positions differ' % f
            ok = np.isnan(a64) | (a64 == b64) | (np.abs(a64 - b64) <= TOL * (1 + np.abs(a64)))
            if stats is not None and a64.size:
                d = np.abs(a64 - b64)
                d = d[~np.isnan(d)]
                stats.append(float(d.max()) if d.size else 0.0)
            if not ok.all():
                i = np.argmax(~ok.reshape(-1))
                return '%s: element %d: %r vs %r (max abs diff %g)' % (
                    f, i, a64.reshape(-1)[i], b64.reshape(-1)[i],
                    np.nanmax(np.abs(a64 - b64)))
        elif not np.array_equal(a, b):
            return '%s: values differ' % f
    return None


def one(test, args):
    name, model_path, inputs = test
    tmp = tempfile.mkdtemp(prefix='ovi-ir-')
    try:
        model = onnx.load(model_path, load_external_data=False)
        names = graph_inputs(model)
        run_args = []
        for i, src in enumerate(inputs):
            if i >= len(names):
                break
            if src.endswith('.pb'):
                t = onnx.TensorProto()
                with open(src, 'rb') as f:
                    t.ParseFromString(f.read())
                arr = numpy_helper.to_array(t)
                if arr.dtype == object:
                    return name, 'skip', 'string input'
                dst = os.path.join(tmp, 'in%d.npy' % i)
                np.save(dst, arr)
            else:
                dst = src
            run_args += ['--input', '%s=%s' % (names[i], dst)]
        tools = os.path.join(args.build, 'tools')
        out_onnx = os.path.join(tmp, 'onnx')
        out_ir = os.path.join(tmp, 'ir')
        xml = os.path.join(tmp, 'model.xml')
        rc, msg = run([os.path.join(tools, 'ovi-run'), '--model', model_path,
                       '--output-dir', out_onnx] + run_args)
        if rc != 0:
            return name, 'skip', 'onnx run: ' + msg.splitlines()[-1] if msg else 'onnx run failed'
        rc, msg = run([os.path.join(tools, 'ovi-convert'), model_path, xml])
        if rc != 0:
            kind = 'skip' if ('no OpenVINO IR equivalent' in msg
                              or 'static input shapes' in msg) else 'fail'
            return name, kind, 'convert: ' + msg
        rc, msg = run([os.path.join(tools, 'ovi-run'), '--model', xml,
                       '--output-dir', out_ir] + run_args)
        if rc != 0:
            return name, 'fail', 'ir run: ' + msg
        stats = []
        err = compare(out_onnx, out_ir, stats)
        if err:
            return name, 'fail', err
        return name, 'pass', 'max abs diff %g' % max(stats) if stats else ''
    except subprocess.TimeoutExpired:
        return name, 'fail', 'timeout'
    except Exception as e:  # a broken test file, not a round-trip failure
        return name, 'skip', 'harness: %s' % e
    finally:
        if args.keep:
            print('kept', tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--build', default=os.path.join(ROOT, 'build-ir'))
    ap.add_argument('--suite', default='node,pytorch-converted,pytorch-operator,simple,torchvision')
    ap.add_argument('--filter', default='')
    ap.add_argument('--quick', action='store_true',
                    help='the CI subset: pytorch-converted and %d node tests'
                    % QUICK_NODE_TESTS)
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 4)
    ap.add_argument('--keep', action='store_true', help='keep the temp dirs')
    ap.add_argument('-v', '--verbose', action='store_true', help='print skips too')
    ap.add_argument('models', nargs='*')
    args = ap.parse_args()
    if args.quick and args.models:
        ap.error('--quick picks its own tests; do not name models')
    args.build = os.path.abspath(args.build)

    tests = [t for t in collect(args) if args.filter in t[0]]
    counts = {'pass': 0, 'fail': 0, 'skip': 0}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for name, kind, msg in ex.map(lambda t: one(t, args), tests):
            counts[kind] += 1
            if kind == 'fail' or (args.verbose and kind != 'pass'):
                print('%s %s: %s' % (kind.upper(), name, msg))
            elif args.verbose:
                print('PASS %s %s' % (name, msg))
    print('%d passed, %d failed, %d skipped' % (counts['pass'], counts['fail'], counts['skip']))
    return 1 if counts['fail'] else 0


if __name__ == '__main__':
    sys.exit(main())
