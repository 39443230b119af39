// Reference outputs of face-api.js itself (TensorFlow.js, pure-JS CPU
// backend) for the agreement test: every face on each photo with its box,
// score, 68 landmarks, aligned box, 128-d descriptor, age, gender and
// expressions. Run by tools/faceapi/make-reference.sh; the JSON it
// prints is committed as tests/data/faceapi/reference.json.
//
//   node reference.js FACE_API_PACKAGE_DIR PHOTO[=DECODED.ppm]... > reference.json
//
// With =DECODED.ppm, face-api is fed those pixels (the photo as our
// GStreamer pipeline decodes it) instead of decoding the JPEG with
// jpeg-js: the comparison is then about the models and their pre- and
// post-processing, not about two JPEG decoders' rounding.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const jpeg = require('jpeg-js');

const round = (v, d = 6) => Number(v.toFixed(d));

// Binary PPM (P6, maxval 255): the header is four whitespace-separated
// tokens, then the pixels.
function readPpm(file) {
  const buf = fs.readFileSync(file);
  const tokens = [];
  let i = 0;
  while (tokens.length < 4) {
    while (/\s/.test(String.fromCharCode(buf[i]))) i++;
    if (buf[i] === 0x23) { while (buf[i] !== 0x0a) i++; continue; }
    let t = '';
    while (!/\s/.test(String.fromCharCode(buf[i]))) t += String.fromCharCode(buf[i++]);
    tokens.push(t);
  }
  const [magic, w, h, max] = tokens;
  if (magic !== 'P6' || max !== '255') throw new Error(`${file}: not an 8-bit P6 PPM`);
  const width = Number(w), height = Number(h);
  return { width, height, data: buf.subarray(i + 1, i + 1 + width * height * 3) };
}

async function main() {
  const [pkg, ...photos] = process.argv.slice(2);
  if (!pkg || photos.length === 0) {
    console.error('usage: node reference.js FACE_API_PACKAGE_DIR PHOTO...');
    process.exit(2);
  }
  const faceapi = require(path.resolve(pkg, 'dist/face-api.node-wasm.js'));
  await tf.setBackend('cpu');
  await tf.ready();
  const models = path.join(pkg, 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(models);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(models);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(models);
  await faceapi.nets.ageGenderNet.loadFromDisk(models);
  await faceapi.nets.faceExpressionNet.loadFromDisk(models);
  // face-api's defaults, written out so the test knows them.
  const options = { minConfidence: 0.5, maxResults: 100 };
  const out = {
    generator: 'tools/faceapi/reference.js',
    face_api: JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'))).version,
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    decoder: photos.some((p) => p.includes('='))
      ? 'GStreamer jpegdec ! videoconvert (PPM given)'
      : 'jpeg-js ' + require('jpeg-js/package.json').version,
    detector: options,
    photos: [],
  };
  for (const arg of photos) {
    const [file, decoded] = arg.split('=');
    const img = decoded ? readPpm(decoded)
      : jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false });
    const input = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
    const started = Date.now();
    const faces = await faceapi
      .detectAllFaces(input, new faceapi.SsdMobilenetv1Options(options))
      .withFaceLandmarks()
      .withFaceExpressions()
      .withAgeAndGender()
      .withFaceDescriptors();
    const ms = Date.now() - started;
    // face-api's own answers when its crops move by one pixel: the age
    // regressor moves by years for that, so agreement is judged against
    // this spread (see tests/faceapi/check-agreement.py).
    const shifts = [[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]];
    const crop = (box, dx, dy) => {
      const b = new faceapi.Box({ x: box.x + dx, y: box.y + dy, width: box.width, height: box.height })
        .clipAtImageBorders(img.width, img.height);
      return tf.slice3d(input, [b.y, b.x, 0], [b.height, b.width, 3]);
    };
    const jitter = [];
    for (const f of faces) {
      const ages = [];
      const descriptors = [];
      const dlib = f.landmarks.align(null, { useDlibAlignment: true });
      for (const [dx, dy] of shifts) {
        const a = crop(f.alignedRect.box, dx, dy);
        ages.push((await faceapi.nets.ageGenderNet.predictAgeAndGender(a)).age);
        a.dispose();
        const d = crop(dlib, dx, dy);
        descriptors.push(Array.from(await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(d), (v) => round(v, 7)));
        d.dispose();
      }
      jitter.push({ ages, descriptors });
    }
    input.dispose();
    out.photos.push({
      file: path.basename(file),
      width: img.width,
      height: img.height,
      ms,
      faces: faces.map((f, i) => {
        const b = f.detection.box;
        const a = f.alignedRect.box;
        return {
          box: [b.x, b.y, b.width, b.height].map((v) => round(v, 3)),
          score: round(f.detection.score),
          aligned_box: [a.x, a.y, a.width, a.height].map((v) => round(v, 3)),
          landmarks: f.landmarks.positions.flatMap((p) => [round(p.x, 3), round(p.y, 3)]),
          age: round(f.age, 4),
          gender: f.gender,
          gender_probability: round(f.genderProbability),
          expressions: Object.fromEntries(Object.entries(f.expressions).map(([k, v]) => [k, round(v)])),
          descriptor: Array.from(f.descriptor, (v) => round(v, 7)),
          // Crops shifted by (0,0), (+1,0), (-1,0), (0,+1), (0,-1) pixels.
          age_one_pixel: jitter[i].ages.map((v) => round(v, 4)),
          descriptor_one_pixel: jitter[i].descriptors,
        };
      }),
    });
    console.error(`${path.basename(file)}: ${faces.length} faces, ${ms} ms`);
  }
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
