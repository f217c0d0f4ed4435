"""The "Audio" page: which microphone (with a test meter), the push-to-talk key, how dictation ends,
hands-free listening and replies read aloud. Every audio call runs on the worker's speech lane."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QScrollArea,
)

from assistant.ui.chat_widgets import LevelMeter
from assistant.ui.settings_dialog.cards import page_body

logger = logging.getLogger(__name__)

TEST_SECONDS = 4.0
WAKE_WORD_NOTE = ("No wake word: hands-free mode listens for any speech. The wake-word models on the package "
                  "registries are either non-commercial (openWakeWord's) or without a license we could confirm "
                  "(microWakeWord's), so none ships.")


class AudioPage(QScrollArea):
    def __init__(self, dialog):
        super().__init__()
        self.dialog = dialog
        layout = page_body(self, "Audio", "Speak to the assistant: hold the microphone button (or the push-to-talk "
                           "key) while you speak, or click it to start and click again to stop. Nothing you say "
                           "leaves this computer.")
        form = QFormLayout()
        self.device = QComboBox()
        self.device.setAccessibleName("Microphone")
        self.device.activated.connect(self._device_chosen)
        self.rate = QLabel("")
        self.rate.setObjectName("Muted")
        form.addRow("&Microphone:", self.device)
        form.addRow("", self.rate)
        test_row = QHBoxLayout()
        self.test_button = QPushButton("&Test microphone")
        self.test_button.clicked.connect(self.test_microphone)
        self.meter = LevelMeter()
        self.meter.setFixedHeight(10)
        self.test_label = QLabel("")
        self.test_label.setObjectName("Muted")
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.meter, 1)
        form.addRow("", test_row)
        form.addRow("", self.test_label)
        self.key = QKeySequenceEdit()
        self.key.setMaximumSequenceLength(1)
        self.key.setAccessibleName("Push-to-talk key")
        self.key.editingFinished.connect(self._key_chosen)
        form.addRow("&Push-to-talk key:", self.key)
        layout.addLayout(form)

        self.send_now = QCheckBox("&Send what I dictate at once (otherwise it waits in the message line for editing)")
        self.hands_free = QCheckBox("&Hands-free: listen all the time; each pause ends a request")
        self.speak = QCheckBox("&Read replies aloud")
        for box in (self.send_now, self.hands_free, self.speak):
            box.toggled.connect(self._toggled)
            layout.addWidget(box)
        self.speak_note = QLabel("")
        self.speak_note.setObjectName("Muted")
        self.speak_note.setWordWrap(True)
        layout.addWidget(self.speak_note)
        wake = QLabel(WAKE_WORD_NOTE)
        wake.setObjectName("Muted")
        wake.setWordWrap(True)
        layout.addWidget(wake)
        layout.addStretch(1)
        self._devices: list = []
        self._testing = None

    # -- showing ---------------------------------------------------------------------------------------
    def refresh(self) -> None:
        settings = self.dialog.main.settings
        for box, value in ((self.send_now, settings.send_dictation), (self.hands_free, settings.hands_free),
                           (self.speak, settings.speak_replies)):
            box.blockSignals(True)
            box.setChecked(value)
            box.blockSignals(False)
        self.key.setKeySequence(QKeySequence(settings.push_to_talk_key))
        speaker = self.dialog.main.speaker
        self.speak.setEnabled(speaker.available)
        self.speak_note.setText("Replies are read with espeak-ng (robotic, but nothing extra to install or ship); "
                                "typing or the microphone stops it." if speaker.available else
                                speaker.unavailable_reason[:1].upper() + speaker.unavailable_reason[1:] + ".")

        def op(ctx):
            from assistant.core.speech.sources import input_devices

            return input_devices()

        self.dialog.main.worker.run(op, success=self._show_devices, failure=self._no_devices, lane="speech",
                                    key="audio-devices", name="listing microphones")

    def _show_devices(self, devices) -> None:
        self._devices = list(devices)
        wanted = self.dialog.main.settings.audio_device
        self.device.clear()
        self.device.addItem("System default" if self._devices else "No microphone", "")
        for d in self._devices:
            self.device.addItem(f"{d.name}{' (default)' if d.is_default else ''}", d.name)
        index = max(0, self.device.findData(wanted))
        self.device.setCurrentIndex(index)
        self.device.setEnabled(bool(self._devices))
        self.test_button.setEnabled(bool(self._devices))
        if not self._devices:
            self.rate.setText("No microphone found: this computer has no audio input device. Typing works as always.")
        else:
            self._show_rate()

    def _no_devices(self, exc: BaseException) -> None:
        self._devices = []
        self.device.clear()
        self.device.addItem("No microphone", "")
        self.device.setEnabled(False)
        self.test_button.setEnabled(False)
        self.rate.setText(f"{exc}. Typing works as always.")

    def _show_rate(self) -> None:
        name = self.device.currentData()
        match = next((d for d in self._devices if d.name == name), None) or next(
            (d for d in self._devices if d.is_default), None)
        if match is not None:
            self.rate.setText(f"Opens at {match.default_rate} Hz ({match.channels} channel(s)); the assistant "
                              f"listens at 16 kHz mono and converts on the fly.")

    # -- changes ---------------------------------------------------------------------------------------
    def _save(self, **changes) -> None:
        main = self.dialog.main
        main.update_settings(replace(main.settings, **changes))

    def _device_chosen(self, _index: int) -> None:
        self._save(audio_device=self.device.currentData() or "")
        self._show_rate()

    def _key_chosen(self) -> None:
        text = self.key.keySequence().toString()
        if text:
            self._save(push_to_talk_key=text)

    def _toggled(self) -> None:
        self._save(send_dictation=self.send_now.isChecked(), hands_free=self.hands_free.isChecked(),
                   speak_replies=self.speak.isChecked())

    def test_microphone(self) -> None:
        """Show the level of the chosen microphone for a few seconds."""
        if self._testing is not None:
            return
        device = self.device.currentData() or None
        self.test_button.setEnabled(False)
        self.test_label.setText("Say something\u2026")

        def op(ctx):
            from assistant.core.speech.audio import level_dbfs
            from assistant.core.speech.sources import MicrophoneSource

            source = MicrophoneSource(device)
            source.start()
            loudest = -120.0
            try:
                end = time.monotonic() + TEST_SECONDS
                while time.monotonic() < end and not ctx.cancel.is_set():
                    block = source.read(0.2)
                    if block is not None and block.size:
                        db = level_dbfs(block)
                        loudest = max(loudest, db)
                        ctx.progress(int(max(0.0, min(100.0, (db + 60) / 60 * 100))), 100, f"{db:.0f} dBFS")
            finally:
                source.close()
            return loudest

        def progress(done: int, total: int, label: str) -> None:
            self.meter.setValue(done)

        def done(loudest: float) -> None:
            self._testing = None
            self.test_button.setEnabled(True)
            self.meter.setValue(0)
            self.test_label.setText(f"Loudest: {loudest:.0f} dBFS. " + (
                "That is quiet: move closer or raise the input volume." if loudest < -40 else "Good."))

        def failed(exc: BaseException) -> None:
            self._testing = None
            self.test_button.setEnabled(True)
            self.test_label.setText(f"The microphone test failed: {exc}")

        self._testing = self.dialog.main.worker.run(op, success=done, failure=failed, on_progress=progress,
                                                    lane="speech", name="testing the microphone")

    def shutdown(self) -> None:
        if self._testing is not None:
            self._testing.request_cancel()
