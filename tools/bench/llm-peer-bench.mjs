// llama.cpp (through node-llama-cpp's prebuilt CPU binaries) on a GGUF
// file: prompt-processing and decode speed, measured the way ovi-llm
// --bench measures ours, so that the two can be compared as ratios.
//
//   node llm-peer-bench.mjs MODULE_DIR MODEL.gguf THREADS PROMPT_TOKENS \
//        DECODE_TOKENS REPEATS
//
// The prompt is PROMPT_TOKENS token ids drawn from a fixed sequence over
// the ordinary part of the vocabulary (the same ids ovi-llm uses), decoded
// greedily; speeds are medians over REPEATS runs, printed as one JSON line.
import path from "node:path";
import {pathToFileURL} from "node:url";

const [moduleDir, modelPath, threadsArg, promptArg, decodeArg, repeatsArg] =
    process.argv.slice(2);
const {getLlama} = await import(pathToFileURL(
    path.join(moduleDir, "node-llama-cpp", "dist", "index.js")).href);
const threads = Number(threadsArg), nPrompt = Number(promptArg);
const nDecode = Number(decodeArg), repeats = Number(repeatsArg);

// The ids ovi-llm --bench uses: from the upper three quarters of the
// vocabulary (above the byte and control tokens),
// lo + (i * 7919) % (n_vocab - lo) with lo = n_vocab / 4.
function promptTokens(nVocab, n) {
  const lo = Math.floor(nVocab / 4), ids = [];
  for (let i = 0; i < n; i++)
    ids.push(lo + (i * 7919) % (nVocab - lo));
  return ids;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath, useMmap: true});
const ctx = await model.createContext({
  contextSize: nPrompt + nDecode + 16, threads, batchSize: nPrompt,
  sequences: 1,
});
const seq = ctx.getSequence();
const nVocab = model.fileInfo.tensorInfo
    .find((t) => t.name === "token_embd.weight").dimensions[1];
const prompt = promptTokens(Number(nVocab), nPrompt);

// Untimed warm-up: every weight page is touched once before timing (the
// first decode otherwise includes paging the file in; ovi-llm --bench
// warms up the same way).
{
  let n = 0;
  for await (const token of seq.evaluate(prompt.slice(0, 8),
      {temperature: 0})) {
    void token;
    if (++n >= 8)
      break;
  }
}

const pp = [], tg = [];
for (let r = 0; r < repeats; r++) {
  await seq.clearHistory();
  let t0 = process.hrtime.bigint();
  await seq.evaluateWithoutGeneratingNewTokens(prompt);
  pp.push(nPrompt / (Number(process.hrtime.bigint() - t0) / 1e9));

  // Decode: one token at a time after a short prompt, timed from the
  // first generated token to the last (the short prompt is excluded).
  await seq.clearHistory();
  let n = 0;
  for await (const token of seq.evaluate(prompt.slice(0, 8),
      {temperature: 0})) {
    if (n === 0)
      t0 = process.hrtime.bigint();
    if (++n > nDecode)
      break;
    void token;
  }
  tg.push(nDecode / (Number(process.hrtime.bigint() - t0) / 1e9));
}
console.log(JSON.stringify({
  peer: "llama.cpp (node-llama-cpp)", threads,
  prompt_tokens: nPrompt, prompt_tokens_per_s: median(pp),
  decode_tokens: nDecode, decode_tokens_per_s: median(tg),
  prompt_runs: pp, decode_runs: tg,
}));
await ctx.dispose();
await model.dispose();
