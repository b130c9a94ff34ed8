"""Write the Keras oracle fixtures: files saved by real Keras plus Keras's own outputs for fixed inputs.

Usage: .venv/bin/python generate.py [OUT_DIR]   (default: scripts/oracle/fixtures)

Everything is seeded, so two runs write the same numbers. OUT_DIR/manifest.json describes each
fixture (file, format, input, Keras's output, sha256 of every weight array); it is written last,
so a run that dies half-way leaves no manifest and the tests regenerate.
"""

import hashlib
import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")  # Keras's "HDF5 is legacy" notices: writing legacy files is the point

import numpy as np  # noqa: E402

from oracle_io import leaf_layers, weight_hashes, write_f32  # noqa: E402

import keras  # noqa: E402  Keras 3
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402  Keras 2 API (legacy .h5 writer)
from absl import logging as absl_logging  # noqa: E402

tf.get_logger().setLevel("ERROR")
absl_logging.set_verbosity(absl_logging.ERROR)

SEED = 1234
VGG_SIZE = 224
VGG_IMAGES = 2
SMALL_SHAPE = (32, 32, 3)
SMALL_BATCH = 4
GENERATOR_FILES = ("generate.py", "oracle_io.py", "requirements.txt")


def vgg_images(out):
    """Two seeded 224x224 RGB images written as PNG (so no resize is involved on our side)."""
    rng = np.random.default_rng(SEED)
    yy, xx = np.mgrid[0:VGG_SIZE, 0:VGG_SIZE]
    names, pixels = [], []
    for i in range(VGG_IMAGES):
        base = np.stack([xx * (i + 1), yy * 2, (xx + yy) // (i + 2)], axis=-1) % 256
        noise = rng.integers(-40, 41, size=base.shape)
        img = np.clip(base + noise, 0, 255).astype(np.uint8)
        name = f"vgg_image_{i}.png"
        tf.io.write_file(os.path.join(out, name), tf.io.encode_png(img))
        names.append(name)
        pixels.append(img)
    return names, np.stack(pixels).astype(np.float32)


def top5(probs):
    """Indices in `decode_predictions` order: `argsort()[-5:][::-1]` per row."""
    return [row.argsort()[-5:][::-1].tolist() for row in probs]


def vgg16_fixtures(out, images, x):
    """VGG16 (weights=None) with and without top, in all four Keras file layouts with one set of weights."""
    fixtures = []
    for include_top in (True, False):
        tag = "vgg16" if include_top else "vgg16_notop"
        tf_keras.utils.set_random_seed(SEED)
        legacy = tf_keras.applications.VGG16(weights=None, include_top=include_top, input_shape=(VGG_SIZE, VGG_SIZE, 3))
        legacy_weights = f"{tag}.legacy.h5"
        legacy.save_weights(os.path.join(out, legacy_weights))
        legacy.save(os.path.join(out, f"{tag}.full.h5"))
        # Keras 3 gets the very same weights, so every file of this tag shares one expected output.
        k3 = keras.applications.VGG16(weights=None, include_top=include_top, input_shape=(VGG_SIZE, VGG_SIZE, 3))
        k3.load_weights(os.path.join(out, legacy_weights))
        k3.save_weights(os.path.join(out, f"{tag}.weights.h5"))
        k3.save(os.path.join(out, f"{tag}.keras"))

        y = legacy.predict(x, verbose=0)
        y3 = k3.predict(x, verbose=0)
        assert np.max(np.abs(y - y3)) <= 1e-4 * max(1.0, float(np.max(np.abs(y)))), "tf-keras and Keras 3 disagree"
        write_f32(os.path.join(out, f"{tag}.output.bin"), y)
        hashes = weight_hashes(legacy)
        common = {
            "arch": "vgg16",
            "includeTop": include_top,
            "images": images,
            "input": {"file": "vgg_input.bin", "shape": list(x.shape)},
            "output": {"file": f"{tag}.output.bin", "shape": list(y.shape)},
            "weights": hashes,
        }
        if include_top:
            common["top5"] = top5(y)
            # Gap between 5th and 6th probability: tells the test whether the order is decidable.
            common["top5Margin"] = [float(np.sort(r)[-5] - np.sort(r)[-6]) for r in y]
        writers = {
            f"{tag}.legacy.h5": ("legacy-weights", f"tf_keras {tf_keras.__version__}"),
            f"{tag}.full.h5": ("legacy-model", f"tf_keras {tf_keras.__version__}"),
            f"{tag}.weights.h5": ("keras3-weights", f"keras {keras.__version__}"),
            f"{tag}.keras": ("keras-archive", f"keras {keras.__version__}"),
        }
        for file, (fmt, writer) in writers.items():
            fixtures.append({"name": file, "file": file, "format": fmt, "writer": writer, **common})
        del legacy, k3
    return fixtures


def seq_cnn(k):
    """Sequential: every layer class we support on the Sequential path."""
    return k.Sequential(
        [
            k.Input(shape=SMALL_SHAPE),
            k.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1"),
            k.layers.BatchNormalization(name="bn1"),
            k.layers.MaxPooling2D(pool_size=2, name="pool1"),
            k.layers.Conv2D(12, 3, strides=1, padding="valid", activation="relu", name="conv2"),
            k.layers.AveragePooling2D(pool_size=2, name="pool2"),
            k.layers.Dropout(0.4, name="drop"),
            k.layers.Flatten(name="flatten"),
            k.layers.Dense(16, activation="relu", name="fc"),
            k.layers.Dense(5, activation="softmax", name="predictions"),
        ],
        name="seq_cnn",
    )


def func_cnn(k):
    """Functional: branches (Add, Concatenate), padding, BatchNorm without affine scale, global pools."""
    L = k.layers
    inp = k.Input(shape=SMALL_SHAPE, name="image")
    x = L.ZeroPadding2D(1, name="pad")(inp)
    x = L.Conv2D(8, 3, name="conv1")(x)
    x = L.BatchNormalization(name="bn1")(x)
    x = L.Activation("relu", name="relu1")(x)
    a = L.MaxPooling2D(pool_size=2, name="max")(x)
    b = L.AveragePooling2D(pool_size=2, name="avg")(x)
    x = L.Concatenate(name="concat")([a, b])
    x = L.Conv2D(16, 3, padding="same", use_bias=False, name="conv2")(x)
    x = L.BatchNormalization(scale=False, name="bn2")(x)
    x = L.Activation("relu", name="relu2")(x)
    g = L.GlobalAveragePooling2D(name="gap")(x)
    m = L.GlobalMaxPooling2D(name="gmp")(x)
    x = L.Add(name="add")([g, m])
    x = L.Dropout(0.5, name="drop")(x)
    x = L.Dense(10, activation="tanh", name="fc")(x)
    out = L.Dense(3, activation="softmax", name="predictions")(x)
    return k.Model(inp, out, name="func_cnn")


def nested_cnn(k):
    """A Sequential block used as a layer inside a Functional model (Keras applications do this)."""
    L = k.layers
    block = k.Sequential(
        [k.Input(shape=SMALL_SHAPE), L.Conv2D(6, 3, activation="relu", name="b_conv"), L.BatchNormalization(name="b_bn")],
        name="block",
    )
    inp = k.Input(shape=SMALL_SHAPE, name="image")
    x = block(inp)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    out = L.Dense(4, activation="softmax", name="predictions")(x)
    return k.Model(inp, out, name="nested_cnn")


def randomise(model, seed):
    """Non-trivial weights: random biases and BatchNorm moving statistics far from 0/1."""
    rng = np.random.default_rng(seed)
    for layer in leaf_layers(model):
        values = []
        for w in layer.weights:
            shape = tuple(w.shape)
            name = w.name.split("/")[-1].split(":")[0]
            if name == "moving_variance":
                values.append(rng.uniform(0.3, 3.0, shape))
            elif name == "gamma":
                values.append(rng.uniform(0.5, 1.5, shape))
            elif name in ("moving_mean", "beta", "bias"):
                values.append(rng.normal(0.0, 0.5, shape))
            else:
                fan_in = int(np.prod(shape[:-1]))
                values.append(rng.normal(0.0, 1.0 / np.sqrt(fan_in), shape))
        if values:
            layer.set_weights([v.astype(np.float32) for v in values])


def small_fixtures(out):
    fixtures = []
    rng = np.random.default_rng(SEED + 1)
    x = rng.normal(0.0, 1.0, (SMALL_BATCH,) + SMALL_SHAPE).astype(np.float32)
    write_f32(os.path.join(out, "small_input.bin"), x)
    frameworks = {
        "tfkeras": (tf_keras, f"tf_keras {tf_keras.__version__}", [("h5", "legacy-model")]),
        "keras3": (keras, f"keras {keras.__version__}", [("keras", "keras-archive"), ("h5", "legacy-model")]),
    }
    for i, build in enumerate((seq_cnn, func_cnn, nested_cnn)):
        for tag, (k, writer, saves) in frameworks.items():
            k.utils.set_random_seed(SEED)
            model = build(k)
            randomise(model, SEED + 10 + i)
            y = model.predict(x, verbose=0)  # inference mode: Dropout off, BatchNorm uses moving stats
            stem = f"{model.name}.{tag}"
            write_f32(os.path.join(out, f"{stem}.output.bin"), y)
            for ext, fmt in saves:
                file = f"{stem}.{ext}"
                model.save(os.path.join(out, file))
                fixtures.append(
                    {
                        "name": file,
                        "file": file,
                        "format": fmt,
                        "writer": writer,
                        "arch": model.name,
                        "input": {"file": "small_input.bin", "shape": list(x.shape)},
                        "output": {"file": f"{stem}.output.bin", "shape": list(y.shape)},
                        "weights": weight_hashes(model),
                    }
                )
    return fixtures


def generator_hash(here):
    """sha256 over the scripts that shape the fixtures; the tests regenerate when it changes."""
    h = hashlib.sha256()
    for name in GENERATOR_FILES:
        with open(os.path.join(here, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "fixtures"))
    os.makedirs(out, exist_ok=True)
    manifest_path = os.path.join(out, "manifest.json")
    if os.path.exists(manifest_path):
        os.remove(manifest_path)

    images, pixels = vgg_images(out)
    x = tf_keras.applications.vgg16.preprocess_input(pixels.copy())
    write_f32(os.path.join(out, "vgg_input.bin"), x)
    fixtures = small_fixtures(out) + vgg16_fixtures(out, images, x)

    manifest = {
        "generator": "scripts/oracle/generate.py",
        "generatorHash": generator_hash(here),
        "seed": SEED,
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "tf_keras": tf_keras.__version__},
        "fixtures": fixtures,
    }
    tmp = manifest_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1)
    os.replace(tmp, manifest_path)
    print(f"oracle: wrote {len(fixtures)} fixtures to {out}")


if __name__ == "__main__":
    main()
