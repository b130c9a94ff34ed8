import test from 'ava';
import { createHash } from 'node:crypto';
import { rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashFile } from '../src/data/hash.ts';
import { tempDir } from './helpers/temp-dir.ts';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

test('hashFile is the SHA-256 of the bytes, and a rewrite of the same size with the old mtime still re-hashes', async (t) => {
  const dir = await tempDir('tk-hash-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'a.jpg');
  await writeFile(file, 'first version');
  t.is(await hashFile(file), sha('first version'));
  t.is(await hashFile(file), sha('first version'), 'asked again: the same answer');
  const { atime, mtime } = await stat(file);
  // File times move in clock ticks of a few ms: a rewrite within the same tick would keep them.
  await new Promise((done) => setTimeout(done, 20));
  await writeFile(file, 'other version');
  // Restoring the mtime cannot hide the rewrite: the change time moved (it cannot be set back).
  await utimes(file, atime, mtime);
  t.is(await hashFile(file), sha('other version'));
});
