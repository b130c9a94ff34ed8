import { stat } from 'node:fs/promises';
import { readRandomInitMarker } from '../keras/index.ts';
import { RunDir } from '../run/run-dir.ts';
import { randomInitWarning, type TransferkitWarning } from '../warnings.ts';

/** How the CLI shows a library warning: one line on stderr. */
export function printWarning(warning: TransferkitWarning): void {
  process.stderr.write(`warning: ${warning.message}\n`);
}

/** The weights file and marker a run directory's config.json records, when they were random-init. */
async function runRandomInit(runDir: string): Promise<{ path: string; marker: string } | undefined> {
  const config = await new RunDir(runDir).readIfPresent('config').catch(() => undefined);
  const weights = config?.weights;
  return weights?.randomInit === undefined ? undefined : { path: weights.path, marker: weights.randomInit };
}

/**
 * The random-init warning, once, before a command works on a weights file or a run trained from
 * one. A path that cannot be read is left to the command to report.
 */
export async function warnIfRandomInit(weightsOrRun: string): Promise<void> {
  const info = await stat(weightsOrRun).catch(() => undefined);
  if (!info) return;
  const found = info.isDirectory()
    ? await runRandomInit(weightsOrRun)
    : await readRandomInitMarker(weightsOrRun).then((marker) => (marker === undefined ? undefined : { path: weightsOrRun, marker }), () => undefined);
  if (found) printWarning(randomInitWarning(found.path, found.marker));
}
