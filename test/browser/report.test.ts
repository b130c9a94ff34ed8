import test from 'ava';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { initWeights } from '../../src/models/init-weights.ts';
import { REPORT_FILE } from '../../src/run/files.ts';
import { evaluateRun } from '../../src/inference/evaluate.ts';
import { train } from '../../src/training/train.ts';
import { makeShapesDataset } from '../training-shapes.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Debian's chromium package (`.ci/run` installs it); a missing browser fails this suite. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

// A class and a file named like markup: the report must show them as text.
const NASTY_CLASS = `<b>sq&"u'ares`;

test('report.html renders offline in Chromium: images decode, tables have rows, no console errors, names escaped', async (t) => {
  const tmp = await tempDir('tk-report-browser-');
  const data = join(tmp, 'shapes');
  await makeShapesDataset(data, { perClass: 10, val: 5, seed: 2 });
  for (const split of ['train', 'validation']) await rename(join(data, split, 'squares'), join(data, split, NASTY_CLASS));
  await rename(join(data, 'validation', 'circles', 'circles-0.png'), join(data, 'validation', 'circles', '<img src=x onerror=alert(1)>.png'));
  const weights = join(tmp, 'notop.h5');
  await initWeights(weights, { includeTop: false, seed: 0 });
  const out = join(tmp, 'run');
  await train(data, { strategy: 'freeze', inputSize: 32, weights, cache: join(tmp, 'cache'), epochs: 3, batchSize: 4, augment: { preset: 'standard' }, out });
  const evaluation = await evaluateRun(out);
  const html = await readFile(join(out, REPORT_FILE), 'utf8');
  t.notRegex(html, /(src|href)="(?!data:)/, 'every image and link is embedded');
  t.notRegex(html, /<script/i);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); void d.dismiss(); });
    page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url()); });
    await page.goto(pathToFileURL(join(out, REPORT_FILE)).href, { waitUntil: 'load' });
    t.deepEqual(errors, []);
    t.deepEqual(requests, [], 'no network requests');

    const images = await page.$$eval('img', (imgs) => imgs.map((i) => ({ alt: i.alt, width: (i as unknown as { naturalWidth: number }).naturalWidth })));
    t.true(images.length >= 3 + evaluation.confidentlyWrong.length, JSON.stringify(images));
    for (const i of images) t.true(i.width > 0, `image "${i.alt}" decoded`);
    for (const alt of ['augmentation preview', 'learning curves', 'confusion matrix']) t.true(images.some((i) => i.alt === alt), alt);

    const rows = await page.$$eval('section', (sections) => sections.map((s) => [s.id, s.querySelectorAll('tbody tr').length] as const));
    const count = Object.fromEntries(rows);
    t.is(count.dataset, 3, 'two classes and the total');
    t.true(count.curves! >= 1);
    t.is(count.evaluation, 2 + 2 + 2, 'confusion rows, per-class rows, macro and weighted');

    const text = await page.innerText('body');
    t.true(text.includes(NASTY_CLASS), 'the class name shows as text');
    t.is(await page.$$eval('img[src="x"]', (e) => e.length), 0, 'a file name cannot inject markup');

    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
