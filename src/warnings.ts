/**
 * Warnings the library reports instead of printing: each is typed, so the CLI (or an app) decides
 * how to show it. `message` is the sentence to show as is.
 */
export interface RandomInitWarning {
  code: 'random-init-weights';
  /** The weights file carrying the random-init marker. */
  path: string;
  /** The marker's text (how the weights were drawn). */
  marker: string;
  message: string;
}

/** Something about the data folder that was ignored (a stray image, a folder that is not a split). */
export interface DatasetWarning {
  code: 'dataset';
  message: string;
}

export type TransferkitWarning = RandomInitWarning | DatasetWarning;

export const RANDOM_INIT_MESSAGE = 'random-init weights: accuracy here says nothing about ImageNet transfer';

export function randomInitWarning(path: string, marker: string): RandomInitWarning {
  return { code: 'random-init-weights', path, marker, message: `${RANDOM_INIT_MESSAGE} (${path}: ${marker})` };
}
