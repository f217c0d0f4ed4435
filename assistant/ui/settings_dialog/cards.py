"""Small building blocks the settings pages share."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
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


def page_body(page: QScrollArea, title: str, intro: str = "") -> QVBoxLayout:
    """Make `page` (a QScrollArea) a settings page: its scrolling body with the title and an intro line;
    returns the body's layout for the page's own widgets."""
    page.setWidgetResizable(True)
    page.setFrameShape(QScrollArea.Shape.NoFrame)
    body = QWidget()
    layout = QVBoxLayout(body)
    layout.setContentsMargins(18, 14, 18, 14)
    layout.setSpacing(10)
    heading = QLabel(title)
    heading.setObjectName("PageTitle")
    layout.addWidget(heading)
    if intro:
        line = QLabel(intro)
        line.setObjectName("Muted")
        line.setWordWrap(True)
        layout.addWidget(line)
    page.setWidget(body)
    return layout
