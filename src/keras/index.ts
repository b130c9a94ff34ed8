/** Keras HDF5 / .keras files: read every historic layout, write the Keras 2 weights layout, load into tfjs. */
export type { KerasFile, KerasFileFormat, LayerWeights, WeightTensor } from './types.ts';
export { readKerasFile, readRandomInitMarker } from './read.ts';
export { writeLegacyWeights, type WriteLegacyOptions } from './write-legacy.ts';
export { modelWeights } from './model-weights.ts';
export { loadWeights, type LoadReport, type LoadWeightsOptions } from './load-weights.ts';
export { describeKerasFile, formatKerasFileDescription, type KerasFileDescription } from './describe.ts';
