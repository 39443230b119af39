#!/usr/bin/python3
"""Runs each exported model with ovi-run and compares every output with the
reference outputs saved beside it (<name>.output.<output>.npy, from PyTorch
at export time; ONNX Runtime agrees with them to 6e-5).

Usage: check-models.py OVI_RUN MODEL_DIR [--atol 1e-4] [--rtol 1e-3] [NAME...]
Prints one line per model and ends with "N passed, N failed"."""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("ovi_run")
ap.add_argument("model_dir")
ap.add_argument("names", nargs="*")
ap.add_argument("--atol", type=float, default=1e-4)
ap.add_argument("--rtol", type=float, default=1e-3)
ap.add_argument("--suffix", default=".onnx", help=".onnx or .xml")
args = ap.parse_intermixed_args()

names = args.names or sorted(os.path.basename(p)[:-len(".input.npy")]
                             for p in glob.glob(os.path.join(args.model_dir, "*.input.npy")))
passed = failed = 0
for name in names:
    model = os.path.join(args.model_dir, name + args.suffix)
    inp = os.path.join(args.model_dir, name + ".input.npy")
    refs = sorted(glob.glob(os.path.join(args.model_dir, name + ".output.*.npy")))
    with tempfile.TemporaryDirectory() as out:
        r = subprocess.run([args.ovi_run, "--model", model, "--input", "input=" + inp,
                            "--output-dir", out], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {name}: {r.stderr.strip()}")
            failed += 1
            continue
        worst = []
        ok = True
        for ref_path in refs:
            oname = ref_path[len(os.path.join(args.model_dir, name + ".output.")):-4]
            ref = np.load(ref_path)
            got = np.load(os.path.join(out, oname + ".npy"))
            if got.shape != ref.shape:
                ok = False
                worst.append(f"{oname}: shape {got.shape} vs {ref.shape}")
                continue
            if ref.dtype.kind == "f":
                diff = np.abs(got.astype(np.float64) - ref)
                bound = args.atol + args.rtol * np.abs(ref)
                # A NaN is a failure unless the reference has NaN there too.
                bad = int((~(diff <= bound) & ~(np.isnan(got) & np.isnan(ref))).sum())
                worst.append(f"{oname}: max abs diff {np.nanmax(diff) if np.isfinite(diff).any() else np.nan:.2e}"
                             + (f", {bad} beyond tolerance" if bad else ""))
                ok &= bad == 0
            else:
                bad = int((got != ref).sum())
                worst.append(f"{oname}: {bad} differing")
                ok &= bad == 0
        print(("PASS" if ok else "FAIL"), name, "; ".join(worst))
        passed += ok
        failed += not ok
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
