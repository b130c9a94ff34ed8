/**
 * The Dataset: what scanning an image folder produces and what training, feature extraction and
 * the wizard consume. Plain JSON (no classes, no Maps) so a run's manifest can store it verbatim and
 * a later run can reload it with `JSON.parse`.
 */

/** Split names. `test` exists only when the folder has a `test/` directory. */
export type SplitName = 'train' | 'validation' | 'test';

/** One image of the dataset. */
export interface DatasetItem {
  /** Absolute path of the image file. */
  path: string;
  /** Index into `Dataset.classes` (sorted class names), i.e. the label. */
  classIndex: number;
  /** `Dataset.classes[classIndex]`, kept for readable manifests. */
  className: string;
  /** SHA-256 (hex) of the file bytes; present when the scan hashed files (the default). */
  hash?: string;
}

/** How the folder was organised. */
export type DatasetLayout =
  /** `train/` + `validation/` (or `val/`) [+ `test/`], each holding one folder per class. */
  | 'presplit'
  /** `train/` [+ `test/`] without a validation folder: validation is split off `train/` by seed. */
  | 'train-only'
  /** One folder per class at the root: train/validation split by seed. */
  | 'class-folders';

export interface Dataset {
  /** Format version of this object, bumped on incompatible changes. */
  version: 1;
  /** Absolute path of the folder that was scanned. */
  root: string;
  layout: DatasetLayout;
  /** Class names, sorted by code point (the label order; Keras `flow_from_directory` sorts too). */
  classes: string[];
  /** Items per split, sorted by class then path (stable across runs). */
  splits: { train: DatasetItem[]; validation: DatasetItem[]; test?: DatasetItem[] };
  /** The seeded split that produced `validation`, or null when the folder was already split. */
  split: { seed: number; valSplit: number } | null;
  /** Human-readable problems found while scanning (missing classes in a split, empty classes). */
  warnings: string[];
}

/** Splits present in a dataset, in canonical order. */
export function splitNames(dataset: Dataset): SplitName[] {
  return dataset.splits.test ? ['train', 'validation', 'test'] : ['train', 'validation'];
}

/** Image count per class for one split, indexed like `dataset.classes`. */
export function classCounts(dataset: Dataset, split: SplitName): number[] {
  const counts = dataset.classes.map(() => 0);
  for (const item of dataset.splits[split] ?? []) counts[item.classIndex]!++;
  return counts;
}
