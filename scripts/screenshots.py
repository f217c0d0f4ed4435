#!/usr/bin/env python3
"""Start the app in a real X window (under Xvfb when there is no display) and save screenshots.

    python scripts/screenshots.py [--out screenshots] [--size 1366x768] [--scheme light|dark|both] [--bench]

It drives the real window like a user: types a message letter by letter (suggestion chips update),
sends a few messages (real chatbot replies), opens Settings with Ctrl+, and visits every page.
Each step is saved twice: the window itself (QWidget.grab) and the whole X screen (`import -window
root`, ImageMagick). A fresh ASSISTANT_HOME in a temp folder is used unless --home is given, so your
own history is never shown or changed. Needs Debian xvfb, xauth, imagemagick and the Qt xcb libraries.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def start_xvfb(size: str, dpi: int) -> tuple[subprocess.Popen, str]:
    if not shutil.which("Xvfb"):
        sys.exit("Xvfb is not installed (Debian: apt-get install xvfb xauth)")
    for number in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            break
    else:
        sys.exit("no free X display number between :90 and :139")
    display = f":{number}"
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{size}x24", "-dpi", str(dpi), "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"Xvfb did not start on {display}")
        time.sleep(0.05)
    return proc, display


def run_for_schemes(args: argparse.Namespace, shoot, prefix: str) -> int:
    """Under Xvfb when there is no display: `shoot(out, scheme)` once per scheme of `args.scheme`, each in a
    fresh ASSISTANT_HOME (the user's own data is never shown). `args` has out, scheme and size."""
    xvfb = None
    if not os.environ.get("DISPLAY"):
        xvfb, display = start_xvfb(args.size, 96)
        os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        for scheme in (("light", "dark") if args.scheme == "both" else (args.scheme,)):
            home = Path(tempfile.mkdtemp(prefix=prefix))
            os.environ["ASSISTANT_HOME"] = str(home)
            try:
                shoot(args.out, scheme)
            finally:
                shutil.rmtree(home, ignore_errors=True)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)
    return 0


class Shooter:
    """Event pumping, waiting and saving for the screenshot scripts (the window and the whole X screen)."""

    def __init__(self, app, out: Path, scheme: str):
        self.app, self.out, self.scheme = app, out, scheme

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.01)

    def wait_until(self, cond, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end and not cond():
            self.app.processEvents()
            time.sleep(0.01)

    def save(self, name: str, widget, settle: float = 0.4) -> None:
        self.pump(settle)
        path = self.out / f"{self.scheme}-{name}.png"
        widget.grab().save(str(path))
        if shutil.which("import"):
            subprocess.run(["import", "-window", "root", str(self.out / f"{self.scheme}-{name}-screen.png")],
                           check=False)
        print(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots")
    parser.add_argument("--size", default="1366x768", help="screen size for Xvfb (WxH)")
    parser.add_argument("--dpi", type=int, default=96, help="Xvfb DPI; 192 with QT_SCALE_FACTOR=2 shows high DPI")
    parser.add_argument("--scheme", choices=("light", "dark", "both"), default="both")
    parser.add_argument("--home", type=Path, help="ASSISTANT_HOME to use (default: a fresh temp folder)")
    parser.add_argument("--bench", action="store_true", help="also run 'Measure on this machine' and shoot it")
    parser.add_argument("--message", action="append", default=None,
                        help="messages to send (default: three examples)")
    args = parser.parse_args()

    xvfb = None
    if not os.environ.get("DISPLAY"):
        xvfb, display = start_xvfb(args.size, args.dpi)
        os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    home = args.home or Path(tempfile.mkdtemp(prefix="assistant-shots-"))
    os.environ["ASSISTANT_HOME"] = str(home)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        return shoot(args)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)


def shoot(args) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from assistant.core.appdata.logging_setup import setup_logging
    from assistant.core.appdata.settings import load_settings
    from assistant.ui import theme
    from assistant.ui.app import create_app
    from assistant.ui.main_window import MainWindow

    setup_logging()
    settings, warning = load_settings()
    app = create_app(["assistant"], settings)
    print(f"Qt platform: {app.platformName()}, screen {app.primaryScreen().size().toTuple()}, "
          f"device pixel ratio {app.primaryScreen().devicePixelRatio()}")
    shots: list[Path] = []

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def wait_until(cond, timeout: float = 60.0, what: str = "") -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            app.processEvents()
            if cond():
                return True
            time.sleep(0.01)
        print(f"warning: timed out waiting for {what}")
        return False

    def save(name: str, widget) -> None:
        pump(0.3)
        path = args.out / f"{name}.png"
        widget.grab().save(str(path))
        shots.append(path)
        if shutil.which("import") is None:
            print("note: ImageMagick 'import' is missing (apt-get install imagemagick); no whole-screen shot")
        else:
            screen = args.out / f"{name}-screen.png"
            result = subprocess.run(["import", "-window", "root", str(screen)], capture_output=True, text=True)
            if result.returncode != 0:
                print(f"warning: import -window root failed: {result.stderr.strip()}")
            else:
                shots.append(screen)
        print(f"saved {path.name}")

    window = MainWindow(settings=settings, settings_warning=warning)
    screen = app.primaryScreen().availableGeometry()
    window.move(screen.x() + (screen.width() - window.width()) // 2, screen.y() + max(0, (screen.height() - window.height()) // 2))
    window.show()
    window.raise_()
    window.activateWindow()
    wait_until(lambda: window.loaded, what="the models to load")
    save("01-chat-empty", window)

    messages = args.message or ["hello", "what time is it", "tell me a joke"]
    for text in messages:
        window.input.setFocus()
        QTest.keyClicks(window.input, text)
        wait_until(lambda: not window.worker.busy(), 10, "suggestions")
        replies = []
        window.reply_shown.connect(replies.append)
        QTest.keyClick(window.input, Qt.Key.Key_Return)
        wait_until(lambda r=replies: bool(r), 30, f"a reply to {text!r}")
        window.reply_shown.disconnect(replies.append)
    QTest.keyClicks(window.input, "can you tell me the ")
    wait_until(lambda: window.suggested_for == window.input.text(), 10, "suggestions")
    save("02-chat-typing", window)

    schemes = ["light", "dark"] if args.scheme == "both" else [args.scheme]
    for scheme in schemes:
        theme.apply(app, scheme)
        QTest.keyClick(window.input, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
        dialog = window.settings_dialog
        wait_until(lambda d=dialog: d is not None and d.view is not None, 60, "the settings view")
        dialog.refresh()  # the chart takes the colours of the scheme at fill time
        pump(1.0)
        save(f"03-chat-{scheme}", window)
        for i, name in enumerate(("models", "hardware", "about")):
            dialog.show_page(i)
            if name == "models":
                tabs = dialog.models_page.tabs
                for t in range(tabs.count()):
                    tabs.setCurrentIndex(t)
                    save(f"04-settings-models-{tabs.tabText(t)}-{scheme}", dialog)
                tabs.setCurrentIndex(0)
            else:
                pump(0.5)
                save(f"05-settings-{name}-{scheme}", dialog)
        dialog.show_page(0)
        if args.bench and scheme == schemes[0]:
            finished = []
            dialog.bench_finished.connect(finished.append)
            dialog.models_page.measure_button.click()
            pump(1.5)
            save("06-settings-measuring", dialog)
            wait_until(lambda f=finished: bool(f), 600, "the benchmark")
            pump(1.0)
            save("07-settings-measured", dialog)
        dialog.reject()
        pump(0.3)
    window.close()
    QApplication.processEvents()
    print(f"{len(shots)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
