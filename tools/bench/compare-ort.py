#!/usr/bin/python3
"""Our engine against ONNX Runtime 1.30 on the same models, in one run.

For each model, REPS rounds alternate the two engines (so that drift on
this shared machine hits both alike):
  latency:    ovi-bench --hint latency  vs  ort-bench.js (2 threads)
  throughput: ovi-bench --hint throughput  vs  ort-throughput.js (1x2 and
              2x1: sessions x threads; ORT's figure is its best setting's,
              the setting chosen by its median (or best) over the rounds,
              not the better of two draws in each round, which favours
              ORT where the two settings are close)
and reports medians over rounds (with --best: each engine's best round,
the lowest latency and highest throughput, which interference from the
machine's neighbours only ever worsens) and the ratios, as a Markdown
table,
then each model's GFLOPS at its latency against the machine's two-thread
FMA peak (ovi-fma-peak, measured in the same run).

Usage: compare-ort.py [--models a,b] [--reps 3] [--seconds 5] [--best]
       [--ovi-bench build/tools/ovi-bench] [--model-dir models/torchvision]
Needs tools/bench/setup-ort.sh and tools/models/export-torchvision.py run
first."""
import argparse
import json
import os
import statistics
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ap = argparse.ArgumentParser()
ap.add_argument("--models", default="resnet50,mobilenet_v2,mobilenet_v3_large,"
                "efficientnet_b0,lraspp_mobilenet_v3_large,ssdlite320_mobilenet_v3_large_head")
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--seconds", type=float, default=5)
ap.add_argument("--best", action="store_true",
                help="best round per engine instead of the median")
ap.add_argument("--ovi-bench", default=os.path.join(root, "build", "tools", "ovi-bench"))
ap.add_argument("--model-dir", default=os.path.join(root, "models", "torchvision"))
ap.add_argument("--ort-bench", default="/work/shared/tools/ort-bench.js")
ap.add_argument("--fma-peak", default=os.path.join(root, "build", "tools", "ovi-fma-peak"))
args = ap.parse_args()

env = dict(os.environ)
env.setdefault("NODE_PATH", os.path.join(root, "build-peers", "ort", "node_modules"))


def shape_of(name):
    if name.startswith("lraspp"):
        return "1x3x512x512"
    if name.startswith("ssdlite"):
        return "1x3x320x320"
    return "1x3x224x224"


def run_json(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return json.loads(r.stdout.strip().splitlines()[-1])


rows = []
for name in args.models.split(","):
    model = os.path.join(args.model_dir, name + ".onnx")
    shape = shape_of(name)
    iters = max(5, int(args.seconds * 4))
    lat_ovi, lat_ort, thr_ovi, thr_ort = [], [], [], {}
    try:
        for _ in range(args.reps):
            lat_ovi.append(run_json([args.ovi_bench, "--model", model, "--hint", "latency",
                                     "--time", str(args.seconds), "--json"])["median_ms"])
            lat_ort.append(run_json(["node", args.ort_bench, model, shape, str(iters), "2"])["median_ms"])
            thr_ovi.append(run_json([args.ovi_bench, "--model", model, "--hint", "throughput",
                                     "--time", str(args.seconds), "--json"])["throughput_fps"])
            t = run_json(["node", os.path.join(root, "tools", "bench", "ort-throughput.js"),
                          model, shape, str(args.seconds), "1x2,2x1"])
            for res in t["results"]:
                thr_ort.setdefault(res["setting"], []).append(res["inf_per_s"])
    except RuntimeError as e:
        print(f"{name}: {e}", file=sys.stderr)
        continue
    pick = max if args.best else statistics.median
    if args.best:
        lo, lr, to = min(lat_ovi), min(lat_ort), max(thr_ovi)
    else:
        lo, lr = statistics.median(lat_ovi), statistics.median(lat_ort)
        to = statistics.median(thr_ovi)
    setting = max(thr_ort, key=lambda k: pick(thr_ort[k]))
    tr = pick(thr_ort[setting])
    rows.append((name, lo, lr, lr / lo, to, tr, to / tr, setting))
    print(f"{name}: ovi {lo:.2f} ms, ort {lr:.2f} ms; ovi {to:.1f}/s, ort {tr:.1f}/s ({setting}); "
          f"latency rounds: ovi {', '.join(f'{v:.2f}' for v in lat_ovi)}; "
          f"ort {', '.join(f'{v:.2f}' for v in lat_ort)}; "
          f"rounds: ovi {', '.join(f'{v:.1f}' for v in thr_ovi)}; "
          + "; ".join(f"ort {k} {', '.join(f'{v:.1f}' for v in vs)}" for k, vs in thr_ort.items()),
          file=sys.stderr, flush=True)

def gflop(model):
    r = subprocess.run(["/usr/bin/python3", os.path.join(root, "tools", "models", "onnx-flops.py"),
                        model], capture_output=True, text=True)
    return json.loads(r.stdout.strip().splitlines()[-1])["GFLOP"] if r.returncode == 0 else None


peak = None
if os.path.exists(args.fma_peak):
    peak = run_json([args.fma_peak, "2"])["gflops"]

print("| model | ovi latency ms | ORT latency ms | ORT/ovi | ovi inf/s | ORT best setting | ORT inf/s | ovi/ORT |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r[0]} | {r[1]:.2f} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.1f} | {r[7]} | {r[5]:.1f} | {r[6]:.2f} |")
if peak:
    print()
    print(f"FMA peak, 2 threads: {peak:.1f} GFLOPS (ovi-fma-peak 2)")
    print()
    print("| model | GFLOP | ovi GFLOPS at latency | % of peak | ORT GFLOPS | % of peak |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        f = gflop(os.path.join(args.model_dir, r[0] + ".onnx"))
        if f:
            print(f"| {r[0]} | {f:.3f} | {f / r[1] * 1e3:.1f} | {100 * f / r[1] * 1e3 / peak:.0f} % "
                  f"| {f / r[2] * 1e3:.1f} | {100 * f / r[2] * 1e3 / peak:.0f} % |")
