"""Let real Keras load a file transferkit wrote and predict on raw float32 input.

  predict.py --model M.h5 [--framework tf_keras|keras] --input X.bin --shape N,H,W,C --output Y.bin
      full-model file (load_model)
  predict.py --arch vgg16_notop|vgg16 --weights W.h5 [--framework ...] --input ... --output ...
      Keras's own VGG16 (weights=None) + load_weights(W.h5): the checkpoint direction
  predict.py --model M.h5 --weights W.h5 ...
      architecture from M, weights from W

Prints one JSON line: {"output_shape": [...], "layers": [...]} so the caller can check what Keras saw.
"""

import argparse
import json
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

from oracle_io import read_f32, write_f32  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model")
    p.add_argument("--arch", choices=["vgg16", "vgg16_notop"])
    p.add_argument("--weights")
    p.add_argument("--framework", choices=["tf_keras", "keras"], default="tf_keras")
    p.add_argument("--input", required=True)
    p.add_argument("--shape", required=True)
    p.add_argument("--output", required=True)
    a = p.parse_args()
    if not a.model and not a.arch:
        p.error("give --model or --arch")

    if a.framework == "tf_keras":
        import tf_keras as k
    else:
        import keras as k

    if a.model:
        model = k.models.load_model(a.model, compile=False)
    else:
        model = k.applications.VGG16(weights=None, include_top=a.arch == "vgg16", input_shape=(224, 224, 3))
    if a.weights:
        model.load_weights(a.weights)

    x = read_f32(a.input, [int(d) for d in a.shape.split(",")])
    y = model.predict(x, verbose=0)
    write_f32(a.output, y)
    print(json.dumps({"output_shape": list(y.shape), "layers": [layer.name for layer in model.layers]}))


if __name__ == "__main__":
    main()
