import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import sharp from 'sharp';
import { NO_AUGMENTATION, parseAugmentOptions, type AugmentOptions } from '../data/augment-options.ts';
import { isNoAugmentation } from '../data/augment.ts';
import type { Dataset, DatasetItem } from '../data/dataset.ts';
import { renderAugmentPreview } from '../data/preview.ts';
import { RunDir } from '../run/run-dir.ts';
import type { EpochLogs, EvaluationReport, Manifest, RunConfig } from '../run/schemas.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { RANDOM_INIT_MESSAGE } from '../warnings.ts';
import { dataUri, escapeHtml, htmlTable } from './html.ts';
import { REPORT_CSS } from './html-report-style.ts';

/** Options of `writeReport`. */
export interface ReportOptions {
  /** Rows of the augmentation preview. Default: 6. */
  previewImages?: number;
  /** Edge of a confidently-wrong thumbnail in pixels. Default: 160. */
  thumbnail?: number;
}

const REPORT_DEFAULTS: Required<ReportOptions> = { previewImages: 6, thumbnail: 160 };

/** Everything in a run directory the report can show; evaluation and plots are optional. */
interface RunContents {
  runDir: string;
  config: RunConfig;
  manifest: Manifest;
  history: EpochLogs[];
  curves?: Buffer;
  evaluation?: EvaluationReport;
  confusion?: Buffer;
}

const missing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

async function optional<T>(read: Promise<T>): Promise<T | undefined> {
  return read.catch((err: unknown) => {
    if (missing(err)) return undefined;
    throw err;
  });
}

async function readRun(runDir: string): Promise<RunContents> {
  const run = new RunDir(runDir);
  return {
    runDir,
    config: await run.read('config'),
    manifest: await run.read('manifest'),
    history: (await run.readIfPresent('history')) ?? [],
    curves: await optional(readFile(run.path('curves'))),
    evaluation: await run.readIfPresent('evaluation'),
    confusion: await optional(readFile(run.path('confusion'))),
  };
}

const fixed = (x: number, digits = 4): string => x.toFixed(digits);
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const img = (src: string, alt: string, cls = ''): string => `<img src="${src}" alt="${escapeHtml(alt)}"${cls ? ` class="${cls}"` : ''}>`;
const section = (id: string, title: string, body: string): string => `<section id="${id}"><h2>${escapeHtml(title)}</h2>${body}</section>`;
const note = (text: string): string => `<p class="note">${escapeHtml(text)}</p>`;

/** Index of the lowest val_loss: the epoch the checkpoint and the saved model come from. */
function bestEpochIndex(history: readonly EpochLogs[]): number {
  return history.reduce((best, h, i) => (h.val_loss < history[best]!.val_loss ? i : best), 0);
}

function headline(run: RunContents): string {
  const best = run.history[bestEpochIndex(run.history)];
  const cards: [string, string][] = [
    ['strategy', run.config.strategy],
    ['classes', String(run.manifest.classes.length)],
    ['best epoch', best ? `${best.epoch + 1} of ${run.history.length}` : 'none finished'],
    ['val_acc', best ? pct(best.val_acc) : '-'],
    ['val_loss', best ? fixed(best.val_loss) : '-'],
  ];
  if (run.evaluation) cards.push([`accuracy (${run.evaluation.data.split})`, pct(run.evaluation.accuracy)]);
  return `<div class="cards">${cards.map(([k, v]) => `<div class="card"><div class="k">${escapeHtml(k)}</div><div class="v">${escapeHtml(v)}</div></div>`).join('')}</div>`;
}

/** Warnings above everything else: what makes the numbers below mean less than they seem. */
function banners(c: RunConfig): string {
  const lines: string[] = [];
  if (c.weights?.randomInit !== undefined) lines.push(`${RANDOM_INIT_MESSAGE}: ${c.weights.path} was written by transferkit init-weights (${c.weights.randomInit}).`);
  if (c.interrupted) lines.push(`Interrupted (Ctrl-C) during the ${c.interrupted.phase} phase after ${c.interrupted.epochsCompleted} finished epoch(s), at ${c.interrupted.at}; the model is the best checkpoint up to then.`);
  return lines.map((l) => `<p class="banner">${escapeHtml(l)}</p>`).join('');
}

