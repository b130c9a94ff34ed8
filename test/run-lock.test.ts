import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../src/errors.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { claimRunDir } from '../src/run/lock.ts';
import { makeShapesDataset } from './training-shapes.ts';
import { tempDir } from './helpers/temp-dir.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const tmp = await tempDir('tk-lock-');
test.after.always(() => rm(tmp, { recursive: true, force: true }));
const quiet = { log: () => {} };

test('a run directory has one owner: a second claim names the owning pid, release frees it', async (t) => {
  const dir = join(tmp, 'owned');
  const lock = await claimRunDir(dir, quiet);
  t.is((await readFile(join(dir, '.lock'), 'utf8')).trim(), String(process.pid));
  const err = await t.throwsAsync(claimRunDir(dir, quiet), { instanceOf: UserError });
  t.regex(err!.message, new RegExp(`in use by process ${process.pid}`));
  await lock.release();
  await (await claimRunDir(dir, quiet)).release();
});

test('the lock of a process that died is taken over with a message', async (t) => {
  const dir = join(tmp, 'stale');
  await mkdir(dir);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  await writeFile(join(dir, '.lock'), `${dead}\n`);
  const lines: string[] = [];
  const lock = await claimRunDir(dir, { log: (l) => lines.push(l) });
  t.deepEqual(lines, [`run directory ${dir}: taking over the lock of process ${dead}, which is no longer running`]);
  await lock.release();
});

test('a non-empty folder is refused without overwrite, emptied with it; stale temps go; a failed run leaves no folder it created', async (t) => {
  const dir = join(tmp, 'finished');
  await mkdir(dir);
  await writeFile(join(dir, 'model.weights.h5'), 'old run');
  await writeFile(join(dir, '.model.weights.h5.4242.deadbeef.tmp'), 'half');
  const err = await t.throwsAsync(claimRunDir(dir, quiet), { instanceOf: UserError });
  t.regex(err!.message, /not empty \(model\.weights\.h5\); pass --overwrite/);
  t.deepEqual(await readdir(dir), ['model.weights.h5'], 'the refused claim removed only the stale temp and its own lock');
  const resumed = await claimRunDir(dir, { ...quiet, resume: true });
  await resumed.release();
  const lock = await claimRunDir(dir, { ...quiet, overwrite: true });
  t.deepEqual(await readdir(dir), ['.lock']);
  await lock.release(true);
  await t.notThrowsAsync(access(dir), 'a folder the run did not create stays');

  const fresh = join(tmp, 'fresh', 'run');
  await (await claimRunDir(fresh, quiet)).release(true);
  await t.throwsAsync(access(fresh));
});

test('two concurrent train --out X: exactly one proceeds, the other exits with one line', async (t) => {
  const data = join(tmp, 'shapes');
  const weights = join(tmp, 'notop.h5');
  await makeShapesDataset(data, { perClass: 4, val: 2, seed: 1, size: 32 });
  await initWeights(weights, { includeTop: false, seed: 0 });
  const out = join(tmp, 'shared-out');
  const run = () => {
    const child = spawn(process.execPath, [join(repo, 'bin/transferkit.js'), '--backend', 'cpu', 'train', data, '--strategy', 'freeze', '--input-size', '32',
      '--weights', weights, '--cache', join(tmp, 'cache'), '--epochs', '1', '--quiet', '--out', out], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise<{ code: number | null; stderr: string }>((r) => child.once('exit', (code) => r({ code, stderr })));
  };
  const results = await Promise.all([run(), run()]);
  const ok = results.filter((r) => r.code === 0);
  const refused = results.filter((r) => r.code !== 0);
  t.is(ok.length, 1, results.map((r) => r.stderr).join('\n---\n'));
  t.is(refused.length, 1);
  const lines = refused[0]!.stderr.trim().split('\n');
  t.is(lines.length, 1, refused[0]!.stderr);
  t.regex(lines[0]!, new RegExp(`^transferkit: run directory ${out} (is in use by process \\d+|is not empty)`));
});
