"""The face lock in the window, driven with image-folder frame sources standing in for the camera.

What a real camera adds (a live person turning their head) is not available here: unlocking with the
liveness check on is tested at the session level with a synthetic 3D head (tests/face/test_liveness.py);
in the window, liveness on is tested refusing a photo, and identity is tested with liveness off.
"""

from __future__ import annotations

import stat
from pathlib import Path

import cv2
import pytest
from PySide6.QtCore import Qt

from assistant.core.appdata.settings import Settings
from assistant.core.face.frames import FrameSourceError, ImageFolderSource
from assistant.core.face.lock import AppLock
from assistant.core.face.template import TemplateStore
from tests.conftest import photo
from tests.face import attacks

PASSWORD = "correct horse battery"
pytestmark = pytest.mark.usefixtures("face_models", "no_keyring")


@pytest.fixture
def no_keyring(monkeypatch):
    monkeypatch.setenv("ASSISTANT_NO_KEYRING", "1")


@pytest.fixture(scope="module")
def frames(tmp_path_factory, face_photos):
    """Image folders of camera-like frames (the photo centred, fresh sensor noise per frame) per person."""
    out = {}
    for key in ("ardern_1", "ardern_2", "sunak_1"):
        folder = tmp_path_factory.mktemp(key)
        image = cv2.imread(str(photo(face_photos, key)))
        for frame in attacks.still(image, frames=18, seed=len(out)):
            cv2.imwrite(str(folder / f"{frame.index:03d}.png"), frame.image)
        out[key] = folder
    return out


def source(folder: Path):
    return lambda: ImageFolderSource(folder, live=True, fps=15.0)


def _enrolled_lock(frames, tmp_path_factory=None) -> AppLock:
    from assistant.core.face.verifier import FaceVerifier

    verifier = FaceVerifier()
    result = verifier.enrol(ImageFolderSource(frames["ardern_1"], live=True), wanted=3, live=True)
    assert result.ok, result.reason
    TemplateStore().save(result.template)
    lock = AppLock()
    lock.set_password(PASSWORD)
    lock.set_mode("face")
    return lock


def test_the_wizard_enrols_a_face_sets_a_password_and_saves_nothing_before_finish(qtbot, app, frames):
    from assistant.ui.lock.wizard import DONE, ENROL, TEST, SetupWizard
    from assistant.ui.lock.wizard import PASSWORD as PASSWORD_PAGE

    lock = AppLock()
    wizard = SetupWizard(lock, Settings(liveness=False), source(frames["ardern_1"]))
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.intro.mode == "face"
    wizard.next()
    assert wizard.currentId() == PASSWORD_PAGE and not wizard.password_page.isComplete()
    qtbot.keyClicks(wizard.password_page.first, PASSWORD)
    qtbot.keyClicks(wizard.password_page.second, PASSWORD[:-1])
    assert not wizard.password_page.isComplete() and "not the same" in wizard.password_page.hint.text()
    qtbot.keyClicks(wizard.password_page.second, PASSWORD[-1])
    assert wizard.password_page.isComplete() and "Strength" in wizard.password_page.hint.text()
    wizard.next()
    assert wizard.currentId() == ENROL
    qtbot.waitUntil(lambda: wizard.enrol_page.isComplete(), timeout=30_000)
    assert wizard.enrol_page.progress.value() == 5 and "enrolled" in wizard.enrol_page.guidance.text()
    assert not lock.configured and not TemplateStore().exists()  # nothing saved yet
    wizard.next()
    assert wizard.currentId() == TEST
    qtbot.waitUntil(lambda: wizard.test_page.result is not None, timeout=30_000)
    assert wizard.test_page.result.status == "unlocked", wizard.test_page.result.message
    wizard.next()
    assert wizard.currentId() == DONE
    with qtbot.waitSignal(wizard.finished_setup, timeout=10_000):
        wizard.accept()
    saved = AppLock()
    assert saved.mode == "face" and saved.check_password(PASSWORD).ok
    store = TemplateStore()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600 and "embedding" not in store.path.read_text()
    assert store.load().frames == 5


