"""Start the GUI: `assistant` with no argument calls `run_gui()`."""

from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import QCoreApplication, Qt
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


def create_app(argv: list[str] | None = None, settings: Settings | None = None) -> QApplication:
    """The QApplication with name, icon and style; reuses an existing one (tests)."""
    existing = QApplication.instance()
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
    logger.info("window open (%s, platform %s)", APP_NAME, app.platformName())
    return int(app.exec())


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
