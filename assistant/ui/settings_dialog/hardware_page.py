"""The "Hardware" page: what was detected, and the precision Auto chose for each model."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QLabel,
    QVBoxLayout,
    QWidget,
)

from assistant.ui.settings_dialog.cards import card_label

logger = logging.getLogger(__name__)


class HardwarePage(QWidget):
    def __init__(self):
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(10)
        title = QLabel("Hardware")
        title.setObjectName("PageTitle")
        layout.addWidget(title)
        intro = QLabel("What the app detected about this computer; the precision policy reads it.")
        intro.setObjectName("Muted")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        card, self.profile = card_label("Detecting\u2026")
        self.profile.setAccessibleName("Hardware profile")
        layout.addWidget(card)
        heading = QLabel("Precision chosen for each model (Auto)")
        heading.setObjectName("SectionTitle")
        layout.addWidget(heading)
        card, self.choices = card_label("\u2013")
        self.choices.setAccessibleName("Precision chosen for each model")
        layout.addWidget(card)
        layout.addStretch(1)

    def text(self) -> str:
        return self.profile.text() + "\n" + self.choices.text()

    def show_lines(self, lines: list[str], decisions: dict[str, object] | None = None) -> None:
        self.profile.setText("\n".join(lines))
        if decisions:
            self.choices.setText("\n".join(
                f"{name}: {getattr(d, 'reason', '') or getattr(d, 'precision', '')}" for name, d in decisions.items()
            ))
