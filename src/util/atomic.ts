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
