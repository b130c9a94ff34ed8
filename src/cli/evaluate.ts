import type { Command } from 'commander';
import { z } from 'zod';
import { initBackendFromCli } from './backend.ts';
import { describeUnreadable } from '../data/unreadable.ts';
import { EVALUATE_DEFAULTS, evaluateRun } from '../inference/evaluate.ts';
import { formatClassificationReport, formatConfusion } from '../inference/metrics.ts';
import { EVALUATION_FILES } from '../run/files.ts';
import type { EvaluationReport } from '../run/schemas.ts';
import { OPTION_PIECES } from '../options/pieces.ts';
import { defaultNote, sharedOption } from './flags/shared.ts';
import { parseOrThrow } from '../util/validate.ts';
import { warnIfRandomInit } from './warnings.ts';

const optionsSchema = z.object({
  json: z.boolean().default(false),
  worst: z.coerce.number().int().min(0).default(EVALUATE_DEFAULTS.worst),
  batchSize: z.coerce.number().int().positive().default(EVALUATE_DEFAULTS.batchSize),
  engine: OPTION_PIECES.engine,
});

function formatReport(r: EvaluationReport): string {
  const source = { 'run-validation': "the run's validation split", 'run-test': "the test/ split of the run's data", folder: r.data.root }[r.data.source];
  const lines = [
    `evaluated ${r.data.images} images from ${source}${r.data.source === 'folder' ? ` (${r.data.split})` : ''}`,
    '',
    formatClassificationReport(r, r.classes),
    '',
    'confusion matrix (rows: true class, columns: predicted class)',
    formatConfusion(r.confusion, r.classes),
  ];
  if (r.confidentlyWrong.length > 0) {
    lines.push('', 'most confidently wrong:');
    for (const m of r.confidentlyWrong) lines.push(`  ${m.confidence.toFixed(4)}  ${m.true} -> ${m.predicted}  ${m.path}`);
  }
  for (const u of r.unreadable) lines.push(describeUnreadable(u));
  lines.push('', `wrote ${EVALUATION_FILES.report} and ${EVALUATION_FILES.confusion} in ${r.runDir}`);
  return lines.join('\n');
}

/** `transferkit evaluate RUN_DIR [DATA_DIR]`: how good a trained run is, and where it goes wrong. */
export function register(program: Command): void {
  program
    .command('evaluate')
    .description('Accuracy, per-class precision/recall/F1, confusion matrix and most confidently wrong images of a trained run')
    .argument('<RUN_DIR>', 'run directory written by `transferkit train`')
    .argument('[DATA_DIR]', "image folder with one sub-folder per class (default: the run's test/ split, else its validation split)")
    .option('--worst <n>', `confidently wrong images to list${defaultNote(optionsSchema.shape.worst)}`)
    .option('--batch-size <n>', `images per forward pass${defaultNote(optionsSchema.shape.batchSize)}`)
    .addOption(sharedOption('engine', 'inference engine: auto (onnx when onnxruntime loads) | onnx | tfjs'))
    .option('--json', 'print evaluation.json instead of text')
    .action(async (runDir: string, dataDir: string | undefined, raw: unknown, cmd: Command) => {
      const o = parseOrThrow(optionsSchema, raw, 'evaluate options', { asFlags: true });
      await initBackendFromCli(cmd);
      await warnIfRandomInit(runDir);
      const report = await evaluateRun(runDir, dataDir, { worst: o.worst, batchSize: o.batchSize, engine: o.engine });
      if (report.unfinished) console.error(`transferkit: note: ${report.unfinished}`);
      console.log(o.json ? JSON.stringify(report, null, 2) : formatReport(report));
    });
}
