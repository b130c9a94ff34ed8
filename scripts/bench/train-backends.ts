/**
 * The training row across backends, measured in one run on one machine: one `finetune` epoch over
 * 300 cached block4_pool features (block5 + head train, batch 8) and one `retrain` step through the
 * whole VGG16 at 224 (batch 4), on tfjs-wasm, on the `tensorflow` backend (`setup tensorflow`), and
 * in Keras on TensorFlow CPU (the oracle venv, same network and optimizers). Each is run once
 * untimed first. A backend that is not set up is recorded with the reason instead of a figure.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { initBackend } from '../../src/backend/index.ts';
import { describeError } from '../../src/errors.ts';
import { timeEpoch, type Timing } from './train.ts';

const FINETUNE = { images: 300, batchSize: 8 } as const;
const RETRAIN = { inputSize: 224, batchSize: 4 } as const;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON = join(ROOT, 'scripts/oracle/.venv/bin/python');

interface Row {
  finetuneEpoch: Timing;
  retrainStep: Timing;
}

const round = (x: number, digits = 3): number => Number(x.toPrecision(digits));
const rounded = (t: Timing): Timing => ({ wallSeconds: round(t.wallSeconds), cpuSeconds: round(t.cpuSeconds) });

async function tfjs(backend: 'wasm' | 'tensorflow'): Promise<Row> {
  await initBackend(backend);
  await timeEpoch('finetune', FINETUNE.batchSize, 224, FINETUNE.batchSize);
  const finetuneEpoch = await timeEpoch('finetune', FINETUNE.images, 224, FINETUNE.batchSize);
  await timeEpoch('retrain', RETRAIN.batchSize, RETRAIN.inputSize, RETRAIN.batchSize);
  const retrainStep = await timeEpoch('retrain', RETRAIN.batchSize, RETRAIN.inputSize, RETRAIN.batchSize);
  return { finetuneEpoch: rounded(finetuneEpoch), retrainStep: rounded(retrainStep) };
}

async function keras(): Promise<Row & { versions: unknown }> {
  if (!existsSync(PYTHON)) throw new Error(`Keras oracle environment missing (${PYTHON}): run npm run oracle:setup`);
  const args = [join(ROOT, 'scripts/oracle/bench_train.py'), FINETUNE.images, FINETUNE.batchSize, RETRAIN.batchSize, RETRAIN.inputSize].map(String);
  const { stdout } = await promisify(execFile)(PYTHON, args, { maxBuffer: 16 * 2 ** 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Row & { versions: unknown };
}

/** Runs `measure`, or records why it could not run. */
async function attempt<T>(measure: () => Promise<T>): Promise<T | { unavailable: string }> {
  try {
    return await measure();
  } catch (err) {
    return { unavailable: describeError(err) };
  }
}

function ratio(a: unknown, b: unknown, key: keyof Row): number | null {
  const wall = (r: unknown): number | undefined => (r as Partial<Row>)[key]?.wallSeconds;
  const [x, y] = [wall(a), wall(b)];
  return x === undefined || y === undefined ? null : round(x / y);
}

export default async function bench(): Promise<unknown> {
  const loadAverages = [round(loadavg()[0]!)];
  const results = { wasm: await attempt(() => tfjs('wasm')) } as Record<string, unknown>;
  loadAverages.push(round(loadavg()[0]!));
  results.tensorflow = await attempt(() => tfjs('tensorflow'));
  loadAverages.push(round(loadavg()[0]!));
  results.keras = await attempt(keras);
  loadAverages.push(round(loadavg()[0]!));
  return {
    what: `one finetune epoch (${FINETUNE.images} random block4_pool 14x14x512 features, block5 + gap head, batch ${FINETUNE.batchSize}) and one retrain step (whole VGG16 at ${RETRAIN.inputSize}, batch ${RETRAIN.batchSize}); each includes one validation batch and follows an untimed warm-up run`,
    caveat: 'shared machine: wall figures drop when other work competes for the cores; cpuSeconds is each process alone',
    loadAverages: { atStart: loadAverages[0], afterWasm: loadAverages[1], afterTensorflow: loadAverages[2], afterKeras: loadAverages[3] },
    results,
    speedups: {
      tensorflowOverWasm: { finetuneEpoch: ratio(results.wasm, results.tensorflow, 'finetuneEpoch'), retrainStep: ratio(results.wasm, results.tensorflow, 'retrainStep'), target: '>= 5' },
      tensorflowOverKeras: { finetuneEpoch: ratio(results.keras, results.tensorflow, 'finetuneEpoch'), retrainStep: ratio(results.keras, results.tensorflow, 'retrainStep'), target: '>= 0.8' },
    },
  };
}
