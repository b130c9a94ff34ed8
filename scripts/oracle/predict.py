"""Let real Keras load files transferkit wrote and predict on raw float32 input, one request per line.

A long-lived server: importing TensorFlow takes seconds, so the test suite starts this once and
sends every request through it. Reads JSON lines on stdin, writes one JSON line per request:

  {"model": "M.h5", "framework": "tf_keras"|"keras", "input": "X.bin", "shape": [N, H, W, C], "output": "Y.bin"}
      full-model file (load_model)
  {"arch": "vgg16"|"vgg16_notop", "weights": "W.h5", ...}
      Keras's own VGG16 (weights=None) + load_weights(W.h5): the checkpoint direction
  {"model": "M.h5", "weights": "W.h5", ...}
      architecture from M, weights from W

Reply: {"ok": true, "output_shape": [...], "layers": [...]} (what Keras saw) or {"ok": false, "error": "..."}.
Anything else that writes to stdout (TensorFlow, Keras) is sent to stderr so it cannot break a reply.
"""

import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

from oracle_io import read_f32, write_f32  # noqa: E402


def keras_module(framework):
    if framework == "tf_keras":
        import tf_keras as k
    elif framework == "keras":
        import keras as k
    else:
        raise ValueError(f"framework must be tf_keras or keras, got {framework!r}")
    return k


def predict(req):
    k = keras_module(req.get("framework", "tf_keras"))
    if req.get("model"):
        model = k.models.load_model(req["model"], compile=False)
    elif req.get("arch") in ("vgg16", "vgg16_notop"):
        model = k.applications.VGG16(weights=None, include_top=req["arch"] == "vgg16", input_shape=(224, 224, 3))
    else:
        raise ValueError("give model, or arch vgg16|vgg16_notop")
    if req.get("weights"):
        model.load_weights(req["weights"])

    y = model.predict(read_f32(req["input"], req["shape"]), verbose=0)
    write_f32(req["output"], y)
    reply = {"output_shape": list(y.shape), "layers": [layer.name for layer in model.layers]}
    del model
    k.backend.clear_session()  # one server, many models: free each one before the next
    return reply


def main():
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = {"ok": True, **predict(json.loads(line))}
        except Exception as err:  # noqa: BLE001  the client reports it with the request
            reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
