import test from 'ava';
import { join } from 'node:path';
import sharp from 'sharp';
import { augmentImage, augmentationVariant, inverseAffine, sampleTransform } from '../src/data/augment.ts';
import { AUGMENT_PRESETS, parseAugmentOptions } from '../src/data/augment-options.ts';
import type { FillMode } from '../src/data/augment-options.ts';
import { createRng } from '../src/data/random.ts';
import { UserError } from '../src/errors.ts';
import { tempDir } from './helpers/temp-dir.ts';

const W = 40, H = 30;
const dir = await tempDir('tk-augment-');
const source = join(dir, 'ramp.png');
const raw = Buffer.alloc(W * H * 3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) raw.set([x * 6, y * 8, (x * y) % 256], (y * W + x) * 3);
await sharp(raw, { raw: { width: W, height: H, channels: 3 } }).png().toFile(source);
const size = { width: W, height: H };

/** scipy.ndimage-style bilinear sampling of `raw` with a Keras fill mode, computed independently in JS. */
function reference(fill: FillMode, cval: number, inverse: number[]): Float64Array {
  const wrapIndex = (v: number, n: number): number => {
    if (fill === 'nearest') return Math.min(n - 1, Math.max(0, v));
    if (fill === 'wrap') return ((v % n) + n) % n;
    const p = ((v % (2 * n)) + 2 * n) % (2 * n); // reflect: d c b a | a b c d | d c b a
    return p < n ? p : 2 * n - 1 - p;
  };
  const at = (x: number, y: number, c: number): number =>
    fill === 'constant' && (x < 0 || y < 0 || x >= W || y >= H) ? cval : raw[(wrapIndex(y, H) * W + wrapIndex(x, W)) * 3 + c]!;
  const out = new Float64Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const ix = inverse[0]! * x + inverse[1]! * y + inverse[2]!, iy = inverse[3]! * x + inverse[4]! * y + inverse[5]!;
    const x0 = Math.floor(ix), y0 = Math.floor(iy), fx = ix - x0, fy = iy - y0;
    for (let c = 0; c < 3; c++) {
      out[(y * W + x) * 3 + c] = (1 - fy) * ((1 - fx) * at(x0, y0, c) + fx * at(x0 + 1, y0, c)) + fy * ((1 - fx) * at(x0, y0 + 1, c) + fx * at(x0 + 1, y0 + 1, c));
    }
  }
  return out;
}

for (const fillMode of ['constant', 'nearest', 'reflect', 'wrap'] as const) {
  for (const zoom of [[0.6, 1.6], [2.5, 2.5]] as const) {
    test(`fill mode ${fillMode}, zoom ${zoom}: the warp matches an independent bilinear reference`, async (t) => {
      const options = parseAugmentOptions({ rotationRange: 30, widthShiftRange: 0.3, heightShiftRange: 0.2, shearRange: 10, zoomRange: [...zoom], horizontalFlip: true, fillMode, cval: 128 });
      const context = { seed: 3, epoch: 1 };
      const out = await augmentImage(source, 'key', size, options, context);
      const drawn = sampleTransform(options, createRng('augment:3:1:0:key'), W, H);
      const expected = reference(fillMode, 128, inverseAffine(drawn, W, H));
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i]! - out.data[i]!));
      // The warp interpolates in float64 like the reference, so only the final rounding differs.
      t.true(worst <= 0.5 + 1e-6, `max difference ${worst}`);
    });
  }
}

test('a pure horizontal flip is exact', async (t) => {
  const options = parseAugmentOptions({ horizontalFlip: true });
  // Find a copy whose draw flips (probability 0.5).
  for (let copy = 0; copy < 10; copy++) {
    const out = await augmentImage(source, 'key', size, options, { seed: 0, copy });
    if (out.data[0] === raw[(W - 1) * 3]) {
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        if (out.data[(y * W + x) * 3 + 2] !== raw[(y * W + (W - 1 - x)) * 3 + 2]) return t.fail(`pixel ${x},${y}`);
      }
      return t.pass();
    }
  }
  t.fail('no flipped copy in 10 draws');
});

