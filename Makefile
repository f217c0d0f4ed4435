# The two commands of the README. Both set up everything they need first (scripts/setup.sh).
.PHONY: run test lint lock package bench-bundle models bench bench-face bench-speech screenshots

run:
	@scripts/setup.sh run
	.venv/bin/python -m assistant

test:
	@scripts/setup.sh test
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q

# The double-click bundle (dist/offline-assistant) and the Linux tar.gz with install.sh (packaging/).
package:
	@scripts/setup.sh test
	scripts/package.sh

# Bundle size, start time and memory, frozen versus `python -m assistant` (scripts/bench_bundle.py).
bench-bundle: package
	.venv/bin/python scripts/bench_bundle.py

# Re-resolve the locked versions (requirements/*.txt, with hashes) after a change to pyproject.toml;
# the app's lock is constrained to the test lock (the versions the tests ran). `make lock UPGRADE=1` moves every package to the newest version pyproject.toml allows.
lock:
	@scripts/setup.sh test
	.venv/bin/pip-compile -q $(if $(UPGRADE),--upgrade) --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
	  --extra factory --extra dev --extra package -o requirements/test.txt pyproject.toml
	.venv/bin/pip-compile -q $(if $(UPGRADE),--upgrade) --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
	  -c requirements/test.txt -o requirements/run.txt pyproject.toml

lint:
	@scripts/setup.sh test
	.venv/bin/ruff check assistant tests scripts
	.venv/bin/lint-imports
	.venv/bin/mypy assistant/core

# Rebuild every model in every precision, with the analysis report (long: see models/REPORT.md).
models:
	@scripts/setup.sh test
	.venv/bin/python -m assistant.factory build all

bench:
	@scripts/setup.sh run
	.venv/bin/python -m assistant bench

# Our face pipeline at each precision against face_recognition (dlib) on the same frames.
bench-face:
	@scripts/setup.sh test
	.venv/bin/python -m pip install -q -e ".[bench]"
	.venv/bin/python scripts/bench_face.py

# The speech engines side by side: WER, intent accuracy, RTF and end-of-speech latency (scripts/bench_speech.py).
bench-speech:
	@scripts/setup.sh test
	.venv/bin/python -m pip install -q -e ".[bench]"
	.venv/bin/python scripts/bench_speech.py
