/**
 * npm run bench:keras — VGG16 conv base (include_top=False) throughput at 224x224, batch 16: real
 * Keras on TensorFlow CPU and ours (tfjs on the active backend, and the onnx engine), measured in the
 * same run on the same machine, written to bench/results/keras.json. Needs `npm run oracle:setup`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createEngine, type EngineName } from '../src/models/engines/index.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { writeFileAtomic } from '../src/util/atomic.ts';

const SIZE = 224;
const BATCH = 16;
/** Batches timed per engine: Keras and onnx run ~10 img/s, tfjs on wasm ~1.5 img/s, so fewer there. */
const BATCHES: Record<'keras' | EngineName, number> = { keras: 5, onnx: 3, tfjs: 1 };

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PYTHON = join(ROOT, 'scripts/oracle/.venv/bin/python');
const OUT = join(ROOT, 'bench/results/keras.json');

async function keras(): Promise<Record<string, unknown>> {
  if (!existsSync(PYTHON)) throw new Error(`Keras oracle environment missing (${PYTHON}): run npm run oracle:setup`);
  const { stdout } = await promisify(execFile)(PYTHON, [join(ROOT, 'scripts/oracle/bench_keras.py'), String(BATCH), String(BATCHES.keras), String(SIZE)]);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

async function ours(engine: EngineName, weights: string): Promise<Record<string, unknown>> {
  const prefix = await createEngine({ weights, engine, inputSize: SIZE });
  try {
    const x = Float32Array.from({ length: BATCH * SIZE * SIZE * 3 }, (_, i) => ((i * 7919) % 255) - 127);
    await prefix.run(x.subarray(0, SIZE * SIZE * 3), 1); // warm-up
    const start = performance.now();
    for (let b = 0; b < BATCHES[engine]; b++) await prefix.run(x, BATCH);
    const seconds = (performance.now() - start) / 1000;
    return { engine: prefix.name, batch: BATCH, batches: BATCHES[engine], images_per_s: Math.round(((BATCH * BATCHES[engine]) / seconds) * 100) / 100 };
  } finally {
    await prefix.dispose();
  }
}

const loadAverageAtStart = loadavg()[0];
const dir = await mkdtemp(join(tmpdir(), 'transferkit-bench-keras-'));
try {
  const weights = join(dir, 'vgg16_notop.h5');
  await initWeights(weights);
  const results = { keras: await keras(), onnx: await ours('onnx', weights), tfjs: await ours('tfjs', weights) };
  const report = {
    what: `VGG16 conv base (include_top=False), ${SIZE}x${SIZE}, batch ${BATCH}, images/s; same run, same machine`,
    date: new Date().toISOString(),
    // Other work on the machine skews every figure: the 1-minute load average says how idle it was.
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadAverageAtStart, loadAverageAtEnd: loadavg()[0] },
    results,
  };
  await writeFileAtomic(OUT, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  await rm(dir, { recursive: true, force: true });
}
