/** `transferkit train` flags as the command parses them: --vgg-train choices and augmentation flags. */
import test from 'ava';
import { parseTrainArgs } from '../src/cli/train.ts';
import { UserError } from '../src/errors.ts';
import { planStrategy } from '../src/strategies/plan.ts';
import { resolveTrainOptions } from '../src/training/options.ts';

const resolve = async (...args: string[]) => resolveTrainOptions((await parseTrainArgs(['data', ...args])).options);

test('--vgg-train picks which of fc1, fc2, predictions train', async (t) => {
  const o = await resolve('--head', 'vgg', '--vgg-train', 'fc1, predictions', '--vgg-dropout', '0.2');
  t.deepEqual(o.vggTrain, ['fc1', 'predictions']);
  const plan = planStrategy('freeze', o);
  t.deepEqual(plan.phases[0]!.trainable, ['flatten', 'fc1', 'dropout', 'dropout_1', 'predictions']);
  t.is(plan.head.dropout, 0.2);
  t.deepEqual((await resolve('--head', 'vgg')).vggTrain, ['fc2', 'predictions']);
});

test('an unknown --vgg-train layer is refused with the allowed names', async (t) => {
  await t.throwsAsync(resolve('--head', 'vgg', '--vgg-train', 'fc1,fc3'), { instanceOf: UserError, message: /--vgg-train.*"fc1"\|"fc2"\|"predictions"/ });
});

test('augmentation flags: a preset, Keras fields overriding it, and --augment-copies', async (t) => {
  const o = await resolve('--strategy', 'freeze', '--augment', 'standard', '--rotation-range', '7', '--vertical-flip', '--augment-copies', '3');
  t.is(o.augmentCopies, 3);
  t.like(o.augment, { rotationRange: 7, verticalFlip: true, horizontalFlip: true });
  t.is((await resolve()).augment, undefined);
  await t.throwsAsync(resolve('--augment-copies', '0'), { instanceOf: UserError, message: /--augment-copies/ });
  await t.throwsAsync(resolve('--batch-size', '0'), { instanceOf: UserError, message: /^Invalid train options \(--batch-size: / });
  await t.throwsAsync(parseTrainArgs(['data', '--augment', 'wild']), { instanceOf: UserError, message: /--augment/ });
});
