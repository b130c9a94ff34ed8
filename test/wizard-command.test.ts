import test from 'ava';
import { spawnSync } from 'node:child_process';
import { parseTrainArgs } from '../src/cli/train.ts';
import { formatCommand, trainCommand, wizardTrainOptions, type WizardAnswers } from '../src/cli/wizard/command.ts';
import { validateNumber, validateOutDir } from '../src/cli/wizard/validate.ts';
import { AUGMENT_PRESETS, parseAugmentOptions } from '../src/data/augment-options.ts';
import { resolveTrainOptions, type TrainOptions } from '../src/training/options.ts';

const answers: WizardAnswers = {
  dataDir: "/data/my cats & dogs/it's here", weights: '/m/w.h5', strategy: 'slice', augment: 'strong',
  inputSize: 96, epochs: 3, batchSize: 16, lr: 3e-5, seed: 7, out: 'runs/x',
};

/** The printed command read back by train's own parser (commander, the flags of `transferkit train`). */
async function readBack(options: TrainOptions): Promise<{ dataDir: string; options: TrainOptions }> {
  return parseTrainArgs(trainCommand(answers.dataDir, options).slice(2));
}

test('every answer becomes a train flag: the train parser reads back exactly the answers', async (t) => {
  const { dataDir, options } = await readBack(wizardTrainOptions(answers, { cache: '/tmp/c' }));
  t.is(dataDir, answers.dataDir);
  const o = resolveTrainOptions(options);
  t.like(o, { strategy: 'slice', weights: '/m/w.h5', inputSize: 96, epochs: 3, batchSize: 16, lr: 3e-5, seed: 7, out: 'runs/x', cache: '/tmp/c' });
  // The preset is printed as `--augment strong` and reads back as that preset's settings.
  t.deepEqual(parseAugmentOptions(options.augment), { ...AUGMENT_PRESETS.strong });
});

test('lists, switches and augmentation fields print as flags that read back to the same options', async (t) => {
  const given: TrainOptions = {
    strategy: 'finetune', head: 'vgg', vggTrain: ['fc1', 'predictions'], batchnorm: true, unfreezeFrom: 'block4_conv1', classWeight: 'auto',
    augment: { preset: 'light', zoomRange: [0.9, 1.2], horizontalFlip: true, rotationRange: 5, fillMode: 'reflect' },
  };
  const words = trainCommand('data', given);
  t.true(words.includes('--vgg-train') && words.includes('fc1,predictions'), words.join(' '));
  t.true(words.includes('--batchnorm') && words.includes('--zoom-range') && words.includes('0.9,1.2'), words.join(' '));
  const { options } = await readBack(given);
  const { augment, ...rest } = resolveTrainOptions(options);
  const { augment: givenAugment, ...givenRest } = resolveTrainOptions(given);
  t.deepEqual(rest, givenRest);
  t.deepEqual(parseAugmentOptions(augment), parseAugmentOptions(givenAugment));
});

test('the printed command survives a real shell word for word', (t) => {
  const words = trainCommand(answers.dataDir, wizardTrainOptions(answers));
  const echoed = spawnSync('sh', ['-c', `printf '%s\\n' ${formatCommand(words)}`], { encoding: 'utf8' });
  t.is(echoed.status, 0);
  t.deepEqual(echoed.stdout.split('\n').slice(0, -1), words);
  t.true(formatCommand(words).startsWith('transferkit train '), 'plain words stay unquoted');
});

test('numbers are checked against the train options schema, with the reason', (t) => {
  const lr = validateNumber('lr', '--lr');
  t.is(lr('0.01'), true);
  t.is(lr('1e-4'), true);
  t.regex(String(lr('abc')), /--lr: "abc" is not a number/);
  t.regex(String(lr('-1')), /--lr: .*(>0|greater|positive)/i);
  t.regex(String(validateNumber('epochs', '--epochs')('2.5')), /--epochs: .*int/i);
  t.regex(String(validateNumber('inputSize', '--input-size')('16')), /--input-size: .*32/);
});

test('the run directory must be new or empty', async (t) => {
  t.is(await validateOutDir('/nonexistent/run'), true);
  t.regex(String(await validateOutDir(process.cwd())), /already holds files/);
});
