"""First run: set up the lock. What face lock does and stores; a password (twice, with a strength hint);
enrolment with a live preview, a face box and guidance in words; a test unlock. Password only, and no
lock at all, are allowed and said plainly. Nothing is saved until Finish.
"""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from assistant import APP_NAME
from assistant.core.appdata.settings import Settings
from assistant.core.face.lock import MIN_PASSWORD, AppLock, strength
from assistant.ui.lock.camera import CameraFeed, CameraPreview, SourceFactory, camera_factory
from assistant.ui.lock.login import CAVEAT
from assistant.ui.theme import app_icon

logger = logging.getLogger(__name__)

GOOD_FRAMES = 5
FRAME_GAP_S = 0.25  # good frames kept at least this far apart, for some variety

INTRO, PASSWORD, ENROL, TEST, DONE = range(5)
WHAT_IS_STORED = (
    "Face lock opens the assistant when it sees you. It stores no photo: only 128 numbers computed from your "
    "face, encrypted, in your user folder on this computer. Nothing leaves the computer. A password is set too: "
    "it always works, also when the camera is off or does not recognise you."
)


def _words(text: str) -> str:
    return text[:1].upper() + text[1:]


class IntroPage(QWizardPage):
    def __init__(self):
        super().__init__()
        self.setTitle(f"Lock {APP_NAME}")
        self.setSubTitle("Choose how the assistant is opened. You can change this later in Settings \u2192 Face lock.")
        layout = QVBoxLayout(self)
        about = QLabel(WHAT_IS_STORED)
        about.setWordWrap(True)
        layout.addWidget(about)
        self.group = QButtonGroup(self)
        self.face = QRadioButton("&Face and password (recommended)")
        self.password = QRadioButton("&Password only")
        self.off = QRadioButton("&No lock: anyone who can use this computer can open the assistant and read the chat")
        for i, button in enumerate((self.face, self.password, self.off)):
            self.group.addButton(button, i)
            layout.addWidget(button)
        self.face.setChecked(True)
        caveat = QLabel(CAVEAT)
        caveat.setObjectName("Caption")
        caveat.setWordWrap(True)
        layout.addStretch(1)
        layout.addWidget(caveat)

    @property
    def mode(self) -> str:
        return "face" if self.face.isChecked() else "password" if self.password.isChecked() else "off"

    def nextId(self) -> int:  # noqa: N802 - Qt name
        return DONE if self.mode == "off" else PASSWORD


class PasswordPage(QWizardPage):
    def __init__(self):
        super().__init__()
        self.setTitle("Set a password")
        self.setSubTitle(f"At least {MIN_PASSWORD} characters. It is hashed with scrypt; the app never stores or "
                         "logs it in clear, and cannot show it to you again.")
        layout = QVBoxLayout(self)
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName("New password")
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.second.setAccessibleName("Repeat the password")
        for text, field in (("&Password:", self.first), ("&Repeat it:", self.second)):
            label = QLabel(text)
            label.setBuddy(field)
            layout.addWidget(label)
            layout.addWidget(field)
            field.textChanged.connect(self._changed)
        self.hint = QLabel("")
        self.hint.setObjectName("Muted")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        layout.addStretch(1)

    def _changed(self) -> None:
        verdict, hint = strength(self.first.text())
        text = f"Strength: {verdict} \u2014 {hint}." if self.first.text() else ""
        if self.second.text() and self.second.text() != self.first.text():
            text += " The two passwords are not the same."
        self.hint.setText(text)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt name
        return len(self.first.text()) >= MIN_PASSWORD and self.first.text() == self.second.text()

    def nextId(self) -> int:  # noqa: N802 - Qt name
        wizard = self.wizard()
        return ENROL if wizard is not None and wizard.intro.mode == "face" else DONE


