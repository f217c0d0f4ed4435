#!/usr/bin/env python3
"""Screenshots of the face lock in real X windows (Xvfb when there is no display): the set-up wizard, the
login window (a match, another person, no camera, a password lockout) and Settings -> Face lock, in the
light and the dark scheme.

    python scripts/screenshots_lock.py [--out screenshots/lock] [--scheme light|dark|both]

The camera is replaced by a folder of frames made from an evaluation photo (fetched from the package
registries into .factory-work/face-data; never committed). A fresh ASSISTANT_HOME is used.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.screenshots import Shooter, run_for_schemes  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots" / "lock")
    parser.add_argument("--scheme", choices=("light", "dark", "both"), default="both")
    parser.add_argument("--size", default="1366x768")
    args = parser.parse_args()
    os.environ["ASSISTANT_NO_KEYRING"] = "1"
    return run_for_schemes(args, shoot, "assistant-lock-shots-")


def shoot(out: Path, scheme: str) -> None:
    import cv2
    from PySide6.QtWidgets import QApplication

    from assistant.core.appdata.settings import Settings
    from assistant.core.face.frames import FrameSourceError, ImageFolderSource
    from assistant.core.face.lock import AppLock
    from assistant.core.face.template import TemplateStore
    from assistant.core.face.verifier import FaceVerifier
    from assistant.factory import face_data
    from assistant.ui import theme
    from assistant.ui.app import create_app
    from assistant.ui.lock.login import LoginWindow
    from assistant.ui.lock.wizard import SetupWizard
    from tests.face import attacks

    settings = Settings(theme=scheme, liveness=True)
    app = create_app(["assistant"], settings)
    theme.apply(app, scheme)
    photos = face_data.fetch(REPO / ".factory-work" / "face-data")
    folders = {}
    for key in ("ardern_1", "ardern_2", "sunak_1"):
        folder = Path(tempfile.mkdtemp(prefix=f"frames-{key}-"))
        image = cv2.imread(str(next(photos.glob(key + ".*"))))
        for frame in attacks.still(image, frames=60):
            cv2.imwrite(str(folder / f"{frame.index:03d}.png"), frame.image)
        folders[key] = folder

    def camera(key):
        return lambda: ImageFolderSource(folders[key], live=True, fps=15.0)

    shots = Shooter(app, out, scheme)
    pump, wait_until, save = shots.pump, shots.wait_until, shots.save

    # The wizard, page by page.
    lock = AppLock()
    wizard = SetupWizard(lock, settings, camera("ardern_1"))
    wizard.show()
    save("wizard-1-intro", wizard)
    wizard.next()
    wizard.password_page.first.setText("correct horse battery")
    wizard.password_page.second.setText("correct horse battery")
    save("wizard-2-password", wizard)
    wizard.next()
    wait_until(lambda: wizard.enrol_page.progress.value() >= 2)
    save("wizard-3-enrol", wizard)
    wait_until(lambda: wizard.enrol_page.isComplete())
    wizard.next()
    pump(1.5)
    save("wizard-4-test", wizard)
    wizard.camera.stop()
    wizard.close()

    # An enrolled face and a password, then the login window.
    verifier = FaceVerifier()
    TemplateStore().save(verifier.enrol(ImageFolderSource(folders["ardern_1"], live=True), wanted=3, live=True).template)
    lock = AppLock()
    lock.set_password("correct horse battery")
    lock.set_mode("face")
    for name, key, live in (("login-match", "ardern_2", False), ("login-challenge", "ardern_2", True),
                            ("login-no-match", "sunak_1", False)):
        window = LoginWindow(lock, Settings(theme=scheme, liveness=live), camera(key))
        window.show()
        window.start()
        if name == "login-challenge":
            pump(2.0)
        else:
            wait_until(lambda w=window: w.last_state is not None and w.last_state.done, 40)
        save(name, window)
        window.close()
        lock.succeeded()

    def no_camera():
        raise FrameSourceError("no camera found at index 0 (none connected, or another program is using it)")

    window = LoginWindow(lock, settings, no_camera)
    window.show()
    window.start()
    pump(1.0)
    save("login-no-camera", window)
    for _ in range(3):
        window.password.setText("wrong guess")
        window.submit_password()
    save("login-lockout", window)
    window.close()

    # Settings -> Face lock.
    from assistant.ui.main_window import MainWindow

    lock.succeeded()
    main = MainWindow(settings=settings, calibrate_on_start=False)
    main.show()
    main.open_settings()
    dialog = main.settings_dialog
    dialog.show_page(3)
    save("settings-face-lock", dialog)
    dialog.close()
    main.close()
    QApplication.processEvents()


if __name__ == "__main__":
    raise SystemExit(main())
