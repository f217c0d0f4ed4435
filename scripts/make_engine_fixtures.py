"""Make the tiny .tflite fixtures the core engine tests run on (committed under tests/fixtures/engine).

Two real, trained models in every precision the factory makes, so engine tests need no TensorFlow:
- `digits`: float features (scikit-learn's bundled 8x8 digits, scaled to [0,1]) -> dense -> 10 classes;
  its int8/int16x8 variants have integer inputs and outputs that the engine must (de)quantize.
- `tokens`: int32 token ids [1, 8] -> embedding -> Conv1D -> max pool -> 2 classes ("is token 7 present");
  its int8 variant keeps int32 ids (never quantized).
Run: .venv/bin/python scripts/make_engine_fixtures.py  (needs the factory extra)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "engine"


def convert(model, precision: str, representative, int8_io: bool) -> bytes:
    import tensorflow as tf

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if precision == "fp16":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
    elif precision == "dynamic":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    elif precision in ("int8", "int16x8"):
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([x] for x in representative)
        if precision == "int8":
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            io = tf.int8
        else:
            conv.target_spec.supported_ops = [
                tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
            ]
            io = tf.int16
        if int8_io:
            conv.inference_input_type = io
            conv.inference_output_type = io
    return conv.convert()


def main() -> None:
    import keras
    from sklearn.datasets import load_digits

    keras.utils.set_random_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target
    model = keras.Sequential([keras.Input((64,), batch_size=1), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:1500], y[:1500], epochs=15, batch_size=32, verbose=0)
    rep = [x[i : i + 1] for i in range(200)]
    np.savez(OUT / "digits_heldout.npz", x=x[1500:], y=y[1500:])
    files = {}
    for precision in ("fp32", "fp16", "dynamic", "int8", "int16x8"):
        data = convert(model, precision, rep, int8_io=True)
        name = f"digits.{precision}.tflite"
        (OUT / name).write_bytes(data)
        files[precision] = name

    rng = np.random.default_rng(0)
    tokens = rng.integers(2, 50, size=(4000, 8)).astype(np.int32)
    labels = (tokens == 7).any(axis=1).astype(np.int32)
    tmodel = keras.Sequential([keras.Input((8,), batch_size=1, dtype="int32"), keras.layers.Embedding(50, 8),
                               keras.layers.Conv1D(16, 3, activation="relu"), keras.layers.GlobalMaxPooling1D(),
                               keras.layers.Dense(2, activation="softmax")])
    tmodel.compile("adam", "sparse_categorical_crossentropy")
    tmodel.fit(tokens, labels, epochs=8, batch_size=32, verbose=0)
    trep = [tokens[i : i + 1] for i in range(200)]
    for precision in ("fp32", "int8"):
        (OUT / f"tokens.{precision}.tflite").write_bytes(convert(tmodel, precision, trep, int8_io=False))
    np.savez(OUT / "tokens_heldout.npz", x=tokens[3500:], y=labels[3500:],
             keras_probs=tmodel.predict(tokens[3500:], batch_size=1, verbose=0))
    digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(OUT.glob("*.tflite"))}
    (OUT / "SHA256SUMS.json").write_text(json.dumps(digest, indent=2) + "\n")
    print("\n".join(f"{k} {(OUT / k).stat().st_size}" for k in digest))


if __name__ == "__main__":
    main()
