import { UserError } from '../errors.ts';
import { readStringList } from './h5-attrs.ts';
import { hdf5Reason, isDataset, isGroup, type Group } from './h5.ts';
import { readWeightTensor } from './read-tensor.ts';
import type { LayerWeights, WeightTensor } from './types.ts';

/**
 * The layers of a Keras 1/2 `save_weights` group (the file root, or `model_weights` in a full model):
 * root attr `layer_names`, per layer attr `weight_names`, datasets at `<layer>/<weight name>`.
 * Weight names are whatever that Keras version used (`conv1_W_1:0`, `conv1/kernel:0`,
 * `dense_1_1/kernel:0`); we only use them to find the dataset, and keep the file's order.
 */
export function readLegacyLayers(root: Group, file: string): LayerWeights[] {
  const layerNames = readStringList(root, 'layer_names');
  if (!layerNames) throw new UserError(`${file}: not a Keras weights file (HDF5 without a 'layer_names' attribute)`);
  return layerNames.map((name) => {
    const group = root.get(name);
    if (!isGroup(group)) {
      throw new UserError(`${file}: layer '${name}' is listed in 'layer_names' but has no group; the file is damaged`);
    }
    const weightNames = readStringList(group, 'weight_names') ?? [];
    const weights: WeightTensor[] = weightNames.map((weightName) => {
      const ds = group.get(weightName);
      if (!isDataset(ds)) {
        throw new UserError(`${file}: layer '${name}' lists weight '${weightName}' but the file has no such dataset`);
      }
      try {
        return readWeightTensor(ds, weightName);
      } catch (err) {
        throw new UserError(`${file}: layer '${name}' weight '${weightName}': ${hdf5Reason(err)}`);
      }
    });
    return { name, weights };
  });
}
