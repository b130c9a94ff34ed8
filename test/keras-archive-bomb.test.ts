import test from 'ava';
import { spawnSync } from 'node:child_process';
import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { Zip, type ZipInputFile } from 'fflate';
import { tempDir } from './helpers/temp-dir.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const tmp = await tempDir('tk-bomb-');
test.after.always(() => rm(tmp, { recursive: true, force: true }));

/**
 * A .keras of about 1 MB whose `member` inflates to 1 GiB of zeros. zlib deflates 16 MiB once
 * without ending the stream; 64 copies of that block, then an empty final block, are one valid
 * deflate stream (a full flush makes each copy independent) — built in a second, never inflated here.
 */
async function zipBomb(member: string): Promise<string> {
  const path = join(tmp, `${member}.keras`);
  const zeros = Buffer.alloc(16 * 2 ** 20);
  const block = new Uint8Array(deflateRawSync(zeros, { level: 9, finishFlush: constants.Z_FULL_FLUSH }));
  let crc = 0;
  for (let i = 0; i < 64; i++) crc = crc32(zeros, crc);
  const parts: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    parts.push(chunk);
  });
  const entry: ZipInputFile = { filename: member, compression: 8, size: 64 * zeros.length, crc, terminate: () => {} };
  zip.add(entry);
  for (let i = 0; i < 64; i++) entry.ondata!(null, block, false);
  entry.ondata!(null, new Uint8Array(deflateRawSync(Buffer.alloc(0))), true);
  zip.end();
  await writeFile(path, Buffer.concat(parts));
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
