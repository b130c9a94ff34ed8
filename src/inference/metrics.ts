/**
 * Classification metrics from true and predicted class indices, as scikit-learn's
 * `confusion_matrix` and `classification_report` compute them (zero division counts as 0).
 */
import type { ClassScores } from '../run/schemas.ts';

/** What `classificationReport` returns. */
export interface ClassificationReport {
  /** Correct predictions / all predictions (0 when there are none). */
  accuracy: number;
  /** `confusion[t][p]`: images of true class t predicted as class p (rows: truth, as Keras users plot it). */
  confusion: number[][];
  /** One entry per class, in class-index order. */
  perClass: ClassScores[];
  /** Unweighted mean over classes. */
  macro: ClassScores;
  /** Mean over classes weighted by support. */
  weighted: ClassScores;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Confusion matrix `[numClasses][numClasses]`, rows = true class, columns = predicted class. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): number[][] {
  if (truth.length !== predicted.length) throw new RangeError(`confusionMatrix: ${truth.length} labels but ${predicted.length} predictions`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]!]![predicted[i]!]!++;
  return m;
}

/** Accuracy, per-class precision / recall / F1 / support and their macro and weighted averages. */
export function classificationReport(truth: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): ClassificationReport {
  const confusion = confusionMatrix(truth, predicted, numClasses);
  const perClass = confusion.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predictedAsC = confusion.reduce((sum, r) => sum + r[c]!, 0);
    const precision = ratio(tp, predictedAsC);
    const recall = ratio(tp, support);
    return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  const total = truth.length;
  const correct = confusion.reduce((sum, row, c) => sum + row[c]!, 0);
  const average = (weight: (s: ClassScores) => number): ClassScores => {
    const norm = perClass.reduce((sum, s) => sum + weight(s), 0);
    const mean = (key: 'precision' | 'recall' | 'f1'): number => ratio(perClass.reduce((sum, s) => sum + weight(s) * s[key], 0), norm);
    return { precision: mean('precision'), recall: mean('recall'), f1: mean('f1'), support: total };
  };
  return { accuracy: ratio(correct, total), confusion, perClass, macro: average(() => 1), weighted: average((s) => s.support) };
}

const pad = (s: string, n: number): string => s.padStart(n);

/** The confusion matrix as an aligned text table (rows: true class, columns: predicted class). */
export function formatConfusion(confusion: readonly (readonly number[])[], classes: readonly string[]): string {
  const corner = 'true \\ pred';
  const width = Math.max(corner.length, ...classes.map((c) => c.length), ...confusion.flat().map((n) => String(n).length));
  const header = [pad(corner, width), ...classes.map((c) => pad(c, width))].join('  ');
  const rows = confusion.map((row, t) => [pad(classes[t]!, width), ...row.map((n) => pad(String(n), width))].join('  '));
  return [header, ...rows].join('\n');
}

/** The report as scikit-learn's `classification_report` prints it. */
export function formatClassificationReport(report: ClassificationReport, classes: readonly string[]): string {
  const width = Math.max(12, ...classes.map((c) => c.length));
  const line = (name: string, s: ClassScores): string =>
    [pad(name, width), pad(s.precision.toFixed(4), 9), pad(s.recall.toFixed(4), 9), pad(s.f1.toFixed(4), 9), pad(String(s.support), 9)].join(' ');
  const total = report.macro.support;
  return [
    [pad('', width), pad('precision', 9), pad('recall', 9), pad('f1-score', 9), pad('support', 9)].join(' '),
    '',
    ...report.perClass.map((s, c) => line(classes[c]!, s)),
    '',
    [pad('accuracy', width), pad('', 9), pad('', 9), pad(report.accuracy.toFixed(4), 9), pad(String(total), 9)].join(' '),
    line('macro avg', report.macro),
    line('weighted avg', report.weighted),
  ].join('\n');
}
