import { classCounts, splitNames } from './dataset.ts';
import type { Dataset, SplitName } from './dataset.ts';
import { ImageDecodeError } from './decode.ts';
import type { DecodeOptions } from './decode.ts';
import { scanImageFolder, withoutPaths } from './scan.ts';
import type { ScanOptions } from './scan.ts';
import { UserError } from '../errors.ts';
import { probeImages } from './probe-images.ts';
import type { UnreadableImage } from './unreadable.ts';

/** Options of `checkDataset`: how to scan, and the decode limits training will use. */
export interface CheckOptions extends ScanOptions {
  /** Pixel limit passed to the decoder. Default sharp's 268,402,689. */
  limitInputPixels?: DecodeOptions['limitInputPixels'];
  /** Called after each file is probed (for progress bars). Default none. */
  onProgress?: (done: number, total: number) => void;
}

export interface SplitReport {
  /** Readable images per class, indexed like `classes`. */
  counts: number[];
  total: number;
  /** Largest class count / smallest (Infinity when a class is missing; 1 = balanced). */
  imbalanceRatio: number;
}

/** min / median / max of a list of numbers. */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

export interface DuplicateGroup {
  hash: string;
  paths: string[];
  /** The copies carry different labels: one of them is wrong. */
  crossClass: boolean;
  /** The copies sit in different splits: validation leaks into training. */
  crossSplit: boolean;
}

export interface CheckReport {
  root: string;
  layout: Dataset['layout'] | null;
  /** Classes that have at least one readable image, sorted. */
  classes: string[];
  splits: Partial<Record<SplitName, SplitReport>>;
  /** Upright sizes of readable images. */
  sizes: { width: Spread; height: Spread } | null;
  /** Readable images per format (jpeg, png, ...). */
  formats: Record<string, number>;
  /** Images whose bytes are identical (SHA-256), only groups spanning classes or splits. */
  duplicates: DuplicateGroup[];
  /** Files with an image extension that cannot be decoded, each with the reason (skipped in training). */
  unreadable: UnreadableImage[];
  /** Non-image files found in class folders (ignored). */
  ignoredFiles: string[];
  warnings: string[];
  /** Why nothing can be trained, when `usable` is false. */
  error: string | null;
  /** At least two classes with readable training images. */
  usable: boolean;
  /** The dataset of readable images (what training should use), null when not usable. */
  dataset: Dataset | null;
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
}

function splitReport(dataset: Dataset, split: SplitName): SplitReport {
  const counts = classCounts(dataset, split);
  const min = Math.min(...counts);
  return { counts, total: counts.reduce((a, b) => a + b, 0), imbalanceRatio: min === 0 ? Infinity : Math.max(...counts) / min };
}

function duplicateGroups(dataset: Dataset): DuplicateGroup[] {
  const byHash = new Map<string, Array<{ path: string; className: string; split: SplitName }>>();
  for (const split of splitNames(dataset)) {
    for (const item of dataset.splits[split] ?? []) {
      if (!item.hash) continue;
      byHash.set(item.hash, [...(byHash.get(item.hash) ?? []), { path: item.path, className: item.className, split }]);
    }
  }
  return [...byHash]
    .filter(([, members]) => members.length > 1)
    .map(([hash, members]) => ({
      hash,
      paths: members.map((m) => m.path),
      crossClass: new Set(members.map((m) => m.className)).size > 1,
      crossSplit: new Set(members.map((m) => m.split)).size > 1,
    }))
    .filter((g) => g.crossClass || g.crossSplit);
}

/**
 * Scan a data folder and decode every image the way training will: counts per split and class,
 * imbalance, sizes, formats, cross-class/cross-split duplicates and each unreadable file with its
 * reason. Never throws for bad data: `usable` says whether training can proceed (the CLI's exit code).
 */
export async function checkDataset(dir: string, options: CheckOptions): Promise<CheckReport> {
  const empty = { classes: [], splits: {}, sizes: null, formats: {}, duplicates: [], dataset: null };
  let scanned;
  try {
    scanned = await scanImageFolder(dir, options);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return { ...empty, root: dir, layout: null, unreadable: [], ignoredFiles: [], warnings: [], error: err.message, usable: false };
  }
  const { dataset: all, ignoredFiles } = scanned;
  const items = splitNames(all).flatMap((s) => all.splits[s] ?? []);
  const widths: number[] = [];
  const heights: number[] = [];
  const formats: Record<string, number> = {};
  const unreadable = await probeImages(items, {
    limitInputPixels: options.limitInputPixels,
    onResult: (_item, result, i) => {
      if (!(result instanceof ImageDecodeError)) {
        widths.push(result.width);
        heights.push(result.height);
        formats[result.format] = (formats[result.format] ?? 0) + 1;
      }
      options.onProgress?.(i + 1, items.length);
    },
  });
  let dataset: Dataset;
  try {
    dataset = withoutPaths(all, new Set(unreadable.map((u) => u.path)));
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return { ...empty, root: all.root, layout: all.layout, unreadable, ignoredFiles, warnings: all.warnings, error: err.message, usable: false };
  }
  const splits = Object.fromEntries(splitNames(dataset).map((s) => [s, splitReport(dataset, s)]));
  const trainClasses = splits.train!.counts.filter((c) => c > 0).length;
  const error = trainClasses < 2 ? `split train has readable images of ${trainClasses} class(es); need at least two` : null;
  return {
    root: dataset.root,
    layout: dataset.layout,
    classes: dataset.classes,
    splits,
    sizes: widths.length > 0 ? { width: spread(widths), height: spread(heights) } : null,
    formats,
    duplicates: duplicateGroups(dataset),
    unreadable,
    ignoredFiles,
    warnings: dataset.warnings,
    error,
    usable: error === null,
    dataset: error === null ? dataset : null,
  };
}

/** The report as text for a terminal, one fact per line. */
export function formatCheckReport(report: CheckReport): string {
  const lines: string[] = [`data folder: ${report.root}${report.layout ? ` (layout: ${report.layout})` : ''}`];
  if (report.classes.length > 0) lines.push(`classes (${report.classes.length}): ${report.classes.join(', ')}`);
  for (const [split, r] of Object.entries(report.splits)) {
    const per = report.classes.map((c, i) => `${c} ${r.counts[i]}`).join(', ');
    lines.push(`${split}: ${r.total} images (${per}); imbalance ${Number.isFinite(r.imbalanceRatio) ? r.imbalanceRatio.toFixed(2) : 'inf (a class is missing)'}`);
  }
  if (report.sizes) {
    const { width: w, height: h } = report.sizes;
    lines.push(`sizes: width ${w.min}/${w.median}/${w.max}, height ${h.min}/${h.median}/${h.max} (min/median/max)`);
  }
  const formats = Object.entries(report.formats).map(([f, n]) => `${f} ${n}`).join(', ');
  if (formats) lines.push(`formats: ${formats}`);
  lines.push(`duplicates across classes or splits: ${report.duplicates.length}`);
  for (const d of report.duplicates) lines.push(`  ${d.crossClass ? 'different labels' : 'different splits'}: ${d.paths.join(' = ')}`);
  lines.push(`unreadable (skipped): ${report.unreadable.length}`);
  for (const u of report.unreadable) lines.push(`  ${u.path}: ${u.reason}`);
  if (report.ignoredFiles.length > 0) lines.push(`non-image files ignored: ${report.ignoredFiles.length}`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  lines.push(report.usable ? 'usable: yes' : `usable: no: ${report.error}`);
  return lines.join('\n');
}
