import { join, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendPreference } from '../backend/index.ts';
import { saveKerasModel } from '../keras/write-model.ts';
import { exportOnnx } from '../models/engines/index.ts';
import { ONNX_INPUT, ONNX_OUTPUT } from '../models/engines/layers-to-onnx.ts';
import { isKerasResize } from '../data/decode.ts';
import type { Preprocessing } from '../models/preprocess.ts';
import { IMAGENET_BGR_MEANS } from '../models/vgg16-spec.ts';
import { loadRun, type LoadedRun } from '../run/load-run.ts';
import { atomicWriteDir, writeFileAtomic } from '../util/atomic.ts';
import { saveTfjsModel, TFJS_FILES } from './tfjs-files.ts';

/** Export formats `transferkit export` writes. */
export const EXPORT_FORMATS = ['keras-h5', 'tfjs', 'onnx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** File names inside an export folder. */
export const EXPORT_FILES = {
  sidecar: 'transferkit.json',
  'keras-h5': 'model.h5',
  tfjs: TFJS_FILES.model,
  onnx: 'model.onnx',
} as const;

/** `transferkit.json`, written beside every export: what a user needs to feed the model correctly. */
export interface ExportSidecar {
  format: 'transferkit-export';
  version: 1;
  modelFormat: ExportFormat;
  /** The model file(s) in this folder. */
  files: string[];
  /** Output index -> class name. */
  classes: string[];
  /** The exact preprocessing the model was trained with. */
  preprocessing: Preprocessing & {
    /** caffe mode: per-channel means subtracted after flipping RGB to BGR (no scaling). */
    bgrMeans: number[];
    /** The same, in words. */
    description: string;
    /** Python that builds the model's input `x` from a list `paths` (exactly ours in Keras resize modes). */
    python: string;
  };
  /** The model's input: preprocessed images, NHWC float32. */
  input: { name: string; shape: [null, number, number, 3]; dtype: 'float32' };
  /** The model's output: softmax probabilities in `classes` order. */
  output: { name: string; shape: [null, number] };
  /** The run the model came from. */
  run: { dir: string; strategy: unknown; created: string };
}

/** Options of `exportRun`. */
export interface ExportOptions {
  /** Output folder (replaced atomically when it exists). Default: RUN_DIR/export/FORMAT. */
  out?: string;
  /** tfjs backend. Default: initBackend's choice. */
  backend?: BackendPreference;
}

export interface ExportResult {
  format: ExportFormat;
  /** The export folder (absolute). */
  dir: string;
  /** Absolute paths of every file written. */
  files: string[];
  /** Set when the run did not finish: the model is its best checkpoint (`LoadedRun.unfinished`). */
  unfinished?: string;
}

const SHARP_FITS = { squash: 'stretched to', crop: 'scaled to cover and centre-cropped to', pad: 'scaled to fit and padded (black) to' } as const;
const CAFFE_STEP = `flip RGB to BGR and subtract the BGR means [${IMAGENET_BGR_MEANS.join(', ')}] (Keras preprocess_input, caffe mode, no scaling); NHWC`;

function describePreprocessing(p: Preprocessing): string {
  const [h, w] = p.size;
  if (isKerasResize(p.resize)) {
    return (
      `Keras load_img(path, target_size=(${h}, ${w}), interpolation='${p.resize}') and img_to_array, bit for bit ` +
      `(Pillow decode: embedded ICC profile and EXIF orientation ignored, alpha dropped; Pillow '${p.resize}' resampling), as float32; ${CAFFE_STEP}`
    );
  }
  return (
    `decode to 8-bit sRGB (EXIF orientation applied, ICC profile converted, alpha flattened onto black), ` +
    `${SHARP_FITS[p.resize]} ${w}x${h} with libvips nearest-neighbour sampling, as float32; ${CAFFE_STEP}`
  );
}

/**
 * Python that builds the model's input batch `x` from image paths. In Keras modes it is exactly
 * our input (the Keras oracle test feeds exports this); the sharp modes have no Python equivalent.
 */
function pythonRecipe(p: Preprocessing): string {
  const [h, w] = p.size;
  if (!isKerasResize(p.resize)) {
    return (
      `# resize '${p.resize}' decodes with libvips (sRGB, EXIF rotation), which Python cannot reproduce bit for bit; ` +
      "retrain with a Keras resize mode (--resize nearest) for inputs Python reproduces exactly. Closest:\n" +
      KERAS_PYTHON(h, w, 'nearest')
    );
  }
  return KERAS_PYTHON(h, w, p.resize);
}

const KERAS_PYTHON = (h: number, w: number, interpolation: string) =>
  [
    'import numpy as np',
    'import keras  # or: import tf_keras as keras',
    `x = np.stack([keras.utils.img_to_array(keras.utils.load_img(path, target_size=(${h}, ${w}), interpolation='${interpolation}')) for path in paths])`,
    'x = keras.applications.vgg16.preprocess_input(x)  # float32 NHWC, BGR minus the ImageNet means',
  ].join('\n');

/** The sidecar for `model` exported from `run` as `format`. */
export function exportSidecar(run: Pick<LoadedRun, 'model' | 'classes' | 'preprocessing' | 'config'>, format: ExportFormat, runDir: string, files: string[]): ExportSidecar {
  const [h, w] = run.preprocessing.size;
  const names = format === 'onnx' ? { input: ONNX_INPUT, output: ONNX_OUTPUT } : { input: run.model.inputs[0]!.name, output: run.model.outputs[0]!.name };
  return {
    format: 'transferkit-export',
    version: 1,
    modelFormat: format,
    files,
    classes: [...run.classes],
    preprocessing: { ...run.preprocessing, bgrMeans: [...IMAGENET_BGR_MEANS], description: describePreprocessing(run.preprocessing), python: pythonRecipe(run.preprocessing) },
    input: { name: names.input, shape: [null, h, w, 3], dtype: 'float32' },
    output: { name: names.output, shape: [null, run.classes.length] },
    run: { dir: runDir, strategy: run.config.strategy, created: new Date().toISOString() },
  };
}

/** Write the model files of one format into `dir`; returns their names. */
async function writeModel(model: tf.LayersModel, format: ExportFormat, dir: string): Promise<string[]> {
  switch (format) {
    case 'keras-h5':
      await saveKerasModel(model, join(dir, EXPORT_FILES['keras-h5']));
      return [EXPORT_FILES['keras-h5']];
    case 'tfjs':
      await saveTfjsModel(model, dir);
      return [TFJS_FILES.model, TFJS_FILES.weights];
    case 'onnx':
      await exportOnnx(model, join(dir, EXPORT_FILES.onnx), { docString: 'transferkit export: preprocessed NHWC images -> class probabilities; see transferkit.json' });
      return [EXPORT_FILES.onnx];
  }
}

/** Export an already loaded run's stitched model (the model is not disposed). */
export async function exportLoadedRun(run: LoadedRun, runDir: string, format: ExportFormat, out: string): Promise<ExportResult> {
  const dir = resolve(out);
  let files: string[] = [];
  await atomicWriteDir(dir, async (temp) => {
    files = await writeModel(run.model, format, temp);
    await writeFileAtomic(join(temp, EXPORT_FILES.sidecar), JSON.stringify(exportSidecar(run, format, runDir, files), null, 2) + '\n');
  });
  return { format, dir, files: [...files, EXPORT_FILES.sidecar].map((f) => join(dir, f)) };
}

/**
 * `transferkit export RUN_DIR --format keras-h5|tfjs|onnx`: the run's stitched model (image ->
 * probabilities) as a Keras full-model `.h5`, a tfjs `model.json` folder or an `.onnx` file, with a
 * `transferkit.json` sidecar holding the class names and the exact preprocessing. The folder
 * appears atomically.
 */
export async function exportRun(runDir: string, format: ExportFormat, options: ExportOptions = {}): Promise<ExportResult> {
  await initBackend(options.backend);
  const dir = resolve(runDir);
  const run = await loadRun(dir);
  try {
    const result = await exportLoadedRun(run, dir, format, options.out ?? join(dir, 'export', format));
    return run.unfinished ? { ...result, unfinished: run.unfinished } : result;
  } finally {
    run.model.dispose();
  }
}
