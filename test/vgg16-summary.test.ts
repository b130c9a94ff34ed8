import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.ts';
import { buildVgg16 } from '../src/models/vgg16.ts';
import { formatModelSummary, summarizeModel } from '../src/report/model-summary.ts';

const cli = fileURLToPath(new URL('../bin/transferkit.js', import.meta.url));
const run = (...args: string[]) => promisify(execFile)('node', [cli, ...args], { maxBuffer: 1 << 20 });

test.before(async () => {
  await initBackend();
});

test.serial('summarizeModel reports Keras shapes and counts, frozen layers as non-trainable', (t) => {
  const model = buildVgg16({ includeTop: false, inputShape: [64, 64, 3], pooling: 'max' });
  for (const name of ['block1_conv1', 'block1_conv2']) model.getLayer(name).trainable = false;
  const summary = summarizeModel(model);
  t.deepEqual(summary.rows[0], { name: 'input_1', type: 'InputLayer', outputShape: '(None, 64, 64, 3)', params: 0, trainable: false });
  t.deepEqual(summary.rows[1], { name: 'block1_conv1', type: 'Conv2D', outputShape: '(None, 64, 64, 64)', params: 3 * 3 * 3 * 64 + 64, trainable: false });
  t.deepEqual(summary.rows.at(-1), { name: 'global_max_pooling2d', type: 'GlobalMaxPooling2D', outputShape: '(None, 512)', params: 0, trainable: true });
  t.is(summary.totalParams, 14_714_688);
  t.is(summary.nonTrainableParams, 1792 + 36_928);
  t.is(summary.trainableParams, 14_714_688 - 1792 - 36_928);
  const text = formatModelSummary(summary, { showTrainable: true });
  t.regex(text, /^Model: "vgg16"\n/);
  t.regex(text, /Layer \(type\) +Output Shape +Param # +Trainable\n/);
  t.regex(text, /block1_conv2 \(Conv2D\) +\(None, 64, 64, 64\) +36928 +N\n/);
  t.regex(text, /block2_conv1 \(Conv2D\) +\(None, 32, 32, 128\) +73856 +Y\n/);
  t.regex(text, /Total params: 14,714,688\nTrainable params: 14,675,968\nNon-trainable params: 38,720\n_+$/);
  t.notRegex(formatModelSummary(summary), /Trainable\n| Y\n/);
  model.dispose();
  t.is(tf.memory().numTensors, 0);
});

test.serial('CLI summary prints the with-top totals', async (t) => {
  const { stdout } = await run('summary');
  t.regex(stdout, /predictions \(Dense\) +\(None, 1000\) +4097000\n/);
  t.regex(stdout, /Total params: 138,357,544\nTrainable params: 138,357,544\nNon-trainable params: 0\n/);
});

test.serial('CLI summary --no-top --input-size 150 shows block5_pool (None, 4, 4, 512)', async (t) => {
  const { stdout } = await run('summary', '--no-top', '--input-size', '150');
  t.regex(stdout, /block5_pool \(MaxPooling2D\) +\(None, 4, 4, 512\) +0\n/);
  t.regex(stdout, /Total params: 14,714,688\n/);
  const pooled = await run('summary', '--no-top', '--input-size', '48', '--pooling', 'avg');
  t.regex(pooled.stdout, /global_average_pooling2d \(GlobalAveragePooling2D\) +\(None, 512\)/);
});

test.serial('CLI summary with a bad option is one line on stderr and exit code 2 (usage error)', async (t) => {
  for (const args of [['--input-size', '150'], ['--no-top', '--input-size', 'big'], ['--no-top', '--pooling', 'mean']]) {
    const err = await t.throwsAsync(run('summary', ...args));
    const { code, stderr } = err as unknown as { code: number; stderr: string };
    t.is(code, 2, args.join(' '));
    t.is(stderr.trim().split('\n').length, 1, stderr);
    t.regex(stderr, /^transferkit: /);
  }
});
