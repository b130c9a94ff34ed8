/** How a Keras HDF5 (or .keras) file lays out its weights. */
export type KerasFileFormat =
  | 'legacy-weights' // Keras 1/2 and tf.keras `save_weights`: root attrs layer_names / weight_names
  | 'legacy-model' // Keras 1/2 full-model `.h5`: model_weights group + model_config attr
  | 'keras3-weights' // Keras 3 `.weights.h5`: layers/<name>/vars/<i>
  | 'keras-archive'; // Keras 3 `.keras` zip: config.json + model.weights.h5

/** One weight array, always float32 in memory whatever the file stored. */
export interface WeightTensor {
  /** The name the file used (e.g. `block1_conv1_W_1:0`, `block1_conv1/kernel:0`, `vars/0`). */
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A layer's weights in Keras order (Conv2D/Dense: kernel, bias; BatchNorm: gamma, beta, mean, var). */
export interface LayerWeights {
  name: string;
  weights: WeightTensor[];
  /**
   * Keras 3 files only: the layer's group path (`layers/sequential/layers/dense`). Nested models are
   * flattened into their layers, so the path is what tells two layers of the same name apart.
   */
  path?: string;
}

/** Everything read from one Keras weights/model file. */
export interface KerasFile {
  path: string;
  format: KerasFileFormat;
  /** `keras_version` attr when present (missing in some Keras 1 files). */
  kerasVersion?: string;
  /** `backend` attr when present: tensorflow | theano | cntk. */
  backend?: string;
  /** Layers in file order, including layers with no weights (Keras matches by position). */
  layers: LayerWeights[];
  /** Parsed `model_config` (legacy full model) or `config.json` (.keras archive). */
  modelConfig?: unknown;
  /** Parsed `training_config`, when present; informational only. */
  trainingConfig?: unknown;
  /**
   * The random-init marker (`transferkit_random_init` root attribute, e.g. "glorot_uniform seed 0"):
   * `transferkit init-weights` wrote these weights, so they hold no ImageNet knowledge.
   */
  randomInit?: string;
}
