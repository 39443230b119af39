// ONNX Runtime's own per-node times for one model (npm onnxruntime-node's
// profiler), to set beside `ovi-bench --pc` on the same model.
//
// Usage: node ort-profile.js MODEL.onnx [RUNS] [SHAPE]
//   RUNS   inferences profiled (default 200), 2 intra-op threads
//   SHAPE  the first input's shape, float32 (default 1x3x224x224)
// Prints the sum of the per-node medians, then each node's median kernel
// time in ms, slowest first. Needs onnxruntime-node on NODE_PATH
// (tools/bench/setup-ort.sh). The profile file goes to a temporary
// directory, removed afterwards.
const ort = require('onnxruntime-node');
const fs = require('fs');
const os = require('os');
const path = require('path');

(async () => {
  const model = process.argv[2];
  const runs = parseInt(process.argv[3] || '200');
  const dims = (process.argv[4] || '1x3x224x224').split('x').map(Number);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-profile-'));
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 2, enableProfiling: true,
    profileFilePrefix: path.join(dir, 'profile'),
  });
  const input = new ort.Tensor('float32',
      new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5), dims);
  for (let i = 0; i < runs; i++)
    await session.run({ [session.inputNames[0]]: input });
  session.endProfiling();
  const file = path.join(dir, fs.readdirSync(dir)[0]);
  const times = {};
  for (const e of JSON.parse(fs.readFileSync(file))) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time'))
      continue;
    const key = e.name.slice(0, -'_kernel_time'.length) + ' '
        + (e.args && e.args.op_name);
    (times[key] = times[key] || []).push(e.dur);
  }
  fs.rmSync(dir, { recursive: true });
  const rows = Object.entries(times).map(([k, v]) => {
    v.sort((a, b) => a - b);
    return [v[v.length >> 1] / 1000, k];
  }).sort((a, b) => b[0] - a[0]);
  console.log('total median-sum ms', rows.reduce((s, r) => s + r[0], 0).toFixed(3));
  for (const [ms, k] of rows)
    console.log(ms.toFixed(3), k);
})();
