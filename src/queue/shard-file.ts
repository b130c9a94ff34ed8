/**
 * A finished shard on the shared directory: one immutable file named for the SHA-256 of its bytes
 * (`<sha256>.tks`), written to a temp name and renamed, so a reader sees a whole file or none, and
 * two workers finishing the same shard cannot clobber each other. Layout: the line `TKSHARD1`, one
 * JSON header line (fingerprint, feature shape, engine, entry keys and lengths, unreadable images),
 * then the entries' stored values (`encodeFeatures`: the exact bytes lmdb will hold) back to back.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { UnreadableImage } from '../data/unreadable.ts';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';

const MAGIC = 'TKSHARD1\n';
export const SHARD_EXT = '.tks';

export interface Shard {
  fingerprint: string;
  /** Feature shape of one entry (e.g. [2, 2, 512]). */
  shape: number[];
  /** Engine that computed the entries. */
  engine: string;
  entries: Array<{ key: string; value: Uint8Array }>;
  unreadable: UnreadableImage[];
}

const headerSchema = z.object({
  fingerprint: z.string(),
  shape: z.array(z.number().int()),
  engine: z.string(),
  entries: z.array(z.tuple([z.string(), z.number().int().min(0)])),
  unreadable: z.array(z.object({ path: z.string(), reason: z.string() })),
});

export function encodeShard(shard: Shard): Buffer {
  const header = { fingerprint: shard.fingerprint, shape: shard.shape, engine: shard.engine, entries: shard.entries.map((e) => [e.key, e.value.length]), unreadable: shard.unreadable };
  return Buffer.concat([Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`), ...shard.entries.map((e) => e.value)]);
}

/** Write `shard` into `dir`; resolves with its file name. */
export async function writeShard(dir: string, shard: Shard): Promise<string> {
  const bytes = encodeShard(shard);
  const name = `${createHash('sha256').update(bytes).digest('hex')}${SHARD_EXT}`;
  await writeFileAtomic(join(dir, name), bytes);
  return name;
}

/** Read and verify a shard file: its bytes must hash to its name and parse whole. */
export async function readShard(file: string): Promise<Shard> {
  const corrupt = (why: string) => new UserError(`shard ${file} is corrupt (${why}); delete it and run the extract --queue command again`);
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`shard ${file}: ${err.code === 'ENOENT' ? 'not found' : err.message}; every worker and the submitting process must see the same shard directory (--shard-dir)`);
  });
  if (`${createHash('sha256').update(bytes).digest('hex')}${SHARD_EXT}` !== basename(file)) throw corrupt('its bytes do not match its name');
  const newline = bytes.indexOf(0x0a, MAGIC.length);
  if (bytes.subarray(0, MAGIC.length).toString() !== MAGIC || newline < 0) throw corrupt('no TKSHARD1 header');
  const parsed = headerSchema.safeParse(JSON.parse(bytes.subarray(MAGIC.length, newline).toString()));
  if (!parsed.success) throw corrupt('malformed header');
  const { entries, ...rest } = parsed.data;
  let at = newline + 1;
  const values = entries.map(([key, length]) => {
    const value = bytes.subarray(at, at + length);
    at += length;
    return { key, value };
  });
  if (at !== bytes.length) throw corrupt(`${bytes.length - at} bytes more or fewer than its header lists`);
  return { ...rest, entries: values };
}
