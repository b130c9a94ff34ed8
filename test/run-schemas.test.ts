import test from 'ava';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../src/errors.ts';
import { evaluateRun } from '../src/inference/evaluate.ts';
import { writeReport } from '../src/report/html-report.ts';
import { RUN_FILES } from '../src/run/files.ts';
import { loadRun } from '../src/run/load-run.ts';
import { RunDir } from '../src/run/run-dir.ts';
import { manifestSchema, modelDescriptionSchema, runConfigSchema } from '../src/run/schemas.ts';
import { resumeTraining } from '../src/training/train.ts';
import { trainTinyRun } from './evaluate-fixture.ts';

const { tmp, data, runDir } = await trainTinyRun('tk-run-schemas-');
test.after.always(() => rm(tmp, { recursive: true, force: true }));

const readJson = async (path: string): Promise<unknown> => JSON.parse(await readFile(path, 'utf8'));

/** A copy of the trained run whose config.json is `edit`ed (the original stays intact for the other tests). */
async function runWithConfig(name: string, edit: (config: Record<string, unknown>) => void): Promise<RunDir> {
  const copy = new RunDir(join(tmp, name));
  await cp(runDir, copy.dir, { recursive: true });
  const config = (await readJson(copy.path('config'))) as Record<string, unknown>;
  edit(config);
  await writeFile(copy.path('config'), JSON.stringify(config));
  return copy;
}

test.serial('the config, manifest, model description and history that train writes parse with the run schemas', async (t) => {
  const config = runConfigSchema.parse(await readJson(join(runDir, RUN_FILES.config)));
  t.is(config.dataDir, data);
  t.is(config.strategy, 'freeze');
  t.is(config.plan.cut, 'block5_pool');
  t.deepEqual([config.options.inputSize, config.options.epochs, config.options.batchSize], [32, 2, 8]);
  t.is(config.options.dense, 16, 'every resolved option is kept, not only those the schema names');
  t.is(config.precision?.precision, 'fp32');
  t.is(config.weights?.path, join(tmp, 'notop.h5'));

  const manifest = manifestSchema.parse(await readJson(join(runDir, RUN_FILES.manifest)));
  t.deepEqual(manifest.classes, ['circles', 'squares']);
  t.deepEqual([manifest.splits.train?.length, manifest.splits.validation?.length], [24, 12]);

  const description = modelDescriptionSchema.parse(await readJson(join(runDir, RUN_FILES.model)));
  t.deepEqual(description.plan, config.plan);
  t.deepEqual(description.preprocessing.size, [32, 32]);

  const run = new RunDir(runDir);
  t.deepEqual(await run.read('classes'), manifest.classes);
  t.deepEqual((await run.read('history')).map((h) => h.epoch), [0, 1]);
  t.deepEqual(await run.read('config'), config);
});

test.serial('a config.json missing a field, or with a field of the wrong type, is a UserError naming the file and the field', async (t) => {
  const noDataDir = await runWithConfig('no-data-dir', (c) => delete c.dataDir);
  const err = await t.throwsAsync(loadRun(noDataDir.dir), { instanceOf: UserError });
  t.true(err!.message.startsWith(`${noDataDir.path('config')}: invalid (dataDir: `), err!.message);

  const badCut = await runWithConfig('bad-cut', (c) => ((c.plan as Record<string, unknown>).cut = 7));
  const cutErr = await t.throwsAsync(writeReport(badCut.dir), { instanceOf: UserError });
  t.true(cutErr!.message.startsWith(`${badCut.path('config')}: invalid (plan.cut: `), cutErr!.message);
  t.regex(cutErr!.message, /expected the resolved config a `transferkit train` run writes/);

  // Options the report does not read are checked by the train schema when the run resumes.
  const badOption = await runWithConfig('bad-option', (c) => ((c.options as Record<string, unknown>).dropout = 2));
  await rm(badOption.path('modelWeights')); // else resume stops at "already finished"
  const optionErr = await t.throwsAsync(resumeTraining(badOption.dir), { instanceOf: UserError });
  t.true(optionErr!.message.startsWith(`Invalid training options in ${badOption.path('config')} (dropout: `), optionErr!.message);
});

test.serial('a corrupt or missing run file is named with the reason', async (t) => {
  const corrupt = await runWithConfig('corrupt', () => {});
  await writeFile(corrupt.path('model'), '{"format": "transferkit-model", ');
  const err = await t.throwsAsync(loadRun(corrupt.dir), { instanceOf: UserError });
  t.true(err!.message.startsWith(`${corrupt.path('model')}: `), err!.message);
  t.regex(err!.message, /expected the model description a `transferkit train` run writes/);

  await rm(corrupt.path('manifest'));
  const missing = await t.throwsAsync(writeReport(corrupt.dir), { instanceOf: UserError });
  t.is(missing!.message, `${corrupt.path('manifest')}: not found; expected the image manifest a \`transferkit train\` run writes. Pass a run directory (e.g. runs/NAME).`);
});

test.serial('history written with a NaN loss (JSON null) reads back as NaN', async (t) => {
  const run = new RunDir(join(tmp, 'nan-history'));
  await run.writeHistory([{ epoch: 0, phase: 'train', loss: Number.NaN, acc: 0.5, val_loss: Number.NaN, val_acc: 0.5, lr: 1e-3 }]);
  const [logs] = await run.read('history');
  t.true(Number.isNaN(logs!.loss) && Number.isNaN(logs!.val_loss));
  t.is(logs!.acc, 0.5);
  t.is((await readFile(run.path('historyCsv'), 'utf8')).split('\n')[1], '0,train,NaN,0.5,NaN,0.5,0.001');
});

test.serial('evaluation.json that evaluate writes parses with its schema', async (t) => {
  const written = await evaluateRun(runDir, undefined, { engine: 'tfjs' });
  const read = await new RunDir(runDir).read('evaluation');
  t.deepEqual(read, written);
  t.is(read.data.images, 12);
});
