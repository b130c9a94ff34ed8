import { UserError } from '../errors.ts';
import { hdf5Reason, isDataset, isGroup, type Group } from './h5.ts';
import { keras3Namer } from './keras3-paths.ts';
import { readWeightTensor } from './read-tensor.ts';
import type { LayerWeights, WeightTensor } from './types.ts';

/** Numeric order for `vars/0`, `vars/1`, … `vars/10` (HDF5 lists names alphabetically). */
function byIndex(a: string, b: string): number {
  return Number(a) - Number(b) || a.localeCompare(b);
}

/** The datasets in `<group>/vars`, in variable-index order, named `<prefix>vars/<i>`. */
function readVars(group: Group, prefix: string, file: string, layer: string): WeightTensor[] {
  const vars = group.get('vars');
  if (!isGroup(vars)) return [];
  return vars
    .keys()
    .sort(byIndex)
    .map((key) => {
      const ds = vars.get(key);
      const name = `${prefix}vars/${key}`;
      if (!isDataset(ds)) throw new UserError(`${file}: layer '${layer}' entry '${name}' is not a dataset`);
      try {
        return readWeightTensor(ds, name);
      } catch (err) {
        throw new UserError(`${file}: layer '${layer}' weight '${name}': ${hdf5Reason(err)}`);
      }
    });
}

/**
 * A layer's own variables, then those of the sub-objects it owns (e.g. MultiHeadAttention's
 * `query_dense/vars`), depth first in the file's (alphabetical) order.
 */
function readLayerVars(group: Group, prefix: string, file: string, layer: string): WeightTensor[] {
  const own = readVars(group, prefix, file, layer);
  const nested = group
    .keys()
    .filter((key) => key !== 'vars' && key !== 'layers')
    .flatMap((key) => {
      const child = group.get(key);
      return isGroup(child) ? readLayerVars(child, `${prefix}${key}/`, file, layer) : [];
    });
  return [...own, ...nested];
}

function collectLayers(container: Group, path: string, file: string, out: LayerWeights[]): void {
  for (const name of container.keys()) {
    const group = container.get(name);
    if (!isGroup(group)) continue;
    const layerPath = `${path}/${name}`;
    const inner = group.get('layers');
    if (isGroup(inner)) {
      // A nested Sequential/Functional model: Keras 3 saves it as its own `layers/` tree.
      const own = readVars(group, '', file, name);
      if (own.length > 0) out.push({ name, path: layerPath, weights: own });
      collectLayers(inner, `${layerPath}/layers`, file, out);
    } else {
      out.push({ name, path: layerPath, weights: readLayerVars(group, '', file, name) });
    }
  }
}

/**
 * The layers of a Keras 3 `.weights.h5` (`layers/<name>/vars/<i>`), nested models flattened into their
 * layers. `optimizer/` and the model's own top-level `vars/` (metrics, seed state) are not layers.
 * HDF5 keeps no creation order here, so layers come in alphabetical order; Keras 3 itself matches
 * them by path, and `orderLayersByConfig` restores model order when a config is at hand.
 */
export function readKeras3Layers(root: Group, file: string): LayerWeights[] {
  const layers = root.get('layers');
  if (!isGroup(layers)) throw new UserError(`${file}: not a Keras 3 weights file (no 'layers' group)`);
  const out: LayerWeights[] = [];
  collectLayers(layers, 'layers', file, out);
  return out;
}

interface ConfigLayer {
  class_name?: unknown;
  name?: unknown;
  config?: { layers?: unknown; name?: unknown };
}

/** A config layer's weights path and the name the user gave it. */
export interface ConfigLayerPath {
  path: string;
  name: string;
}

/**
 * The Keras 3 weights paths of a config's layers, in model order, each with the layer's own name.
 * Keras 3 names weight groups by class, not by layer name (see keras3-paths.ts), so a config gives
 * paths by the same rule.
 */
export function configLayerPaths(config: unknown, prefix = 'layers'): ConfigLayerPath[] {
  const layers = (config as ConfigLayer | undefined)?.config?.layers;
  if (!Array.isArray(layers)) return [];
  const nameOf = keras3Namer();
  return (layers as ConfigLayer[]).flatMap((layer) => {
    const path = `${prefix}/${nameOf(typeof layer?.class_name === 'string' ? layer.class_name : '')}`;
    const own = layer?.name ?? layer?.config?.name;
    const name = typeof own === 'string' ? own : path.slice(path.lastIndexOf('/') + 1);
    return [{ path, name }, ...configLayerPaths(layer, `${path}/layers`)];
  });
}

/**
 * Alphabetically listed Keras 3 layers in the model order a config gives, each under the name the
 * user gave it (`block1_conv1`, not `conv2d`); paths the config does not know go last, unrenamed.
 */
export function nameLayersByConfig(layers: LayerWeights[], config: unknown): LayerWeights[] {
  const entries = configLayerPaths(config);
  if (entries.length === 0) return layers;
  const byPath = new Map(entries.map((e, i) => [e.path, { ...e, rank: i }]));
  const rank = (l: LayerWeights) => byPath.get(l.path ?? '')?.rank ?? Number.MAX_SAFE_INTEGER;
  return [...layers].sort((a, b) => rank(a) - rank(b)).map((l) => ({ ...l, name: byPath.get(l.path ?? '')?.name ?? l.name }));
}
