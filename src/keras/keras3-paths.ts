import * as tf from '@tensorflow/tfjs';
import type { KerasFile } from './types.ts';

/**
 * Keras 3 stores weights under paths derived from the model's structure, not from layer names:
 * inside each container, the n-th layer of a class is `<snake_case(class)>_<n>` (`conv2d`,
 * `conv2d_1`, …, nested models as `sequential/layers/dense`). Keras 3 itself matches by recomputing
 * those paths from the live model; this does the same for a tfjs model.
 */

/** Keras 3 `naming.to_snake_case`: `MaxPooling2D` -> `max_pooling2d`. */
export function kerasSnakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Keras 3's per-container names: call once per layer, in model order, with its class name; the n-th
 * layer of a class gets `<snake_case(class)>`, then `_1`, `_2`, …. tfjs calls a Functional model
 * `Model`, Keras 3 writes `functional`; both spellings name it the same.
 */
export function keras3Namer(): (className: string) => string {
  const used = new Map<string, number>();
  return (className) => {
    const base = kerasSnakeCase(className === 'Model' ? 'Functional' : className);
    const n = used.get(base);
    used.set(base, (n ?? -1) + 1);
    return n === undefined ? base : `${base}_${n + 1}`;
  };
}

/** Every layer of `model` (nested ones too) under the path Keras 3 would save it at. */
export function keras3LayerPaths(model: tf.LayersModel, prefix = 'layers'): Map<string, tf.layers.Layer> {
  const paths = new Map<string, tf.layers.Layer>();
  const nameOf = keras3Namer();
  for (const layer of model.layers) {
    // Keras 3's Sequential does not list its InputLayer; its Functional does. Inputs hold no weights
    // and only collide with each other, so listing them either way names every other layer the same.
    const path = `${prefix}/${nameOf(layer.getClassName())}`;
    paths.set(path, layer);
    if (layer instanceof tf.LayersModel) {
      for (const [inner, sub] of keras3LayerPaths(layer, `${path}/layers`)) paths.set(inner, sub);
    }
  }
  return paths;
}

/**
 * A Keras 3 file (`.weights.h5` / `.keras`) with each layer renamed to the model layer its path
 * designates, so matching by name pairs what Keras 3 would pair. Other formats come back unchanged.
 */
export function nameKeras3Layers(file: KerasFile, model: tf.LayersModel): KerasFile {
  if (file.format !== 'keras3-weights' && file.format !== 'keras-archive') return file;
  const paths = keras3LayerPaths(model);
  return {
    ...file,
    layers: file.layers.map((l) => {
      const layer = l.path === undefined ? undefined : paths.get(l.path);
      return layer ? { ...l, name: layer.name } : l;
    }),
  };
}
