import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A temp path beside `target` (same filesystem, so rename is atomic). */
function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Produce `target` atomically: `write` fills a temp file beside it, which is renamed over `target`
 * only when `write` succeeds. Readers never see a half-written file; a crash leaves the old one.
 */
export async function atomicWrite(target: string, write: (tempPath: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  try {
    await write(temp);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Write bytes or text to `target` atomically. */
export function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  return atomicWrite(target, (temp) => writeFile(temp, data));
}

/**
 * Produce the folder `target` atomically: `fill` writes every file into a temp folder beside it,
 * which then replaces `target` (an old `target` is moved aside first and removed after). Readers see
 * the old folder or the complete new one; a failed `fill` leaves the old one untouched.
 */
export async function atomicWriteDir(target: string, fill: (tempDir: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  const old = tempPathFor(target);
  try {
    await mkdir(temp);
    await fill(temp);
    const replaced = await rename(target, old).then(() => true, (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    });
    await rename(temp, target).catch(async (err: unknown) => {
      if (replaced) await rename(old, target);
      throw err;
    });
    if (replaced) await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}

/** Write JSON atomically, pretty-printed. */
export function writeJson(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
