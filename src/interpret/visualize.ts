/**
 * The `visualize` commands as library calls: open `weights` (a VGG16 file or a run directory),
 * draw, write the PNG atomically, free every tensor.
 */
import { existsSync } from 'node:fs';
import { defaultClassIndexPath, loadClassIndex } from '../models/imagenet.ts';
import { activationsCanvas, kernelResponseCanvas, type ActivationScale } from './activations.ts';
import { writeCanvasPng } from './compose.ts';
import { gradCam, gradCamCanvas, type GradCamResult } from './gradcam.ts';
import { kernelsCanvas, type KernelsOptions } from './kernels.ts';
import { maximizeCanvas, maximizeFilters, type MaximizeOptions, type MaximizeResult } from './maximize.ts';
import { openSource, prepareImage, type InterpretSource, type SourceNeeds } from './source.ts';

/** Every visualize call names its model and its PNG. */
interface Target {
  /** VGG16 Keras weights file or training run directory. Required. */
  weights: string;
  /** PNG to write. Required. */
  out: string;
}

async function withSource<T>(weights: string, needs: SourceNeeds, use: (s: InterpretSource) => Promise<T>): Promise<T> {
  const source = await openSource(weights, needs);
  try {
    return await use(source);
  } finally {
    source.model.dispose();
  }
}

/** `visualize kernels`: a conv layer's filters. */
export function visualizeKernels(o: Target & KernelsOptions): Promise<void> {
  return withSource(o.weights, { layer: o.layer ?? 'block1_conv1', inputSize: 32 }, async ({ model }) => {
    await writeCanvasPng(o.out, kernelsCanvas(model, o));
  });
}

/** Options of {@link visualizeActivations}. */
export interface VisualizeActivationsOptions extends Target {
  /** Image file to run through the model. Required. */
  image: string;
  /** Layer to show. Required. */
  layer: string;
  /** Channels to show. Default: 0-31. */
  channels?: readonly number[];
  /** Colour scale across maps. Default: 'per-map'. */
  scale?: ActivationScale;
  /** Show this one filter's response (image, kernel, response, activated) instead of the grid. Default: none. */
  kernel?: number;
  /** Input side for a weights file (a run uses its own). Default: 224. */
  size?: number;
}

/** `visualize activations`: the image's feature maps at a layer, or one kernel's response. */
export function visualizeActivations(o: VisualizeActivationsOptions): Promise<void> {
  return withSource(o.weights, { layer: o.layer, inputSize: o.size }, async ({ model, preprocessing }) => {
    const { rgb, input } = await prepareImage(o.image, preprocessing);
    try {
      const canvas =
        o.kernel === undefined
          ? activationsCanvas(model, input, { layer: o.layer, channels: o.channels, scale: o.scale })
          : kernelResponseCanvas(model, input, rgb, { layer: o.layer, filter: o.kernel, bgr: preprocessing.mode === 'caffe' });
      await writeCanvasPng(o.out, canvas);
    } finally {
      input.dispose();
    }
  });
}

/** `visualize maximize`: what each filter responds to most. Only VGG16 up to the layer is built from a file. */
export function visualizeMaximize(o: Target & MaximizeOptions): Promise<MaximizeResult> {
  return withSource(o.weights, { layer: o.layer, inputSize: Math.max(32, o.size ?? 128) }, async ({ model }) => {
    const result = await maximizeFilters(model, o);
    await writeCanvasPng(o.out, maximizeCanvas(result));
    return result;
  });
}

/** Options of {@link visualizeGradCam}. */
export interface VisualizeGradCamOptions extends Target {
  /** Image file to explain. Required. */
  image: string;
  /** Class index to explain. Default: the top prediction. */
  classIndex?: number;
  /** Conv layer. Default: the last Conv2D (block5_conv3). */
  layer?: string;
  /** ImageNet class index JSON for names (weights files). Default: models/imagenet_class_index.json when present. */
  labels?: string;
}

/** What {@link visualizeGradCam} explained, with the label it drew. */
export interface VisualizeGradCamResult extends GradCamResult {
  label: string;
}

function className(source: InterpretSource, index: number, labels: string | undefined): string {
  if (source.classNames) return source.classNames[index] ?? `class ${index}`;
  const fallback = defaultClassIndexPath();
  const path = labels ?? (existsSync(fallback) ? fallback : undefined);
  return path === undefined ? `ImageNet class ${index}` : (loadClassIndex(path)[index]?.label ?? `class ${index}`);
}

/** `visualize gradcam`: where the evidence for a class lies, over the image. */
export function visualizeGradCam(o: VisualizeGradCamOptions): Promise<VisualizeGradCamResult> {
  return withSource(o.weights, { top: true }, async (source) => {
    const { rgb, input } = await prepareImage(o.image, source.preprocessing);
    let result: GradCamResult;
    try {
      result = gradCam(source.model, input, { layer: o.layer, classIndex: o.classIndex });
    } finally {
      input.dispose();
    }
    const label = `${className(source, result.classIndex, o.labels)} (${result.classIndex}) p=${result.probability.toFixed(3)}, ${result.layer}`;
    await writeCanvasPng(o.out, gradCamCanvas(rgb, result, { label }));
    return { ...result, label };
  });
}
