# The two commands of the README. Both set up everything they need first (scripts/setup.sh).
.PHONY: run test lint models bench bench-face bench-speech screenshots

run:
	@scripts/setup.sh run
	.venv/bin/python -m assistant

test:
	@scripts/setup.sh test
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q

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
