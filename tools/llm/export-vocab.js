#!/usr/bin/env node
// Extracts the vocabularies of three npm tokenizer packages into JSON
// descriptions that tools/llm/pack-vocab-gguf.py turns into vocab-only
// GGUF files, and runs each package's own encoder over the test corpus so
// that the C tokenizer can be compared against it.
//
//   node tools/llm/export-vocab.js NPM_DIR CORPUS OUT_DIR
//
// NPM_DIR holds node_modules/ with llama-tokenizer-js, llama3-tokenizer-js
// and gpt-tokenizer (tools/llm/fetch-tokenizer-vocabs.sh installs them).
// For each NAME in llama-spm, llama3-bpe, gpt2 it writes OUT_DIR/NAME.json
// (tokens, types, scores or merges, special ids, flags) and OUT_DIR/NAME.ids:
// one line per corpus case, the ids separated by spaces, then one line for
// the whole corpus file as a single text.
//
// Corpus format: cases separated by lines holding exactly "%%"; the file's
// final newline is not part of the last case. tests/unit/test-llm-tokenizer.c
// splits it the same way.
'use strict';

const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');

const TYPE_NORMAL = 1, TYPE_UNKNOWN = 2, TYPE_CONTROL = 3, TYPE_BYTE = 6;

function corpusCases(text) {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return body.split('\n%%\n');
}

// GPT-2's reversible byte -> printable character table (the published
// definition: printable Latin-1 bytes map to themselves, the others to
// U+0100 and up in byte order).
function bytesToUnicode() {
  const keep = [];
  for (let b = 0x21; b <= 0x7e; b++) keep.push(b);
  for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
  for (let b = 0xae; b <= 0xff; b++) keep.push(b);
  const table = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = keep.includes(b) ? String.fromCodePoint(b)
                                : String.fromCodePoint(256 + extra++);
  }
  return table;
}

async function load(npmDir, rel) {
  return import(pathToFileURL(path.join(npmDir, 'node_modules', rel)).href);
}

// The merge list ordered by priority: the packages keep it in a Map from
// "left right" to a priority number.
function orderedMerges(map) {
  return [...map.entries()].sort((a, b) => a[1] - b[1]).map((e) => e[0]);
}

async function llamaSpm(npmDir, cases, whole) {
  const tok = (await load(npmDir, 'llama-tokenizer-js/llama-tokenizer.js')).default;
  const tokens = tok.vocabById;
  // The package stores the Hugging Face merge list, not SentencePiece's
  // scores. A SentencePiece BPE model merges the pair whose result has the
  // highest score, and the merge list is ordered by that score, so the
  // score of a token is minus the position of the first merge producing it.
  const firstMerge = new Map();
  orderedMerges(tok.merges).forEach((m, rank) => {
    const t = m.replace(' ', '');
    if (!firstMerge.has(t)) firstMerge.set(t, rank);
  });
  const types = [], scores = [];
  tokens.forEach((t, id) => {
    if (id === 0) types.push(TYPE_UNKNOWN);
    else if (id === 1 || id === 2) types.push(TYPE_CONTROL);
    else if (/^<0x[0-9A-F]{2}>$/.test(t)) types.push(TYPE_BYTE);
    else types.push(TYPE_NORMAL);
    scores.push(firstMerge.has(t) ? -firstMerge.get(t) : 0);
  });
  const encode = (s) => tok.encode(s, true, true);
  return {
    desc: { model: 'llama', tokens, types, scores, bos: 1, eos: 2, unk: 0,
            add_bos: true, add_eos: false, add_space_prefix: true },
    parse_special: false,
    ids: cases.map(encode).concat([encode(whole)]),
  };
}

