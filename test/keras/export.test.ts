// An export fed exactly what its transferkit.json says (the Python recipe run as written) reproduces
// `transferkit predict --json` in tf_keras, Keras 3 and Python onnxruntime.
import test from 'ava';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { initBackend } from '../../src/backend/index.ts';
import { exportRun } from '../../src/export/export-run.ts';
import { trainTinyRun } from '../evaluate-fixture.ts';
import { kerasIo } from './oracle.ts';

const run = promisify(execFile);
const CLI = new URL('../../bin/transferkit.js', import.meta.url).pathname;
const PHOTOS = new URL('../../../shared/photos/', import.meta.url).pathname;

test('the transferkit.json recipe + the export reproduce predict --json to 1e-5 in tf_keras, Keras 3 and onnxruntime', async (t) => {
  await initBackend('wasm');
  const { tmp, runDir, data } = await trainTinyRun('tk-keras-export-');
  try {
    const sidecar = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { options: { resize: string } };
    t.is(sidecar.options.resize, 'nearest', 'config.json records the Keras decode the run used');
    const h5 = await exportRun(runDir, 'keras-h5', { backend: 'wasm' });
    const onnx = await exportRun(runDir, 'onnx', { backend: 'wasm' });
    // Real photos (one ICC-tagged) and the generated PNGs: our decode must be Keras's for all of them.
    const images = [...readdirSync(PHOTOS).map((f) => join(PHOTOS, f)), join(data, 'validation', 'circles', readdirSync(join(data, 'validation', 'circles'))[0]!)];
    const { stdout } = await run(process.execPath, [CLI, 'predict', runDir, ...images, '--json', '--engine', 'tfjs'], { maxBuffer: 1 << 24 });
    const ours = (JSON.parse(stdout) as { predictions: { image: string; predictions: { index: number; probability: number }[] }[] }).predictions;
    t.is(ours.length, images.length);
    const out = await mkdtemp(join(tmp, 'keras-'));
    await kerasIo({ op: 'export', sidecar: join(h5.dir, 'transferkit.json'), h5: join(h5.dir, 'model.h5'), onnx: join(onnx.dir, 'model.onnx'), images, out });
    for (const runtime of ['tf_keras', 'keras', 'onnxruntime']) {
      const buf = readFileSync(join(out, `${runtime}.bin`));
      const probs = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      const classes = probs.length / images.length;
      let worst = 0;
      for (const [i, row] of ours.entries()) {
        for (const p of row.predictions) worst = Math.max(worst, Math.abs(p.probability - probs[i * classes + p.index]!));
      }
      t.true(worst <= 1e-5, `${runtime}: max |difference| ${worst}`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
