"""`assistant face enroll|verify|forget SOURCE`: the face lock's engine on the command line.

SOURCE is a camera number ("0"), an image file, a video file or a folder of images. `enroll` judges
every picture (saying why it refuses one) and stores the average of the good ones; `verify` compares
pictures with the stored face and exits 0 on a match, 1 otherwise (with the reason: no face, several
faces, a black picture, a damaged file, or simply not the enrolled person); `forget` deletes the face.
"""

from __future__ import annotations

import argparse
import sys

from assistant.commands.output import fmt, print_json, print_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from assistant.core.inference.catalog import PRECISIONS

    sub = parser.add_subparsers(dest="face_command", metavar="ACTION", required=True)
    enroll = sub.add_parser("enroll", help="store the face seen in SOURCE as the enrolled face")
    enroll.add_argument("source", help="camera number, image, video or folder of images")
    enroll.add_argument("--name", default="", help="whose face it is (shown in the app)")
    enroll.add_argument("--frames", type=int, default=5, help="good pictures to average (default 5)")
    verify = sub.add_parser("verify", help="does the face in SOURCE match the enrolled face?")
    verify.add_argument("source", help="camera number, image, video or folder of images")
    verify.add_argument("--all", action="store_true", help="score every picture instead of stopping at a match")
    verify.add_argument("--liveness", action="store_true",
                        help="also require a live face: head moves following a challenge, depth, no replay")
    verify.add_argument("--challenge", metavar="MOVES",
                        help="the moves a video file is judged against, e.g. left,right (a file cannot follow a "
                             "random challenge; with a camera the default is a random one)")
    sub.add_parser("forget", help="delete the enrolled face")
    for p in (enroll, verify):
        p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
        p.add_argument("--detector", choices=(*PRECISIONS, "haar"), help="detector variant (default: Auto)")
        p.add_argument("--embedder", choices=PRECISIONS, help="embedder variant (default: Auto)")
    sub.choices["forget"].add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                                       help="machine-readable output")


def _fail(args: argparse.Namespace, message: str, **extra: object) -> int:
    if args.json:
        print_json({"ok": False, "reason": message, **extra})
    else:
        print(f"assistant face {args.face_command}: {message}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    from assistant.core.face.detector import FaceModelError
    from assistant.core.face.frames import FrameSourceError, open_source
    from assistant.core.face.template import TemplateError, TemplateStore

    store = TemplateStore()
    if args.face_command == "forget":
        removed = store.forget()
        message = "Deleted the enrolled face." if removed else "No face was enrolled."
        print_json({"ok": True, "removed": removed, "reason": message}) if args.json else print(message)
        return 0
    try:
        from assistant.core.face.verifier import FaceVerifier

        verifier = FaceVerifier(args.detector, args.embedder)
        with open_source(args.source) as source:
            if args.face_command == "enroll":
                return _enroll(args, verifier, source, store)
            return _verify(args, verifier, source, store)
    except (FrameSourceError, FaceModelError, TemplateError) as exc:
        return _fail(args, str(exc))


def _enroll(args, verifier, source, store) -> int:
    result = verifier.enrol(source, name=args.name, wanted=max(1, args.frames), live=source.live)
    rejected = [{"picture": r.name or f"frame {r.index}", "reason": r.reason} for r in result.frames if r.reason]
    if not result.ok or result.template is None:
        return _fail(args, result.reason, rejected=rejected, precision=verifier.pair)
    store.save(result.template)
    who = f" {args.name}" if args.name else ""
    if args.json:
        print_json({"ok": True, "enrolled": True, "name": args.name, "frames_used": result.used,
                    "rejected": rejected, "precision": verifier.pair, "reason": result.reason})
    else:
        print(f"Enrolled{who} from {result.used} picture{'s' if result.used != 1 else ''} "
              f"(detector {verifier.detector.precision}, embedder {verifier.embedder.precision}).")
        for item in rejected:
            print(f"  left out {item['picture']}: {item['reason']}")
    return 0


def _verify(args, verifier, source, store) -> int:
    template = store.load()
    if template is None:
        return _fail(args, "no face is enrolled yet: run `assistant face enroll SOURCE` first")
    if args.liveness:
        return _verify_live(args, verifier, source, template)
    result = verifier.verify(source, template, stop_on_match=not args.all)
    if args.json:
        print_json(result.as_dict())
    else:
        print(("MATCH: " if result.match else "NO MATCH: ") + result.reason)
        rows = [(r.name or r.index, fmt(r.score), r.reason or "-", fmt(r.ms.get("total"), 1)) for r in result.details]
        if len(rows) > 1:
            print_table(["picture", "score", "note", "ms"], rows)
        print(f"\n{verifier.pair}, threshold {fmt(result.threshold)}, {fmt(result.ms_per_frame, 1)} ms per picture")
    return 0 if result.match else 1


def _verify_live(args, verifier, source, template) -> int:
    from assistant.core.face.liveness import MOVE_WORDS, parse_challenge
    from assistant.core.face.unlock import UnlockSession

    try:
        challenge = parse_challenge(args.challenge) if args.challenge else None
    except ValueError as exc:
        return _fail(args, str(exc))
    if challenge is None and not source.live:
        return _fail(args, "a file cannot follow a random challenge: give the moves it shows with --challenge, "
                           "e.g. --challenge left,right")
    session = UnlockSession(verifier, template, liveness=True, challenge=challenge)
    if source.live and not args.json:
        print("Follow the moves: " + ", then ".join(MOVE_WORDS[m] for m in session.check.challenge))
    state = session.state
    for frame in source:
        state = session.feed(frame)
        if state.done:
            break
    if not state.done:
        state = session.finish()
    live = state.liveness
    ok = state.status == "unlocked"
    payload = {"match": session.identity_matched, "score": None if session.best_score is None else
               round(session.best_score, 4), "threshold": session.threshold, "precision": verifier.pair,
               "ms_per_frame": round(session.total_ms / max(1, state.frames), 2), "frames": state.frames,
               "reason": state.message, "live": bool(live and live.live),
               "liveness_reason": live.reason if live else "", "challenge": session.check.challenge}
    if args.json:
        print_json(payload)
    else:
        print(("UNLOCKED: " if ok else "REFUSED: ") + state.message)
        print(f"  identity: {'match' if payload['match'] else 'no match'} (best score {fmt(payload['score'])}, "
              f"threshold {fmt(payload['threshold'])}); liveness: {payload['liveness_reason']}")
    return 0 if ok else 1
