import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.ts';
import { UserError } from '../src/errors.ts';
import { buildVgg16, vgg16Prefix, type Vgg16Options } from '../src/models/vgg16.ts';
import { VGG16_LAYER_NAMES } from '../src/models/vgg16-spec.ts';
import { randomVgg16 } from './helpers/vgg16-weights.ts';

test.before(async () => {
  await initBackend();
});

/** Build, inspect, dispose: the models here are only looked at, never run. */
function inspect<T>(options: Vgg16Options, look: (m: tf.LayersModel) => T): T {
  const model = buildVgg16(options);
  try {
    return look(model);
  } finally {
    model.dispose();
  }
}

const shapeOf = (m: tf.LayersModel, name: string) => m.getLayer(name).outputShape;

test('with the top: Keras layer names, 224 shapes and 138,357,544 params', (t) => {
  inspect({}, (m) => {
    t.deepEqual(m.layers.slice(1).map((l) => l.name), [...VGG16_LAYER_NAMES, 'flatten', 'fc1', 'fc2', 'predictions']);
    t.deepEqual(shapeOf(m, 'block1_conv1'), [null, 224, 224, 64]);
    t.deepEqual(shapeOf(m, 'block5_pool'), [null, 7, 7, 512]);
    t.deepEqual(shapeOf(m, 'flatten'), [null, 25088]);
    t.deepEqual(shapeOf(m, 'predictions'), [null, 1000]);
    t.is(m.countParams(), 138_357_544);
    t.is(m.getLayer('fc1').countParams(), 25088 * 4096 + 4096);
  });
});

test('without the top: 14,714,688 params and the pooled side at 150 and 32', (t) => {
  inspect({ includeTop: false, inputShape: [150, 150, 3] }, (m) => {
    t.is(m.layers.at(-1)?.name, 'block5_pool');
    t.deepEqual(shapeOf(m, 'block5_pool'), [null, 4, 4, 512]);
    t.deepEqual(shapeOf(m, 'block3_pool'), [null, 18, 18, 256]);
    t.is(m.countParams(), 14_714_688);
  });
  inspect({ includeTop: false, inputShape: [32, 48, 3] }, (m) => t.deepEqual(shapeOf(m, 'block5_pool'), [null, 1, 1, 512]));
});

test('pooling avg / max adds the Keras global pooling layer', (t) => {
  for (const [pooling, name] of [['avg', 'global_average_pooling2d'], ['max', 'global_max_pooling2d']] as const) {
    inspect({ includeTop: false, inputShape: [64, 64, 3], pooling }, (m) => {
      t.is(m.layers.at(-1)?.name, name);
      t.deepEqual(m.outputs[0]?.shape, [null, 512]);
      t.is(m.countParams(), 14_714_688);
    });
  }
});

test('classes other than 1000 size the predictions layer, as Keras allows with weights=None', (t) => {
  inspect({ classes: 7 }, (m) => t.deepEqual(shapeOf(m, 'predictions'), [null, 7]));
});

test('the global pooling layers compute the mean / max of block5_pool', (t) => {
  const x = tf.randomUniform([2, 64, 64, 3], 0, 255, 'float32', 1);
  const [pool, avg, max] = [undefined, 'avg', 'max'].map((pooling) =>
    buildVgg16({ includeTop: false, inputShape: [64, 64, 3], pooling: pooling as 'avg' | 'max' | undefined }),
  ) as [tf.LayersModel, tf.LayersModel, tf.LayersModel];
  // Same weights everywhere so the outputs are comparable.
  avg.setWeights(pool.getWeights());
  max.setWeights(pool.getWeights());
  const features = pool.predict(x) as tf.Tensor; // [2, 2, 2, 512]
  const [gotAvg, gotMax] = [avg.predict(x), max.predict(x)] as tf.Tensor[];
  const [wantAvg, wantMax] = [features.mean([1, 2]), features.max([1, 2])];
  t.true(tf.max(features).dataSync()[0]! > 0, 'random weights give non-zero features');
  t.true(tf.sub(gotAvg!, wantAvg).abs().max().dataSync()[0]! < 1e-4);
  t.true(tf.sub(gotMax!, wantMax).abs().max().dataSync()[0]! < 1e-6);
  t.false(tf.equal(gotAvg!, gotMax!).all().dataSync()[0] === 1, 'avg and max differ on a 2x2 map');
  tf.dispose([x, features, gotAvg!, gotMax!, wantAvg, wantMax]);
  for (const m of [pool, avg, max]) m.dispose();
});

test('invalid options fail with a UserError that says what to do', (t) => {
  const bad: Array<[Vgg16Options, RegExp]> = [
    [{ inputShape: [150, 150, 3] }, /with the top needs inputShape \[224, 224, 3\].*--no-top/],
    [{ includeTop: false, inputShape: [31, 64, 3] }, /at least 32x32, got 31x64/],
    [{ includeTop: false, inputShape: [64, 64, 1] }, /3 channels/],
    [{ pooling: 'avg' }, /pooling 'avg' applies only without the top/],
    [{ classes: 0 }, /Invalid VGG16 options \(classes:/],
    [{ pooling: 'mean' as 'avg', includeTop: false }, /Invalid VGG16 options \(pooling:/],
    [{ inputShape: [224, 224] as unknown as [number, number, number] }, /inputShape/],
  ];
  for (const [options, message] of bad) t.throws(() => buildVgg16(options), { instanceOf: UserError, message });
});

test('vgg16Prefix builds up to and including the cut layer', async (t) => {
  const m = await vgg16Prefix('block3_pool', { inputShape: [64, 64, 3] });
  t.deepEqual(m.layers.slice(1).map((l) => l.name), VGG16_LAYER_NAMES.slice(0, VGG16_LAYER_NAMES.indexOf('block3_pool') + 1));
  t.deepEqual(m.outputs[0]?.shape, [null, 8, 8, 256]);
  m.dispose();
  const top = await vgg16Prefix('fc2');
  t.is(top.layers.at(-1)?.name, 'fc2');
  t.deepEqual(top.outputs[0]?.shape, [null, 4096]);
  top.dispose();
  await t.throwsAsync(vgg16Prefix('block6_pool'), { instanceOf: UserError, message: /Unknown VGG16 layer 'block6_pool'.*block1_conv1/ });
  await t.throwsAsync(vgg16Prefix('fc1', { inputShape: [64, 64, 3] }), { instanceOf: UserError, message: /224/ });
});

test('vgg16Prefix refuses a VGG16-shaped file whose layer names do not match, instead of building zero kernels', async (t) => {
  const file = randomVgg16();
  const renamed = { ...file, path: 'renamed.h5', layers: file.layers.map((l, i) => ({ ...l, name: `conv2d_${i}` })) };
  await t.throwsAsync(vgg16Prefix('block1_pool', { inputShape: [32, 32, 3], weights: renamed }), {
    instanceOf: UserError,
    message: /renamed\.h5: no weights for layer\(s\) block1_conv1, block1_conv2 of VGG16/,
  });
  const ok = await vgg16Prefix('block1_pool', { inputShape: [32, 32, 3], weights: file });
  t.is(ok.layers.length, 4);
  ok.dispose();
});
