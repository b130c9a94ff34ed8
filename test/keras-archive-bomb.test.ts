import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Zip, ZipDeflate } from 'fflate';

const repo = fileURLToPath(new URL('..', import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), 'tk-bomb-'));
test.after.always(() => rm(tmp, { recursive: true, force: true }));

/** A .keras of a few MB whose `member` inflates to 1 GiB of zeros (built by streaming, never in memory). */
async function zipBomb(member: string): Promise<string> {
  const path = join(tmp, `${member}.keras`);
  const out = createWriteStream(path);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  const zip = new Zip((err, chunk, final) => {
    if (err) throw err;
    out.write(chunk);
    if (final) out.end();
  });
  const entry = new ZipDeflate(member, { level: 9 });
  zip.add(entry);
  const zeros = new Uint8Array(16 * 2 ** 20);
  for (let i = 0; i < 64; i++) entry.push(zeros, i === 63);
  zip.end();
  await done;
  return path;
}

/** Read the archive in a fresh Node process; its error line and peak RSS. */
function readInChild(path: string): { stderr: string; maxRssMb: number } {
  const script = `
    import { readKerasFile } from './src/keras/index.ts';
    try { await readKerasFile(${JSON.stringify(path)}); console.error('read without error'); }
    catch (err) { console.error(err.message); }
    console.log(process.resourceUsage().maxRSS);`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
  return { stderr: child.stderr.trim(), maxRssMb: Number(child.stdout.trim()) / 1024 };
}

for (const member of ['config.json', 'model.weights.h5']) {
  test.serial(`a zip bomb .keras (${member} inflating to 1 GiB) is refused with a clear error under 300 MB of RSS`, async (t) => {
    const path = await zipBomb(member);
    t.true((await stat(path)).size < 8 * 2 ** 20);
    const { stderr, maxRssMb } = readInChild(path);
    t.regex(stderr, new RegExp(`'${member.replace('.', '\\.')}' in the archive (inflates past \\d+ bytes|is not an HDF5 file)`));
    t.true(maxRssMb > 0 && maxRssMb < 300, `peak RSS ${maxRssMb.toFixed(0)} MB`);
  });
}
