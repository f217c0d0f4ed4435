"""Widgets of the chat page: message bubbles, the scrolling transcript, suggestion chips, the input line,
the microphone button with its level meter and the problem banner. They only display and report; the window decides what happens."""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QKeyCombination, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

logger = logging.getLogger(__name__)

MAX_CHIPS = 3
# Bubbles the transcript keeps; older ones leave the window (they stay in the history database, and a
# restart shows the same last 300). Every bubble costs layout time on each new message: unbounded, a
# long session's replies slowed down (scripts/soak_long_use.py measured p95 39 -> 66 ms over 1,000 messages).
MAX_BUBBLES = 300
BUBBLE_WIDTH_FRACTION = 0.74


@dataclass
class ChatLine:
    """What a bubble shows. Built from history rows, new messages and chatbot replies."""

    role: str  # user | assistant | system
    text: str
    created: float
    precision: str | None = None
    intent: str | None = None
    confidence: float | None = None
    latency_ms: float | None = None
    skill: str | None = None


def format_time(created: float, now: _dt.datetime | None = None) -> str:
    """'14:05' today, 'Mon 14:05' this week, '3 Mar 2025 14:05' before."""
    when = _dt.datetime.fromtimestamp(created)
    now = now or _dt.datetime.now()
    if when.date() == now.date():
        return when.strftime("%H:%M")
    if (now.date() - when.date()).days < 7:
        return when.strftime("%a %H:%M")
    return f"{when.day} {when.strftime('%b %Y %H:%M')}"


class Bubble(QFrame):
    """One message: the text, and a small line with time (and, for replies, precision and latency)."""

    def __init__(self, line: ChatLine, parent: QWidget | None = None):
        super().__init__(parent)
        self.line = line
        self.setObjectName(
            {"user": "UserBubble", "assistant": "AssistantBubble"}.get(line.role, "SystemBubble")
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 9, 14, 7)
        layout.setSpacing(3)
        self.text_label = QLabel(line.text)
        self.text_label.setObjectName("BubbleText")
        self.text_label.setTextFormat(Qt.TextFormat.PlainText)
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout.addWidget(self.text_label)
        self.meta_label = QLabel(self.meta_text())
        self.meta_label.setObjectName("BubbleMeta")
        self.meta_label.setAlignment(
            Qt.AlignmentFlag.AlignRight if line.role == "user" else Qt.AlignmentFlag.AlignLeft
        )
        layout.addWidget(self.meta_label)
        tip = self.tooltip_text()
        if tip:
            self.setToolTip(tip)
        self.setAccessibleName(f"{line.role} message")
        self.setAccessibleDescription(line.text)

    def fit(self, max_width: int) -> None:
        """As wide as the text needs, up to `max_width`; longer text wraps at that width."""
        self.setMaximumWidth(max_width)
        self.text_label.ensurePolished()
        self.meta_label.ensurePolished()
        margins = self.layout().contentsMargins()
        inner = max_width - margins.left() - margins.right() - 2 * self.frameWidth()
        fm = self.text_label.fontMetrics()
        lines = self.line.text.splitlines() or [""]
        text_width = max(fm.horizontalAdvance(line) for line in lines) + 4
        meta_width = self.meta_label.fontMetrics().horizontalAdvance(self.meta_label.text()) + 4
        self.text_label.setMinimumWidth(max(20, min(inner, max(text_width, meta_width))))

    def meta_text(self) -> str:
        parts = [format_time(self.line.created)]
        if self.line.role == "assistant":
            if self.line.precision:
                parts.append(self.line.precision)
            if self.line.latency_ms is not None:
                parts.append(f"{self.line.latency_ms:.1f} ms")
        return "  ·  ".join(parts)

    def tooltip_text(self) -> str:
        line = self.line
        if line.role != "assistant":
            return ""
        rows = []
        if line.intent:
            conf = f" ({line.confidence:.0%} sure)" if line.confidence is not None else ""
            rows.append(f"Intent: {line.intent}{conf}")
        if line.skill:
            rows.append(f"Answered by: {line.skill}")
        if line.precision:
            rows.append(f"Chatbot precision: {line.precision}")
        if line.latency_ms is not None:
            rows.append(f"Time: {line.latency_ms:.1f} ms")
        stamp = _dt.datetime.fromtimestamp(line.created).strftime("%Y-%m-%d %H:%M:%S")
        rows.append(f"Sent: {stamp}")
        return "\n".join(rows)


