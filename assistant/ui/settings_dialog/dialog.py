"""The settings dialog: a page list on the left, the pages, and the benchmark and data actions they start."""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import Signal
from PySide6.QtGui import QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
)

from assistant import APP_NAME
from assistant.core.inference.catalog import Catalog
from assistant.ui.settings_dialog.about_page import AboutPage
from assistant.ui.settings_dialog.audio_page import AudioPage
from assistant.ui.settings_dialog.data import ModelsView, collect_hardware, collect_models_view
from assistant.ui.settings_dialog.face_page import FaceLockPage
from assistant.ui.settings_dialog.hardware_page import HardwarePage
from assistant.ui.settings_dialog.models_page import ModelsPage
from assistant.ui.settings_dialog.speech_page import SpeechModelsPage

logger = logging.getLogger(__name__)


PAGES = ("Models and precision", "Hardware", "About", "Face lock", "Audio", "Speech models")


# -- the dialog ------------------------------------------------------------------------------------


class SettingsDialog(QDialog):
    """Settings of the main window `main` (its worker, session and settings). Esc closes it."""

    view_updated = Signal(object)  # ModelsView
    bench_finished = Signal(object)  # list of BenchRow, or an exception

    def __init__(self, main, camera_factory=None):
        super().__init__(main)
        self.main = main
        self.camera_factory = camera_factory  # the face page's re-enrolment (None: the settings' camera)
        self.setWindowTitle(f"Settings \u2014 {APP_NAME}")
        self.setObjectName("SettingsDialog")
        self.view: ModelsView | None = None
        self.bench_task = None
        self._bench_cancel: threading.Event | None = None
        self.hardware_lines: list[str] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        body = QHBoxLayout()
        body.setSpacing(0)
        self.nav = QListWidget()
        self.nav.setObjectName("Nav")
        self.nav.setAccessibleName("Settings pages")
        self.nav.addItems(list(PAGES))
        self.nav.setFixedWidth(190)
        self.stack = QStackedWidget()
        self.models_page = ModelsPage()
        self.models_page.measure_requested.connect(self.start_benchmark)
        self.models_page.cancel_requested.connect(self.cancel_benchmark)
        self.models_page.precision_chosen.connect(self.choose_precision)
        self.hardware_page = HardwarePage()
        self.about_page = AboutPage()
        self.about_page.clear_requested.connect(self.confirm_clear)
        self.face_page = FaceLockPage(self)
        self.audio_page = AudioPage(self)
        self.speech_page = SpeechModelsPage(self)
        for page in (self.models_page, self.hardware_page, self.about_page, self.face_page, self.audio_page,
                     self.speech_page):
            self.stack.addWidget(page)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.setCurrentRow(0)
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        layout.addLayout(body, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setIcon(QIcon())
        buttons.rejected.connect(self.reject)
        buttons.setContentsMargins(12, 8, 12, 10)
        layout.addWidget(buttons)
        for i in range(len(PAGES)):
            QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self, activated=lambda i=i: self.show_page(i))
        main.session_changed.connect(lambda _state: self.refresh())
        self._size_for_screen()

    def _size_for_screen(self) -> None:
        screen = self.main.screen() if self.main is not None else None
        avail = screen.availableGeometry() if screen is not None else None
        width, height = 1120, 720
        if avail is not None:
            width, height = min(width, int(avail.width() * 0.94)), min(height, int(avail.height() * 0.94))
        self.resize(width, height)
        self.setMinimumSize(min(720, width), min(480, height))

    def show_page(self, index: int) -> None:
        self.nav.setCurrentRow(index)

    # -- data --------------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.face_page.refresh()
        self.audio_page.refresh()
        self.speech_page.refresh()
        session, settings = self.main.session, self.main.settings
        self.main.worker.run(lambda ctx: collect_models_view(session, settings), success=self._show_view,
                             failure=self._view_failed, key="settings-view", name="reading the model catalog")
        if not self.hardware_lines:
            self.main.worker.run(lambda ctx: collect_hardware(), success=self._show_hardware,
                                 key="settings-hardware", name="detecting hardware")

    def _show_view(self, view: ModelsView) -> None:
        self.view = view
        self.models_page.update_view(view, self.main.settings.precision_overrides)
        if self.hardware_lines:
            self.hardware_page.show_lines(self.hardware_lines, view.decisions)
        self.view_updated.emit(view)

    def _view_failed(self, exc: BaseException) -> None:
        self.models_page.notice.setText(f"The model catalog could not be read: {exc}")
        self.models_page.notice.show()

    def _show_hardware(self, lines: list[str]) -> None:
        self.hardware_lines = lines
        self.hardware_page.show_lines(lines, self.view.decisions if self.view else None)

    def choose_precision(self, model: str, precision: str | None) -> None:
        self.main.set_model_precision(model, precision)

    # -- benchmark ---------------------------------------------------------------------------------
    def start_benchmark(self) -> None:
        if self.bench_task is not None:
            return
        page = self.models_page
        page.measure_button.setEnabled(False)
        page.progress.setRange(0, 0)
        page.progress.show()
        page.cancel_button.show()
        page.cancel_button.setEnabled(True)
        page.cancel_button.setFocus()
        page.bench_label.setText("Measuring\u2026")
        catalog = self.main.session.catalog
        use_calibration = self.main.settings.use_calibration

        def op(ctx):
            from assistant.core.inference import bench, calibration
            from assistant.core.inference.hardware import current_profile

            cat = catalog if catalog is not None else Catalog.load()
            rows = bench.bench_all(cat, progress=ctx.progress, cancel=ctx.cancel)
            if ctx.cancel.is_set():
                return rows, None
            saved = bench.save_results(rows)
            times = calibration.from_bench(rows, cat)
            if use_calibration and times:  # the full benchmark is a better calibration: Auto follows it
                calibration.save(current_profile(), cat, times)
            return rows, saved

        self.bench_task = self.main.worker.run(op, success=self._bench_done, failure=self._bench_failed,
                                               on_progress=self._bench_progress, lane="bench",
                                               name="benchmark")

    def cancel_benchmark(self) -> None:
        if self.bench_task is not None:
            self.bench_task.request_cancel()
            self.models_page.cancel_button.setEnabled(False)
            self.models_page.bench_label.setText("Cancelling after the current variant\u2026")

    def _bench_progress(self, done: int, total: int, label: str) -> None:
        page = self.models_page
        page.progress.setRange(0, max(1, total))
        page.progress.setValue(done)
        if label and label != "done":
            page.bench_label.setText(f"Timing {label}\u2026")

    def _bench_finish_ui(self) -> None:
        page = self.models_page
        self.bench_task = None
        page.progress.hide()
        page.cancel_button.hide()
        page.measure_button.setEnabled(True)
        page.measure_button.setFocus()

    def _bench_done(self, result) -> None:
        rows, saved = result
        self._bench_finish_ui()
        errors = [r for r in rows if getattr(r, "error", "")]
        if saved is None:
            self.models_page.bench_label.setText("Measurement cancelled; the table keeps the earlier numbers.")
        else:
            text = f"Measured {len(rows) - len(errors)} variants on this machine."
            if errors:
                text += f" {len(errors)} could not run (see the Status column)."
            self.models_page.bench_label.setText(text)
            self.main.follow_auto()
        self.bench_finished.emit(rows)
        self.refresh()

    def _bench_failed(self, exc: BaseException) -> None:
        self._bench_finish_ui()
        self.models_page.bench_label.setText(f"Measuring failed: {exc}")
        self.bench_finished.emit(exc)

    def shutdown(self) -> None:
        if self.bench_task is not None:
            self.bench_task.request_cancel()
        self.audio_page.shutdown()
        self.speech_page.shutdown()

    # -- personal data -----------------------------------------------------------------------------
    def confirm_clear(self) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Clear personal data")
        box.setText("Delete the chat history and the words autocomplete learned from you?")
        box.setInformativeText("This cannot be undone. Models and settings are kept.")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Delete")
        self._confirm_box = box
        box.finished.connect(self._clear_answer)
        box.open()

    def _clear_answer(self, _result: int) -> None:
        box = self._confirm_box
        if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
            self.main.clear_personal_data()
            self.about_page.clear_status.setText("Chat history and personal words were deleted.")
