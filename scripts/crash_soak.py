#!/usr/bin/env python3
"""Nothing lost on a crash: kill a writer with SIGKILL at random moments while it writes to every store, then
open every store as the next start would and check that at most the write in flight was lost and that no
store reports a damaged file.

    .venv/bin/python scripts/crash_soak.py [--kills 300] [--seed 0] [--json out.json]

Stores: chat history, the skills' lists, notes and reminders (one SQLite file), the personal words, the
settings file, the calibration cache, the encrypted face template and the speech-model install. The writer
is a fork of this process (so a kill costs milliseconds, not an interpreter start); it reports each write
on a pipe once the store's call has returned, and the check after the kill requires every reported write.
All in a scratch ASSISTANT_HOME. Exit code 0 only when every kill passed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STORES = ("history", "lists", "notes", "reminders", "personal", "settings", "calibration", "template", "speech")


def model_zip(path: Path) -> Path:
    """A structurally complete Vosk model folder, zipped (the install path is what is under test)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, size in (("am/final.mdl", 200_000), ("conf/model.conf", 200), ("graph/HCLG.fst", 300_000)):
            archive.writestr(f"vosk-model-soak/{name}", os.urandom(size))
    return path


class Writer:
    """Writes to every store in turn, forever; `ack` hears (store, value) after each write returned."""

    def __init__(self, zip_path: Path, rng: random.Random):
        from assistant.core.appdata.history import ChatHistory
        from assistant.core.face.template import TemplateStore
        from assistant.core.inference.catalog import Catalog
        from assistant.core.inference.hardware import current_profile
        from assistant.core.skills.skillset import Skills
        from assistant.core.text.personal import PersonalModel

        self.zip_path = zip_path
        self.rng = rng
        self.history = ChatHistory()
        skills = Skills()
        self.lists, self.notes, self.reminders = skills.lists, skills.notes, skills.reminders
        self.personal = PersonalModel()
        self.templates = TemplateStore()
        self.catalog = Catalog.load()
        self.profile = current_profile()

    def value(self, store: str, i: int, tag: str) -> str:
        if store == "calibration":
            name = sorted(self.catalog.models)[0]
            return f"{name}/{sorted(self.catalog.models[name].variants)[0]}={1.0 + i}"
        return f"soak-{i % 3}" if store == "speech" else f"{tag}v{i}"

    def write(self, store: str, i: int, value: str) -> None:
        from assistant.core.appdata.settings import Settings, save_settings
        from assistant.core.face.template import FaceTemplate
        from assistant.core.inference import calibration
        from assistant.core.speech import models

        if store == "history":
            self.history.add("user", value)
        elif store == "lists":
            self.lists.add("shopping", [f"item {value}"])
        elif store == "notes":
            self.notes.add(f"note {value}")
        elif store == "reminders":
            self.reminders.add(f"call {value}", time.time() + 3600)
        elif store == "personal":
            self.personal.learn(f"soak {value} word")
        elif store == "settings":
            save_settings(Settings(vosk_model=value, lock_after_minutes=i % 60))
        elif store == "calibration":
            name = sorted(self.catalog.models)[0]
            precision = sorted(self.catalog.models[name].variants)[0]
            calibration.save(self.profile, self.catalog, {name: {precision: 1.0 + i}})
        elif store == "template":
            vector = [self.rng.random() for _ in range(32)]
            self.templates.save(FaceTemplate(embedding=vector, name=value))
        elif store == "speech":
            models.install_zip(self.zip_path, name=value, replace=True)


def run_writer(zip_path: Path, seed: int, tag: str, ack_fd: int) -> None:
    """The child: write forever (until the SIGKILL); "B" before each write, "A" once it returned."""
    rng = random.Random(seed)
    writer = Writer(zip_path, rng)
    order = list(STORES)
    i = 0
    while True:
        rng.shuffle(order)
        for store in order:
            value = writer.value(store, i, tag)
            os.write(ack_fd, f"B\t{store}\t{value}\n".encode())
            writer.write(store, i, value)
            os.write(ack_fd, f"A\t{store}\t{value}\n".encode())
            i += 1


