"""Small building blocks the settings pages share."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QVBoxLayout,
)

logger = logging.getLogger(__name__)


def card_label(text: str) -> tuple[QFrame, QLabel]:
    card = QFrame()
    card.setObjectName("Card")
    inner = QVBoxLayout(card)
    inner.setContentsMargins(14, 10, 14, 10)
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    inner.addWidget(label)
    return card, label