class Transcript(QScrollArea):
    """The conversation, newest at the bottom. Follows new messages unless the user scrolled up."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("Transcript")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body = QWidget()
        body.setObjectName("TranscriptBody")
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(18, 14, 18, 14)
        self._layout.setSpacing(8)
        self._layout.addStretch(1)
        self.empty_hint = QLabel(
            "Ask me something, for example \u201cwhat time is it\u201d or \u201ctell me a joke\u201d.\n"
            "Everything runs on this computer; nothing is sent anywhere."
        )
        self.empty_hint.setObjectName("EmptyHint")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self._layout.addWidget(self.empty_hint, 1000)  # takes (nearly) all the height: centred while empty
        self.setWidget(body)
        self.bubbles: list[Bubble] = []
        self._rows: list[QWidget] = []
        self._stick = True
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range)
        bar.valueChanged.connect(self._on_value)

    def add(self, line: ChatLine, *, follow: bool = False) -> Bubble:
        """Append a bubble; `follow` scrolls to it even when the user had scrolled up (own messages)."""
        self.empty_hint.hide()
        bubble = Bubble(line)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        if line.role == "user":
            row_layout.addStretch(1)
            row_layout.addWidget(bubble)
        elif line.role == "assistant":
            row_layout.addWidget(bubble)
            row_layout.addStretch(1)
        else:
            row_layout.addStretch(1)
            row_layout.addWidget(bubble)
            row_layout.addStretch(1)
        self._limit(bubble)
        self._layout.addWidget(row)
        self.bubbles.append(bubble)
        self._rows.append(row)
        while len(self._rows) > MAX_BUBBLES:
            old = self._rows.pop(0)
            self.bubbles.pop(0)
            old.setParent(None)
            old.deleteLater()
        if follow:
            self._stick = True
        if self._stick:
            QTimer.singleShot(0, self.scroll_to_bottom)
        return bubble

    def last_message(self) -> str:
        """The text of the newest user or assistant message ("" when there is none): autocomplete's context."""
        for bubble in reversed(self.bubbles):
            if bubble.line.role in ("user", "assistant"):
                return bubble.line.text
        return ""

    def clear(self) -> None:
        for row in self._rows:
            row.setParent(None)
            row.deleteLater()
        self._rows.clear()
        self.bubbles.clear()
        self.empty_hint.show()

    def scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _on_range(self, _minimum: int, maximum: int) -> None:
        if self._stick:
            self.verticalScrollBar().setValue(maximum)

    def _on_value(self, value: int) -> None:
        self._stick = value >= self.verticalScrollBar().maximum() - 4

    def _limit(self, bubble: Bubble) -> None:
        margins = self._layout.contentsMargins()
        usable = self.viewport().width() - margins.left() - margins.right()
        bubble.fit(max(200, int(usable * BUBBLE_WIDTH_FRACTION)))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        for bubble in self.bubbles:
            self._limit(bubble)


class SuggestionBar(QWidget):
    """Up to three next-word chips. `picked(i)` when one is clicked; the window maps keys to picks."""

    picked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.chips: list[QPushButton] = []
        for i in range(MAX_CHIPS):
            chip = QPushButton()
            chip.setObjectName("Chip")
            chip.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            chip.setCursor(Qt.CursorShape.PointingHandCursor)
            chip.clicked.connect(lambda _checked=False, i=i: self.picked.emit(i))
            chip.hide()
            self.chips.append(chip)
            layout.addWidget(chip)
        self.hint = QLabel()
        self.hint.setObjectName("ChipHint")
        layout.addWidget(self.hint)
        layout.addStretch(1)
        self.words: list[str] = []
        self.setFixedHeight(max(34, self.chips[0].sizeHint().height() + 4))
        self.set_words([])

    def set_words(self, words: list[str], note: str = "") -> None:
        self.words = list(words[:MAX_CHIPS])
        for i, chip in enumerate(self.chips):
            if i < len(self.words):
                chip.setText(self.words[i])
                chip.setToolTip(f"Insert \u201c{self.words[i]}\u201d ({'Tab or ' if i == 0 else ''}Alt+{i + 1})")
                chip.setAccessibleName(f"Suggestion {i + 1}: {self.words[i]}")
                chip.setProperty("first", i == 0)
                chip.style().unpolish(chip)
                chip.style().polish(chip)
                chip.show()
            else:
                chip.hide()
        if note:
            self.hint.setText(note)
        elif self.words:
            self.hint.setText("Tab accepts the first \u00b7 Alt+1\u20133 picks")
        else:
            self.hint.setText("Next-word suggestions appear here as you type")


