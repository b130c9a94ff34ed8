import sharp from 'sharp';

/** How an image is fitted to the network's input size. */
export type ResizeMode = 'squash' | 'crop' | 'pad';

export interface DecodeOptions {
  width: number;
  height: number;
  /** `squash` matches Keras `load_img(target_size=...)`. Default: squash. */
  resize?: ResizeMode;
}

/** Decoded pixels: 8-bit RGB, row-major HWC. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Decode any image sharp reads into upright sRGB RGB bytes at the requested size. */
export async function decodeImage(path: string, options: DecodeOptions): Promise<DecodedImage> {
  const fit = { squash: 'fill', crop: 'cover', pad: 'contain' } as const;
  const { data, info } = await sharp(path)
    .rotate()
    .flatten({ background: '#000000' })
    .toColourspace('srgb')
    .resize(options.width, options.height, { fit: fit[options.resize ?? 'squash'], kernel: 'nearest' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}
