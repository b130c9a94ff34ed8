import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import type { Dataset, DatasetItem, DatasetLayout, SplitName } from './dataset.ts';
import { hasImageExtension, isIgnoredEntry } from './formats.ts';
import { hashFile } from './hash.ts';
import { orderedMap } from './pool.ts';
import { createRng, shuffled } from './random.ts';

/** Options of `scanDataset`. */
export interface ScanOptions {
  /**
   * Fraction of each class held out for validation when the folder is not pre-split. Required, as
   * `seed`: their defaults live with the other option defaults (options/), which data/ sits below.
   */
  valSplit: number;
  /** Seed of that stratified split. */
  seed: number;
  /** Compute SHA-256 content hashes of every image (the feature cache keys on them). Default true. */
  hash?: boolean;
  /** Files hashed in parallel. Default 8. */
  concurrency?: number;
}

const SCAN_DEFAULTS = { hash: true, concurrency: 8 } as const satisfies Partial<ScanOptions>;

/** An image found on disk before labels are assigned. */
export interface FoundImage {
  path: string;
  className: string;
  hash?: string;
}

/** What `scanImageFolder` saw: the dataset plus the files it skipped on purpose. */
export interface ScanResult {
  dataset: Dataset;
  /** Non-image files inside class folders (skipped; hidden files and Thumbs.db are not listed). */
  ignoredFiles: string[];
}

const SPLIT_DIRS: Record<SplitName, readonly string[]> = {
  train: ['train', 'training'],
  validation: ['validation', 'val', 'valid'],
  test: ['test', 'testing'],
};

async function listDir(dir: string): Promise<Dirent[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => !isIgnoredEntry(e.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Images under one class folder, recursively (Keras `flow_from_directory` also descends). */
async function imagesUnder(dir: string, ignored: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await listDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await imagesUnder(path, ignored)));
    else if (hasImageExtension(entry.name)) out.push(path);
    else ignored.push(path);
  }
  return out;
}

/** Class folder name -> image paths, for a directory holding one folder per class. */
async function readClassFolders(dir: string, ignored: string[], warnings: string[]): Promise<Map<string, string[]>> {
  const classes = new Map<string, string[]>();
  for (const entry of await listDir(dir)) {
    if (entry.isDirectory()) classes.set(entry.name, await imagesUnder(join(dir, entry.name), ignored));
    else if (hasImageExtension(entry.name)) warnings.push(`${join(dir, entry.name)}: image outside any class folder, ignored`);
  }
  return classes;
}

function flatten(classes: Map<string, string[]>): FoundImage[] {
  return [...classes].flatMap(([className, paths]) => paths.map((path) => ({ path, className })));
}

/** Per class, a seeded shuffle moves round(n * valSplit) images (at least one when n >= 2) to validation. */
export function stratifiedSplit(images: readonly FoundImage[], valSplit: number, seed: number): { train: FoundImage[]; validation: FoundImage[] } {
  const byClass = new Map<string, FoundImage[]>();
  for (const image of images) byClass.set(image.className, [...(byClass.get(image.className) ?? []), image]);
  const train: FoundImage[] = [];
  const validation: FoundImage[] = [];
  for (const [className, members] of byClass) {
    const order = shuffled([...members].sort((a, b) => (a.path < b.path ? -1 : 1)), createRng(`split:${seed}:${className}`));
    let nVal = Math.round(order.length * valSplit);
    if (valSplit > 0 && order.length >= 2) nVal = Math.min(order.length - 1, Math.max(1, nVal));
    validation.push(...order.slice(0, nVal));
    train.push(...order.slice(nVal));
  }
  return { train, validation };
}

