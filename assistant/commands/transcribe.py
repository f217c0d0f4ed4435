"""`assistant transcribe FILE`: speech to text of one recording, as the app does it.

The TFLite VAD (at the precision Auto chose, or --vad) cuts the recording into utterances and the
engine decodes each: Whisper tiny.en by default, or Vosk with --engine vosk --model NAME|FOLDER
(free-form, or --grammar FILE: a JSON list or one phrase per line). An empty, silent, damaged or
non-audio file is named with the reason and exits 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.commands.output import print_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from assistant.core.inference.catalog import PRECISIONS
    from assistant.core.speech.engines import DEFAULT_ENGINE, ENGINES

    parser.add_argument("file", type=Path, help="WAV, FLAC or OGG (any rate, channels, 8/16/24-bit or float) or .raw")
    parser.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE, help=f"recogniser (default {DEFAULT_ENGINE})")
    parser.add_argument("--model", help="Vosk: a model name from 'assistant speech models' or a model folder")
    parser.add_argument("--grammar", type=Path, help="Vosk: only these phrases (JSON list or one per line)")
    parser.add_argument("--vad", choices=PRECISIONS, help="VAD precision (default: Auto)")
    parser.add_argument("--raw-rate", type=int, default=16000, help="sample rate of a .raw file (16-bit mono)")
    parser.add_argument("--no-prompt", action="store_true", help="Whisper: no bias toward the assistant's phrases")


def _fail(args: argparse.Namespace, message: str) -> int:
    if args.json:
        print_json({"ok": False, "file": str(args.file), "reason": message})
    else:
        print(f"assistant transcribe: {message}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    from assistant.core.inference.runner import EngineError
    from assistant.core.speech import bias, models
    from assistant.core.speech.audio import AudioError, load_file
    from assistant.core.speech.engines import EngineOptions, SpeechEngineError, make_engine
    from assistant.core.speech.stream import transcribe_audio
    from assistant.core.speech.vad import VoiceActivity

    try:
        audio = load_file(args.file, raw_rate=args.raw_rate)
        options = EngineOptions(prompt="" if args.no_prompt else None)
        if args.engine == "vosk":
            if not args.model:
                return _fail(args, "Vosk needs --model (see 'assistant speech models')")
            options.model_path = models.find(args.model).path
        elif args.model:
            options.model_path = Path(args.model)
        if args.grammar:
            if args.engine != "vosk":
                return _fail(args, "--grammar works with --engine vosk")
            options.grammar = bias.read_grammar(args.grammar)
        vad = VoiceActivity(precision=args.vad)
        engine = make_engine(args.engine, options)
        result = transcribe_audio(audio, engine, vad, args.file.name)
    except (AudioError, ValueError, models.ModelError, SpeechEngineError, EngineError) as exc:
        return _fail(args, str(exc))
    if args.json:
        payload = result.as_dict()
        dropped = getattr(engine, "dropped", [])
        if dropped:
            payload["grammar_left_out"] = dropped
        print_json(payload)
    else:
        print(result.text)
        print(f"({result.engine}, {result.model}; VAD {result.vad_precision}; {result.seconds:.1f} s of audio, "
              f"RTF {result.rtf:.2f})", file=sys.stderr)
    return 0