test('same seed, image and epoch reproduce bytes exactly; seed, epoch, copy and image change them', async (t) => {
  const options = AUGMENT_PRESETS.strong;
  const run = (seed: number, epoch: number, copy = 0, key = 'k') => augmentImage(source, key, size, options, { seed, epoch, copy });
  const a = await run(1, 0);
  t.deepEqual(await run(1, 0), a);
  for (const other of [await run(2, 0), await run(1, 1), await run(1, 0, 1), await run(1, 0, 0, 'k2')]) t.notDeepEqual(other, a);
});

test('colour: brightness scales, channel shift offsets, hue rotates', async (t) => {
  const grey = join(dir, 'grey.png');
  await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 100, g: 100, b: 100 } } }).png().toFile(grey);
  const bright = await augmentImage(grey, 'g', { width: 8, height: 8 }, parseAugmentOptions({ brightnessRange: [1.5, 1.5] }), { seed: 0 });
  t.deepEqual([...bright.data.subarray(0, 3)], [150, 150, 150]);
  const shifted = await augmentImage(grey, 'g', { width: 8, height: 8 }, parseAugmentOptions({ brightnessRange: [2, 2], channelShiftRange: 20 }), { seed: 0 });
  const s = shifted.data[0]!;
  t.true(s !== 200 && Math.abs(s - 200) <= 40, `2 * (100 + shift in [-20, 20]) = ${s}`);
  const red = join(dir, 'red.png');
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c83232' } }).png().toFile(red);
  const hue = await augmentImage(red, 'r', { width: 8, height: 8 }, parseAugmentOptions({ hueRange: 180 }), { seed: 4 });
  t.notDeepEqual([...hue.data.subarray(0, 3)], [200, 50, 50]);
});

test('augmentationVariant: none for no augmentation, stable otherwise, changes with epoch/copy/seed/params', (t) => {
  t.is(augmentationVariant(AUGMENT_PRESETS.none, { seed: 1, epoch: 3 }), 'none');
  t.is(augmentationVariant(parseAugmentOptions({ fillMode: 'wrap' }), { seed: 1 }), 'none');
  const v = augmentationVariant(AUGMENT_PRESETS.standard, { seed: 1, epoch: 2, copy: 0 });
  t.regex(v, /^aug1-[0-9a-f]{16}$/);
  t.is(augmentationVariant(parseAugmentOptions({ preset: 'standard' }), { seed: 1, epoch: 2 }), v);
  for (const other of [
    augmentationVariant(AUGMENT_PRESETS.standard, { seed: 2, epoch: 2 }),
    augmentationVariant(AUGMENT_PRESETS.standard, { seed: 1, epoch: 3 }),
    augmentationVariant(AUGMENT_PRESETS.standard, { seed: 1, epoch: 2, copy: 1 }),
    augmentationVariant(parseAugmentOptions({ preset: 'standard', rotationRange: 21 }), { seed: 1, epoch: 2 }),
  ]) t.not(other, v);
});

test('options are validated at the edge with the field named', (t) => {
  t.deepEqual(parseAugmentOptions({ zoomRange: 0.2 }).zoomRange, [0.8, 1.2]);
  t.is(parseAugmentOptions({ preset: 'light', rotationRange: 3 }).rotationRange, 3);
  t.true(parseAugmentOptions({ preset: 'light' }).horizontalFlip);
  t.throws(() => parseAugmentOptions({ rotationRange: -1 }), { instanceOf: UserError, message: /rotationRange/ });
  t.throws(() => parseAugmentOptions({ fillMode: 'mirror' }), { instanceOf: UserError, message: /fillMode/ });
  t.throws(() => parseAugmentOptions({ brightnessRange: [1.2, 0.8] }), { instanceOf: UserError, message: /brightnessRange/ });
  t.throws(() => parseAugmentOptions({ rotation_range: 10 }), { instanceOf: UserError });
});
