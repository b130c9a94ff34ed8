import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { downloadVerified, type DownloadEvent, type DownloadStatus, type RemoteFile } from '../util/download.ts';
import { kerasModelsDir, modelsDir } from '../util/user-dirs.ts';

/** One of the official files Keras downloads for VGG16, with the md5 Keras checks it against. */
export interface OfficialFile {
  /** File name, the same as in Keras's cache (`~/.keras/models/`). */
  name: string;
  /** Where Keras downloads it from. */
  url: string;
  md5: string;
  /** Size in bytes. */
  size: number;
}

const KERAS_APPLICATIONS = 'https://storage.googleapis.com/tensorflow/keras-applications/vgg16/';

/** The files `keras.applications.VGG16` and `decode_predictions` fetch (md5s as in Keras's `get_file` calls). */
export const OFFICIAL_FILES = {
  /** ImageNet weights with the classifier (`include_top=True`): for predicting ImageNet classes. */
  top: {
    name: 'vgg16_weights_tf_dim_ordering_tf_kernels.h5',
    url: `${KERAS_APPLICATIONS}vgg16_weights_tf_dim_ordering_tf_kernels.h5`,
    md5: '64373286793e3c8b2b4e3219cbf3544b',
    size: 553_467_096,
  },
  /** ImageNet weights of the convolutional base only (`include_top=False`): what transfer learning needs. */
  notop: {
    name: 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    url: `${KERAS_APPLICATIONS}vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`,
    md5: '6d6bbae143d832006294945121d1f1fc',
    size: 58_889_256,
  },
  /** The 1000 ImageNet classes, `{"0": ["n01440764", "tench"], ...}`, for `decode_predictions`. */
  classIndex: {
    name: 'imagenet_class_index.json',
    url: 'https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json',
    md5: 'c2c37ea517e94d9795004a39431a14cb',
    size: 35_363,
  },
} as const satisfies Record<string, OfficialFile>;

/** Which weight files to fetch: the base only (transfer learning), with the classifier, or both. */
export type WeightsSelection = 'notop' | 'top' | 'all';

/**
 * Where an official file is: in {@link modelsDir} (where fetchWeights puts it), else in Keras's own
 * `~/.keras/models` when Keras already downloaded it (same name and bytes), else the path in
 * modelsDir() it would be fetched to.
 */
export function officialFilePath(file: OfficialFile): string {
  const candidates = [join(modelsDir(), file.name), join(kerasModelsDir(), file.name)];
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}

/** Options for {@link fetchWeights}. */
export interface FetchWeightsOptions {
  /** Weight files to fetch. Default 'notop'. */
  which?: WeightsSelection;
  /** Fetch the ImageNet class index too (prediction needs it; training does not). Default true. */
  classIndex?: boolean;
  /** Folder the files land in. Default {@link modelsDir} (`~/.cache/transferkit/models`). */
  dest?: string;
  /**
   * A mirror holding the files by their names (`<baseUrl>/<name>`). Default env
   * `TRANSFERKIT_WEIGHTS_BASE_URL`, else each file's official URL.
   */
  baseUrl?: string;
  /** Give up when a server cannot be reached within this many ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Give up when a connection stalls for this many ms. Default 30000. */
  idleTimeoutMs?: number;
  /** Receives progress events. Default: none. */
  onEvent?: (event: DownloadEvent) => void;
}

/** One fetched file: where it is and whether it was already there, downloaded, or resumed. */
export interface FetchedFile {
  name: string;
  path: string;
  status: DownloadStatus;
}

/** The official files a selection needs, in download order (smallest first, so a bad mirror fails fast). */
export function selectOfficialFiles(which: WeightsSelection = 'notop'): OfficialFile[] {
  const weights = { notop: [OFFICIAL_FILES.notop], top: [OFFICIAL_FILES.top], all: [OFFICIAL_FILES.notop, OFFICIAL_FILES.top] };
  return [OFFICIAL_FILES.classIndex, ...weights[which]];
}

/** Where a file is fetched from: `<baseUrl>/<name>` on a mirror, else its official URL. */
export function sourceUrl(file: OfficialFile, baseUrl?: string): string {
  if (!baseUrl) return file.url;
  return new URL(file.name, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).href;
}

/**
 * Download the official Keras VGG16 weights (see {@link OFFICIAL_FILES}) and the ImageNet class index
 * into `dest`, resuming partial downloads and verifying every md5 before a file is moved into place.
 * Files already present with the right md5 are skipped. Throws a UserError naming the path and md5
 * to place a file by hand when the server cannot be reached or a checksum does not match.
 */
export async function fetchWeights(options: FetchWeightsOptions = {}): Promise<FetchedFile[]> {
  const dest = options.dest ?? modelsDir();
  const baseUrl = options.baseUrl ?? (process.env.TRANSFERKIT_WEIGHTS_BASE_URL || undefined);
  const fetched: FetchedFile[] = [];
  const files = selectOfficialFiles(options.which).filter((f) => options.classIndex !== false || f !== OFFICIAL_FILES.classIndex);
  for (const file of files) {
    const remote: RemoteFile = { url: sourceUrl(file, baseUrl), path: join(dest, file.name), md5: file.md5, size: file.size };
    const status = await downloadVerified(remote, options);
    fetched.push({ name: file.name, path: remote.path, status });
  }
  return fetched;
}
