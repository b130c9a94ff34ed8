import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readKerasFile } from '../../src/keras/index.ts';
import { runWizard } from '../../src/cli/wizard/run-wizard.ts';
import { KEY, ScriptedTerminal } from '../wizard-terminal.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const catsDogs = resolve(repo, '..', 'shared', 'datasets', 'cats-dogs');

/**
 * What may differ between two runs of the same command: the times things were made. `created` in
 * config.json and evaluation.json (and the report, which prints both); HDF5 files stamp each object
 * with its creation time, so they are compared by content (attributes, layer and weight names,
 * shapes and the exact float32 bytes) instead of file bytes.
 */
const TIMESTAMP = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;

async function contents(runDir: string, file: string): Promise<unknown> {
  const path = join(runDir, file);
  if (file.endsWith('.h5')) {
    const k = await readKerasFile(path);
    return { ...k, path: undefined, layers: k.layers.map((l) => ({ ...l, weights: l.weights.map((w) => ({ ...w, data: Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString('base64') })) })) };
  }
  const bytes = await readFile(path);
  return /\.(json|html|csv)$/.test(file) ? bytes.toString('utf8').replace(TIMESTAMP, '<time>') : bytes.toString('base64');
}

test('a scripted wizard session on cats-dogs leaves the same run directory as its printed commands', async (t) => {
  const tmp = await tempDir('tk-wizard-cd-');
  const models = join(tmp, 'models');
  process.chdir(tmp);
  const term = new ScriptedTerminal();
  const session = runWizard({ streams: term, modelsDir: models, previewDir: tmp, quiet: true });
  await term.answer(/Data folder/, `${catsDogs}${KEY.enter}`);
  await term.answer(/VGG16 weights/, `${KEY.up}${KEY.enter}`); // random init (no pretrained weights offline)
  await term.answer(/Image size/, `64${KEY.enter}`);
  await term.answer(/everyday photos/, `${KEY.down}${KEY.enter}`); // similar -> freeze
  await term.answer(/Strategy:/, KEY.enter);
  await term.answer(/Augmentation/, KEY.enter);
  await term.answer(/Epochs:/, `2${KEY.enter}`);
  await term.answer(/Batch size:/, KEY.enter);
  await term.answer(/Learning rate/, KEY.enter);
  await term.answer(/Run directory/, `${join(tmp, 'run')}${KEY.enter}`);
  await term.answer(/Start training now\?/, KEY.enter);
  const result = await session;
  t.is(result.status, 'done');
  t.like(result.answers, { strategy: 'freeze', augment: 'light', inputSize: 64, epochs: 2 });
  await rename(join(tmp, 'run'), join(tmp, 'wizard-run'));

  // Run the printed commands, word for word, through a shell.
  const printed = term.screen.match(/equivalent command:\n {2}(.*)\nthen:\n {2}(.*)\n/);
  t.truthy(printed);
  const cli = `node ${join(repo, 'bin/transferkit.js')}`;
  for (const command of [printed![1]!, printed![2]!]) {
    const r = spawnSync('sh', ['-c', command.replace(/^transferkit /, `${cli} `)], { cwd: tmp, encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
  }

  const files = (await readdir(join(tmp, 'wizard-run'))).sort();
  t.deepEqual((await readdir(join(tmp, 'run'))).sort(), files);
  t.true(files.includes('report.html') && files.includes('evaluation.json') && files.includes('model.weights.h5'));
  for (const f of files) t.deepEqual(await contents(join(tmp, 'run'), f), await contents(join(tmp, 'wizard-run'), f), f);
});
