import test from 'ava';
import { spawnSync } from 'node:child_process';
import { parseTrainArgs } from '../src/cli/train.ts';
import { AUGMENT_PRESETS } from '../src/data/augment-options.ts';
import { resolveTrainOptions } from '../src/training/options.ts';
import { formatCommand, trainArgs, type WizardAnswers } from '../src/wizard/command.ts';
import { validateNumber, validateOutDir } from '../src/wizard/validate.ts';

const answers: WizardAnswers = {
  dataDir: "/data/my cats & dogs/it's here", weights: '/m/w.h5', strategy: 'slice', augment: 'strong',
  inputSize: 96, epochs: 3, batchSize: 16, lr: 3e-5, seed: 7, out: 'runs/x',
};

test('every answer becomes a train flag: the train parser reads back exactly the answers', async (t) => {
  const { dataDir, options, quiet } = await parseTrainArgs(trainArgs(answers, ['--cache', '/tmp/c', '--quiet']));
  t.is(dataDir, answers.dataDir);
  const o = resolveTrainOptions(options);
  t.like(o, { strategy: 'slice', weights: '/m/w.h5', inputSize: 96, epochs: 3, batchSize: 16, lr: 3e-5, seed: 7, out: 'runs/x', cache: '/tmp/c' });
  // --quiet chooses how the run is shown: the CLI's concern, not a train option.
  t.true(quiet);
  t.false('quiet' in o);
  // The preset expands as `--augment strong` does on the command line.
  t.deepEqual(options.augment, { ...AUGMENT_PRESETS.strong });
});

test('the printed command survives a real shell word for word', (t) => {
  const words = ['transferkit', 'train', ...trainArgs(answers)];
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
