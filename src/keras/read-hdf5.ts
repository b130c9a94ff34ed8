import { UserError } from '../errors.ts';
import { RANDOM_INIT_ATTR, readString } from './h5-attrs.ts';
import { hdf5Reason, isGroup, loadH5, muteStderr, type File, type Group } from './h5.ts';
import { readKeras3Layers } from './read-keras3.ts';
import { readLegacyLayers } from './read-legacy.ts';
import type { KerasFile } from './types.ts';

function parseJsonAttr(group: Group, name: string, file: string): unknown {
  const text = readString(group, name);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new UserError(`${file}: attribute '${name}' is not valid JSON; the file is damaged`);
  }
}

/** The version/backend attrs; a full model keeps them on the root and on `model_weights`. */
function versionAttrs(...groups: Group[]): Pick<KerasFile, 'kerasVersion' | 'backend'> {
  const first = (name: string) => groups.map((g) => readString(g, name)).find((v) => v !== undefined);
  const out: Pick<KerasFile, 'kerasVersion' | 'backend'> = {};
  const kerasVersion = first('keras_version');
  const backend = first('backend');
  if (kerasVersion !== undefined) out.kerasVersion = kerasVersion;
  if (backend !== undefined) out.backend = backend;
  return out;
}

/** Which of the three HDF5 layouts the open file has, and its contents. */
function readLayout(h5: File, file: string): Omit<KerasFile, 'path'> {
  if (h5.attrs['layer_names'] || h5.attrs['layer_names0']) {
    return { format: 'legacy-weights', ...versionAttrs(h5), layers: readLegacyLayers(h5, file) };
  }
  const modelWeights = h5.get('model_weights');
  if (isGroup(modelWeights)) {
    // optimizer_weights is training state, not model weights: ignored, as Keras does when loading weights.
    const out: Omit<KerasFile, 'path'> = {
      format: 'legacy-model',
      ...versionAttrs(h5, modelWeights),
      layers: readLegacyLayers(modelWeights, file),
    };
    const modelConfig = parseJsonAttr(h5, 'model_config', file);
    const trainingConfig = parseJsonAttr(h5, 'training_config', file);
    if (modelConfig !== undefined) out.modelConfig = modelConfig;
    if (trainingConfig !== undefined) out.trainingConfig = trainingConfig;
    return out;
  }
  if (isGroup(h5.get('layers'))) {
    return { format: 'keras3-weights', layers: readKeras3Layers(h5, file) };
  }
  throw new UserError(
    `${file}: an HDF5 file but not a Keras one (no 'layer_names' attribute, 'model_weights' group or Keras 3 'layers' group)`,
  );
}

/**
 * Read a Keras HDF5 file at `localPath`; `file` is the name errors use (for an archive, the
 * `.keras` path rather than our temp copy). Any h5wasm failure becomes a one-line UserError.
 */
export async function readHdf5(localPath: string, file: string): Promise<Omit<KerasFile, 'path'>> {
  const h5wasm = await loadH5();
  let h5: File;
  try {
    h5 = muteStderr(() => new h5wasm.File(localPath, 'r'));
  } catch (err) {
    const reason = hdf5Reason(err);
    const truncated = /truncated file: eof = (\d+).*stored_eof = (\d+)/.exec(reason);
    if (truncated) {
      throw new UserError(
        `${file}: truncated HDF5 file (${truncated[1]} of ${truncated[2]} bytes present); download or save it again`,
      );
    }
    throw new UserError(`${file}: cannot open as HDF5 (${reason})`);
  }
  try {
    return muteStderr(() => {
      const layout = readLayout(h5, file);
      const randomInit = readString(h5, RANDOM_INIT_ATTR);
      return randomInit === undefined ? layout : { ...layout, randomInit };
    });
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${file}: cannot read (${hdf5Reason(err)}); the file may be damaged`);
  } finally {
    // After an HDF5 abort, close fails too; the read error above is the one worth reporting.
    muteStderr(() => {
      try {
        h5.close();
      } catch {}
    });
  }
}

/** One string attribute of the root group (undefined when absent), reading nothing else. */
export async function readHdf5RootString(path: string, name: string): Promise<string | undefined> {
  const h5wasm = await loadH5();
  let h5: File;
  try {
    h5 = muteStderr(() => new h5wasm.File(path, 'r'));
  } catch (err) {
    throw new UserError(`${path}: cannot open as HDF5 (${hdf5Reason(err)})`);
  }
  try {
    return muteStderr(() => readString(h5, name));
  } finally {
    muteStderr(() => h5.close());
  }
}
