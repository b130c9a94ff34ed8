import { decodeImage, ImageDecodeError, probeImage, type DecodeOptions, type ImageInfo } from './decode.ts';
import { orderedMap } from './pool.ts';
import type { UnreadableImage } from './unreadable.ts';

export interface ProbeImagesOptions<T> {
  /** Refuse images over this many pixels. Default: sharp's limit. */
  limitInputPixels?: number;
  /**
   * Also decode at the size training will use: JPEG shrink-on-load can decode a truncated file at a
   * small size, so a pass standing in for training's own decoding must decode at training's size.
   * Default: probe only (`probeImage`, 16x16).
   */
  decodeAs?: Pick<DecodeOptions, 'width' | 'height' | 'resize'>;
  /** Sees each outcome, in input order. */
  onResult?: (item: T, result: ImageInfo | ImageDecodeError, index: number) => void;
}

/**
 * Decode every image through the training pipeline, 4 at a time, in input order; returns the
 * unreadable ones. `check` and the strategies that stream images (retrain) share this pass.
 */
export async function probeImages<T extends { path: string }>(items: readonly T[], options: ProbeImagesOptions<T> = {}): Promise<UnreadableImage[]> {
  const { limitInputPixels, decodeAs } = options;
  const probe = async (path: string): Promise<ImageInfo | ImageDecodeError> => {
    try {
      const info = await probeImage(path, { limitInputPixels });
      if (decodeAs) await decodeImage(path, { ...decodeAs, limitInputPixels });
      return info;
    } catch (err) {
      if (err instanceof ImageDecodeError) return err;
      throw err;
    }
  };
  const unreadable: UnreadableImage[] = [];
  let i = 0;
  for await (const result of orderedMap(items, (item) => probe(item.path), { concurrency: 4, lookahead: 16 })) {
    const index = i++;
    const item = items[index]!;
    if (result instanceof ImageDecodeError) unreadable.push({ path: item.path, reason: result.reason });
    options.onResult?.(item, result, index);
  }
  return unreadable;
}
