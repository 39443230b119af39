// net-outputs.js: face-api's own networks (TF.js, cpu backend) on fixed
// input images, every result written as .npy for check-nets.py.
//
//   NODE_PATH=.../node_modules node net-outputs.js PACKAGE_DIR OUT_DIR
//
// Needs @tensorflow/tfjs (and jpeg-js for the photo input) on NODE_PATH and
// the extracted npm package @vladmandic/face-api at PACKAGE_DIR. For each
// net and each input kind (noise: seeded pseudo-random pixels over a
// gradient; photo: PACKAGE_DIR/demo/sample1.jpg squeezed to the net's
// size) it writes OUT_DIR/<net>.<kind>.input.npy (uint8 [S, S, 3] RGB, the
// exact pixels face-api saw) and OUT_DIR/<net>.<kind>.<output>.npy.
// The input is exactly the net's size, so face-api neither pads nor
// resizes: what differs from our engine is the network alone.
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function writeNpy(file, array, shape, descr) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1; head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}

async function save(file, tensor) {
  const data = await tensor.data();
  writeNpy(file, new Float32Array(data), tensor.shape, '<f4');
}

// Park-Miller LCG: the same pixels on every run and platform.
function noiseImage(size) {
  const px = new Uint8Array(size * size * 3);
  let seed = 20240607;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        seed = (seed * 48271) % 2147483647;
        const gradient = c === 0 ? x / size : c === 1 ? y / size : (x + y) / (2 * size);
        const v = 160 * gradient + 96 * (seed / 2147483647);
        px[(y * size + x) * 3 + c] = Math.min(255, Math.floor(v));
      }
    }
  }
  return px;
}

function photoImage(packageDir, size) {
  const jpeg = require('jpeg-js');
  const img = jpeg.decode(fs.readFileSync(path.join(packageDir, 'demo', 'sample1.jpg')),
    { useTArray: true, formatAsRGBA: false });
  return tf.tidy(() => {
    const t = tf.tensor3d(img.data, [img.height, img.width, 3], 'float32');
    const r = tf.image.resizeBilinear(t, [size, size]).round().clipByValue(0, 255);
    return new Uint8Array(r.dataSync());
  });
}

const NETS = {
  ssd_mobilenetv1: {
    size: 512,
    net: (f) => f.nets.ssdMobilenetv1,
    // Decoded as face-api decodes: boxes [N, 4] ymin, xmin, ymax, xmax in
    // 0..1 and the sigmoid face score [N].
    run: (n, input) => {
      const out = n.forwardInput(input);
      return { boxes: out.boxes[0], scores: out.scores[0] };
    },
  },
  tiny_face_detector: {
    size: 416,
    net: (f) => f.nets.tinyFaceDetector,
    run: (n, input) => ({ grid: n.forwardInput(input, 416) }),   // NHWC [1, 13, 13, 25]
  },
  face_landmark_68: {
    size: 112,
    net: (f) => f.nets.faceLandmark68Net,
    run: (n, input) => ({ landmarks: n.runNet(input) }),
  },
  face_landmark_68_tiny: {
    size: 112,
    net: (f) => f.nets.faceLandmark68TinyNet,
    run: (n, input) => ({ landmarks: n.runNet(input) }),
  },
  face_recognition: {
    size: 150,
    net: (f) => f.nets.faceRecognitionNet,
    run: (n, input) => ({ descriptor: n.forwardInput(input) }),
  },
  age_gender: {
    size: 112,
    net: (f) => f.nets.ageGenderNet,
    run: (n, input) => {
      const out = n.forwardInput(input);
      return { age: out.age, gender: out.gender };
    },
  },
  face_expression: {
    size: 112,
    net: (f) => f.nets.faceExpressionNet,
    run: (n, input) => ({ expression: n.forwardInput(input) }),
  },
};

(async () => {
  const [packageDir, outDir] = process.argv.slice(2);
  if (!packageDir || !outDir) {
    console.error('usage: net-outputs.js PACKAGE_DIR OUT_DIR');
    process.exit(2);
  }
  const faceapi = require(path.join(path.resolve(packageDir), 'dist', 'face-api.node-wasm.js'));
  await tf.setBackend('cpu');
  await tf.ready();
  fs.mkdirSync(outDir, { recursive: true });
  const modelDir = path.join(packageDir, 'model');
  for (const [name, spec] of Object.entries(NETS)) {
    const net = spec.net(faceapi);
    await net.loadFromDisk(modelDir);
    const kinds = { noise: noiseImage(spec.size), photo: photoImage(packageDir, spec.size) };
    for (const [kind, pixels] of Object.entries(kinds)) {
      const stem = path.join(outDir, `${name}.${kind}`);
      writeNpy(`${stem}.input.npy`, pixels, [spec.size, spec.size, 3], '|u1');
      const image = tf.tensor3d(pixels, [spec.size, spec.size, 3], 'int32');
      const input = await faceapi.toNetInput(image);
      const outputs = spec.run(net, input);
      for (const [out, tensor] of Object.entries(outputs)) {
        await save(`${stem}.${out}.npy`, tensor);
        tensor.dispose();
      }
      image.dispose();
    }
    console.log(`${name}: written`);
  }
})().catch((e) => { console.error(e); process.exit(1); });
