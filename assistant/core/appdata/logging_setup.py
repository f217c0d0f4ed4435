"""Logging for entry points only: a rotating file in the user log folder, warnings to stderr."""

from __future__ import annotations

import logging
import logging.handlers
import sys

from assistant.core.appdata import paths
from assistant.core.appdata.fileio import private_file

LOG_FILE_NAME = "assistant.log"


class _StderrHandler(logging.StreamHandler):
    """Writes to the sys.stderr of the moment, not the one at start-up (tests and embedders swap it)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def setup_logging(verbose: bool = False) -> None:
    root = logging.getLogger()
    if getattr(root, "_assistant_configured", False):
        return
    root.setLevel(logging.DEBUG)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        log_file = private_file(paths.logs_dir() / LOG_FILE_NAME)
        file_handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(fmt)
        root.addHandler(file_handler)
    except OSError as exc:  # read-only home: keep going with stderr only
        logging.getLogger(__name__).warning("cannot write log file: %s", exc)
    stderr = _StderrHandler()
    stderr.setLevel(logging.DEBUG if verbose else logging.WARNING)
    stderr.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(stderr)
    root._assistant_configured = True  # type: ignore[attr-defined]
