import test from 'ava';
import { headLayerSpecs, trainableHeadLayers } from '../src/strategies/head.ts';
import { planStrategy } from '../src/strategies/plan.ts';
import { UserError } from '../src/errors.ts';
import { resolveTrainOptions } from '../src/training/options.ts';

const o = (extra = {}) => resolveTrainOptions({ epochs: 10, ...extra });
const gapHead = ['global_average_pooling2d', 'dense', 'dropout', 'predictions'];

test('freeze: cut at block5_pool, nothing of VGG16 trains, only the head', (t) => {
  const p = planStrategy('freeze', o());
  t.is(p.cut, 'block5_pool');
  t.is(p.keep, 'block5_pool');
  t.deepEqual(p.suffix, []);
  t.is(p.phases.length, 1);
  t.deepEqual(p.phases[0]!.trainable, gapHead);
  t.deepEqual(p.phases[0]!.optimizer, { name: 'adam', lr: 1e-3, momentum: 0 });
});

test('slice: keeps blocks up to --slice-at and trains a head on those features', (t) => {
  t.is(planStrategy('slice', o()).keep, 'block4_pool');
  const p = planStrategy('slice', o({ sliceAt: 'block3_pool', head: 'flatten', dense: 0, dropout: 0 }));
  t.is(p.cut, 'block3_pool');
  t.is(p.keep, 'block3_pool');
  t.deepEqual(p.phases[0]!.trainable, ['flatten', 'predictions']);
});

test('finetune: warm-up on frozen features, then block5 + head at SGD 1e-4 momentum 0.9', (t) => {
  const p = planStrategy('finetune', o());
  t.is(p.cut, 'block4_pool');
  t.deepEqual(p.suffix, ['block5_conv1', 'block5_conv2', 'block5_conv3', 'block5_pool']);
  t.deepEqual(p.phases.map((ph) => [ph.name, ph.epochs]), [['warmup', 5], ['finetune', 5]]);
  t.deepEqual(p.phases[0]!.trainable, gapHead);
  t.deepEqual(p.phases[1]!.trainable, [...p.suffix, ...gapHead]);
  t.deepEqual(p.phases[1]!.optimizer, { name: 'sgd', lr: 1e-4, momentum: 0.9 });
  const from4 = planStrategy('finetune', o({ unfreezeFrom: 'block4_conv2', warmupEpochs: 2 }));
  t.is(from4.cut, 'block4_conv1');
  t.is(from4.suffix[0], 'block4_conv2');
  t.deepEqual(from4.phases.map((ph) => ph.epochs), [2, 8]);
  t.throws(() => planStrategy('finetune', o({ warmupEpochs: 10 })), { instanceOf: UserError, message: /warmup-epochs/ });
});

test('retrain: no cut, every layer trains; init pretrained or scratch with its own default rate', (t) => {
  const p = planStrategy('retrain', o());
  t.is(p.cut, null);
  t.is(p.suffix.length, 18);
  t.is(p.suffix[0], 'block1_conv1');
  t.is(p.init, 'pretrained');
  t.is(p.phases[0]!.optimizer.lr, 1e-4);
  t.is(planStrategy('retrain', o({ init: 'scratch' })).phases[0]!.optimizer.lr, 1e-3);
  t.is(planStrategy('retrain', o({ lr: 0.05 })).phases[0]!.optimizer.lr, 0.05);
});

test('heads: Keras layer names; vgg keeps fc1/fc2 and trains only the chosen layers', (t) => {
  t.deepEqual(headLayerSpecs(planStrategy('freeze', o({ batchnorm: true })).head).map((l) => l.name), [
    'global_average_pooling2d', 'dense', 'batch_normalization', 'dropout', 'predictions',
  ]);
  const vgg = planStrategy('freeze', o({ head: 'vgg', vggTrain: ['predictions'], vggDropout: 0.3 }));
  t.deepEqual(headLayerSpecs(vgg.head).map((l) => l.name), ['flatten', 'fc1', 'dropout', 'fc2', 'dropout_1', 'predictions']);
  t.deepEqual(vgg.phases[0]!.trainable, ['flatten', 'dropout', 'dropout_1', 'predictions']);
  t.deepEqual(trainableHeadLayers({ kind: 'vgg', dense: 0, dropout: 0, batchnorm: false, vggTrain: ['fc2', 'predictions'] }), ['flatten', 'fc2', 'predictions']);
  t.throws(() => planStrategy('slice', o({ head: 'vgg' })), { instanceOf: UserError, message: /head vgg/ });
  t.throws(() => planStrategy('freeze', o({ head: 'vgg', inputSize: 64 })), { instanceOf: UserError, message: /input-size 224/ });
});

test('options are validated once with messages naming the option', (t) => {
  t.throws(() => resolveTrainOptions({ strategy: 'nope' as never }), { instanceOf: UserError, message: /strategy/ });
  t.throws(() => resolveTrainOptions({ epochs: 0 }), { instanceOf: UserError, message: /epochs/ });
  t.throws(() => resolveTrainOptions({ bogus: 1 } as never), { instanceOf: UserError, message: /bogus/ });
});
