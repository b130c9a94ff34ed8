/**
 * Temporary folders for tests, removed when the test file's process exits (ava runs each file in a
 * process of its own), passed or failed: runs, caches and weight files add up to hundreds of MB per
 * `npm test`, and the leftovers of many runs once filled /tmp. `TK_KEEP_TEMP=1` keeps them for a
 * look after a failure.
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

function removeAll(): void {
  if (process.env.TK_KEEP_TEMP === '1') return;
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
}

/** A new empty folder `<os temp>/<prefix>XXXXXX`, removed when this process exits. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (made.size === 0) process.once('exit', removeAll);
  made.add(dir);
  return dir;
}
