"""Keras (TensorFlow CPU) VGG16 conv-base throughput: images/s at SIZE x SIZE, batch BATCH.

Usage: bench_keras.py BATCH BATCHES SIZE   -> one JSON line on stdout
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


def main():
    batch, batches, size = (int(a) for a in sys.argv[1:4])
    tf_keras.utils.set_random_seed(0)
    model = tf_keras.applications.VGG16(weights=None, include_top=False, input_shape=(size, size, 3))
    x = np.random.default_rng(0).normal(0, 50, (batch, size, size, 3)).astype(np.float32)
    model.predict_on_batch(x)  # warm-up: graph tracing, oneDNN kernel selection
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(batches):
        model.predict_on_batch(x)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({
        "engine": "keras-tensorflow-cpu",
        "versions": {"tensorflow": tf.__version__, "tf_keras": tf_keras.__version__},
        "threads": {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(), "cpus": os.cpu_count()},
        "batch": batch,
        "batches": batches,
        "images_per_s": round(batch * batches / seconds, 2),
        # CPU seconds of every thread: what the work costs, whatever else runs on the machine.
        "cpu_s_per_image": round(cpu_seconds / (batch * batches), 3),
    }))


if __name__ == "__main__":
    main()
