#!/usr/bin/python3
"""Compare the converted face-api ONNX models, run by our engine, with
face-api's own TF.js networks on the same pixels.

    check-nets.py MODEL_DIR TFJS_DIR OVI_RUN [--min-cosine 0.9999]

MODEL_DIR holds convert.py's <net>.onnx and <net>.json; TFJS_DIR what
net-outputs.js wrote (<net>.<kind>.input.npy and the outputs); OVI_RUN is
build-X/tools/ovi-run. Each model goes through ONNX's checker; its input is
the pixels normalized as its model-proc says (range / mean / std, computed
as gst_ov_preproc_params_set_normalization does); the outputs are compared
per output by max abs error and cosine. The SSD outputs are compared
decoded, as face-api returns them: boxes from our anchors and box_scale
(the model-proc keys), scores the sigmoid of the face column. Exits 1 when
any cosine is below the limit.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert  # noqa: E402  (tf_ssd_anchors, the model-proc keys)


def normalized_input(pixels, proc):
    """uint8 [S, S, 3] RGB -> float32 [1, 3, S, S] as model-proc says."""
    params = proc["input_preproc"][0]["params"]
    lo, hi = params.get("range", [0.0, 255.0])
    mean = params.get("mean", [0.0] * 3)
    std = params.get("std", [1.0] * 3)
    x = np.empty((1, 3) + pixels.shape[:2], np.float32)
    for c in range(3):
        scale = np.float32((hi - lo) / 255.0 / std[c])
        bias = np.float32((lo - mean[c]) / std[c])
        x[0, c] = pixels[:, :, c].astype(np.float32) * scale + bias
    return x


def decode_ssd(boxes, scores, proc):
    """Our raw SSD outputs as face-api's outputLayer returns them."""
    post = proc["output_postproc"][0]
    a = convert.tf_ssd_anchors(post, 512)
    sy, sx, sh, sw = post["box_scale"]
    b = boxes[0].astype(np.float64)
    cy = b[:, 0] / sy * a[:, 2] + a[:, 0]
    cx = b[:, 1] / sx * a[:, 3] + a[:, 1]
    h = np.exp(b[:, 2] / sh) * a[:, 2]
    w = np.exp(b[:, 3] / sw) * a[:, 3]
    decoded = np.stack([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], 1)
    face = 1.0 / (1.0 + np.exp(-scores[0, :, 1].astype(np.float64)))
    return {"boxes": decoded, "scores": face}


def compare(ours, theirs):
    a = ours.astype(np.float64).ravel()
    b = theirs.astype(np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError("shapes differ: %s vs %s" % (ours.shape, theirs.shape))
    cos = a.dot(b) / (np.linalg.norm(a) * np.linalg.norm(b))
    return np.abs(a - b).max(), cos, np.abs(b).max()


def run_engine(ovi_run, model, x):
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "in.npy"), x)
        subprocess.run([ovi_run, "--model", model, "--input",
                        "input=" + os.path.join(tmp, "in.npy"),
                        "--output-dir", os.path.join(tmp, "out")], check=True)
        return {os.path.basename(f)[:-4]: np.load(f)
                for f in glob.glob(os.path.join(tmp, "out", "*.npy"))}


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    min_cos = 0.9999
    if "--min-cosine" in argv:
        min_cos = float(argv[argv.index("--min-cosine") + 1])
        args.remove(argv[argv.index("--min-cosine") + 1])
    if len(args) != 3:
        sys.stderr.write(__doc__)
        return 2
    model_dir, tfjs_dir, ovi_run = args
    ok = True
    print("%-22s %-6s %-11s %10s %10s %12s" % ("net", "input", "output",
                                               "max |err|", "max |ref|", "cosine"))
    for name in convert.NETS:
        model = os.path.join(model_dir, name + ".onnx")
        onnx.checker.check_model(onnx.load(model), full_check=True)
        with open(os.path.join(model_dir, name + ".json")) as f:
            proc = json.load(f)
        for kind in ("noise", "photo"):
            stem = os.path.join(tfjs_dir, "%s.%s." % (name, kind))
            x = normalized_input(np.load(stem + "input.npy"), proc)
            ours = run_engine(ovi_run, model, x)
            if name == "ssd_mobilenetv1":
                ours = decode_ssd(ours["boxes"], ours["scores"], proc)
            if name == "tiny_face_detector":
                ours["grid"] = ours["grid"].transpose(0, 2, 3, 1)   # face-api is NHWC
            for out in sorted(ours):
                theirs = np.load(stem + out + ".npy")
                err, cos, ref = compare(ours[out].reshape(theirs.shape), theirs)
                ok &= cos >= min_cos
                print("%-22s %-6s %-11s %10.3g %10.3g %12.9f%s" % (
                    name, kind, out, err, ref, cos,
                    "" if cos >= min_cos else "  < %g" % min_cos))
    print("all nets pass ONNX's checker; cosine >= %g: %s"
          % (min_cos, "yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
