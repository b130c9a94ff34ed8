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

/** tfjs calls a Functional model `Model`; Keras 3 writes `functional`. */
function keras3ClassName(layer: tf.layers.Layer): string {
  const name = layer.getClassName();
  return name === 'Model' ? 'Functional' : name;
}

/** Every layer of `model` (nested ones too) under the path Keras 3 would save it at. */
export function keras3LayerPaths(model: tf.LayersModel, prefix = 'layers'): Map<string, tf.layers.Layer> {
  const paths = new Map<string, tf.layers.Layer>();
  const used = new Map<string, number>();
  for (const layer of model.layers) {
    // Keras 3's Sequential does not list its InputLayer; its Functional does. Inputs hold no weights
    // and only collide with each other, so listing them either way names every other layer the same.
    const base = kerasSnakeCase(keras3ClassName(layer));
    const n = used.get(base);
    used.set(base, (n ?? -1) + 1);
    const path = `${prefix}/${n === undefined ? base : `${base}_${n + 1}`}`;
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
