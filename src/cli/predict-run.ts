import type { Command } from 'commander';
import { z } from 'zod';
import { initBackendFromCli } from './backend.ts';
import { describeUnreadable } from '../data/unreadable.ts';
import { PREDICT_DEFAULTS, predictRun, type PredictRunResult } from '../inference/predict-run.ts';
import { OPTION_PIECES } from '../options/pieces.ts';
import { parseOrThrow } from '../util/validate.ts';
import { warnIfRandomInit } from './warnings.ts';

/** `--top` of both forms of `predict`. */
export const topSchema = z.coerce.number().int().positive().default(PREDICT_DEFAULTS.top);

const optionsSchema = z
  .object({
    top: topSchema,
    json: z.boolean().default(false),
    csv: z.boolean().default(false),
    engine: OPTION_PIECES.engine,
  })
  .refine((o) => !(o.json && o.csv), { message: 'choose one of --json and --csv' });

function csvField(value: string | number): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One row per image and rank: `image,rank,class,probability`; unreadable files get an `error` row. */
export function formatPredictionsCsv(result: PredictRunResult): string {
  const rows = [['image', 'rank', 'class', 'probability', 'error']];
  for (const p of result.predictions) p.predictions.forEach((c, i) => rows.push([p.image, String(i + 1), c.class, c.probability.toFixed(6), '']));
  for (const u of result.unreadable) rows.push([u.path, '', '', '', u.reason]);
  return rows.map((r) => r.map(csvField).join(',')).join('\n');
}

function formatPredictionsText(result: PredictRunResult): string {
  return result.predictions
    .map(({ image, predictions }) => [image, ...predictions.map((c, i) => `  ${i + 1}. ${c.class}  ${c.probability.toFixed(4)}`)].join('\n'))
    .join('\n');
}

/**
 * The RUN_DIR form of `transferkit predict`: top-k classes of a trained run for image files and
 * folders. Unreadable files are reported by name (stderr in text mode) and set exit code 1 once the
 * others are printed.
 */
export async function predictRunCommand(runDir: string, inputs: readonly string[], raw: unknown, cmd: Command): Promise<void> {
  const o = parseOrThrow(optionsSchema, raw, 'predict options', { asFlags: true });
  await initBackendFromCli(cmd);
  await warnIfRandomInit(runDir);
  const result = await predictRun(runDir, inputs, { top: o.top, engine: o.engine });
  if (result.unfinished) console.error(`transferkit: note: ${result.unfinished}`);
  if (o.json) console.log(JSON.stringify(result, null, 2));
  else if (o.csv) console.log(formatPredictionsCsv(result));
  else {
    if (result.predictions.length > 0) console.log(formatPredictionsText(result));
    for (const u of result.unreadable) console.error(`transferkit: ${describeUnreadable(u)}`);
  }
  if (result.unreadable.length > 0) process.exitCode = 1;
}