function configSection(c: RunConfig): string {
  const o = c.options;
  const augment = o.augment ? parseAugmentOptions(o.augment) : undefined;
  const augmentText = augment === undefined || isNoAugmentation(augment)
    ? 'none'
    : Object.entries(augment).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(NO_AUGMENTATION[k as keyof AugmentOptions])).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
  const rows: [string, unknown][] = [
    ['data folder', c.dataDir],
    ['weights', c.weights ? `${c.weights.path} (sha256 ${c.weights.sha256.slice(0, 12)}…)` : 'none (trained from scratch)'],
    ['strategy', `${c.strategy}: cut ${c.plan.cut ?? 'none (whole network trains)'}, keep up to ${c.plan.keep}`],
    ['head', `${c.plan.head.kind}, dense ${c.plan.head.dense}, dropout ${c.plan.head.dropout}${c.plan.head.batchnorm ? ', batchnorm' : ''}`],
    ['input', `${o.inputSize}x${o.inputSize}, resize ${o.resize}`],
    ['feature precision', c.precision ? `${c.precision.precision}${c.precision.precision === 'int8' ? ` (calibration ${c.precision.calibration.slice(0, 12)}…)` : ''}: ${c.precision.message}` : 'fp32'],
    ['epochs / batch size', `${o.epochs} / ${o.batchSize}`],
    ['augmentation', augmentText],
    ['seed', c.seed],
    ['backend', c.backend],
    ['created', c.created],
  ];
  const phases = htmlTable(
    ['phase', 'epochs', 'optimizer', 'learning rate', 'trainable layers'],
    c.plan.phases.map((p) => [p.name, p.epochs, p.optimizer.name, p.optimizer.lr, p.trainable.join(', ')]),
    { numeric: [1, 3] },
  );
  const advice = c.advice ? `<h3>advisor</h3><ul>${c.advice.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>` : '';
  const full = `<details><summary>full config.json</summary><pre>${escapeHtml(JSON.stringify(c, null, 2))}</pre></details>`;
  return htmlTable(['setting', 'value'], rows) + `<h3>phases</h3>` + phases + advice + full;
}

function datasetSection(m: Manifest): string {
  const splits = Object.keys(m.splits);
  const rows = m.classes.map((cls) => [cls, ...splits.map((s) => m.splits[s]!.filter((i) => i.class === cls).length)]);
  rows.push(['total', ...splits.map((s) => m.splits[s]!.length)]);
  const counts = htmlTable(['class', ...splits], rows, { numeric: splits.map((_, i) => i + 1), rowClass: (i) => (i === m.classes.length ? 'total' : undefined) });
  const skipped = m.unreadable.length === 0
    ? note('No unreadable images: every image in the folder was used.')
    : `<h3>skipped (unreadable)</h3>${htmlTable(['file', 'reason'], m.unreadable.map((u) => [u.path, u.reason]))}`;
  const warnings = (m.warnings ?? []).map((w) => note(`warning: ${w}`)).join('');
  return counts + warnings + skipped;
}

/** The manifest's training split as a Dataset, so the preview shows exactly the images training used. */
function trainingDataset(run: RunContents): Dataset {
  const index = new Map(run.manifest.classes.map((c, i) => [c, i]));
  const items = (split: string): DatasetItem[] =>
    (run.manifest.splits[split] ?? []).map((i) => ({ path: i.path, className: i.class, classIndex: index.get(i.class)!, ...(i.hash ? { hash: i.hash } : {}) }));
  return { version: 1, root: run.config.dataDir, layout: 'presplit', classes: run.manifest.classes, splits: { train: items('train'), validation: items('validation') }, split: null, warnings: [] };
}

async function augmentationSection(run: RunContents, o: Required<ReportOptions>): Promise<string> {
  const augment = run.config.options.augment ? parseAugmentOptions(run.config.options.augment) : undefined;
  if (augment === undefined || isNoAugmentation(augment)) return note('No augmentation: every epoch saw the images as they are.');
  try {
    const png = await renderAugmentPreview(trainingDataset(run), augment, { n: o.previewImages, variants: 4, tile: 112, resize: run.config.options.resize, seed: run.config.seed });
    return `<p>Left: a training image; right: four augmented versions drawn with the run's seed.</p>${img(dataUri(png, 'image/png'), 'augmentation preview', 'wide')}`;
  } catch (err) {
    if (!missing(err)) throw err;
    return note('The training images are no longer where the run found them, so no preview could be drawn.');
  }
}

function curvesSection(run: RunContents): string {
  if (run.history.length === 0) return note('No epoch finished.');
  const best = bestEpochIndex(run.history);
  const plot = run.curves ? img(dataUri(run.curves, 'image/png'), 'learning curves', 'wide') : '';
  const rows = run.history.map((h) => [h.epoch + 1, h.phase, fixed(h.loss), fixed(h.acc), fixed(h.val_loss), fixed(h.val_acc), h.lr.toExponential(1)]);
  const table = htmlTable(['epoch', 'phase', 'loss', 'acc', 'val_loss', 'val_acc', 'lr'], rows, { numeric: [0, 2, 3, 4, 5, 6], rowClass: (i) => (i === best ? 'best' : undefined) });
  return `${plot}${table}${note(`Highlighted: epoch ${best + 1}, the lowest val_loss; the saved model holds its weights.`)}`;
}

