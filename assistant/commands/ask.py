"""`assistant ask "TEXT"`: one message to the chatbot, the same as typing it in the app.

Skills act for real: a timer set here is seen by the app and by the next `assistant ask` (they share the
skills database in the user data folder).
"""

from __future__ import annotations

import argparse

from assistant.commands.output import fmt, print_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from assistant.core.inference.catalog import PRECISIONS

    parser.add_argument("text", nargs="?", default="", help="the message (may be empty)")
    parser.add_argument("--precision", choices=PRECISIONS, help="model variant (default: the policy's choice)")


def run(args: argparse.Namespace) -> int:
    from assistant.core.text.chatbot import Chatbot

    reply = Chatbot(precision=args.precision).ask(args.text)
    if args.json:
        print_json({"intent": reply.intent, "confidence": reply.confidence, "reply": reply.text,
                    "precision": reply.precision, "latency_ms": reply.latency_ms})
    else:
        print(reply.text)
        if reply.precision:
            print(f"\n({reply.intent}, confidence {fmt(reply.confidence, 2)}; {reply.precision}, "
                  f"model {fmt(reply.latency_ms)} ms)")
    return 1 if reply.intent == "unavailable" else 0
