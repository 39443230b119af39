// face-api.js itself indexing photos, the peer of `ovi-faces index`: the
// same work per photo (decode, detect, 68 landmarks, descriptor, age and
// gender, expressions) with TensorFlow.js's pure-JS CPU backend, models
// loaded once. Prints one JSON line: photos, faces, seconds.
//
//   node bench-faceapi.js FACE_API_PACKAGE_DIR PHOTO...
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const jpeg = require('jpeg-js');

async function main() {
  const [pkg, ...photos] = process.argv.slice(2);
  const faceapi = require(path.resolve(pkg, 'dist/face-api.node-wasm.js'));
  await tf.setBackend('cpu');
  await tf.ready();
  const models = path.join(pkg, 'model');
  for (const net of ['ssdMobilenetv1', 'faceLandmark68Net', 'faceRecognitionNet',
    'ageGenderNet', 'faceExpressionNet']) await faceapi.nets[net].loadFromDisk(models);
  const started = process.hrtime.bigint();
  let faces = 0;
  for (const file of photos) {
    const img = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false });
    const input = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
    const found = await faceapi.detectAllFaces(input, new faceapi.SsdMobilenetv1Options())
      .withFaceLandmarks().withFaceExpressions().withAgeAndGender().withFaceDescriptors();
    input.dispose();
    faces += found.length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ peer: 'face-api', photos: photos.length, faces, seconds }));
}

main().catch((e) => { console.error(e); process.exit(1); });