class _CameraPage(QWizardPage):
    """A page with the live preview: the camera runs while the page is shown."""

    def __init__(self, wizard_ref):
        super().__init__()
        self._wizard = wizard_ref
        self.preview = CameraPreview()
        self.guidance = QLabel("")
        self.guidance.setObjectName("LoginStatus")
        self.guidance.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.guidance.setWordWrap(True)
        self.guidance.setAccessibleName("What to do")

    def _say(self, text: str) -> None:
        self.guidance.setText(_words(text))
        self.guidance.setAccessibleDescription(text)

    def cleanupPage(self) -> None:  # noqa: N802 - Qt name
        self._wizard.camera.stop()

    def _on_problem(self, message: str) -> None:
        if self._wizard.currentPage() is self:
            self.preview.show_message(f"{_words(message)}.\nConnect a camera (it is picked up by itself), or go Back "
                                      "and choose Password only.")
            self._say("the camera is not available")


class EnrolPage(_CameraPage):
    def __init__(self, wizard_ref):
        super().__init__(wizard_ref)
        self.setTitle("Enrol your face")
        self.setSubTitle("Look at the camera, in good light, with only you in view. A few good pictures are taken; "
                         "follow what is said under the picture.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.guidance)
        row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, GOOD_FRAMES)
        self.progress.setFormat("%v of %m good pictures")
        self.progress.setAccessibleName("Good pictures taken")
        row.addWidget(self.progress, 1)
        self.restart_button = QPushButton("&Start again")
        self.restart_button.clicked.connect(self.initializePage)
        row.addWidget(self.restart_button)
        layout.addLayout(row)
        self.embeddings: list[np.ndarray] = []
        self._last_good = 0.0
        self.verifier = None

    def initializePage(self) -> None:  # noqa: N802 - Qt name
        self.embeddings = []
        self._last_good = -1.0
        self.progress.setValue(0)
        self._wizard.template = None
        self._say("look straight at the camera")
        self.completeChanged.emit()
        self._wizard.camera.start(self._process)

    def _process(self, frame):
        if self.verifier is None:
            self.verifier = self._wizard.make_verifier()
        return self.verifier.analyse(frame.image, frame.index, live=True, enrolling=True), frame.timestamp

    def _on_frame(self, image, payload) -> None:
        if self._wizard.currentId() != ENROL or payload is None:
            return
        result, stamp = payload
        verdict = result.verdict
        ok = result.embedding is not None
        self.preview.show_frame(image, result.face.box if result.face is not None else None, "ok" if ok else "wait")
        if ok and stamp - self._last_good >= FRAME_GAP_S and len(self.embeddings) < GOOD_FRAMES:
            self.embeddings.append(result.embedding)
            self._last_good = stamp
            self.progress.setValue(len(self.embeddings))
        if len(self.embeddings) >= GOOD_FRAMES:
            self._wizard.camera.stop()
            self._wizard.template = self.verifier.make_template(self.embeddings)
            self._say("done: your face is enrolled. Next, test the unlock")
            self.completeChanged.emit()
        else:
            self._say("good, hold still" if ok else (verdict.reason if verdict is not None else "look at the camera"))

    def isComplete(self) -> bool:  # noqa: N802 - Qt name
        return self._wizard.template is not None

    def nextId(self) -> int:  # noqa: N802 - Qt name
        return TEST


