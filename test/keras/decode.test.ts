// Keras resize modes against Keras itself: load_img + img_to_array on real photos, shared datasets
// (ICC-tagged files included) and images in every Pillow mode, compared byte for byte.
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, type ResizeMode } from '../../src/data/decode.ts';
import { kerasIo } from './oracle.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const SHARED = new URL('../../../shared/', import.meta.url).pathname;
const PER_DATASET = 20;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(jpe?g|png|gif)$/i.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Every photo, and 20 images of each dataset spread over its classes and splits (the GIF included). */
function sharedImages(): string[] {
  const photos = filesUnder(join(SHARED, 'photos'));
  const datasets = readdirSync(join(SHARED, 'datasets')).flatMap((name) => {
    const all = filesUnder(join(SHARED, 'datasets', name));
    const step = Math.floor(all.length / PER_DATASET);
    const picked = Array.from({ length: PER_DATASET }, (_, i) => all[i * step]!);
    const gif = all.find((p) => p.endsWith('.gif'));
    return gif && !picked.includes(gif) ? [...picked.slice(1), gif] : picked;
  });
  return [...photos, ...datasets];
}

let dir: string;
test.before(async () => {
  if (!existsSync(join(SHARED, 'photos'))) throw new Error(`${SHARED} missing: the decode check needs the shared photos and datasets`);
  dir = await tempDir('transferkit-keras-decode-');
});
test.after.always(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Job {
  size: [number, number];
  interpolation: ResizeMode;
}

/** Every (image, job) whose decode differs from Keras's, with the count and largest difference. One Python run for all. */
async function mismatches(images: string[], jobs: Job[]): Promise<string[]> {
  const out = await mkdtemp(join(dir, 'decode-'));
  await kerasIo({ op: 'decode', images, jobs, out });
  const bad: string[] = [];
  for (const [j, { size, interpolation }] of jobs.entries()) {
    for (const [i, path] of images.entries()) {
      const buf = readFileSync(join(out, `${j}_${i}.bin`));
      const keras = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      const ours = (await decodeImage(path, { width: size[1], height: size[0], resize: interpolation })).data;
      let differ = 0;
      let worst = 0;
      for (let k = 0; k < keras.length; k++) {
        if (ours[k] !== keras[k]) differ++;
        worst = Math.max(worst, Math.abs(ours[k]! - keras[k]!));
      }
      if (differ > 0 || ours.length !== keras.length) bad.push(`${path} ${interpolation} ${size.join('x')}: ${differ} of ${keras.length} values differ (max ${worst})`);
    }
  }
  return bad;
}

const INTERPOLATIONS = ['nearest', 'bilinear', 'bicubic', 'hamming', 'box', 'lanczos'] as const;

test.serial('nearest at 224 (the default): every photo and 20 images per dataset equal load_img exactly, ICC-tagged ones included', async (t) => {
  const images = sharedImages();
  const tagged = [];
  for (const path of images) if ((await sharp(path).metadata()).icc) tagged.push(path);
  t.true(tagged.length > 0, 'at least one image with an embedded ICC profile');
  t.true(images.some((p) => p.endsWith('.gif')), 'the palette GIF is covered');
  t.deepEqual(await mismatches(images, [{ size: [224, 224], interpolation: 'nearest' }]), []);
  // The default decode is that mode: no resize option at all gives the same bytes.
  const elephant = join(SHARED, 'photos', 'elephant.jpg');
  t.deepEqual(await decodeImage(elephant, { width: 224, height: 224 }), await decodeImage(elephant, { width: 224, height: 224, resize: 'nearest' }));
});

test.serial('every Pillow mode load_img converts (L, LA, P, RGBA, CMYK, I;16) equals Keras in every interpolation', async (t) => {
  const out = await mkdtemp(join(dir, 'modes-'));
  const { images } = await kerasIo<{ images: Record<string, string> }>({ op: 'modes', out });
  t.deepEqual([...new Set(Object.values(images))].sort(), ['CMYK', 'I;16', 'L', 'LA', 'P', 'RGBA']);
  const paths = Object.keys(images).map((name) => join(out, name));
  // Down (61x83 -> 29x40), up, and one axis unchanged: the three code paths of Pillow's resampler.
  const sizes: [number, number][] = [[29, 40], [100, 130], [61, 50]];
  t.deepEqual(await mismatches(paths, INTERPOLATIONS.flatMap((interpolation) => sizes.map((size) => ({ size, interpolation })))), []);
});

test.serial('bilinear, bicubic, hamming, box and lanczos at 224 equal load_img on the photos', async (t) => {
  const photos = filesUnder(join(SHARED, 'photos'));
  const jobs = INTERPOLATIONS.filter((i) => i !== 'nearest').map((interpolation) => ({ size: [224, 224] as [number, number], interpolation }));
  t.deepEqual(await mismatches(photos, jobs), []);
});
