import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, ImageDecodeError, probeImage } from '../src/data/decode.ts';
import { tempDir } from './helpers/temp-dir.ts';

const dir = await tempDir('tk-decode-');
const at = (name: string): string => join(dir, name);

/** A 64x48 picture: left half red, right half blue, top rows green (so orientation is visible). */
function picture(): Buffer {
  const w = 64, h = 48, px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 3;
    if (y < 8) px.set([0, 200, 0], i);
    else px.set(x < w / 2 ? [220, 30, 30] : [30, 30, 220], i);
  }
  return px;
}
const raw = { raw: { width: 64, height: 48, channels: 3 as const } };

function pixel(img: { data: Uint8Array; width: number }, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

async function rejects(t: import('ava').ExecutionContext, path: string, pattern: RegExp, opts = {}): Promise<void> {
  const err = await t.throwsAsync(decodeImage(path, { width: 32, height: 32, ...opts }), { instanceOf: ImageDecodeError });
  t.regex(err!.reason, pattern);
  t.true(err!.message.includes(path), 'message names the file');
}

test('zero-byte, truncated and text-named-.jpg files are rejected with a reason', async (t) => {
  await writeFile(at('empty.jpg'), '');
  await rejects(t, at('empty.jpg'), /empty file/);
  const jpeg = await sharp(picture(), raw).jpeg().toBuffer();
  await writeFile(at('truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  await rejects(t, at('truncated.jpg'), /truncated or corrupt/);
  await writeFile(at('notes.jpg'), 'this is not an image\n'.repeat(20));
  await rejects(t, at('notes.jpg'), /not an image format/);
});

test('over the pixel limit: rejected with a reason, with a lowered limit and with the default', async (t) => {
  await sharp(picture(), raw).png().toFile(at('small.png'));
  await rejects(t, at('small.png'), /64x48 = 3072 pixels, over the pixel limit of 1000/, { limitInputPixels: 1000 });
  // A JPEG whose header claims 60000x60000 (3.6e9 pixels): the default limit refuses it before decoding.
  const jpeg = Buffer.from(await sharp(picture(), raw).jpeg({ mozjpeg: false }).toBuffer());
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  jpeg.writeUInt16BE(60000, sof + 5);
  jpeg.writeUInt16BE(60000, sof + 7);
  await writeFile(at('huge.jpg'), jpeg);
  await rejects(t, at('huge.jpg'), /60000x60000 = 3600000000 pixels, over the pixel limit of 268402689/);
});

test('EXIF-rotated photo comes out upright', async (t) => {
  // Store the picture rotated 90° counter-clockwise with orientation 6 ("rotate 90° clockwise to view").
  const stored = await sharp(picture(), raw).rotate(-90).png().toBuffer();
  await sharp(stored).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toFile(at('rotated.jpg'));
  const info = await probeImage(at('rotated.jpg'));
  t.deepEqual([info.width, info.height], [64, 48]);
  const img = await decodeImage(at('rotated.jpg'), { width: 64, height: 48, resize: 'squash' });
  t.true(pixel(img, 32, 2)[1]! > 150, 'green band on top');
  t.true(pixel(img, 8, 30)[0]! > 150, 'red on the left');
  t.true(pixel(img, 56, 30)[2]! > 150, 'blue on the right');
});

test('CMYK JPEG colours match the RGB original', async (t) => {
  // Muted colours, inside the CMYK gamut. sRGB -> CMYK -> sRGB through libvips' profiles alone moves
  // such colours by up to ~15 levels; a CMYK file read without conversion would be off by ~100+.
  const muted = Buffer.from(picture().map((v) => 90 + Math.round(v * 0.35)));
  await sharp(muted, raw).jpeg({ quality: 95 }).toFile(at('rgb.jpg'));
  await sharp(muted, raw).toColourspace('cmyk').jpeg({ quality: 95 }).toFile(at('cmyk.jpg'));
  t.is((await sharp(at('cmyk.jpg')).metadata()).space, 'cmyk');
  const a = await decodeImage(at('rgb.jpg'), { width: 64, height: 48, resize: 'squash' });
  const b = await decodeImage(at('cmyk.jpg'), { width: 64, height: 48, resize: 'squash' });
  for (const [x, y] of [[8, 30], [56, 30], [32, 2]] as const) {
    const pa = pixel(a, x, y), pb = pixel(b, x, y);
    for (let c = 0; c < 3; c++) t.true(Math.abs(pa[c]! - pb[c]!) <= 20, `(${x},${y}) ${pa} vs ${pb}`);
  }
});

test('16-bit, grayscale, RGBA, 1x1, very wide, webp, tiff, animated GIF all decode to 8-bit RGB', async (t) => {
  const rgba = Buffer.alloc(4 * 4 * 4);
  for (let i = 0; i < 16; i++) rgba.set(i < 8 ? [255, 0, 0, 255] : [255, 0, 0, 0], i * 4);
  await sharp(rgba, { raw: { width: 4, height: 4, channels: 4 } }).png().toFile(at('rgba.png'));
  await sharp(picture(), raw).toColourspace('rgb16').png().toFile(at('deep.png'));
  t.is((await sharp(at('deep.png')).metadata()).depth, 'ushort');
  await sharp(picture(), raw).grayscale().png().toFile(at('grey.png'));
  await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } }).png().toFile(at('one.png'));
  await sharp({ create: { width: 4000, height: 3, channels: 3, background: '#00ff00' } }).png().toFile(at('wide.png'));
  await sharp(picture(), raw).webp().toFile(at('pic.webp'));
  await sharp(picture(), raw).tiff().toFile(at('pic.TIFF'));
  const frames = Buffer.concat([Buffer.alloc(8 * 8 * 3, 200), Buffer.alloc(8 * 8 * 3, 20)]);
  await sharp(frames, { raw: { width: 8, height: 16, channels: 3, pageHeight: 8 } as never }).gif().toFile(at('anim.gif'));
  t.is((await sharp(at('anim.gif')).metadata()).pages, 2);

  for (const name of ['rgba.png', 'deep.png', 'grey.png', 'one.png', 'wide.png', 'pic.webp', 'pic.TIFF', 'anim.gif']) {
    const img = await decodeImage(at(name), { width: 16, height: 16, resize: 'squash' });
    t.is(img.data.length, 16 * 16 * 3, name);
    t.true(img.data instanceof Uint8Array, name);
  }
  const deep = await decodeImage(at('deep.png'), { width: 64, height: 48, resize: 'squash' });
  t.true(pixel(deep, 8, 30)[0]! > 200 && pixel(deep, 8, 30)[2]! < 60, '16-bit scaled to 8-bit');
  const grey = await decodeImage(at('grey.png'), { width: 64, height: 48, resize: 'squash' });
  const g = pixel(grey, 8, 30);
  t.true(g[0] === g[1] && g[1] === g[2], 'grey replicated to three channels');
  const anim = await decodeImage(at('anim.gif'), { width: 8, height: 8, resize: 'squash' });
  t.true(pixel(anim, 4, 4)[0]! > 150, 'first frame used');
  const onBlack = await decodeImage(at('rgba.png'), { width: 4, height: 4, resize: 'squash' });
  const onWhite = await decodeImage(at('rgba.png'), { width: 4, height: 4, background: '#ffffff', resize: 'squash' });
  t.deepEqual(pixel(onBlack, 0, 3), [0, 0, 0]);
  t.deepEqual(pixel(onWhite, 0, 3), [255, 255, 255]);
  t.deepEqual(pixel(onWhite, 0, 0), [255, 0, 0]);
});

