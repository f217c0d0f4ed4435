"""A real, small recipe for testing the factory pipeline end to end.

scikit-learn's bundled `load_digits` (1,797 8x8 handwritten digits from the UCI optdigits set, shipped
inside the scikit-learn wheel) and a tiny Conv classifier with a float "features" input: it trains in a
few seconds on 2 cores and converts to every precision. Registered only by the tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from assistant.factory.recipes.base import MetricSpec, PredictFn, PreparedData, Recipe, TensorSpec


class DigitsRecipe(Recipe):
    name = "digits"
    task = "handwritten digit classification (factory test recipe)"
    kind = "conv"
    architecture = "Conv2D 8 -> max pool -> Conv2D 16 -> flatten -> dense softmax 10"
    metric = MetricSpec("accuracy", higher_is_better=True, tolerance=0.01)
    int8_io = True

    def __init__(self, epochs: int = 12) -> None:
        import sklearn

        self.epochs = epochs
        self.sources = [
            {
                "name": "scikit-learn load_digits (UCI optdigits)",
                "version": sklearn.__version__,
                "license": "BSD-3-Clause (scikit-learn); data CC BY 4.0 (UCI)",
                "use": "training and test data of the factory's test recipe",
            }
        ]

    def prepare(self, work_dir: Path, quick: bool, seed: int) -> PreparedData:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        digits = load_digits()
        x = (digits.images / 16.0).astype(np.float32)[..., None]
        y = digits.target.astype(np.int64)
        x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=seed, stratify=y)
        rng = np.random.default_rng(seed)
        rep = rng.choice(len(x_train), size=200, replace=False)
        return PreparedData(
            representative=[[x_train[i : i + 1]] for i in rep],
            verify_inputs=[x_test],
            payload={"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test},
            summary={"train": len(x_train), "test": len(x_test), "representative": len(rep), "classes": 10},
        )

    def train(self, data: PreparedData, work_dir: Path, quick: bool, seed: int) -> Any:
        import keras

        layers = [
            keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1"),
            keras.layers.MaxPooling2D(name="pool"),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv2"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(10, activation="softmax", name="probs"),
        ]

        def apply(x: Any) -> Any:
            for layer in layers:
                x = layer(x)
            return x

        inp = keras.Input((8, 8, 1), name="image")
        trainable = keras.Model(inp, apply(inp))
        trainable.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
        p = data.payload
        epochs = max(2, self.epochs // 2) if quick else self.epochs
        trainable.fit(p["x_train"], p["y_train"], batch_size=32, epochs=epochs, verbose=0)
        fixed = keras.Input((8, 8, 1), batch_size=1, name="image")
        return keras.Model(fixed, apply(fixed), name="digits")

    def contract(self, data: PreparedData) -> tuple[list[TensorSpec], list[TensorSpec]]:
        return (
            [TensorSpec("image", (1, 8, 8, 1), "float32", "features", "pixel value / 16, in [0, 1]")],
            [TensorSpec("probs", (1, 10), "float32", "probabilities")],
        )

    def evaluate(self, predict: PredictFn, data: PreparedData, quick: bool) -> dict[str, float]:
        from sklearn.metrics import f1_score

        p = data.payload
        pred = predict([p["x_test"]])[0].argmax(axis=1)
        return {
            "accuracy": float(np.mean(pred == p["y_test"])),
            "macro_f1": float(f1_score(p["y_test"], pred, average="macro")),
        }

    def write_assets(self, data: PreparedData, out_dir: Path) -> dict[str, str]:
        (out_dir / "labels.json").write_text(json.dumps([str(i) for i in range(10)]), encoding="utf-8")
        return {"labels": "labels.json"}

    def baselines(self, data: PreparedData, quick: bool) -> dict[str, dict[str, float]]:
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits

        p = data.payload
        flat = lambda a: a.reshape(len(a), -1)  # noqa: E731
        with threadpool_limits(1):  # a tiny fit; BLAS threads on a busy 2-core machine make it 30x slower
            model = LogisticRegression(max_iter=300).fit(flat(p["x_train"]), p["y_train"])
        return {"logistic_regression": {"accuracy": float(model.score(flat(p["x_test"]), p["y_test"]))}}
