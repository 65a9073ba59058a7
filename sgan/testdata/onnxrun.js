// onnxrun.js runs an ONNX model in onnxruntime-node for sgan's export
// tests: node onnxrun.js MODEL DIR NAME:D1xD2x... [NAME:...]. Each input
// NAME is read from DIR/NAME.in (float32, little-endian) with the given
// shape; each output is written to DIR/OUTPUT.out the same way, and its
// shape to DIR/OUTPUT.shape. The module is found through NODE_PATH.
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main() {
  const [model, dir, ...specs] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model);
  const feeds = {};
  for (const spec of specs) {
    const [name, shape] = spec.split(':');
    const buf = fs.readFileSync(path.join(dir, name + '.in'));
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    feeds[name] = new ort.Tensor('float32', Float32Array.from(data), shape.split('x').map(Number));
  }
  const out = await session.run(feeds);
  for (const [name, t] of Object.entries(out)) {
    fs.writeFileSync(path.join(dir, name + '.out'), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    fs.writeFileSync(path.join(dir, name + '.shape'), t.dims.join('x'));
  }
}

main().catch((e) => { console.error(String(e)); process.exit(1); });
