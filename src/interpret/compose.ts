/**
 * A tiny PNG compositor for the interpretation pictures: RGB tiles placed on a canvas, text drawn
 * as one SVG layer rasterised by sharp (so no font code of our own), written atomically.
 */
import sharp from 'sharp';
import { writeFileAtomic } from '../util/atomic.ts';

/** 8-bit RGB pixels, row-major HWC. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** One line of text; `y` is the baseline. */
export interface TextItem {
  text: string;
  x: number;
  y: number;
  /** Font size in pixels. Default: 12. */
  size?: number;
  /** Horizontal alignment at `x`. Default: 'start'. */
  anchor?: 'start' | 'middle' | 'end';
  /** CSS colour. Default: '#000'. */
  colour?: string;
  /** Draw a translucent dark band behind the text (for labels over pictures). Default: false. */
  band?: boolean;
}

/** A picture to render: a background, images at positions, and text on top. */
export interface Canvas {
  width: number;
  height: number;
  /** Default: white. */
  background?: [number, number, number];
  images: Array<{ image: RgbImage; x: number; y: number }>;
  texts: TextItem[];
}

/** Layout of {@link gridCanvas}. */
export interface GridOptions {
  /** Tiles per row. Default: ceil(sqrt(count)). */
  columns?: number;
  /** Pixels between tiles and around the grid. Default: 4. */
  gap?: number;
  /** Line drawn in a label row above the grid (e.g. the layer name). Default: none. */
  title?: string;
  /** One caption under each tile (e.g. the filter index). Default: none. */
  captions?: readonly string[];
}

/** Height of the title row and of a caption line. */
export const TITLE_HEIGHT = 22;
export const CAPTION_HEIGHT = 14;
const DEFAULT_GAP = 4;

/** A generous estimate of a line's width in DejaVu Sans (average advance ~0.62 em). */
export function textWidth(text: string, size: number): number {
  return Math.ceil(text.length * size * 0.62);
}

/** A solid image (used for spacers and tests). */
export function solidImage(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return { width, height, data };
}

/** Nearest-neighbour resize: keeps 3x3 kernels and small feature maps as crisp blocks. */
export function resizeNearest(image: RgbImage, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor((y * image.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor((x * image.width) / width));
      const s = (sy * image.width + sx) * 3;
      data.set(image.data.subarray(s, s + 3), (y * width + x) * 3);
    }
  }
  return { width, height, data };
}

/** The smallest whole-number upscale that makes a side of `side` pixels at least `min` pixels. */
export function upscaleFactor(side: number, min: number): number {
  return Math.max(1, Math.ceil(min / side));
}

/**
 * Tiles (all the size of the first) in a grid with an optional title row and per-tile captions.
 * Width = columns * (tile + gap) + gap (wider if the title needs it); height = title + rows *
 * (tile + caption + gap) + gap.
 */
export function gridCanvas(tiles: readonly RgbImage[], options: GridOptions = {}): Canvas {
  const first = tiles[0];
  if (first === undefined) throw new Error('gridCanvas needs at least one tile');
  const gap = options.gap ?? DEFAULT_GAP;
  const columns = Math.min(tiles.length, options.columns ?? Math.ceil(Math.sqrt(tiles.length)));
  const rows = Math.ceil(tiles.length / columns);
  const top = options.title === undefined ? 0 : TITLE_HEIGHT;
  const caption = options.captions === undefined ? 0 : CAPTION_HEIGHT;
  const cellW = first.width + gap;
  const cellH = first.height + caption + gap;
  const width = Math.max(columns * cellW + gap, options.title === undefined ? 0 : textWidth(options.title, 13) + 2 * gap);
  const canvas: Canvas = { width, height: top + rows * cellH + gap, images: [], texts: [] };
  if (options.title !== undefined) canvas.texts.push({ text: options.title, x: gap, y: TITLE_HEIGHT - 6, size: 13 });
  tiles.forEach((image, i) => {
    const x = gap + (i % columns) * cellW;
    const y = top + gap + Math.floor(i / columns) * cellH;
    canvas.images.push({ image, x, y });
    const text = options.captions?.[i];
    if (text !== undefined) canvas.texts.push({ text, x: x + image.width / 2, y: y + image.height + caption - 3, size: 10, anchor: 'middle' });
  });
  return canvas;
}

const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** All text as one SVG the size of the canvas; DejaVu Sans ships with the fontconfig we rely on. */
function textLayer(canvas: Canvas): Buffer {
  const items = canvas.texts.map((t) => {
    const size = t.size ?? 12;
    const band = t.band
      ? `<rect x="0" y="${t.y - size - 2}" width="${canvas.width}" height="${size + 6}" fill="#000" fill-opacity="0.55"/>`
      : '';
    return (
      `${band}<text x="${t.x}" y="${t.y}" font-size="${size}" text-anchor="${t.anchor ?? 'start'}" fill="${t.colour ?? '#000'}">` +
      `${escapeXml(t.text)}</text>`
    );
  });
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${canvas.width}" height="${canvas.height}" ` +
      `font-family="DejaVu Sans, Arial, sans-serif">${items.join('')}</svg>`,
  );
}

/** Render a canvas to PNG bytes. */
export async function canvasToPng(canvas: Canvas): Promise<Buffer> {
  const { width, height } = canvas;
  const [r, g, b] = canvas.background ?? [255, 255, 255];
  const pixels = solidImage(width, height, [r, g, b]).data;
  for (const { image, x, y } of canvas.images) {
    for (let row = 0; row < image.height; row++) {
      const ty = y + row;
      if (ty < 0 || ty >= height) continue;
      const x0 = Math.max(0, x);
      const x1 = Math.min(width, x + image.width);
      if (x1 <= x0) continue;
      const src = (row * image.width + (x0 - x)) * 3;
      pixels.set(image.data.subarray(src, src + (x1 - x0) * 3), (ty * width + x0) * 3);
    }
  }
  let out = sharp(pixels, { raw: { width, height, channels: 3 } });
  if (canvas.texts.length > 0) out = out.composite([{ input: textLayer(canvas), top: 0, left: 0 }]);
  return out.removeAlpha().png().toBuffer();
}

/** Render a canvas and write it to `path` as PNG (atomically). */
export async function writeCanvasPng(path: string, canvas: Canvas): Promise<void> {
  await writeFileAtomic(path, await canvasToPng(canvas));
}