function byClassThenPath(a: DatasetItem, b: DatasetItem): number {
  return a.classIndex - b.classIndex || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

/**
 * Build a Dataset from found images: classes are the sorted names that still have at least one
 * image (folders left empty are named in a warning); fewer than two such classes is an error.
 */
export function assembleDataset(
  base: Pick<Dataset, 'root' | 'layout' | 'split'>,
  splits: { train: FoundImage[]; validation: FoundImage[]; test?: FoundImage[] },
  classFolders: readonly string[],
  warnings: readonly string[],
): Dataset {
  const all = [...splits.train, ...splits.validation, ...(splits.test ?? [])];
  const withImages = new Set(all.map((i) => i.className));
  const classes = [...withImages].sort();
  const notes = [...warnings];
  const empty = [...new Set(classFolders)].filter((c) => !withImages.has(c)).sort();
  if (empty.length > 0) notes.push(`class folder(s) with no usable image, left out: ${empty.join(', ')}`);
  if (classes.length < 2) {
    throw new UserError(
      `${base.root}: found ${classes.length} class(es) with images (${classes.join(', ') || 'none'})` +
        `${empty.length > 0 ? `; empty: ${empty.join(', ')}` : ''}; need at least two class folders of images ` +
        `(DATA_DIR/<class>/*.jpg, or DATA_DIR/train/<class>/ + DATA_DIR/validation/<class>/)`,
    );
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const toItems = (found: FoundImage[]): DatasetItem[] =>
    found
      .map((f) => ({ path: f.path, classIndex: index.get(f.className)!, className: f.className, ...(f.hash ? { hash: f.hash } : {}) }))
      .sort(byClassThenPath);
  const train = toItems(splits.train);
  const validation = toItems(splits.validation);
  const test = splits.test ? toItems(splits.test) : undefined;
  for (const [name, items] of [['train', train], ['validation', validation], ['test', test]] as const) {
    if (!items) continue;
    const present = new Set(items.map((i) => i.className));
    const missing = classes.filter((c) => !present.has(c));
    if (missing.length > 0) notes.push(`split ${name} has no image of class(es): ${missing.join(', ')}`);
  }
  return { version: 1, ...base, classes, splits: { train, validation, ...(test ? { test } : {}) }, warnings: notes };
}

/** A copy of `dataset` without the given paths (e.g. unreadable files), with classes recomputed. */
export function withoutPaths(dataset: Dataset, drop: ReadonlySet<string>): Dataset {
  const keep = (items: DatasetItem[]): FoundImage[] => items.filter((i) => !drop.has(i.path));
  return assembleDataset(
    dataset,
    { train: keep(dataset.splits.train), validation: keep(dataset.splits.validation), ...(dataset.splits.test ? { test: keep(dataset.splits.test) } : {}) },
    dataset.classes,
    dataset.warnings,
  );
}

async function findSplitDir(root: string, names: readonly string[], dirs: Dirent[]): Promise<string | undefined> {
  const hit = dirs.find((d) => d.isDirectory() && names.includes(d.name.toLowerCase()));
  return hit ? join(root, hit.name) : undefined;
}

/**
 * Scan an image folder: detect the layout, list images per class (skipping hidden files, Thumbs.db
 * and non-image extensions), split, and hash. Reads file bytes only to hash; decoding is `checkDataset`'s job.
 */
export async function scanImageFolder(dir: string, options: ScanOptions): Promise<ScanResult> {
  const opts = { ...SCAN_DEFAULTS, ...options };
  const root = resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new UserError(`data folder ${root}: not found or not a directory; pass a folder with one sub-folder per class`);

  const ignored: string[] = [];
  const warnings: string[] = [];
  const top = await listDir(root);
  const trainDir = await findSplitDir(root, SPLIT_DIRS.train, top);
  let layout: DatasetLayout;
  let found: { train: FoundImage[]; validation: FoundImage[]; test?: FoundImage[] };
  let classFolders: string[];
  let split: Dataset['split'] = null;
  if (trainDir) {
    const valDir = await findSplitDir(root, SPLIT_DIRS.validation, top);
    const testDir = await findSplitDir(root, SPLIT_DIRS.test, top);
    const known = new Set([trainDir, valDir, testDir]);
    for (const other of top.filter((d) => d.isDirectory() && !known.has(join(root, d.name)))) {
      warnings.push(`${join(root, other.name)}: not a split folder (train, validation/val, test), ignored`);
    }
    const trainClasses = await readClassFolders(trainDir, ignored, warnings);
    const valClasses = valDir ? await readClassFolders(valDir, ignored, warnings) : undefined;
    const testClasses = testDir ? await readClassFolders(testDir, ignored, warnings) : undefined;
    classFolders = [...trainClasses.keys(), ...(valClasses?.keys() ?? []), ...(testClasses?.keys() ?? [])];
    const test = testClasses ? flatten(testClasses) : undefined;
    if (valClasses) {
      layout = 'presplit';
      found = { train: flatten(trainClasses), validation: flatten(valClasses), ...(test ? { test } : {}) };
    } else {
      layout = 'train-only';
      split = { seed: opts.seed, valSplit: opts.valSplit };
      found = { ...stratifiedSplit(flatten(trainClasses), opts.valSplit, opts.seed), ...(test ? { test } : {}) };
    }
  } else {
    layout = 'class-folders';
    const classes = await readClassFolders(root, ignored, warnings);
    classFolders = [...classes.keys()];
    split = { seed: opts.seed, valSplit: opts.valSplit };
    found = stratifiedSplit(flatten(classes), opts.valSplit, opts.seed);
  }

  if (opts.hash) {
    const all = [...found.train, ...found.validation, ...(found.test ?? [])];
    // A file that cannot be read (a dangling symlink) stays unhashed: extraction and decoding name it unreadable.
    const hashes = orderedMap(all, (image) => hashFile(image.path).catch(() => undefined), { concurrency: opts.concurrency, lookahead: opts.concurrency * 2 });
    let i = 0;
    for await (const hash of hashes) {
      const image = all[i++]!;
      if (hash !== undefined) image.hash = hash;
    }
  }
  return { dataset: assembleDataset({ root, layout, split }, found, classFolders, warnings), ignoredFiles: ignored };
}

/** Scan an image folder into a Dataset (see `scanImageFolder`). Throws UserError when fewer than two classes have images. */
export async function scanDataset(dir: string, options: ScanOptions): Promise<Dataset> {
  return (await scanImageFolder(dir, options)).dataset;
}
