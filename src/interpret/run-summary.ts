/**
 * Keras `model.summary()` for a run's stitched model, with each layer marked frozen or trainable
 * as the run's strategy trained it (a layer is trainable if any phase trained it).
 */
import type { LoadedRun } from '../run/load-run.ts';
import { formatModelSummary, summarizeModel, type ModelSummary } from '../report/model-summary.ts';

/** The stitched model's summary with per-layer trainability from the run's phases. */
export function summarizeRun(run: LoadedRun): ModelSummary {
  const trained = new Set(run.description.plan.phases.flatMap((p) => p.trainable));
  const saved = run.model.layers.map((l) => l.trainable);
  try {
    for (const layer of run.model.layers) layer.trainable = trained.has(layer.name);
    return summarizeModel(run.model);
  } finally {
    run.model.layers.forEach((l, i) => (l.trainable = saved[i]!));
  }
}

/** The summary table (with the Trainable column) followed by what each phase trained. */
export function formatRunSummary(run: LoadedRun): string {
  const { plan } = run.description;
  const phases = plan.phases.map((p) => `  ${p.name}: ${p.epochs} epochs, ${p.optimizer.name} lr ${p.optimizer.lr}, trains ${p.trainable.join(', ') || 'nothing'}`);
  return [
    formatModelSummary(summarizeRun(run), { showTrainable: true }),
    `Strategy: ${plan.strategy} (cut ${plan.cut ?? 'none'}, keep up to ${plan.keep}, ${plan.init} init); ${run.classes.length} classes: ${run.classes.join(', ')}`,
    'Phases:',
    ...phases,
  ].join('\n');
}
