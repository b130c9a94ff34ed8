import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../src/data/random.ts';
import { UserError } from '../src/errors.ts';
import { ArraySource } from '../src/training/batch-source.ts';
import { CallbackList } from '../src/training/callback-list.ts';
import { EarlyStopping, HistoryRecorder, type Callback, type EpochLogs } from '../src/training/callbacks.ts';
import { fit } from '../src/training/fit.ts';

await tf.setBackend('cpu');

/** 36 samples of two separable blobs in 2-D (batches of 8: four full ones and one of 4). */
function blobs(seed: string): ArraySource {
  const rng = createRng(seed);
  const n = 36;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const xs = Float32Array.from({ length: n * 2 }, (_, k) => (labels[Math.floor(k / 2)] === 0 ? -1 : 1) + (rng() - 0.5));
  return new ArraySource(xs, [2], labels);
}

function net(): tf.LayersModel {
  const input = tf.input({ shape: [2] });
  const out = tf.layers.dense({ name: 'predictions', units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

/** Records every hook it sees as `name:hook[:index]`, and the running logs of each batch. */
class Recorder implements Callback {
  readonly batchLogs: { loss: number; acc: number }[] = [];
  constructor(
    private readonly name: string,
    private readonly seen: string[],
  ) {}
  onTrainBegin(): void {
    this.seen.push(`${this.name}:trainBegin`);
  }
  onEpochBegin(epoch: number, info: { batches: number }): void {
    this.seen.push(`${this.name}:epochBegin:${epoch}/${info.batches}`);
  }
  onBatchEnd(batch: number, logs: { loss: number; acc: number }): void {
    this.seen.push(`${this.name}:batchEnd:${batch}`);
    this.batchLogs.push(logs);
  }
  onEpochEnd(logs: EpochLogs): void {
    this.seen.push(`${this.name}:epochEnd:${logs.epoch}`);
  }
  onTrainEnd(): void {
    this.seen.push(`${this.name}:trainEnd`);
  }
}

test.serial('fit calls each hook once per event, every callback in list order; the last batch logs equal the epoch loss and accuracy', async (t) => {
  const seen: string[] = [];
  const [a, b] = [new Recorder('a', seen), new Recorder('b', seen)];
  const history = new HistoryRecorder();
  const trainer = net();
  await fit({
    trainer, train: blobs('train'), val: blobs('val'), numClasses: 2, epochs: 2, initialEpoch: 3, batchSize: 8,
    optimizer: { name: 'sgd', lr: 0.1, momentum: 0 }, trainable: new Set(['predictions']), random: createRng('order'),
    callbacks: [a, history, b],
  });
  const both = (hook: string): string[] => [`a:${hook}`, `b:${hook}`];
  const epoch = (e: number): string[] => [
    ...both(`epochBegin:${e}/5`),
    ...[0, 1, 2, 3, 4].flatMap((i) => both(`batchEnd:${i}`)),
    ...both(`epochEnd:${e}`),
  ];
  t.deepEqual(seen, [...both('trainBegin'), ...epoch(3), ...epoch(4), ...both('trainEnd')]);
  // Running means over the samples seen so far: the 5th batch of 4 samples closes the epoch's 36.
  for (const e of [0, 1]) {
    const last = a.batchLogs[e * 5 + 4]!;
    t.true(Math.abs(last.loss - history.history[e]!.loss) < 1e-6, `epoch ${e}: ${last.loss} vs ${history.history[e]!.loss}`);
    t.is(last.acc, history.history[e]!.acc);
  }
  trainer.dispose();
});

test('saveState lists each callback state in order (null for stateless ones) and loadState gives each its own back', (t) => {
  const stop = new EarlyStopping({ patience: 2 });
  const history = new HistoryRecorder();
  const list = new CallbackList([history, new Recorder('r', []), stop]);
  const logs = (epoch: number, val_loss: number): EpochLogs => ({ epoch, phase: 'head', loss: 1, acc: 0.5, val_loss, val_acc: 0.5, lr: 0.1 });
  const ctx = { trainer: net(), learningRate: 0.1, stopTraining: false, optimizer: tf.train.sgd(0.1) };
  stop.onEpochEnd(logs(0, 0.9), ctx);
  stop.onEpochEnd(logs(1, 1.2), ctx);
  history.history.push(logs(0, 0.9), logs(1, 1.2));
  const states = list.saveState();
  t.is(states.length, 3);
  t.is(states[1], null);

  const [history2, stop2] = [new HistoryRecorder(), new EarlyStopping({ patience: 2 })];
  new CallbackList([history2, new Recorder('r', []), stop2]).loadState(states);
  t.deepEqual(history2.history, history.history);
  // One more epoch without improvement reaches patience 2 only if the wait (1) came back.
  const ctx2 = { ...ctx, stopTraining: false };
  stop2.onEpochEnd(logs(2, 1.5), ctx2);
  t.true(ctx2.stopTraining);
  t.is(stop2.stoppedEpoch, 2);

  t.throws(() => new CallbackList([history2]).loadState(states), { instanceOf: UserError, message: /state of 3 callbacks but this run has 1/ });
  ctx.trainer.dispose();
  ctx.optimizer.dispose();
});
