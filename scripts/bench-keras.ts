/**
 * npm run bench:keras — VGG16 conv base (include_top=False) throughput at 224x224, batch 16: real
 * Keras on TensorFlow CPU and ours (tfjs on the active backend, the onnx engine in fp32 and in int8
 * calibrated on ../shared cats-dogs photos), measured in the same run on the same machine, written to
 * bench/results/keras.json (keras.avx2-only.json without VNNI) with the CPU's SIMD flags. Needs
 * `npm run oracle:setup` and ../shared.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { resolvePrecision } from '../src/cache/precision.ts';
import { createEngine, type EngineName, type Int8Ranges } from '../src/models/engines/index.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { writeFileAtomic } from '../src/util/atomic.ts';
import { machineFacts, resultsFile } from './machine.ts';

const SIZE = 224;
const BATCH = 16;
/** Batches timed per engine: Keras and onnx run ~10 img/s, tfjs on wasm ~1.5 img/s, so fewer there. */
const BATCHES: Record<'keras' | EngineName | 'int8', number> = { keras: 5, onnx: 3, tfjs: 1, int8: 10 };

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PYTHON = join(ROOT, 'scripts/oracle/.venv/bin/python');
const OUT = await resultsFile(ROOT, 'keras');
const CALIBRATION_IMAGES = join(ROOT, '../shared/datasets/cats-dogs/train');

async function keras(): Promise<Record<string, unknown>> {
  if (!existsSync(PYTHON)) throw new Error(`Keras oracle environment missing (${PYTHON}): run npm run oracle:setup`);
  const { stdout } = await promisify(execFile)(PYTHON, [join(ROOT, 'scripts/oracle/bench_keras.py'), String(BATCH), String(BATCHES.keras), String(SIZE)]);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

/** int8 ranges for `weights`, calibrated as `--precision int8` does, on real photos. */
async function int8Ranges(weights: string, cache: string): Promise<Int8Ranges> {
  const items = (await readdir(CALIBRATION_IMAGES, { recursive: true })).filter((f) => f.endsWith('.jpg')).map((f) => ({ path: join(CALIBRATION_IMAGES, f) }));
  const d = await resolvePrecision(items, { weights, inputSize: SIZE, resize: 'squash', cache, engine: 'onnx', precision: 'int8', cuts: ['block5_pool'] });
  if (d.resolved.precision !== 'int8') throw new Error(d.message);
  guard = d.calibration!.guard.block5_pool;
  return d.calibration!.ranges;
}

let guard: unknown;

async function ours(engine: EngineName, weights: string, int8?: Int8Ranges): Promise<Record<string, unknown>> {
  const prefix = await createEngine({ weights, engine, inputSize: SIZE, int8 });
  const batches = BATCHES[int8 ? 'int8' : engine];
  try {
    const x = Float32Array.from({ length: BATCH * SIZE * SIZE * 3 }, (_, i) => ((i * 7919) % 255) - 127);
    await prefix.run(x.subarray(0, SIZE * SIZE * 3), 1); // warm-up
    const start = performance.now();
    const cpu = process.cpuUsage();
    for (let b = 0; b < batches; b++) await prefix.run(x, BATCH);
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    return {
      engine: prefix.name, batch: BATCH, batches, images_per_s: Math.round(((BATCH * batches) / seconds) * 100) / 100,
      cpu_s_per_image: Math.round(((used.user + used.system) / 1e6 / (BATCH * batches)) * 1000) / 1000,
    };
  } finally {
    await prefix.dispose();
  }
}

const loadAverageAtStart = loadavg()[0];
const dir = await mkdtemp(join(tmpdir(), 'transferkit-bench-keras-'));
try {
  const weights = join(dir, 'vgg16_notop.h5');
  await initWeights(weights);
  const ranges = await int8Ranges(weights, join(dir, 'cache'));
  const results = { keras: await keras(), onnx: await ours('onnx', weights), 'onnx-int8': await ours('onnx', weights, ranges), tfjs: await ours('tfjs', weights) };
  const [int8, k] = [results['onnx-int8'], results.keras] as { images_per_s: number; cpu_s_per_image: number }[];
  const round2 = (x: number): number => Math.round(x * 100) / 100;
  // Wall figures suffer from whatever else runs; CPU seconds per image do not (a shared machine's truth).
  const int8VsKeras = { imagesPerSecond: round2(int8!.images_per_s / k!.images_per_s), imagesPerCpuSecond: round2(k!.cpu_s_per_image / int8!.cpu_s_per_image) };
  const report = {
    what: `VGG16 conv base (include_top=False), ${SIZE}x${SIZE}, batch ${BATCH}, images/s; same run, same machine`,
    date: new Date().toISOString(),
    // Other work on the machine skews every figure: the 1-minute load average says how idle it was.
    machine: { ...machineFacts(), int8WeightBits: ranges.weightBits, loadAverageAtStart, loadAverageAtEnd: loadavg()[0] },
    results,
    int8VsKeras,
    int8Guard: guard,
  };
  await writeFileAtomic(OUT, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  await rm(dir, { recursive: true, force: true });
}