async function llama3Bpe(npmDir, cases, whole) {
  const mod = await load(npmDir, 'llama3-tokenizer-js/bundle/llama3-tokenizer-with-baked-data.js');
  const tok = mod.default;
  const tokens = tok.vocabById;
  const types = tokens.map((t, id) => (id >= 128000 ? TYPE_CONTROL : TYPE_NORMAL));
  const encode = (s) => tok.encode(s, { bos: true, eos: false });
  return {
    desc: { model: 'gpt2', pre: 'llama-bpe', tokens, types,
            merges: orderedMerges(tok.merges), bos: 128000, eos: 128001,
            add_bos: true, add_eos: false },
    // The package always recognises its special tokens in the text.
    parse_special: true,
    ids: cases.map(encode).concat([encode(whole)]),
  };
}

async function gpt2(npmDir, cases, whole) {
  const enc = await load(npmDir, 'gpt-tokenizer/esm/encoding/r50k_base.js');
  const ranks = (await load(npmDir, 'gpt-tokenizer/esm/bpeRanks/r50k_base.js')).default;
  const b2u = bytesToUnicode();
  // Each entry is the token's bytes, as a string when they are valid UTF-8.
  const bytes = ranks.map((e) => (typeof e === 'string'
    ? Buffer.from(e, 'utf8') : Buffer.from(e)));
  const rankOf = new Map(bytes.map((b, i) => [b.toString('latin1'), i]));
  // tiktoken keeps ranks of byte strings, GGUF wants merges. The merge that
  // makes token r is found by running rank-based BPE over its bytes with
  // only the tokens ranked below r: what is left is exactly two parts.
  const merges = [];
  for (let r = 0; r < bytes.length; r++) {
    const b = bytes[r];
    if (b.length < 2) continue;
    let parts = [...b].map((x) => Buffer.from([x]).toString('latin1'));
    for (;;) {
      let best = -1, bestRank = r;
      for (let i = 0; i + 1 < parts.length; i++) {
        const k = rankOf.get(parts[i] + parts[i + 1]);
        if (k !== undefined && k < bestRank) { bestRank = k; best = i; }
      }
      if (best < 0) break;
      parts.splice(best, 2, parts[best] + parts[best + 1]);
    }
    if (parts.length !== 2) throw new Error(`token ${r}: no single merge makes it`);
    const show = (s) => [...Buffer.from(s, 'latin1')].map((x) => b2u[x]).join('');
    merges.push(show(parts[0]) + ' ' + show(parts[1]));
  }
  const tokens = bytes.map((b) => [...b].map((x) => b2u[x]).join(''));
  tokens.push('<|endoftext|>');
  const types = tokens.map((t, id) => (id === 50256 ? TYPE_CONTROL : TYPE_NORMAL));
  // Special token texts in the corpus are encoded as plain text.
  const encode = (s) => enc.encode(s, { disallowedSpecial: new Set() });
  return {
    desc: { model: 'gpt2', pre: 'gpt-2', tokens, types, merges,
            bos: 50256, eos: 50256, add_bos: false, add_eos: false },
    parse_special: false,
    ids: cases.map(encode).concat([encode(whole)]),
  };
}

async function main() {
  const [npmDir, corpusPath, outDir] = process.argv.slice(2);
  if (!outDir) {
    console.error('usage: export-vocab.js NPM_DIR CORPUS OUT_DIR');
    process.exit(2);
  }
  const whole = fs.readFileSync(corpusPath, 'utf8');
  const cases = corpusCases(whole);
  fs.mkdirSync(outDir, { recursive: true });
  const all = { 'llama-spm': llamaSpm, 'llama3-bpe': llama3Bpe, gpt2 };
  for (const [name, fn] of Object.entries(all)) {
    const r = await fn(path.resolve(npmDir), cases, whole);
    fs.writeFileSync(path.join(outDir, name + '.json'), JSON.stringify(r.desc));
    const lines = [`# ${name}: ${cases.length} cases then the whole corpus;`
                   + ` parse_special=${r.parse_special ? 1 : 0}`];
    for (const ids of r.ids) lines.push(ids.join(' '));
    fs.writeFileSync(path.join(outDir, name + '.ids'), lines.join('\n') + '\n');
    console.log(`${name}: ${r.desc.tokens.length} tokens, ${cases.length} cases`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
