"""Small helpers shared by the oracle scripts: raw float32 files and weight fingerprints."""

import hashlib

import numpy as np


def write_f32(path, array):
    """Raw little-endian float32, C order; the shape travels in manifest.json / on the command line."""
    np.ascontiguousarray(array, dtype="<f4").tofile(path)


def read_f32(path, shape):
    return np.fromfile(path, dtype="<f4").reshape(shape)


def weight_hashes(model):
    """sha256 of every weight array's float32 bytes, per leaf layer in Keras weight order."""
    out = []
    for layer in leaf_layers(model):
        arrays = layer.get_weights()
        if not arrays:
            continue
        out.append(
            {
                "layer": layer.name,
                "weights": [
                    {
                        "shape": list(a.shape),
                        "sha256": hashlib.sha256(np.ascontiguousarray(a, dtype="<f4").tobytes()).hexdigest(),
                    }
                    for a in arrays
                ],
            }
        )
    return out


def leaf_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers"):
            yield from leaf_layers(layer)
        else:
            yield layer
