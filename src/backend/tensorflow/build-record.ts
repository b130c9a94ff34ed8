/**
 * The record `setup tensorflow` writes beside the addon it installs: what it was built from. It lives
 * next to the addon inside node_modules, so `npm ci` removes both together, and `doctor` can tell an
 * addon we built from a pip wheel apart from tfjs-node's official libtensorflow download.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../util/atomic.ts';

export const BUILD_RECORD_FILE = 'transferkit-build.json';

const recordSchema = z.object({
  variant: z.enum(['cpu', 'gpu']),
  /** pip distribution and version the addon links against. */
  pipPackage: z.string(),
  tensorflowVersion: z.string(),
  /** The folder holding libtensorflow_cc.so.2 (the addon's RUNPATH). */
  libraryDir: z.string(),
  venv: z.string(),
  /** The tfjs-node package version whose binding sources were compiled. */
  tfjsNodeVersion: z.string(),
  /** Node's ABI and N-API version at build time. */
  nodeModules: z.string(),
  napi: z.string(),
  /** Size of the installed addon, to notice it being replaced by something else. */
  addonBytes: z.number(),
});
export type BuildRecord = z.infer<typeof recordSchema>;

/** Where tfjs-node loads its addon from: node-pre-gyp's answer for this Node (lib/napi-vN/tfjs_binding.node). */
export function addonPath(packageJson: string): string {
  const find = (createRequire(packageJson)('@mapbox/node-pre-gyp') as { find: (p: string) => string }).find;
  return find(packageJson);
}

export function recordPath(addon: string): string {
  return join(dirname(addon), BUILD_RECORD_FILE);
}

/** The record beside `addon`, or null when there is none or it is unreadable (treated as "not ours"). */
export function readBuildRecord(addon: string): BuildRecord | null {
  try {
    return recordSchema.parse(JSON.parse(readFileSync(recordPath(addon), 'utf8')));
  } catch {
    return null;
  }
}

export function writeBuildRecord(addon: string, record: BuildRecord): Promise<void> {
  return writeFileAtomic(recordPath(addon), JSON.stringify(record, null, 2) + '\n');
}
