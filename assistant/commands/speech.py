"""`assistant speech models|install|remove|download`: the speech models on this computer.

`models` lists them (the bundled Whisper model, Vosk models in the app's models/vosk, the user's folder
and installed vosk-model-* packages); `install` takes a zip file or a folder; `remove` deletes one the
user installed; `download` fetches the official small English Vosk model (the only network use, and
only when asked), resuming a partial download and checking its size and SHA-256.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.commands.output import human_bytes, print_json, print_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from assistant.core.speech.models import DOWNLOADS, SMALL_ENGLISH

    sub = parser.add_subparsers(dest="speech_command", metavar="ACTION", required=True)
    sub.add_parser("models", help="list the speech models")
    install = sub.add_parser("install", help="install a Vosk model from a zip file or a folder")
    install.add_argument("source", type=Path)
    install.add_argument("--name", help="install under this name (default: the model's folder name)")
    install.add_argument("--replace", action="store_true", help="replace a model of the same name")
    remove = sub.add_parser("remove", help="remove a Vosk model you installed")
    remove.add_argument("name")
    download = sub.add_parser("download", help=f"download a Vosk model (default {SMALL_ENGLISH.name}, about 41 MB)")
    download.add_argument("name", nargs="?", default=SMALL_ENGLISH.name, choices=sorted(DOWNLOADS))
    for p in sub.choices.values():
        p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")


def _model_dict(m) -> dict:
    return {"name": m.name, "engine": m.engine, "language": m.language, "bytes": m.bytes, "location": m.location,
            "removable": m.removable, "path": str(m.path)}


def _progress(label: str):
    state = {"last": -1}

    def report(done: int, total: int) -> None:
        if not sys.stderr.isatty() or not total:
            return
        pct = int(done * 100 / total)
        if pct != state["last"]:
            state["last"] = pct
            print(f"\r{label}: {pct:3d}% ({human_bytes(done)} of {human_bytes(total)})", end="", file=sys.stderr)
            if done >= total:
                print(file=sys.stderr)

    return report


def run(args: argparse.Namespace) -> int:
    from assistant.core.speech import models

    try:
        if args.speech_command == "models":
            found = models.list_models()
            if args.json:
                print_json({"models": [_model_dict(m) for m in found], "user_folder": str(models.user_dir())})
            else:
                print_table(["name", "engine", "language", "size", "where", "path"],
                            [[m.name, m.engine, m.language, human_bytes(m.bytes), m.location, m.path] for m in found])
                print(f"\nInstall more into {models.user_dir()} with 'assistant speech install ZIP|FOLDER' or "
                      f"'assistant speech download'.")
            return 0
        if args.speech_command == "install":
            source = args.source
            if source.is_dir():
                model = models.install_folder(source, name=args.name, replace=args.replace)
            else:
                model = models.install_zip(source, name=args.name, replace=args.replace,
                                           progress=_progress(f"unpacking {source.name}"))
            message = f"Installed {model.name} ({human_bytes(model.bytes)}) in {model.path}."
        elif args.speech_command == "remove":
            path = models.remove(args.name)
            message, model = f"Removed {args.name} ({path}).", None
        else:
            spec = models.DOWNLOADS[args.name]
            model = models.download(spec, progress=_progress(f"downloading {spec.name}"))
            message = f"Downloaded and installed {model.name} ({human_bytes(model.bytes)}) in {model.path}."
    except models.ModelError as exc:
        if args.json:
            print_json({"ok": False, "reason": str(exc)})
        else:
            print(f"assistant speech {args.speech_command}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print_json({"ok": True, "reason": message, **({"model": _model_dict(model)} if model else {})})
    else:
        print(message)
    return 0