def test_no_lock_is_said_plainly_and_saved(qtbot, app, frames):
    from assistant.ui.lock.wizard import DONE, SetupWizard

    wizard = SetupWizard(AppLock(), Settings(), source(frames["ardern_1"]))
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.intro.off.setChecked(True)
    assert "anyone" in wizard.intro.off.text()
    wizard.next()
    assert wizard.currentId() == DONE and "anyone who can use this computer" in wizard.done_page.summary.text()
    wizard.accept()
    assert AppLock().mode == "off"


def test_the_login_unlocks_with_the_enrolled_face(qtbot, app, frames):
    from assistant.ui.lock.login import LoginWindow

    lock = _enrolled_lock(frames)
    window = LoginWindow(lock, Settings(liveness=False), source(frames["ardern_2"]))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.unlocked, timeout=30_000) as blocker:
        window.start()
    assert blocker.args == ["face"]
    assert window.last_state.status == "unlocked" and window.last_state.score >= window.last_state.threshold


def test_another_person_stays_locked_and_the_failure_counts(qtbot, app, frames):
    from assistant.ui.lock.login import LoginWindow

    lock = _enrolled_lock(frames)
    window = LoginWindow(lock, Settings(liveness=False), source(frames["sunak_1"]))
    qtbot.addWidget(window)
    window.show()
    unlocked = []
    window.unlocked.connect(unlocked.append)
    with qtbot.waitSignal(window.attempt_finished, timeout=60_000) as blocker:
        window.start()
    assert blocker.args[0].status == "refused" and not unlocked
    assert "not the enrolled" in window.status.text()
    assert AppLock()._failures("face")["count"] == 1  # on disk, for the next start too
    assert window.retry_button.isVisible() and window.password_button.isVisible()


def test_liveness_refuses_a_photo_held_to_the_camera(qtbot, app, frames):
    from assistant.ui.lock.login import LoginWindow

    lock = _enrolled_lock(frames)
    window = LoginWindow(lock, Settings(liveness=True), source(frames["ardern_2"]))
    qtbot.addWidget(window)
    window.show()
    unlocked = []
    window.unlocked.connect(unlocked.append)
    with qtbot.waitSignal(window.attempt_finished, timeout=60_000) as blocker:
        window.start()
    state = blocker.args[0]
    assert state.status == "refused" and "not a live face" in state.message and not unlocked
    assert state.score is not None  # the identity matched: liveness alone refused it


def test_password_unlock_and_a_lockout_that_survives_a_restart(qtbot, app, frames):
    from assistant.ui.lock.login import LoginWindow

    class Clock:
        now = 1_900_000_000.0

        def __call__(self):
            return self.now

    clock = Clock()
    lock = _enrolled_lock(frames)
    lock = AppLock(clock=clock)

    def no_camera():
        raise FrameSourceError("no camera found at index 0 (none connected, or another program is using it)")

    window = LoginWindow(lock, Settings(), no_camera)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.password_panel.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: "no camera" in window.preview.text().lower(), timeout=10_000)
    for _ in range(3):
        qtbot.keyClicks(window.password, "wrong guess")
        qtbot.keyClick(window.password, Qt.Key.Key_Return)
    assert "wait" in window.password_note.text().lower() or "try again in" in window.password_note.text()
    assert not window.password.isEnabled()
    window.close()
    restarted = LoginWindow(AppLock(clock=clock), Settings(), no_camera)  # a new start reads the same file
    qtbot.addWidget(restarted)
    restarted.show()
    restarted.start()
    qtbot.waitUntil(lambda: restarted.password_panel.isVisible(), timeout=10_000)
    assert not restarted.password.isEnabled() and "try again in" in restarted.password_note.text()
    clock.now += 31
    restarted._tick()
    assert restarted.password.isEnabled()
    with qtbot.waitSignal(restarted.unlocked, timeout=10_000) as blocker:
        qtbot.keyClicks(restarted.password, PASSWORD)
        qtbot.keyClick(restarted.password, Qt.Key.Key_Return)
    assert blocker.args == ["password"]