async function thumbnail(path: string, edge: number): Promise<string | undefined> {
  try {
    const jpeg = await sharp(path).rotate().resize(edge, edge, { fit: 'cover' }).flatten({ background: '#ffffff' }).jpeg({ quality: 80 }).toBuffer();
    return dataUri(jpeg, 'image/jpeg');
  } catch {
    return undefined;
  }
}

async function evaluationSection(run: RunContents, o: Required<ReportOptions>): Promise<string> {
  const e = run.evaluation;
  if (!e) return note(`Not evaluated yet: run \`transferkit evaluate ${run.runDir}\` to add the confusion matrix, per-class metrics and the most confidently wrong images.`);
  const where = { 'run-validation': "the run's validation split", 'run-test': "the test/ split of the run's data", folder: e.data.root }[e.data.source];
  const intro = `<p>${escapeHtml(`${e.data.images} images from ${where}; accuracy ${pct(e.accuracy)}; evaluated ${e.created}.`)}</p>`;
  const confusionTable = htmlTable(
    ['true \\ predicted', ...e.classes],
    e.confusion.map((row, t) => [e.classes[t], ...row]),
    { numeric: e.classes.map((_, i) => i + 1) },
  );
  const plot = run.confusion ? img(dataUri(run.confusion, 'image/png'), 'confusion matrix', 'confusion') : '';
  const score = (name: string, s: { precision: number; recall: number; f1: number; support: number }): unknown[] => [name, fixed(s.precision), fixed(s.recall), fixed(s.f1), s.support];
  const metrics = htmlTable(
    ['class', 'precision', 'recall', 'f1-score', 'support'],
    [...e.perClass.map((s) => score(s.class, s)), score('macro avg', e.macro), score('weighted avg', e.weighted)],
    { numeric: [1, 2, 3, 4], rowClass: (i) => (i >= e.perClass.length ? 'total' : undefined) },
  );
  const tiles = await Promise.all(
    e.confidentlyWrong.map(async (m) => {
      const src = await thumbnail(m.path, o.thumbnail);
      const picture = src ? img(src, basename(m.path)) : `<div class="gone">${escapeHtml('image no longer readable')}</div>`;
      const caption = `<b>${escapeHtml(m.true)}</b> → ${escapeHtml(m.predicted)} ${escapeHtml(pct(m.confidence))}<br><span class="file">${escapeHtml(basename(m.path))}</span>`;
      return `<figure title="${escapeHtml(m.path)}">${picture}<figcaption>${caption}</figcaption></figure>`;
    }),
  );
  const wrong = tiles.length === 0
    ? note('No wrong predictions.')
    : `<p>True class → predicted class, with the probability the model gave its (wrong) answer.</p><div class="thumbs">${tiles.join('')}</div>`;
  return `${intro}<div class="side"><div>${plot}</div><div><h3>counts</h3>${confusionTable}</div></div><h3>per-class metrics</h3>${metrics}<h3>most confidently wrong</h3>${wrong}`;
}

/** The whole report as one self-contained HTML page (inline CSS, images as data: URIs, no scripts). */
export async function renderReport(runDir: string, options: ReportOptions = {}): Promise<string> {
  const o = { ...REPORT_DEFAULTS, ...options };
  const run = await readRun(runDir);
  const title = `transferkit run ${basename(runDir)}`;
  const body = [
    `<header><h1>${escapeHtml(title)}</h1><p class="sub">${escapeHtml(runDir)}</p>${banners(run.config)}${headline(run)}</header>`,
    section('config', 'Configuration', configSection(run.config)),
    section('dataset', 'Dataset', datasetSection(run.manifest)),
    section('augmentation', 'Augmentation', await augmentationSection(run, o)),
    section('curves', 'Learning curves', curvesSection(run)),
    section('evaluation', 'Evaluation', await evaluationSection(run, o)),
  ].join('\n');
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>${REPORT_CSS}</style></head><body><main>\n${body}\n</main></body></html>\n`;
}

/**
 * Write `report.html` into a run directory (atomically) from what the run directory holds: train
 * writes it at the end of a run, evaluate refreshes it. Returns the report's path.
 */
export async function writeReport(runDir: string, options: ReportOptions = {}): Promise<string> {
  const path = new RunDir(runDir).path('report');
  await writeFileAtomic(path, await renderReport(runDir, options));
  return path;
}
