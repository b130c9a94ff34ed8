/**
 * The tfjs LayersModel format on disk (`model.json` + one weights `.bin`), what tfjs-node's
 * `model.save('file://dir')` writes; that handler ships only with tfjs-node, so we write and read
 * the same files ourselves through tfjs's IO handler interface.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';

/** File names inside a tfjs model folder (tfjs-node's own choice of weights file name). */
export const TFJS_FILES = { model: 'model.json', weights: 'weights.bin' } as const;

/** Write `model.json` and `weights.bin` into the existing folder `dir` (no optimizer state). */
export async function saveTfjsModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [TFJS_FILES.weights], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(join(dir, TFJS_FILES.weights), new Uint8Array(weights));
      await writeFile(join(dir, TFJS_FILES.model), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
    { includeOptimizer: false },
  );
}

/** An IO handler reading a tfjs model folder from disk (`tf.loadLayersModel(tfjsFolder(dir))`). */
export function tfjsFolder(dir: string): tf.io.IOHandler {
  return {
    async load() {
      const path = join(dir, TFJS_FILES.model);
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await readFile(path, 'utf8')) as tf.io.ModelJSON;
      } catch (err) {
        throw new UserError(`${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (err as Error).message}; expected a tfjs model.json.`);
      }
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = await Promise.all(manifest.flatMap((group) => group.paths.map((p) => readFile(join(dir, p)))));
        const data = tf.io.CompositeArrayBuffer.join(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
        return [specs, data];
      });
    },
  };
}

/** Load a tfjs model folder written by `saveTfjsModel` (or tfjs-node's `file://` handler). */
export function loadTfjsModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tfjsFolder(dir));
}
