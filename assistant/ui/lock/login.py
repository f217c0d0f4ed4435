"""The login window: what a person sees first when the app is locked.

Face mode: the live preview with the face box and, in words, what to do (look at the camera, then the
head moves of the challenge); it unlocks on a match that also passes liveness. "Use password" is always
one click (or Alt+P) away, and the password panel opens by itself when there is no camera, the camera
fails, or face unlock is paused after repeated failures. No camera, a busy camera and a camera unplugged
mid-login become messages; the stream keeps trying to reopen it, so plugging it back in works.
The chat window does not exist while this is shown (the shell creates it after `unlocked`).
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant import APP_NAME
from assistant.core.appdata.settings import Settings
from assistant.core.face.lock import AppLock
from assistant.ui.lock.camera import CameraFeed, CameraPreview, SourceFactory, camera_factory
from assistant.ui.theme import app_icon

logger = logging.getLogger(__name__)

CAVEAT = ("Face unlock is a convenience: an ordinary webcam cannot stop a determined attacker (a 3D mask, or a "
          "video that happens to follow the moves). Your password always works and is the real key.")


class LoginWindow(QWidget):
    """Emits `unlocked("face" | "password")`. Build it with the lock state and the settings."""

    unlocked = Signal(str)
    is_unlocked = False  # set once: later frames and a second Enter change nothing
    attempt_finished = Signal(object)  # UnlockState (tests and the benchmark wait on it)

    def __init__(self, lock: AppLock, settings: Settings, source_factory: SourceFactory | None = None,
                 catalog=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.lock = lock
        self.settings = settings
        self.catalog = catalog
        self.setObjectName("LoginWindow")
        self.setWindowTitle(f"{APP_NAME} \u2014 locked")
        self.setWindowIcon(app_icon())
        self.camera = CameraFeed(source_factory or camera_factory(settings.camera), self)
        self.camera.frame.connect(self._on_frame)
        self.camera.problem.connect(self._on_problem)
        self.camera.recovered.connect(self._on_recovered)
        self.camera.ended.connect(self._on_ended)
        self.session = None
        self.last_state = None
        self.decided_at: float | None = None  # perf_counter() when the face unlock was decided
        self._build()
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)

    # -- layout ----------------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 22, 28, 18)
        outer.setSpacing(10)
        title = QLabel(f"{APP_NAME} is locked")
        title.setObjectName("PageTitle")
        outer.addWidget(title)
        self.preview = CameraPreview()
        outer.addWidget(self.preview, 1)
        self.status = QLabel("")
        self.status.setObjectName("LoginStatus")
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setAccessibleName("Unlock status")
        outer.addWidget(self.status)

        row = QHBoxLayout()
        self.retry_button = QPushButton("&Try face again")
        self.retry_button.clicked.connect(self.start_face)
        self.retry_button.hide()
        row.addWidget(self.retry_button)
        row.addStretch(1)
        self.password_button = QPushButton("Use &password")
        self.password_button.setObjectName("Primary")
        self.password_button.clicked.connect(self.show_password)
        row.addWidget(self.password_button)
        outer.addLayout(row)

        self.password_panel = QFrame()
        self.password_panel.setObjectName("Card")
        p = QHBoxLayout(self.password_panel)
        p.setContentsMargins(12, 8, 12, 8)
        label = QLabel("Pass&word:")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password.returnPressed.connect(self.submit_password)
        label.setBuddy(self.password)
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.clicked.connect(self.submit_password)
        p.addWidget(label)
        p.addWidget(self.password, 1)
        p.addWidget(self.unlock_button)
        self.password_panel.hide()
        outer.addWidget(self.password_panel)

        self.password_note = QLabel("")
        self.password_note.setObjectName("Muted")
        self.password_note.setWordWrap(True)
        outer.addWidget(self.password_note)
        caveat = QLabel(CAVEAT)
        caveat.setObjectName("Caption")
        caveat.setWordWrap(True)
        outer.addWidget(caveat)
        QShortcut(QKeySequence("Ctrl+Q"), self, activated=self.close)
        self.resize(640, 620)

    # -- face ------------------------------------------------------------------------------------------
    @property
    def face_available(self) -> bool:
        from assistant.core.face.template import TemplateStore

        return self.lock.mode == "face" and TemplateStore().exists()

    def start(self) -> None:
        """Show the window's first state: the face attempt when face unlock is set up, else the password."""
        if self.face_available:
            self.start_face()
        else:
            self.preview.hide()
            self.show_password()

    def start_face(self) -> None:
        wait = self.lock.wait_s("face")
        self.retry_button.hide()
        if wait > 0:
            self.preview.show_message("Face unlock is paused after repeated failures.")
            self._set_status(f"Face unlock is paused for {int(wait) + 1} seconds. Use your password.")
            self.show_password()
            return
        self.preview.show()
        self.preview.show_message("Starting the camera\u2026")
        self._set_status("Look at the camera.")
        self.session = None
        self.last_state = None
        self.decided_at = None
        self.camera.start(self._process)

    def _process(self, frame):
        """On the camera's processing thread: the unlock session (models load here on the first frame)."""
        if self.session is None:
            from assistant.core.face.template import TemplateStore
            from assistant.core.face.unlock import UnlockSession
            from assistant.core.face.verifier import FaceVerifier

            template = TemplateStore().load()
            if template is None:
                raise RuntimeError("no face is enrolled")
            self.session = UnlockSession(FaceVerifier(catalog=self.catalog), template, liveness=self.settings.liveness)
        state = self.session.feed(frame)
        if state.done and self.decided_at is None:
            self.decided_at = time.perf_counter()
        return state

    def _on_frame(self, image, state) -> None:
        if state is None or self.is_unlocked:
            return  # frames the camera thread sent before it stopped: the decision is taken
        self.last_state = state
        tone = {"unlocked": "ok", "refused": "bad"}.get(state.status, "wait")
        if state.face is not None and state.score is not None and state.score >= (state.threshold or 1):
            tone = "ok" if state.status != "refused" else tone
        self.preview.show_frame(image, state.face.box if state.face is not None else None, tone)
        if not state.done:
            progress = ""
            if self.session is not None and self.session.check is not None and state.face is not None:
                done = len(self.session.check.completed)
                progress = f" ({done + 1} of {len(self.session.check.challenge)})" if done < len(
                    self.session.check.challenge) else ""
            self._set_status(state.message[:1].upper() + state.message[1:] + progress)
            return
        self.camera.stop()
        if state.status == "unlocked":
            self.is_unlocked = True
            self.lock.succeeded()
            self._set_status("Unlocked.")
            self.attempt_finished.emit(state)
            self.unlocked.emit("face")
            return
        self._refused(state)

    def _refused(self, state) -> None:
        """A face attempt ended without unlocking: count it, say why and what next, show the box in red."""
        attempt = self.lock.failed("face")
        self.preview.set_tone("bad")
        self._set_status(f"{_sentence(state.message)} {_sentence(attempt.reason)}")
        self.retry_button.setVisible(attempt.wait_s == 0)
        if attempt.wait_s:
            self.show_password()
        self.attempt_finished.emit(state)

    def _on_problem(self, message: str) -> None:
        if "failed on a picture" in message and self.session is None:
            message = "the face models could not be loaded: " + message
        self.preview.show_message(f"{message[:1].upper()}{message[1:]}.\nUse your password, or connect the camera: "
                                  "it is picked up again by itself.")
        self._set_status("The camera is not available.")
        self.show_password()

    def _on_recovered(self, message: str) -> None:
        self._set_status(f"{message[:1].upper()}{message[1:]}. Look at the camera.")

    def _on_ended(self) -> None:
        if self.session is None or self.session.state.done:
            return
        state = self.session.finish()
        self.camera.stop()
        self._refused(state)

    # -- password --------------------------------------------------------------------------------------
    def show_password(self) -> None:
        if not self.lock.has_password:
            self.password_note.setText("No password is set.")
            return
        self.password_panel.show()
        self.password.setFocus()
        self._tick()

    def submit_password(self) -> None:
        attempt = self.lock.check_password(self.password.text())
        self.password.clear()
        if attempt.ok:
            self.is_unlocked = True
            self.camera.stop()
            self.password_note.setText("")
            self.unlocked.emit("password")
            return
        self.password_note.setText(attempt.reason[:1].upper() + attempt.reason[1:] + ".")
        self._tick()

    def _tick(self) -> None:
        wait = self.lock.wait_s("password")
        locked = wait > 0
        self.password.setEnabled(not locked)
        self.unlock_button.setEnabled(not locked)
        if locked:
            self.password_note.setText(f"Too many wrong passwords: try again in {int(wait) + 1} seconds.")
            self._countdown.start()
        else:
            if self._countdown.isActive():
                self._countdown.stop()
                self.password_note.setText("You can try again now.")
                self.password.setFocus()

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setAccessibleDescription(text)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        self.camera.stop()
        self._countdown.stop()
        super().closeEvent(event)


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else ""
