"""Start the GUI: `assistant` with no argument calls `run_gui()`."""

from __future__ import annotations

import logging
import os
import sys
import time

from PySide6.QtCore import QCoreApplication, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from assistant import APP_ID, APP_NAME, __version__
from assistant.core.appdata.settings import Settings, load_settings
from assistant.ui import theme

logger = logging.getLogger(__name__)


def display_problem() -> str | None:
    """Why a window cannot open here, in words (None = it can). Qt would abort the process instead."""
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display: neither DISPLAY nor WAYLAND_DISPLAY is set. Run the app on a desktop, or "
            "under Xvfb (xvfb-run assistant); the command line works without one (assistant --help).")


_QT_LEVELS = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
# Qt's notes that are no news to a user ("This plugin does not support propagateSizeHints()" offscreen).
_QT_NOISE = ("propagateSizeHints", "QStandardPaths: XDG_RUNTIME_DIR")


def _qt_message(kind: QtMsgType, context, message: str) -> None:
    """Qt's own messages go to the log (the terminal only sees real warnings, via the log's handler)."""
    level = _QT_LEVELS.get(kind, logging.WARNING)
    if any(n in message for n in _QT_NOISE):
        level = logging.DEBUG
    logging.getLogger("qt").log(level, "%s", message)


def create_app(argv: list[str] | None = None, settings: Settings | None = None) -> QApplication:
    """The QApplication with name, icon and style; reuses an existing one (tests)."""
    existing = QApplication.instance()
    qInstallMessageHandler(_qt_message)
    if existing is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        QCoreApplication.setApplicationName(APP_ID)
        QCoreApplication.setApplicationVersion(__version__)
        QGuiApplication.setApplicationDisplayName(APP_NAME)
        QGuiApplication.setDesktopFileName(APP_ID)
        app = QApplication(list(argv if argv is not None else sys.argv[:1]))
    else:
        app = existing  # type: ignore[assignment]
    app.setWindowIcon(theme.app_icon())
    preference = settings.theme if settings is not None else "system"
    theme.apply(app, preference)
    return app  # type: ignore[return-value]


def run_gui(argv: list[str] | None = None) -> int:
    """Open the main window and run until it closes. Returns the exit code."""
    problem = display_problem()
    if problem:
        logger.error("cannot open the window: %s", problem)
        return 2
    settings, warning = load_settings()
    app = create_app(argv, settings)
    app.setQuitOnLastWindowClosed(True)

    from assistant.ui.shell import AppShell

    shell = AppShell(settings, warning)
    theme.follow_system(app, lambda: shell.settings.theme)
    shell.start()
    _quit_on_signals(shell)
    probe = os.environ.get(PROBE_ENV)
    if probe:
        _startup_probe(shell, probe)
    logger.info("window open (%s, platform %s)", APP_NAME, app.platformName())
    return int(app.exec())


PROBE_ENV = "ASSISTANT_STARTUP_PROBE"


def _startup_probe(shell, path: str) -> None:
    """For scripts/bench_bundle.py: once the first window is up, write when (wall clock) and the RSS; if
    the chat window is up, ask one question and add the RSS after the reply; then quit. Same code frozen
    and from source, so the two start times compare."""
    import json

    from PySide6.QtCore import QTimer

    from assistant.core.inference.hardware import resident_mb

    record: dict[str, float] = {}

    def finish() -> None:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(record, out)
        QApplication.quit()

    def replied(_line) -> None:
        record.update(reply_wall=time.time(), rss_after_reply_mb=resident_mb())
        QTimer.singleShot(0, finish)

    def shown() -> None:
        record.update(first_window_wall=time.time(), rss_first_window_mb=resident_mb())
        window = shell.window
        if window is None:  # the login window or the set-up wizard: nothing to ask
            finish()
            return
        window.reply_shown.connect(replied)
        window.input.setText("what time is it")
        record["ask_wall"] = time.time()
        window.send()

    QTimer.singleShot(0, shown)


def _quit_on_signals(shell) -> None:
    """Ctrl+C in the terminal or SIGTERM close the window properly (history, geometry, worker threads).

    Python only runs signal handlers between bytecodes; a slow timer gives it the chance while Qt waits.
    """
    import signal

    from PySide6.QtCore import QTimer

    def close(signum, _frame) -> None:
        logger.info("signal %d: closing the window", signum)
        for window in (shell.window, shell.login, shell.wizard):
            if window is not None:
                window.close()
        QApplication.quit()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, close)
        except (ValueError, OSError):  # not the main thread, or a platform without it
            pass
    timer = QTimer(shell)
    timer.timeout.connect(lambda: None)
    timer.start(250)
