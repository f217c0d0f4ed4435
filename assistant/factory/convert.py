"""Parent side of the conversion jobs: every conversion runs in a process of its own.

`JobRunner` hands jobs to assistant.factory.worker: on Linux to one zygote that imported TensorFlow
once and forks a child per job, elsewhere to a freshly spawned interpreter per job. A crash, a non-zero
exit or a timeout of a job becomes a `JobResult` with ok=False and the converter's last error lines;
the build goes on with the other precisions.
"""

from __future__ import annotations

import json
import logging
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

ISOLATION_ENV = "ASSISTANT_FACTORY_ISOLATION"  # "fork" (default on Linux) or "spawn"
DEFAULT_TIMEOUT_S = 1800.0
_ZYGOTE_START_TIMEOUT_S = 600.0

# Lines of TensorFlow's chatter that never explain a failure.
_NOISE = re.compile(r"^(W0000|I0000|E0000.*(cuInit|cuda)|WARNING: All log messages|INFO:|\s*warnings\.warn|.*UserWarning)")
_ERROR = re.compile(r"(error|exception|check failed|aborted|fatal|not supported|unsupported|crash)", re.I)


@dataclass
class Job:
    """One conversion (kind "convert"), per-layer analysis ("debug") or selective int8 ("mixed")."""

    kind: str
    precision: str
    model: str  # saved float model (.keras)
    representative: str  # .npz, one stacked array per input
    out: str
    log: str
    int8_input: bool = False
    int8_output: bool = False
    denylisted_nodes: list[str] = field(default_factory=list)  # "mixed": layers ranked worst first
    steps: list[int] = field(default_factory=list)  # "mixed": how many of them stay float, per variant
    max_samples: int = 0
    imports: list[str] = field(default_factory=list)
    seed: int = 0
    timeout: float = DEFAULT_TIMEOUT_S


@dataclass
class JobResult:
    ok: bool
    seconds: float
    reason: str | None = None  # why it failed, in words plus the converter's last error lines
    log: str | None = None  # full log of the child


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


def error_summary(log_text: str, limit: int = 3, max_chars: int = 400) -> str:
    """The few lines of a converter log that say what went wrong."""
    lines = [
        ln.strip()
        for ln in log_text.splitlines()
        if ln.strip() and not _NOISE.match(ln.strip()) and not ln.startswith("    ")  # traceback source
    ]
    errors = [ln for ln in lines if _ERROR.search(ln) and not ln.startswith(("File ", "Traceback"))]
    chosen = errors[-limit:] if errors else lines[-limit:]
    text = " | ".join(dict.fromkeys(chosen))
    return text if len(text) <= max_chars else text[: max_chars - 3] + "..."


def _describe(rc: int, timed_out: bool, timeout: float, log_text: str) -> str:
    if timed_out:
        head = f"converter timed out after {timeout:.0f} s"
    elif rc < 0:
        head = f"converter crashed ({_signal_name(-rc)})"
    else:
        head = f"converter failed (exit {rc})"
    detail = error_summary(log_text)
    return f"{head}: {detail}" if detail else head


def default_isolation() -> str:
    wanted = os.environ.get(ISOLATION_ENV, "").strip().lower()
    if wanted in ("fork", "spawn"):
        return wanted
    return "fork" if sys.platform.startswith("linux") and hasattr(os, "fork") else "spawn"


class JobRunner:
    """Runs jobs one at a time, each in a process of its own. Use as a context manager."""

    def __init__(self, work_dir: Path, isolation: str | None = None) -> None:
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.isolation = isolation or default_isolation()
        self._zygote: subprocess.Popen[str] | None = None
        self._ready = False

    def __enter__(self) -> JobRunner:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        return env

    def start(self) -> None:
        """Start the zygote now, so importing TensorFlow overlaps with data preparation and training."""
        if self.isolation != "fork" or self._zygote is not None:
            return
        log = open(self.work_dir / "zygote.log", "ab")  # noqa: SIM115 - lives as long as the zygote
        self._zygote = subprocess.Popen(
            [sys.executable, "-m", "assistant.factory.worker", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=self._env(),
        )
        log.close()

    def _readline(self, timeout: float) -> str | None:
        assert self._zygote is not None and self._zygote.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self._zygote.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                return None
        return self._zygote.stdout.readline() or None

    def _stop_zygote(self) -> None:
        if self._zygote is None:
            return
        proc, self._zygote, self._ready = self._zygote, None, False
        try:
            if proc.stdin:
                proc.stdin.close()
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()

    def close(self) -> None:
        self._stop_zygote()

    def _run_fork(self, job: Job) -> tuple[int, bool]:
        if self._zygote is None:
            self.start()
        assert self._zygote is not None and self._zygote.stdin is not None
        if not self._ready:
            line = self._readline(_ZYGOTE_START_TIMEOUT_S)
            if not line or not json.loads(line).get("ready"):
                self._stop_zygote()
                raise RuntimeError(f"conversion worker did not start; see {self.work_dir / 'zygote.log'}")
            self._ready = True
        try:
            self._zygote.stdin.write(json.dumps(asdict(job)) + "\n")
            self._zygote.stdin.flush()
        except OSError as exc:
            self._stop_zygote()
            raise RuntimeError(f"conversion worker died: {exc}") from exc
        line = self._readline(job.timeout + 60)
        if not line:
            self._stop_zygote()
            raise RuntimeError(f"conversion worker stopped answering; see {self.work_dir / 'zygote.log'}")
        answer = json.loads(line)
        return int(answer["rc"]), bool(answer["timed_out"])

    def _run_spawn(self, job: Job) -> tuple[int, bool]:
        job_file = Path(job.out).with_suffix(".job.json")
        job_file.write_text(json.dumps(asdict(job), indent=1), encoding="utf-8")
        with open(job.log, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "assistant.factory.worker", "--job", str(job_file)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env(),
            )
            try:
                return proc.wait(timeout=job.timeout), False
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                return -signal.SIGKILL, True

    def run(self, job: Job) -> JobResult:
        """Run one job; never raises for a failing conversion (only for a broken worker setup)."""
        Path(job.log).write_bytes(b"")
        out = Path(job.out)
        out.unlink(missing_ok=True)
        start = time.monotonic()
        if self.isolation == "fork":
            try:
                rc, timed_out = self._run_fork(job)
            except RuntimeError as exc:  # a dead zygote: fall back to spawning this job
                logger.warning("%s; running %s %s in a fresh process", exc, job.kind, job.precision)
                self.isolation = "spawn"
                rc, timed_out = self._run_spawn(job)
        else:
            rc, timed_out = self._run_spawn(job)
        seconds = round(time.monotonic() - start, 3)
        log_text = Path(job.log).read_text(encoding="utf-8", errors="replace")
        if rc == 0 and not timed_out and out.is_file() and out.stat().st_size > 0:
            logger.info("%s -> %s done in %.1f s", job.kind, out.name, seconds)
            return JobResult(True, seconds, None, job.log)
        if rc == 0 and not timed_out:
            reason = "converter exited without writing a model"
        else:
            reason = _describe(rc, timed_out, job.timeout, log_text)
        logger.warning("%s -> %s failed: %s", job.kind, out.name, reason)
        return JobResult(False, seconds, reason, job.log)
