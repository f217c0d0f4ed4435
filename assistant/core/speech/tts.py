"""Replies read aloud with espeak-ng, the system's offline speech synthesiser.

Chosen because it costs nothing in the bundle (a Debian package, `espeak-ng`, that also makes the test
speech) and starts speaking in milliseconds; it sounds robotic. A neural voice (Piper) would sound far
better but adds an ONNX runtime and a 60 MB voice per language. Where espeak-ng is not installed the
setting says so and stays off. Speaking runs in its own process: `say()` returns at once and `stop()`
(typing, the microphone) ends it.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading

logger = logging.getLogger(__name__)

MAX_CHARS = 600  # a longer reply is read up to here


class Speaker:
    """One voice; `say(text)` replaces whatever is being said."""

    def __init__(self, voice: str = "en-us", speed: int = 165, program: str = "espeak-ng") -> None:
        self.voice, self.speed = voice, speed
        self.program = shutil.which(program)
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self.program is not None

    @property
    def unavailable_reason(self) -> str:
        return "" if self.available else "reading aloud needs espeak-ng (sudo apt-get install espeak-ng)"

    @property
    def speaking(self) -> bool:
        with self._lock:
            return self._proc is not None and self._proc.poll() is None

    def say(self, text: str) -> bool:
        """Start reading `text` aloud; False (and nothing happens) when there is no synthesiser."""
        text = " ".join(str(text).split())[:MAX_CHARS]
        if not text or self.program is None:
            return False
        self.stop()
        try:
            proc = subprocess.Popen([self.program, "-v", self.voice, "-s", str(self.speed), "--", text],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            logger.warning("cannot start %s: %s", self.program, exc)
            return False
        with self._lock:
            self._proc = proc
        return True

    def stop(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                proc.kill()
