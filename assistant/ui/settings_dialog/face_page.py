"""The "Face lock" page: how the app unlocks, the liveness check, locking when idle, re-enrolling, deleting
the face data, changing the password, and where the (encrypted) face and its key are kept."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from assistant.core.face.lock import MIN_PASSWORD, AppLock, LockError, strength
from assistant.core.face.template import TemplateError, TemplateStore
from assistant.ui.lock.login import CAVEAT
from assistant.ui.settings_dialog.cards import card_label

logger = logging.getLogger(__name__)

MODE_WORDS = {"face": "Face and password", "password": "Password only", "off": "No lock"}


class ChangePasswordDialog(QDialog):
    def __init__(self, lock: AppLock, parent=None):
        super().__init__(parent)
        self.lock = lock
        self.setWindowTitle("Change password")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.current = QLineEdit()
        self.new = QLineEdit()
        self.repeat = QLineEdit()
        for field, label in ((self.current, "&Current password:"), (self.new, "&New password:"),
                             (self.repeat, "&Repeat it:")):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.textChanged.connect(self._changed)
            form.addRow(label, field)
        self.current.setVisible(lock.has_password)
        form.labelForField(self.current).setVisible(lock.has_password)
        layout.addLayout(form)
        self.hint = QLabel("")
        self.hint.setObjectName("Muted")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._changed()

    def _changed(self) -> None:
        verdict, hint = strength(self.new.text())
        text = f"Strength: {verdict} \u2014 {hint}." if self.new.text() else f"At least {MIN_PASSWORD} characters."
        if self.repeat.text() and self.repeat.text() != self.new.text():
            text += " The two new passwords are not the same."
        self.hint.setText(text)
        ok = len(self.new.text()) >= MIN_PASSWORD and self.new.text() == self.repeat.text()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def _save(self) -> None:
        try:
            self.lock.set_password(self.new.text(), current=self.current.text() if self.lock.has_password else None)
        except LockError as exc:
            self.hint.setText(str(exc)[:1].upper() + str(exc)[1:] + ".")
            return
        self.accept()


class FaceLockPage(QWidget):
    """Changes apply at once (the lock file and settings are saved as they are made)."""

    changed = Signal()

    def __init__(self, dialog):
        super().__init__()
        self.dialog = dialog
        self.lock = AppLock()
        self.store = TemplateStore()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(8)
        title = QLabel("Face lock")
        title.setObjectName("PageTitle")
        layout.addWidget(title)
        intro = QLabel("How the assistant opens. No photo is stored: only 128 numbers computed from your face, "
                       "encrypted, on this computer. Nothing leaves it.")
        intro.setObjectName("Muted")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.modes = QButtonGroup(self)
        self.mode_buttons: dict[str, QRadioButton] = {}
        for mode, text in (("face", "&Face and password"), ("password", "Pass&word only"),
                           ("off", "&No lock (anyone at this computer can open the assistant)")):
            button = QRadioButton(text)
            self.modes.addButton(button)
            self.mode_buttons[mode] = button
            button.toggled.connect(lambda on, m=mode: on and self._set_mode(m))
            layout.addWidget(button)

        self.liveness = QCheckBox("Ask for head moves (a &liveness check) before unlocking with the face")
        self.liveness.setToolTip("Refuses photos and replayed clips; an ordinary webcam cannot stop a 3D mask")
        self.liveness.toggled.connect(self._set_liveness)
        layout.addWidget(self.liveness)
        row = QHBoxLayout()
        label = QLabel("Lock after &idle minutes (0 = never):")
        self.idle = QSpinBox()
        self.idle.setRange(0, 24 * 60)
        self.idle.setAccessibleName("Lock after idle minutes")
        label.setBuddy(self.idle)
        self.idle.valueChanged.connect(self._set_idle)
        row.addWidget(label)
        row.addWidget(self.idle)
        row.addStretch(1)
        layout.addLayout(row)
        shortcut = QLabel("Ctrl+L locks now. (Ctrl+K moves to the message line; that used to be Ctrl+L.)")
        shortcut.setObjectName("Muted")
        layout.addWidget(shortcut)

        buttons = QHBoxLayout()
        self.enrol_button = QPushButton("&Enrol the face again\u2026")
        self.enrol_button.clicked.connect(self.re_enrol)
        self.password_button = QPushButton("&Change password\u2026")
        self.password_button.clicked.connect(self.change_password)
        self.delete_button = QPushButton("&Delete face data\u2026")
        self.delete_button.setObjectName("Danger")
        self.delete_button.clicked.connect(self.confirm_delete)
        for b in (self.enrol_button, self.password_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.note = QLabel("")
        self.note.setObjectName("Muted")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)

        heading = QLabel("What is stored")
        heading.setObjectName("SectionTitle")
        layout.addWidget(heading)
        card, self.facts = card_label("\u2013")
        self.facts.setAccessibleName("Face lock facts")
        layout.addWidget(card)
        caveat = QLabel(CAVEAT)
        caveat.setObjectName("Caption")
        caveat.setWordWrap(True)
        layout.addWidget(caveat)
        layout.addStretch(1)
        self.refresh()

    # -- state -----------------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.lock.reload()
        enrolled = self.store.exists()
        settings = self.dialog.main.settings
        for mode, button in self.mode_buttons.items():
            button.blockSignals(True)
            button.setChecked(mode == self.lock.mode)
            button.blockSignals(False)
        self.liveness.blockSignals(True)
        self.liveness.setChecked(settings.liveness)
        self.liveness.blockSignals(False)
        self.idle.blockSignals(True)
        self.idle.setValue(settings.lock_after_minutes)
        self.idle.blockSignals(False)
        self.delete_button.setEnabled(enrolled)
        self.password_button.setText("&Change password\u2026" if self.lock.has_password else "&Set a password\u2026")
        lines = [f"Unlock: {MODE_WORDS.get(self.lock.mode, self.lock.mode)}",
                 f"Password: {'set (scrypt hash)' if self.lock.has_password else 'not set'}"]
        if enrolled:
            try:
                template = self.store.load()
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(template.created)) if template else "?"
                lines.append(f"Face: enrolled {when} from {template.frames if template else '?'} pictures "
                             f"(detector {template.detector_precision if template else '?'}, "
                             f"embedder {template.embedder_precision if template else '?'})")
            except TemplateError as exc:
                lines.append(f"Face: unusable ({exc})")
            lines.append(f"Face file: {self.store.path} (0600, AES-256-GCM)")
            lines.append(f"Its key: {self.store.key_location().words()}")
        else:
            lines.append("Face: not enrolled")
        lines.append(f"Lock file: {self.lock.path}")
        self.facts.setText("\n".join(lines))

    def _save_settings(self, **changes) -> None:
        self.dialog.main.update_settings(replace(self.dialog.main.settings, **changes))

    def _set_liveness(self, on: bool) -> None:
        self._save_settings(liveness=bool(on))

    def _set_idle(self, minutes: int) -> None:
        self._save_settings(lock_after_minutes=int(minutes))

    def _set_mode(self, mode: str) -> None:
        if mode == self.lock.mode:
            return
        if mode == "face" and not self.store.exists():
            self.note.setText("Enrol the face first (Enrol the face again\u2026).")
            self.refresh()
            return
        if mode != "off" and not self.lock.has_password:
            self.note.setText("Set a password first: it is the way in that always works.")
            self.refresh()
            return
        try:
            self.lock.set_mode(mode)
        except (LockError, OSError) as exc:
            self.note.setText(str(exc))
        else:
            self.note.setText(f"Saved: {MODE_WORDS[mode]}.")
        self.refresh()
        self.changed.emit()

    # -- actions ---------------------------------------------------------------------------------------
    def re_enrol(self) -> None:
        from assistant.ui.lock.wizard import SetupWizard

        wizard = SetupWizard(self.lock, self.dialog.main.settings, self.dialog.camera_factory,
                             start_at_enrolment=self.lock.has_password, parent=self)
        wizard.finished_setup.connect(lambda _mode: (self.note.setText("The face was enrolled again."),
                                                     self.refresh()))
        self.wizard = wizard
        wizard.open()

    def change_password(self) -> None:
        dialog = ChangePasswordDialog(self.lock, self)
        dialog.accepted.connect(lambda: (self.note.setText("The password was changed."), self.refresh()))
        self.password_dialog = dialog
        dialog.open()

    def confirm_delete(self) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Delete face data")
        box.setText("Delete the enrolled face and its encryption key?")
        box.setInformativeText("Face unlock stops working until you enrol again; the password keeps working.")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Delete")
        box.finished.connect(lambda _r: self._delete_answer(box))
        self._confirm = box
        box.open()

    def _delete_answer(self, box: QMessageBox) -> None:
        if box.clickedButton() is not box.button(QMessageBox.StandardButton.Yes):
            return
        self.delete_face()

    def delete_face(self) -> None:
        self.store.forget()
        if self.lock.mode == "face":
            self.lock.set_mode("password" if self.lock.has_password else "off")
        self.note.setText("The face and its key were deleted.")
        self.refresh()
        self.changed.emit()
