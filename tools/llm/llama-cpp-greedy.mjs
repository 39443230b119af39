// Greedy continuation of given token ids by llama.cpp (node-llama-cpp's
// prebuilt CPU binaries): the independent implementation our runtime's
// greedy decoding is compared with (tests/llm/check-llama-cpp.sh).
//
//   node llama-cpp-greedy.mjs MODULE_DIR MODEL.gguf '[ids...]' N
// prints the N generated ids as a JSON array.
import path from "node:path";
import {pathToFileURL} from "node:url";

const [moduleDir, modelPath, idsArg, countArg] = process.argv.slice(2);
const {getLlama} = await import(pathToFileURL(
    path.join(moduleDir, "node-llama-cpp", "dist", "index.js")).href);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});
const ids = JSON.parse(idsArg), count = Number(countArg);
const ctx = await model.createContext({contextSize: ids.length + count + 8,
  threads: 2});
const out = [];
for await (const token of ctx.getSequence().evaluate(ids, {temperature: 0})) {
  out.push(token);
  if (out.length >= count)
    break;
}
console.log(JSON.stringify(out));