test('resize modes: squash stretches, crop keeps the centre, pad adds background bars', async (t) => {
  // 60x20: left third red, middle green, right third blue.
  const px = Buffer.alloc(60 * 20 * 3);
  for (let y = 0; y < 20; y++) for (let x = 0; x < 60; x++) px.set(x < 20 ? [255, 0, 0] : x < 40 ? [0, 255, 0] : [0, 0, 255], (y * 60 + x) * 3);
  await sharp(px, { raw: { width: 60, height: 20, channels: 3 } }).png().toFile(at('bands.png'));
  const size = { width: 30, height: 30 };
  const squash = await decodeImage(at('bands.png'), { ...size, resize: 'squash' });
  t.deepEqual(pixel(squash, 2, 15), [255, 0, 0]);
  t.deepEqual(pixel(squash, 27, 15), [0, 0, 255]);
  const crop = await decodeImage(at('bands.png'), { ...size, resize: 'crop' });
  t.deepEqual(pixel(crop, 15, 15), [0, 255, 0]);
  t.deepEqual(pixel(crop, 1, 15), [0, 255, 0], 'cover-scaled to 90x30, the centre 30 columns are the green band');
  const pad = await decodeImage(at('bands.png'), { ...size, resize: 'pad', background: '#ffffff' });
  t.deepEqual(pixel(pad, 15, 1), [255, 255, 255]);
  t.deepEqual(pixel(pad, 2, 15), [255, 0, 0]);
  // Keras load_img parity: nearest sampling never invents colours between bands.
  const colours = new Set<string>();
  for (let i = 0; i < squash.data.length; i += 3) colours.add(`${squash.data[i]},${squash.data[i + 1]},${squash.data[i + 2]}`);
  t.deepEqual([...colours].sort(), ['0,0,255', '0,255,0', '255,0,0']);
});

test('Keras mode (the default, Pillow nearest): no EXIF rotation, alpha dropped rather than flattened', async (t) => {
  const stored = await sharp(picture(), raw).rotate(-90).png().toBuffer();
  await sharp(stored).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toFile(at('rotated-keras.jpg'));
  const img = await decodeImage(at('rotated-keras.jpg'), { width: 64, height: 48 });
  t.true(pixel(img, 2, 24)[1]! > 150, 'green band stays on the left, where the file stores it');
  const rgba = Buffer.alloc(4 * 4 * 4);
  for (let i = 0; i < 16; i++) rgba.set([255, 0, 0, i < 8 ? 255 : 0], i * 4);
  await sharp(rgba, { raw: { width: 4, height: 4, channels: 4 } }).png().toFile(at('rgba-keras.png'));
  const dropped = await decodeImage(at('rgba-keras.png'), { width: 2, height: 2, resize: 'bilinear' });
  t.deepEqual(pixel(dropped, 0, 1), [255, 0, 0]);
});
