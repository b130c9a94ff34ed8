import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';

/** Files hashed in this process, by absolute path, with the stat stamp they had. */
const known = new Map<string, { stamp: string; hash: string }>();
/** Past this many files the memo starts over (a 100k-image folder is ~20 MB of entries). */
const MEMO_LIMIT = 200_000;

/**
 * SHA-256 of a file's bytes, hex, read as a stream so large photos never sit in memory. This is the
 * content address the feature cache keys on: renaming or moving a file keeps its cached features.
 * A run asks for the same image's hash at every step (sampling, extraction, every read of the
 * cache: ~9 times per image in `train --strategy auto`), so a file is re-read only when its inode,
 * size, modification or change time differ from when it was hashed. Those times move in clock
 * ticks of a few ms, so only a same-size rewrite within one tick of hashing goes unseen.
 */
export async function hashFile(path: string): Promise<string> {
  const abs = resolve(path);
  const s = await stat(abs, { bigint: true });
  const stamp = `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  const memo = known.get(abs);
  if (memo?.stamp === stamp) return memo.hash;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(abs, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  const hex = hash.digest('hex');
  if (known.size >= MEMO_LIMIT) known.clear();
  known.set(abs, { stamp, hash: hex });
  return hex;
}