class TestPage(_CameraPage):
    def __init__(self, wizard_ref):
        super().__init__(wizard_ref)
        self.setTitle("Test the unlock")
        self.setSubTitle("Do what is asked, as you will each time the assistant is locked. This test changes nothing.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.guidance)
        self.again_button = QPushButton("Test &again")
        self.again_button.clicked.connect(self.initializePage)
        layout.addWidget(self.again_button, 0, Qt.AlignmentFlag.AlignRight)
        self.session = None
        self.result = None

    def initializePage(self) -> None:  # noqa: N802 - Qt name
        self.session = None
        self.result = None
        self._say("look at the camera")
        self._wizard.camera.start(self._process)

    def _process(self, frame):
        if self.session is None:
            from assistant.core.face.unlock import UnlockSession

            verifier = self._wizard.enrol_page.verifier or self._wizard.make_verifier()
            self.session = UnlockSession(verifier, self._wizard.template, liveness=self._wizard.settings.liveness)
        return self.session.feed(frame)

    def _on_frame(self, image, state) -> None:
        if self._wizard.currentId() != TEST or state is None:
            return
        tone = {"unlocked": "ok", "refused": "bad"}.get(state.status, "wait")
        self.preview.show_frame(image, state.face.box if state.face is not None else None, tone)
        if state.done:
            self._wizard.camera.stop()
            self.result = state
            self._say(("it works: " if state.status == "unlocked" else "not this time: ") + state.message)
        else:
            self._say(state.message)

    def nextId(self) -> int:  # noqa: N802 - Qt name
        return DONE


class DonePage(QWizardPage):
    def __init__(self, wizard_ref):
        super().__init__()
        self._wizard = wizard_ref
        self.setTitle("Ready")
        layout = QVBoxLayout(self)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 - Qt name
        mode = self._wizard.intro.mode
        self.summary.setText({
            "face": "Face lock is on. The assistant opens when it recognises you and you follow the moves it asks "
                    "for; your password always works too.",
            "password": "The assistant asks for your password when it starts and when it locks itself.",
            "off": "No lock: the assistant opens for anyone who can use this computer, and they can read the chat "
                   "and your notes. You can turn a lock on later in Settings \u2192 Face lock.",
        }[mode] + " Press Finish to save.")


class SetupWizard(QWizard):
    """Emits `finished_setup(mode)` after Finish saved the lock (and the face, and the password)."""

    finished_setup = Signal(str)

    def __init__(self, lock: AppLock, settings: Settings, source_factory: SourceFactory | None = None,
                 catalog=None, start_at_enrolment: bool = False, parent=None):
        super().__init__(parent)
        self.lock = lock
        self.settings = settings
        self.catalog = catalog
        self.template = None
        self.setWindowTitle(f"Set up {APP_NAME}")
        self.setWindowIcon(app_icon())
        self.setObjectName("SetupWizard")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.camera = CameraFeed(source_factory or camera_factory(settings.camera), self)
        self.intro = IntroPage()
        self.password_page = PasswordPage()
        self.enrol_page = EnrolPage(self)
        self.test_page = TestPage(self)
        self.done_page = DonePage(self)
        for page_id, page in ((INTRO, self.intro), (PASSWORD, self.password_page), (ENROL, self.enrol_page),
                              (TEST, self.test_page), (DONE, self.done_page)):
            self.setPage(page_id, page)
        for page in (self.enrol_page, self.test_page):  # each page ignores frames while it is not shown
            self.camera.frame.connect(page._on_frame)
            self.camera.problem.connect(page._on_problem)
        self.start_at_enrolment = start_at_enrolment
        if start_at_enrolment:  # re-enrol from the settings: the lock and its password stay as they are
            self.setStartId(ENROL)
            self.intro.face.setChecked(True)
        self.resize(720, 640)

    def make_verifier(self):
        """On the camera's processing thread: the face models at the precisions Auto chose."""
        from assistant.core.face.verifier import FaceVerifier

        return FaceVerifier(catalog=self.catalog)

    def accept(self) -> None:  # noqa: D401 - Qt name
        from assistant.core.face.lock import LockError
        from assistant.core.face.template import TemplateStore

        mode = self.intro.mode
        self.camera.stop()
        try:
            if not self.start_at_enrolment and mode != "off":
                self.lock.set_password(self.password_page.first.text())
            if mode == "face" and self.template is not None:
                TemplateStore().save(self.template)
            self.lock.set_mode(mode if mode != "face" or self.template is not None else "password")
        except (LockError, OSError) as exc:
            QMessageBox.critical(self, "Could not save", f"The lock could not be saved: {exc}")
            return
        self.password_page.first.clear()
        self.password_page.second.clear()
        self.finished_setup.emit(self.lock.mode)  # the next window opens before this one hides
        super().accept()

    def reject(self) -> None:
        self.camera.stop()
        super().reject()

    def done(self, result: int) -> None:
        self.camera.stop()
        super().done(result)
