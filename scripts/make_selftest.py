"""Write the self-test's stored inputs and expected outputs (models/selftest.npz) and its recording
(resources/selftest/what-time-is-it.wav, espeak-ng), after the models were built.

    .venv/bin/python scripts/make_selftest.py

Inputs are deterministic and valid for each contract (assistant.selftest.stored_inputs); outputs come from
the app's own ModelRunner (LiteRT), one entry per shipped variant, tied to the variant's sha256, stored as
float16 (the self-test allows 2% relative error: other CPUs order float sums differently).
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    import soundfile as sf

    from assistant.core.appdata.fileio import atomic_write
    from assistant.core.inference.catalog import Catalog
    from assistant.core.inference.runner import ModelRunner
    from assistant.factory import speech_data
    from assistant.selftest import EXPECTED, SELFTEST_WAV, stored_inputs

    catalog = Catalog.load(REPO / "models")
    arrays: dict[str, np.ndarray] = {}
    index: dict[str, dict] = {}
    for name, info in sorted(catalog.models.items()):
        inputs = stored_inputs(info)
        for i, a in enumerate(inputs):
            arrays[f"{name}.in{i}"] = a
        for variant in info.shipped():
            key = f"{name}.{variant.precision}"
            outputs = ModelRunner(variant.path, 1, [t.name for t in info.inputs]).run(inputs)
            for i, out in enumerate(outputs):
                arrays[f"{key}.out{i}"] = np.asarray(out).astype(np.float16)  # 1e-3 is far inside the check
            index[key] = {"sha256": variant.sha256, "outputs": len(outputs)}
            print(f"{key}: {len(outputs)} output(s)")
    arrays["index"] = np.array(json.dumps(index, sort_keys=True))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write(REPO / "models" / EXPECTED, buffer.getvalue())
    wav = REPO / "resources" / Path(*SELFTEST_WAV)
    wav.parent.mkdir(parents=True, exist_ok=True)
    speech = speech_data.espeak("what time is it", "en-us", 150).samples
    sf.write(str(wav), np.concatenate([np.zeros(4000, np.float32), speech, np.zeros(4000, np.float32)]), 16000,
             subtype="PCM_16")
    print(f"written models/{EXPECTED} ({len(index)} variants) and {wav.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