def test_a_camera_plugged_in_later_is_picked_up(qtbot, app, frames):
    from assistant.ui.lock.login import LoginWindow

    lock = _enrolled_lock(frames)
    calls = {"n": 0}

    def flaky():
        calls["n"] += 1
        if calls["n"] < 2:
            raise FrameSourceError("no camera found at index 0 (none connected, or another program is using it)")
        return ImageFolderSource(frames["ardern_2"], live=True, fps=15.0)

    window = LoginWindow(lock, Settings(liveness=False), flaky)
    window.camera.pace = True
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.unlocked, timeout=30_000):
        window.start()
    assert calls["n"] >= 2


def test_the_shell_shows_the_chat_only_after_an_unlock_and_ctrl_l_locks(qtbot, app, frames, monkeypatch):
    import assistant.ui.shell as shell_module
    from assistant.ui.lock.login import LoginWindow
    from assistant.ui.main_window import MainWindow
    from assistant.ui.shell import AppShell

    trimmed = []
    monkeypatch.setattr(shell_module, "release_free_memory", lambda: trimmed.append(True))

    _enrolled_lock(frames)
    shell = AppShell(Settings(liveness=False), source_factory=source(frames["ardern_2"]), calibrate_on_start=False)
    shown = []
    shell.window_changed.connect(shown.append)
    shell.start()
    assert isinstance(shell.login, LoginWindow) and shell.window is None  # no chat, no history, while locked
    qtbot.waitUntil(lambda: isinstance(shell.window, MainWindow), timeout=30_000)
    qtbot.waitUntil(lambda: shell.window.loaded, timeout=30_000)
    qtbot.keyClick(shell.window.input, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert shell.window is None and isinstance(shell.login, LoginWindow)
    shell.login.close()
    qtbot.waitUntil(lambda: bool(trimmed), timeout=5_000)  # the closed window's memory goes back (soak finding)
    assert [type(w).__name__ for w in shown] == ["LoginWindow", "MainWindow", "LoginWindow"]


def test_one_unlock_opens_one_chat_window_even_when_frames_keep_coming(qtbot, app, frames):
    """Regression (found by scripts/soak_long_use.py): frames the camera thread had queued before it
    stopped reached the login after the unlock and unlocked again; every lock/unlock cycle left a second
    chat window behind with its models and worker threads (about 70 MB and 2 threads a cycle)."""
    from assistant.ui.main_window import MainWindow
    from assistant.ui.shell import AppShell

    _enrolled_lock(frames)
    shell = AppShell(Settings(liveness=False), source_factory=source(frames["ardern_2"]), calibrate_on_start=False)
    shown = []
    shell.window_changed.connect(shown.append)
    shell.start()
    login = shell.login
    late = []

    def a_late_frame(_how):  # runs right after the shell's own slot, before the login is deleted
        if not late:
            late.append(shell.window)
            login._on_frame(None, login.last_state)  # a queued frame with the same decision
            login.unlocked.emit("face")  # and a second signal

    login.unlocked.connect(a_late_frame)
    qtbot.waitUntil(lambda: bool(late), timeout=30_000)
    first = late[0]
    assert isinstance(first, MainWindow) and shell.window is first
    assert [type(w).__name__ for w in shown] == ["LoginWindow", "MainWindow"]
    qtbot.waitUntil(lambda: first.loaded, timeout=30_000)
    first.close()


def test_the_face_lock_page_deletes_the_face_and_its_key(qtbot, make_window, frames):
    from PySide6.QtWidgets import QMessageBox

    _enrolled_lock(frames)
    window = make_window()
    window.open_settings()
    page = window.settings_dialog.face_page
    window.settings_dialog.show_page(3)
    assert "AES-256-GCM" in page.facts.text() and "key file" in page.facts.text()
    key = TemplateStore().keys.key_file
    assert key.exists()
    page.confirm_delete()
    page._confirm.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: not TemplateStore().exists(), timeout=5000)
    assert not key.exists() and AppLock().mode == "password"
    assert "not enrolled" in page.facts.text()
