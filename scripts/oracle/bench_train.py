"""Keras (TensorFlow CPU) training speed for the bench's training row, built like transferkit's networks.

finetune: block5_conv1..3 + block5_pool + head (GAP, Dense 256 relu, Dropout 0.5, Dense 2 softmax)
on N random 14x14x512 block4_pool features, SGD(1e-4, momentum 0.9), batch B, one epoch plus one
validation batch. retrain: the whole VGG16 + the same head at SIZE, Adam(1e-4), one step of batch R
plus one validation batch. Each is fitted once untimed (graph tracing, oneDNN kernel selection),
then timed.

Usage: bench_train.py N B R SIZE   -> one JSON line on stdout
"""

import json
import os
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
from tf_keras import layers  # noqa: E402


def head(x):
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    return layers.Dense(2, activation="softmax")(x)


def finetune_model():
    inputs = tf_keras.Input((14, 14, 512))
    x = inputs
    for i in (1, 2, 3):
        x = layers.Conv2D(512, 3, padding="same", activation="relu", name=f"block5_conv{i}")(x)
    x = layers.MaxPooling2D(2, name="block5_pool")(x)
    model = tf_keras.Model(inputs, head(x))
    model.compile(tf_keras.optimizers.SGD(1e-4, momentum=0.9), "categorical_crossentropy", metrics=["accuracy"])
    return model


def retrain_model(size):
    base = tf_keras.applications.VGG16(weights=None, include_top=False, input_shape=(size, size, 3))
    model = tf_keras.Model(base.input, head(base.output))
    model.compile(tf_keras.optimizers.Adam(1e-4), "categorical_crossentropy", metrics=["accuracy"])
    return model


def timed_fit(model, n, shape, batch):
    rng = np.random.default_rng(0)
    x = (rng.random((n, *shape)) * 5).astype(np.float32)
    y = tf_keras.utils.to_categorical(np.arange(n) % 2, 2)
    val = (x[:batch], y[:batch])
    model.fit(x[:batch], y[:batch], batch_size=batch, epochs=1, validation_data=val, verbose=0)
    cpu = time.process_time()
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, validation_data=val, shuffle=True, verbose=0)
    return time.perf_counter() - start, time.process_time() - cpu


def main():
    n, batch, retrain_batch, size = (int(a) for a in sys.argv[1:5])
    tf_keras.utils.set_random_seed(0)
    finetune_wall, finetune_cpu = timed_fit(finetune_model(), n, (14, 14, 512), batch)
    retrain_wall, retrain_cpu = timed_fit(retrain_model(size), retrain_batch, (size, size, 3), retrain_batch)
    print(json.dumps({
        "versions": {"tensorflow": tf.__version__, "tf_keras": tf_keras.__version__},
        "finetuneEpoch": {"wallSeconds": round(finetune_wall, 3), "cpuSeconds": round(finetune_cpu, 3)},
        "retrainStep": {"wallSeconds": round(retrain_wall, 3), "cpuSeconds": round(retrain_cpu, 3)},
    }))


if __name__ == "__main__":
    main()
