"""`assistant suggest "TEXT"`: next-word suggestions for the text before the cursor.

A trailing space means the last word is finished; without it the last word is completed, unless the
model is confident it is already a whole word ("how are" -> "you"). `--after` gives the message being
answered, which the model reads as context (`"" --after "how are you?"` -> I, I'm, Good). The personal
layer is read, not taught: suggesting from the command line never changes what the app has learned.
"""

from __future__ import annotations

import argparse

from assistant.commands.output import fmt, print_json, print_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from assistant.core.inference.catalog import PRECISIONS

    parser.add_argument("text", nargs="?", default="", help="the text before the cursor (may be empty)")
    parser.add_argument("-k", type=int, default=3, help="how many suggestions (default 3)")
    parser.add_argument("--after", default="", metavar="MESSAGE",
                        help="the conversation's previous message (the one being answered)")
    parser.add_argument("--precision", choices=PRECISIONS, help="model variant (default: the policy's choice)")
    parser.add_argument("--no-personal", action="store_true", help="ignore what the app learned from you")


def run(args: argparse.Namespace) -> int:
    from assistant.core.text.autocomplete import Predictor

    kwargs = {"personal": None} if args.no_personal else {}
    predictor = Predictor(precision=args.precision, **kwargs)
    result = predictor.suggest(args.text, k=max(0, args.k), previous=args.after)
    if args.json:
        payload = {"suggestions": result.words, "precision": result.precision, "latency_ms": result.latency_ms,
                   "completing": result.completing}
        if result.error:
            payload["error"] = result.error
        print_json(payload)
    elif result.error:
        print(f"no suggestions: {result.error}")
    else:
        print_table(["#", "suggestion"], [(i + 1, w) for i, w in enumerate(result.words)] or [("-", "(none)")])
        what = f"completing '{result.completing}'" if result.completing else "next word"
        print(f"\n{what}; {result.precision}, model {fmt(result.latency_ms)} ms")
    return 1 if result.error else 0
