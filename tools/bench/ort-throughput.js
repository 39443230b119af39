// Throughput of one ONNX model with ONNX Runtime's CPU provider (npm onnxruntime-node).
//
// Usage: node ort-throughput.js MODEL.onnx SHAPE [SECONDS] [SETTINGS] [--no-spin]
//   SHAPE     like 1x3x224x224, the first input (float32). The data is
//             MODEL's sibling <stem>.input.npy when it exists (as written by
//             tools/models/export-torchvision.py), else uniform random.
//   SECONDS   measuring window per setting, after warm-up (default 10).
//   SETTINGS  comma list of SxT: S sessions run concurrently, each with T
//             intra-op threads, each in its own worker thread issuing runs
//             back to back (default 1x2,2x1,2x2).
//   --no-spin sets session.intra_op.allow_spinning=0 (ORT spins by default).
// Needs onnxruntime-node on NODE_PATH (tools/bench/setup-ort.sh).
//
// Why worker threads: onnxruntime-node's session.run() executes synchronously
// on the calling JS thread (it only defers the call with setImmediate), so
// concurrent run() promises on one thread execute one after the other. Real
// concurrency needs one JS thread per in-flight run, and a session cannot be
// shared across worker threads, so "2 runs in flight" always means 2 sessions
// here: 2x1 (2 sessions x 1 thread) and 2x2 (2 sessions x 2 threads, 4 threads
// on 2 cores) stand in for "one 2-thread session with 2 concurrent runs",
// which onnxruntime-node cannot express.
//
// Prints one JSON object: inferences/s for each setting and the best.
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const fs = require('fs');
const path = require('path');

function nowMs() { return Number(process.hrtime.bigint()) / 1e6; } // process-wide clock

function loadNpy(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + hlen);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new Error(`${file}: need little-endian float32 in C order`);
  }
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1]
    .split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const bytes = b.subarray(start + hlen);
  const data = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(data.buffer).set(bytes);
  return { shape, data };
}

async function workerMain() {
  const ort = require('onnxruntime-node');
  const { model, shape, threads, noSpin, data } = workerData;
  const opts = { intraOpNumThreads: threads, interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential' };
  if (noSpin) opts.extra = { session: { intra_op: { allow_spinning: '0' } } };
  const session = await ort.InferenceSession.create(model, opts);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  for (let i = 0; i < 3; i++) await session.run(feeds);
  parentPort.postMessage({ ready: true });
  parentPort.once('message', async ({ start, end }) => {
    while (nowMs() < start) { /* all workers begin together */ }
    let runs = 0;
    let last = start;
    while (last < end) {
      await session.run(feeds);
      runs++;
      last = nowMs();
    }
    await session.release();
    parentPort.postMessage({ runs, elapsed_ms: last - start });
  });
}

function runSetting(model, shape, data, sessions, threads, seconds, noSpin) {
  return new Promise((resolve, reject) => {
    const workers = [];
    const results = [];
    let ready = 0;
    for (let i = 0; i < sessions; i++) {
      const w = new Worker(__filename, { workerData: { model, shape, threads, noSpin, data } });
      w.on('error', reject);
      w.on('message', (m) => {
        if (m.ready) {
          if (++ready === sessions) {
            const start = nowMs() + 50;
            for (const x of workers) x.postMessage({ start, end: start + seconds * 1000 });
          }
          return;
        }
        results.push(m);
        w.terminate();
        if (results.length === sessions) {
          // Sum of per-session rates; each session stops at its first run end past the window.
          const ips = results.reduce((a, r) => a + r.runs / (r.elapsed_ms / 1000), 0);
          resolve({ setting: `${sessions}x${threads}`, sessions, threads,
            runs: results.reduce((a, r) => a + r.runs, 0),
            inf_per_s: +ips.toFixed(3),
            ms_per_inf_per_session: +(sessions * 1000 / ips).toFixed(3) });
        }
      });
      workers.push(w);
    }
  });
}

async function main() {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const noSpin = process.argv.includes('--no-spin');
  const [model, shapeArg, secondsArg, settingsArg] = args;
  if (!model || !shapeArg) {
    console.error('usage: node ort-throughput.js MODEL.onnx 1x3x224x224 [SECONDS] [1x2,2x1,2x2] [--no-spin]');
    process.exit(2);
  }
  const shape = shapeArg.split('x').map(Number);
  const seconds = Number(secondsArg || 10);
  const settings = (settingsArg || '1x2,2x1,2x2').split(',').map((s) => s.split('x').map(Number));
  const size = shape.reduce((a, b) => a * b, 1);
  const npy = path.join(path.dirname(model), path.basename(model, '.onnx') + '.input.npy');
  let data;
  let input = 'random';
  if (fs.existsSync(npy)) {
    const x = loadNpy(npy);
    if (x.data.length !== size) throw new Error(`${npy}: shape ${x.shape} does not match ${shapeArg}`);
    data = x.data;
    input = npy;
  } else {
    data = Float32Array.from({ length: size }, () => Math.random());
  }
  const results = [];
  for (const [s, t] of settings) {
    results.push(await runSetting(model, shape, data, s, t, seconds, noSpin));
  }
  const best = results.reduce((a, b) => (b.inf_per_s > a.inf_per_s ? b : a));
  console.log(JSON.stringify({ model, shape: shapeArg, runtime: 'onnxruntime-cpu',
    version: require('onnxruntime-node').env.versions.node, input, seconds,
    spinning: !noSpin, results, best: { setting: best.setting, inf_per_s: best.inf_per_s } }));
}

if (isMainThread) {
  main().catch((e) => { console.error(e.message || e); process.exit(1); });
} else {
  workerMain().catch((e) => { console.error(e.message || e); process.exit(1); });
}
