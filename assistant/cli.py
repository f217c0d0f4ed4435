"""Command line: no argument opens the GUI; subcommands live one per module in assistant.commands.

Each `assistant/commands/<name>.py` defines `HELP`, `add_arguments(parser)` and `run(args) -> int`.
Modules are imported only when their subcommand runs, so `assistant hardware` never loads Qt.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from assistant import __version__, netguard

SUBCOMMANDS = ("hardware", "models", "bench", "ask", "suggest", "face", "transcribe", "speech")
_HELP = {
    "hardware": "show the detected hardware and the precision chosen for each model",
    "models": "list every model variant with its checksum state and measured figures",
    "bench": "time every model variant on this machine",
    "ask": "ask the chatbot one question",
    "suggest": "next-word suggestions for a text",
    "face": "enrol, verify or forget the face that unlocks the app",
    "transcribe": "speech to text of an audio file",
    "speech": "list, install, download or remove speech models",
}

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Offline, private desktop assistant.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    parser.add_argument("--self-test", action="store_true",
                        help="check that every model, speech, face verification and the window work here")
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="with --self-test: machine-readable output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        p = sub.add_parser(name, help=_HELP[name], description=_HELP[name])
        p.set_defaults(_module=name)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        try:
            module = importlib.import_module(f"assistant.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"assistant.commands.{name}":
                raise
            p.set_defaults(_missing=True)
            continue
        module.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    from assistant.core.appdata.logging_setup import setup_logging

    args = build_parser().parse_args(argv)
    if argv is None:  # the real program (not a test calling main): what it writes is this user's only
        os.umask(0o077)
    setup_logging(verbose=args.verbose)
    if os.environ.get(netguard.ENV) == "1":  # the test suite's subprocesses: no network, as in the suite
        netguard.install()
    if args.self_test:
        from assistant.selftest import main as self_test

        return self_test(as_json=getattr(args, "json", False))
    if not args.command:
        from assistant.ui.app import run_gui

        return run_gui()
    if getattr(args, "_missing", False):
        print(f"assistant: '{args.command}' is not available in this build", file=sys.stderr)
        return 2
    module = importlib.import_module(f"assistant.commands.{args._module}")
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the CLI's last line of defence: one clear line, details in the log
        logger.exception("command %s failed", args.command)
        print(f"assistant {args.command}: error: {exc}", file=sys.stderr)
        return 1
