"""The "About" page: versions, where personal data lives (and clearing it), model licenses."""

from __future__ import annotations

import logging
import platform
import sys
from importlib import metadata

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from assistant import APP_NAME, __version__
from assistant.core.appdata import paths

logger = logging.getLogger(__name__)


class AboutPage(QWidget):
    """Versions, the data folders, "Clear personal data" (asks first, in the dialog) and model licenses."""

    clear_requested = Signal()

    def __init__(self):
        super().__init__()
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
        title = QLabel(f"About {APP_NAME}")
        title.setObjectName("PageTitle")
        layout.addWidget(title)
        blurb = QLabel("An offline, private assistant: every model runs on this computer and nothing is "
                       "sent over the network.")
        blurb.setObjectName("Muted")
        blurb.setWordWrap(True)
        layout.addWidget(blurb)

        heading = QLabel("Versions")
        heading.setObjectName("SectionTitle")
        layout.addSpacing(6)
        layout.addWidget(heading)
        versions = QFormLayout()
        versions.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        for label, value in version_rows():
            v = QLabel(value)
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            versions.addRow(label + ":", v)
        layout.addLayout(versions)

        where = QLabel("Where your data is stored")
        where.setObjectName("SectionTitle")
        layout.addSpacing(6)
        layout.addWidget(where)
        form = QFormLayout()
        for label, value in data_paths():
            v = QLabel(value)
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            v.setWordWrap(True)
            form.addRow(label + ":", v)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.clear_button = QPushButton("C&lear personal data\u2026")
        self.clear_button.setObjectName("Danger")
        self.clear_button.setToolTip("Delete the chat history and the words autocomplete learned from you")
        self.clear_button.clicked.connect(self.clear_requested)
        row.addWidget(self.clear_button)
        self.clear_status = QLabel()
        self.clear_status.setObjectName("Muted")
        row.addWidget(self.clear_status, 1)
        layout.addLayout(row)

        lic = QLabel("Licenses of the models and their data (models/NOTICE)")
        lic.setObjectName("SectionTitle")
        layout.addSpacing(6)
        layout.addWidget(lic)
        self.notice = QPlainTextEdit()
        self.notice.setReadOnly(True)
        self.notice.setAccessibleName("Model licenses")
        self.notice.setMinimumHeight(180)
        self.notice.setPlainText(read_notice())
        layout.addWidget(self.notice, 1)


def version_rows() -> list[tuple[str, str]]:
    import PySide6
    from PySide6.QtCore import qVersion

    def dist(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return [
        (APP_NAME, __version__),
        ("Python", f"{platform.python_version()} ({sys.platform})"),
        ("Qt / PySide6", f"{qVersion()} / {PySide6.__version__}"),
        ("LiteRT (ai-edge-litert)", dist("ai-edge-litert")),
        ("NumPy", dist("numpy")),
    ]


def data_paths() -> list[tuple[str, str]]:
    from assistant.core.appdata.history import DB_NAME
    from assistant.core.appdata.storage import db_path

    return [
        ("Chat history", str(db_path(DB_NAME))),
        ("Other personal data", str(paths.data_dir())),
        ("Settings", str(paths.settings_path())),
        ("Cache (benchmarks)", str(paths.cache_dir())),
        ("Logs", str(paths.logs_dir())),
        ("Models (read-only)", str(paths.models_dir())),
    ]


def read_notice() -> str:
    path = paths.models_dir() / "NOTICE"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return f"No license notice found at {path} (no models are installed)."
