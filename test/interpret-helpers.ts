/** Shared helpers of the interpret tests: decode a rendered PNG, check it is a real picture. */
import type { ExecutionContext } from 'ava';
import sharp from 'sharp';

/** Width, height and raw RGB of a PNG. */
export async function readPng(png: Buffer | string): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/**
 * Asserts a PNG of exactly `width`x`height` whose pixels are not all the same; `{ atLeast: w }` for
 * grids whose title row may be wider than the tiles.
 */
export async function assertPicture(t: ExecutionContext, png: Buffer | string, width: number | { atLeast: number }, height: number): Promise<void> {
  const img = await readPng(png);
  if (typeof width === 'number') t.deepEqual([img.width, img.height], [width, height]);
  else t.true(img.width >= width.atLeast && img.height === height, `${img.width}x${img.height}, expected width >= ${width.atLeast} and height ${height}`);
  const distinct = new Set<number>();
  for (let i = 0; i < img.data.length && distinct.size < 16; i += 3) distinct.add((img.data[i]! << 16) | (img.data[i + 1]! << 8) | img.data[i + 2]!);
  t.true(distinct.size >= 16, `expected varied content, got ${distinct.size} distinct colours`);
}

/** An SVG drawn to a PNG file (test images). */
export async function svgToPng(path: string, width: number, height: number, body: string): Promise<string> {
  await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}</svg>`)).png().toFile(path);
  return path;
}