class ComposerInput(QLineEdit):
    """The input line. Tab accepts the first suggestion when there is one (else moves focus as usual);
    Alt+1..3 pick a suggestion."""

    accept_first = Signal()
    pick = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("Input")
        self.has_suggestions = lambda: False

    def event(self, event: QEvent) -> bool:  # noqa: D401 - Qt override
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key, mods = event.key(), event.modifiers()
            if key == Qt.Key.Key_Tab and mods == Qt.KeyboardModifier.NoModifier and self.has_suggestions():
                self.accept_first.emit()
                return True
            index = _alt_digit(event.keyCombination())
            if index is not None:
                self.pick.emit(index)
                return True
        elif event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if _alt_digit(event.keyCombination()) is not None:
                event.accept()  # handle Alt+digit here rather than as a window shortcut
                return True
        return super().event(event)


def _alt_digit(combo: QKeyCombination) -> int | None:
    if combo.keyboardModifiers() != Qt.KeyboardModifier.AltModifier:
        return None
    keys = {Qt.Key.Key_1: 0, Qt.Key.Key_2: 1, Qt.Key.Key_3: 2}
    return keys.get(combo.key())


class Banner(QFrame):
    """A dismissable notice above the transcript: a missing model, a damaged settings file."""

    action = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("Banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        self.icon = QLabel("\u26a0")
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.icon)
        self.label = QLabel()
        self.label.setObjectName("BannerText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        self.action_button = QToolButton()
        self.action_button.setText("Details\u2026")
        self.action_button.clicked.connect(self.action)
        layout.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignTop)
        self.close_button = QToolButton()
        self.close_button.setText("\u2715")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAccessibleName("Dismiss notice")
        self.close_button.clicked.connect(self.dismiss)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.messages: list[str] = []
        self.hide()

    def add(self, message: str) -> None:
        if message in self.messages:
            return
        self.messages.append(message)
        self.label.setText("\n".join(self.messages))
        self.show()

    def dismiss(self) -> None:
        self.messages.clear()
        self.label.clear()
        self.hide()


class MicButton(QToolButton):
    """The microphone beside Send: hold to talk, click to toggle. Drawn (not a font glyph, which many
    systems lack) in the theme's colours; red while listening. pressed/released come from QToolButton."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MicButton")
        self.setFixedSize(40, 36)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Microphone")
        self.live = False
        self.available = True

    def set_live(self, live: bool) -> None:
        self.live = live
        self.update()

    def set_available(self, available: bool, why: str = "") -> None:
        self.available = available
        self.setEnabled(available)
        if why:
            self.setToolTip(why)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt name
        from assistant.ui.theme import current_colors

        super().paintEvent(event)
        colors = current_colors()
        color = QColor(colors["danger"] if self.live else colors["text"] if self.available else colors["muted"])
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        cx, cy = self.width() / 2, self.height() / 2 - 2
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawRoundedRect(QRectF(cx - 4.5, cy - 10, 9, 15), 4.5, 4.5)  # the capsule
        pen = QPen(color, 1.8)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawArc(QRectF(cx - 8, cy - 5, 16, 14), 200 * 16, 140 * 16)  # the holder
        p.drawLine(QPointF(cx, cy + 9), QPointF(cx, cy + 13))
        p.drawLine(QPointF(cx - 4, cy + 13), QPointF(cx + 4, cy + 13))
        if not self.available:  # struck through
            p.setPen(QPen(QColor(colors["danger"]), 2))
            p.drawLine(QPointF(cx - 9, cy - 9), QPointF(cx + 9, cy + 13))
        p.end()


class LevelMeter(QProgressBar):
    """The input level (dBFS -60 .. 0) while listening."""

    FLOOR_DB = -60.0

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("LevelMeter")
        self.setRange(0, 100)
        self.setTextVisible(False)
        self.setFixedHeight(4)
        self.setAccessibleName("Microphone level")
        self.setValue(0)

    def set_level(self, dbfs: float) -> None:
        value = 0.0 if dbfs != dbfs or dbfs < self.FLOOR_DB else (dbfs - self.FLOOR_DB) / -self.FLOOR_DB * 100
        self.setValue(int(max(0.0, min(100.0, value))))
