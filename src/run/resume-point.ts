/**
 * The state `train --resume` continues from, saved after every completed epoch: trainer weights,
 * optimizer state, callbacks' state, learning rate, history and the PRNG position. Each point is a
 * folder written atomically under `resume/` (then older points are removed), so a kill -9 at any
 * moment leaves the last complete point.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { atomicWriteDir } from '../util/atomic.ts';
import { RESUME_DIR } from './files.ts';

/** Plain data plus Float32Arrays (stored in a binary side file). */
export type StateValue = number | string | boolean | null | Float32Array | StateValue[] | { [key: string]: StateValue };

export interface ResumePoint {
  /** Index of the phase in progress (`plan.phases.length` when every phase is done). */
  phase: number;
  /** Epochs completed in that phase. */
  phaseEpochs: number;
  /** Epochs completed over the whole run (the next epoch's number). */
  epoch: number;
  /** Values drawn from the run's PRNG so far. */
  rngDraws: number;
  /** Trainer weights, `snapshotWeights` order. */
  trainer: Float32Array[];
  /** Each callback's `saveState()` (null for stateless ones), in callback order. */
  callbacks: StateValue[];
  /** The phase in progress: optimiser state, next learning rate, whether a callback stopped it; null at a phase boundary. */
  fit: { learningRate: number; optimizer: StateValue; stopped: boolean } | null;
}

const POINT = /^p(\d+)-e(\d+)$/;
const BIN = 'arrays.bin';
const JSON_FILE = 'state.json';

/** Save `point` and drop the older ones. */
export async function writeResumePoint(runDir: string, point: ResumePoint): Promise<void> {
  const arrays: Float32Array[] = [];
  let floats = 0;
  const json = JSON.stringify(point, (_key, v: unknown) => {
    if (v instanceof Float32Array) {
      arrays.push(v);
      floats += v.length;
      return { $f32: floats - v.length, length: v.length };
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
    return v;
  });
  const bin = new Uint8Array(arrays.reduce((n, a) => n + a.byteLength, 0));
  let offset = 0;
  for (const a of arrays) {
    bin.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  const name = `p${point.phase}-e${point.epoch}`;
  const dir = join(runDir, RESUME_DIR);
  await atomicWriteDir(join(dir, name), async (temp) => {
    await writeFile(join(temp, BIN), bin);
    await writeFile(join(temp, JSON_FILE), json);
  });
  for (const other of await readdir(dir)) if (other !== name && POINT.test(other)) await rm(join(dir, other), { recursive: true, force: true });
}

/** The folder name of the latest saved point, if any. */
export async function latestResumePoint(runDir: string): Promise<string | undefined> {
  const names = (await readdir(join(runDir, RESUME_DIR)).catch(() => [] as string[])).filter((n) => POINT.test(n));
  const key = (n: string): [number, number] => {
    const [, p, e] = POINT.exec(n)!;
    return [Number(p), Number(e)];
  };
  return names.sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]).at(-1);
}

/** The latest saved point, or undefined when the run never completed an epoch. */
export async function readResumePoint(runDir: string): Promise<ResumePoint | undefined> {
  const dir = join(runDir, RESUME_DIR);
  const latest = await latestResumePoint(runDir);
  if (latest === undefined) return undefined;
  try {
    const bin = await readFile(join(dir, latest, BIN));
    const buffer = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
    return JSON.parse(await readFile(join(dir, latest, JSON_FILE), 'utf8'), (_key, v: unknown) => {
      if (v !== null && typeof v === 'object' && '$f32' in v) {
        const { $f32: at, length } = v as { $f32: number; length: number };
        return new Float32Array(buffer, at * 4, length);
      }
      if (v !== null && typeof v === 'object' && '$num' in v) return Number((v as { $num: string }).$num);
      return v;
    }) as ResumePoint;
  } catch (err) {
    throw new UserError(`${join(dir, latest)}: unreadable resume state (${(err as Error).message}); remove that folder to resume from the point before it.`);
  }
}
