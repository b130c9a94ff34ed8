/** File names inside a run directory (one place, so evaluate/predict/export/report read what train wrote). */

/** The files `train` writes. */
export const RUN_FILES = {
  config: 'config.json',
  classes: 'classes.json',
  manifest: 'manifest.json',
  history: 'history.json',
  historyCsv: 'history.csv',
  curves: 'curves.png',
  /** The trainer's weights (suffix + head) at the best val_loss epoch, legacy Keras layout. */
  checkpoint: 'best.weights.h5',
  /**
   * The final model's weights, legacy Keras layout: the trained layers (suffix + head) when
   * `model.json` references the frozen prefix's weights file (`frozen`), else every layer.
   */
  modelWeights: 'model.weights.h5',
  /** How to rebuild the stitched model (`ModelDescription`). */
  model: 'model.json',
  /** int8 runs: the calibration the frozen prefix ran with (predict and evaluate reuse it). */
  calibration: 'int8-calibration.json',
} as const;

/** The files `evaluate` adds. */
export const EVALUATION_FILES = { report: 'evaluation.json', confusion: 'confusion.png' } as const;

/** The HTML report, written by train and refreshed by evaluate. */
export const REPORT_FILE = 'report.html';

/** `train --resume`'s saved points (a folder). */
export const RESUME_DIR = 'resume';

/** Every file of a run directory by name. */
export const RUN_DIR_FILES = { ...RUN_FILES, evaluation: EVALUATION_FILES.report, confusion: EVALUATION_FILES.confusion, report: REPORT_FILE } as const;
export type RunFile = keyof typeof RUN_DIR_FILES;