class DamageWatch(logging.Handler):
    """Collects every warning the stores log while they open (a damaged-file message fails the kill)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def check_after_kill(acked: dict[str, str], in_flight: tuple[str, str] | None) -> tuple[list[str], bool]:
    """Open every store as the next start does; what is wrong, in words ([] = all kept). A store that keeps
    one value (settings, template, calibration) may hold the acknowledged one or the one in flight.
    Returns the problems and whether the write in flight landed (then it is the value to expect next)."""
    from assistant.core.appdata.history import ChatHistory
    from assistant.core.appdata.settings import load_settings
    from assistant.core.face.template import TemplateStore
    from assistant.core.inference import calibration
    from assistant.core.inference.catalog import Catalog
    from assistant.core.inference.hardware import current_profile
    from assistant.core.skills.skillset import Skills
    from assistant.core.speech import models
    from assistant.core.text.personal import PersonalModel

    problems: list[str] = []
    watch = DamageWatch()
    logging.getLogger().addHandler(watch)
    try:
        history = ChatHistory()
        texts = {m.text for m in history.recent(100_000)}
        history.close()
        skills = Skills()
        items = set(skills.lists.items("shopping"))
        notes = {n.text for n in skills.notes.all()}
        reminders = {r.text for r in skills.reminders.upcoming()}
        skills.close()
        personal = PersonalModel()
        personal_size = personal.size()
        words, _ = personal.distribution(["soak"])
        personal.close()
        settings, warning = load_settings()
        template = TemplateStore().load()
        catalog = Catalog.load()
        times = calibration.load(current_profile(), catalog)
        installed = {m.name for m in models.list_models(include_packages=False)}
    except Exception as exc:  # noqa: BLE001 - a store that cannot open is the finding
        return [f"a store failed to open: {type(exc).__name__}: {exc}"], False
    finally:
        logging.getLogger().removeHandler(watch)
    if warning:
        problems.append(f"settings warning: {warning}")
    problems += [f"logged: {m}" for m in watch.messages]
    expect = {
        "history": lambda v: v in texts,
        "lists": lambda v: f"item {v}" in items,
        "notes": lambda v: f"note {v}" in notes,
        "reminders": lambda v: f"call {v}" in reminders,
        "personal": lambda v: personal_size > 0 and v.lower() in words,
        "settings": lambda v: settings.vosk_model == v,
        "calibration": lambda v: any(f"{m}/{p}={t}" == v for m, per in times.items() for p, t in per.items()),
        "template": lambda v: template is not None and template.name == v,
        "speech": lambda v: v in installed,
    }
    landed = bool(in_flight and expect[in_flight[0]](in_flight[1]))
    for store, value in acked.items():
        if not expect[store](value) and not (landed and in_flight and in_flight[0] == store):
            problems.append(f"{store}: the acknowledged write {value!r} is lost")
    return problems, landed


def soak(kills: int, seed: int, max_delay_ms: float) -> dict:
    rng = random.Random(seed)
    home = Path(tempfile.mkdtemp(prefix="assistant-crash-soak-"))
    os.environ["ASSISTANT_HOME"] = str(home)
    os.environ["ASSISTANT_NO_KEYRING"] = "1"
    zip_path = model_zip(home / "soak-model.zip")
    failures: list[dict] = []
    writes = 0
    per_store = dict.fromkeys(STORES, 0)
    acked: dict[str, str] = {}
    start = time.perf_counter()
    try:
        for kill in range(kills):
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # the writer
                os.close(read_fd)
                try:
                    run_writer(zip_path, seed * 100_003 + kill, f"k{kill}x", write_fd)
                finally:
                    os._exit(3)
            os.close(write_fd)
            time.sleep(rng.uniform(0.0, max_delay_ms) / 1000)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            with open(read_fd, "rb") as pipe:
                lines = pipe.read().decode().splitlines()
            in_flight = None
            for line in lines:
                if line.count("\t") != 2:
                    continue  # a line cut by the kill
                kind, store, value = line.split("\t")
                if kind == "B":
                    in_flight = (store, value)
                    continue
                in_flight = None
                acked[store] = value  # acknowledged writes survive every later kill too
                per_store[store] += 1
                writes += 1
            problems, landed = check_after_kill(acked, in_flight)
            if landed and in_flight:
                acked[in_flight[0]] = in_flight[1]  # it reached the disk: later kills must keep it
            if problems:
                failures.append({"kill": kill, "problems": problems})
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return {"kills": kills, "acknowledged_writes": writes, "per_store": per_store, "failures": failures,
            "seconds": round(time.perf_counter() - start, 1), "seed": seed, "max_delay_ms": max_delay_ms}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-delay-ms", type=float, default=400.0, help="kill within this long after the start")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    result = soak(args.kills, args.seed, args.max_delay_ms)
    print(f"{result['kills']} kills, {result['acknowledged_writes']} acknowledged writes, "
          f"{len(result['failures'])} failed, {result['seconds']} s")
    print("writes per store: " + ", ".join(f"{k} {v}" for k, v in result["per_store"].items()))
    for failure in result["failures"][:10]:
        print(f"kill {failure['kill']}: " + "; ".join(failure["problems"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0 if not result["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
