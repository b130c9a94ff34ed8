"""Keras on real image files, for the decode and export checks (one JSON request on the command line).

  decode: {"op": "decode", "images": [...], "jobs": [{"size": [H, W], "interpolation": "nearest"}, ...], "out": DIR}
      keras.utils.load_img + img_to_array of every image for every job into DIR/<job>_<i>.bin (float32 HWC)
  modes: {"op": "modes", "out": DIR}
      small images in every Pillow mode load_img converts (L, LA, P, RGBA, CMYK, I;16); prints their paths
  export: {"op": "export", "sidecar": JSON, "h5": MODEL_H5, "onnx": MODEL_ONNX, "images": [...], "out": DIR}
      runs the `python` recipe of the export's transferkit.json as written, feeds the keras-h5 export
      to tf_keras and Keras 3 and the onnx export to onnxruntime; DIR/<runtime>.bin (float32 probabilities)

  vgg16: {"op": "vgg16", "images": [...], "out": DIR}
      one random-init VGG16 (with top) saved by tf_keras (save_weights .h5, full .h5, .keras) and Keras 3
      (.weights.h5, .keras); DIR/probs.bin: Keras's probabilities on load_img(224) + preprocess_input

  configs: {"op": "configs", "out": DIR}
      small .keras files: tf_keras Functional (tf_keras.keras), Keras 3 with keras.ops.add(x, 1.0)
      (ops_add.keras), tf_keras with a Lambda layer (lambda.keras)

Prints one JSON line: {"ok": true, ...} or {"ok": false, "error": ...}.
"""

import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

from oracle_io import write_f32  # noqa: E402


def decode(req):
    import keras

    for j, job in enumerate(req["jobs"]):
        for i, path in enumerate(req["images"]):
            img = keras.utils.load_img(path, target_size=tuple(job["size"]), interpolation=job["interpolation"])
            write_f32(os.path.join(req["out"], f"{j}_{i}.bin"), keras.utils.img_to_array(img))
    return {}


def modes(req):
    from PIL import Image

    rng = np.random.default_rng(7)
    rgb = Image.fromarray(rng.integers(0, 256, (61, 83, 3), dtype=np.uint8))
    alpha = Image.fromarray(rng.integers(0, 256, (61, 83), dtype=np.uint8))
    out = req["out"]
    made = {}

    def save(name, image, **kw):
        path = os.path.join(out, name)
        image.save(path, **kw)
        made[name] = Image.open(path).mode

    save("grey.png", rgb.convert("L"))
    save("grey.jpg", rgb.convert("L"))
    la = rgb.convert("LA")
    la.putalpha(alpha)
    save("grey_alpha.png", la)
    rgba = rgb.copy()
    rgba.putalpha(alpha)
    save("rgba.png", rgba)
    save("palette.png", rgb.convert("P", palette=Image.ADAPTIVE, colors=64), transparency=3)
    save("palette.gif", rgb.convert("P", palette=Image.ADAPTIVE, colors=32))
    save("cmyk.jpg", rgb.convert("CMYK"))
    grey16 = (np.asarray(rgb.convert("L"), dtype=np.uint16) * 257 - rng.integers(0, 300, (61, 83))).clip(0, 65535)
    save("grey16.png", Image.fromarray(grey16.astype(np.uint16)))
    return {"images": made}


def export(req):
    import keras
    import onnxruntime
    import tf_keras

    with open(req["sidecar"]) as f:
        recipe = json.load(f)["preprocessing"]["python"]
    results = {}
    for name, module in (("tf_keras", tf_keras), ("keras", keras)):
        scope = {"paths": req["images"]}
        # The recipe as written, with `keras` bound to the framework under test (its comment offers both).
        exec(recipe.replace("import keras  # or: import tf_keras as keras", ""), {"keras": module, **scope}, scope)
        x = scope["x"]
        model = module.models.load_model(req["h5"], compile=False)
        write_f32(os.path.join(req["out"], f"{name}.bin"), model.predict(x, verbose=0))
        results[name] = list(x.shape)
        if name == "keras":
            session = onnxruntime.InferenceSession(req["onnx"])
            y = session.run(None, {session.get_inputs()[0].name: x.astype(np.float32)})[0]
            write_f32(os.path.join(req["out"], "onnxruntime.bin"), y)
    return {"shapes": results}


def vgg16(req):
    import keras
    import tf_keras

    out = req["out"]
    tf_keras.utils.set_random_seed(1234)
    legacy = tf_keras.applications.VGG16(weights=None)
    files = {"tf_keras.weights.h5": "legacy-weights", "tf_keras.full.h5": "legacy-model", "tf_keras.keras": "keras-archive"}
    legacy.save_weights(os.path.join(out, "tf_keras.weights.h5"))
    legacy.save(os.path.join(out, "tf_keras.full.h5"))
    legacy.save(os.path.join(out, "tf_keras.keras"))
    k3 = keras.applications.VGG16(weights=None)
    k3.load_weights(os.path.join(out, "tf_keras.weights.h5"))
    k3.save_weights(os.path.join(out, "keras3.weights.h5"))
    k3.save(os.path.join(out, "keras3.keras"))
    files.update({"keras3.weights.h5": "keras3-weights", "keras3.keras": "keras-archive"})
    x = np.stack([keras.utils.img_to_array(keras.utils.load_img(p, target_size=(224, 224))) for p in req["images"]])
    write_f32(os.path.join(out, "probs.bin"), legacy.predict(keras.applications.vgg16.preprocess_input(x), verbose=0))
    return {"files": files}


def configs(req):
    import keras
    import tf_keras

    out = req["out"]
    inp = tf_keras.Input((8, 8, 3), name="image")
    x = tf_keras.layers.Conv2D(4, 3, activation="relu", name="my_conv")(inp)
    tf_keras.Model(inp, tf_keras.layers.Dense(2, name="my_dense")(tf_keras.layers.Flatten(name="my_flat")(x))).save(os.path.join(out, "tf_keras.keras"))
    inp = keras.Input((4,))
    keras.Model(inp, keras.ops.add(keras.layers.Dense(3, name="d")(inp), 1.0)).save(os.path.join(out, "ops_add.keras"))
    inp = tf_keras.Input((4,))
    tf_keras.Model(inp, tf_keras.layers.Lambda(lambda t: t * 2, name="double")(inp)).save(os.path.join(out, "lambda.keras"))
    return {}


def main():
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    req = json.loads(sys.argv[1])
    try:
        reply = {"ok": True, **{"decode": decode, "modes": modes, "export": export, "vgg16": vgg16, "configs": configs}[req["op"]](req)}
    except Exception as err:  # noqa: BLE001  the test reports it
        reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
    replies.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    main()
