"""The main window: the chat (typed or spoken), live next-word suggestions and the status of the models.

Every model call goes through the Worker's "models" lane and every audio call through its "speech" lane
(ui/voice.py); this class only reacts to results on the GUI thread. The chat history lives in SQLite (assistant.core.appdata.history) and is reloaded on start.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from assistant import APP_NAME
from assistant.core.appdata import paths
from assistant.core.appdata.history import ChatHistory
from assistant.core.appdata.settings import Settings, load_settings, save_settings
from assistant.core.speech.tts import Speaker
from assistant.ui.chat_widgets import (
    MAX_BUBBLES,
    Banner,
    ChatLine,
    ComposerInput,
    LevelMeter,
    MicButton,
    SuggestionBar,
    Transcript,
)
from assistant.ui.session import AUTOCOMPLETE, LIVE_MODELS, ModelSession, ModelUnavailable, SessionState
from assistant.ui.theme import app_icon
from assistant.ui.voice import STATE_WORDS, VoiceInput
from assistant.ui.worker import Worker

logger = logging.getLogger(__name__)

HISTORY_LIMIT = MAX_BUBBLES  # messages read back at start: what the transcript keeps
SUGGEST_DEBOUNCE_MS = 40
TIMER_CHECK_MS = 1000  # how often finished timers and due reminders are looked for
HOLD_S = 0.35  # a mic press held longer than this is push-to-talk; a shorter one is a click (toggle)


class MainWindow(QMainWindow):
    """Chat window. `session_changed` fires whenever the active precisions or problems change."""

    session_changed = Signal(object)  # SessionState
    reply_shown = Signal(object)  # ChatLine of the assistant's reply (tests and screenshots wait on it)
    suggestions_shown = Signal(list)
    history_cleared = Signal()
    reminder_announced = Signal(str)  # the announcement's text
    lock_requested = Signal()  # Ctrl+L: the shell locks the app (closes this window, shows the login)
    settings_saved = Signal(object)  # Settings, after a change was saved
    calibrated = Signal(object)  # CalibrationRun, or None when every variant was already timed here
    dictated = Signal(str, float)  # final dictated text and ms from the end of speech (or the release) to it

    def __init__(self, settings: Settings | None = None, settings_warning: str | None = None,
                 calibrate_on_start: bool = True, audio_source=None):
        """audio_source: a zero-argument factory of a core audio source (tests and benchmarks play a
        file through it); None = the microphone chosen in the settings."""
        super().__init__()
        if settings is None:
            settings, loaded_warning = load_settings()
            settings_warning = settings_warning or loaded_warning
        self.settings = settings
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.worker = Worker(self)
        self.worker.failed.connect(lambda name, msg: self.show_system_message(f"{name} failed: {msg}"))
        self.session = ModelSession()
        self.state = SessionState()
        self.loaded = False
        self.history = ChatHistory()
        self._suggest_for = ""
        self.suggested_for: str | None = None  # the text whose suggestions the chips show
        self._completing = ""
        self._suggestions = None  # the last Suggestions shown (its .apply() inserts a word)
        self._pending_replies = 0
        self._settings_dialog = None
        self._calibrate_on_start = calibrate_on_start
        self.calibration_task = None
        self.voice = VoiceInput(self.worker, lambda: self.settings, source_factory=audio_source,
                                catalog=lambda: self.session.catalog, parent=self)
        self.speaker = Speaker()
        self._dictation_prefix = ""
        self._dictation_mode: str | None = None
        self._mic_down_at = 0.0
        self._mic_click_ends = False
        self._ptt_down = False
        self.last_dictation_ms: float | None = None

        self._build()
        self._build_actions()
        self._restore_geometry()
        if settings_warning:
            self.banner.add(settings_warning)
        self._load_history()
        self._load_models()

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        central = QWidget()
        central.setObjectName("Central")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        header = QFrame()
        header.setObjectName("Header")
        h = QHBoxLayout(header)
        h.setContentsMargins(16, 10, 12, 10)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(28, 28))
        h.addWidget(icon)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        title = QLabel(APP_NAME)
        title.setObjectName("AppTitle")
        subtitle = QLabel("Private: everything runs on this computer")
        subtitle.setObjectName("Subtitle")
        titles.addWidget(title)
        titles.addWidget(subtitle)
        h.addLayout(titles)
        h.addStretch(1)
        self.settings_button = QToolButton()
        self.settings_button.setObjectName("HeaderButton")
        self.settings_button.setText("\u2699  Settings")
        self.settings_button.setToolTip("Models, precision, hardware and data (Ctrl+,)")
        self.settings_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.settings_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.settings_button.clicked.connect(self.open_settings)
        h.addWidget(self.settings_button)
        outer.addWidget(header)

        banner_box = QWidget()
        bl = QVBoxLayout(banner_box)
        bl.setContentsMargins(14, 8, 14, 0)
        self.banner = Banner()
        self.banner.action.connect(self.open_settings)
        bl.addWidget(self.banner)
        banner_box.setVisible(True)
        outer.addWidget(banner_box)

        self.transcript = Transcript()
        outer.addWidget(self.transcript, 1)

        composer = QFrame()
        composer.setObjectName("Composer")
        c = QVBoxLayout(composer)
        c.setContentsMargins(16, 8, 16, 12)
        c.setSpacing(6)
        self.suggestions = SuggestionBar()
        self.suggestions.picked.connect(self.accept_suggestion)
        c.addWidget(self.suggestions)
        row = QHBoxLayout()
        row.setSpacing(8)
        self.input = ComposerInput()
        self.input.setPlaceholderText("Type a message and press Enter")
        self.input.setAccessibleName("Message")
        self.input.setClearButtonEnabled(False)
        self.input.has_suggestions = lambda: bool(self.suggestions.words)
        self.input.accept_first.connect(lambda: self.accept_suggestion(0))
        self.input.pick.connect(self.accept_suggestion)
        self.input.textEdited.connect(self._schedule_suggestions)
        self.input.cursorPositionChanged.connect(self._cursor_moved)
        self.input.returnPressed.connect(self.send)
        row.addWidget(self.input, 1)
        self.mic_button = MicButton()
        self.mic_button.pressed.connect(self._mic_pressed)
        self.mic_button.released.connect(self._mic_released)
        row.addWidget(self.mic_button)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("SendButton")
        self.send_button.setToolTip("Send (Enter)")
        self.send_button.clicked.connect(self.send)
        row.addWidget(self.send_button)
        c.addLayout(row)
        voice_row = QHBoxLayout()
        voice_row.setSpacing(8)
        self.voice_state = QLabel("")
        self.voice_state.setObjectName("VoiceState")
        self.voice_state.setAccessibleName("Voice input state")
        self.level_meter = LevelMeter()
        self.level_meter.setFixedWidth(120)
        self.level_meter.setVisible(False)
        voice_row.addWidget(self.voice_state, 1)
        voice_row.addWidget(self.level_meter)
        c.addLayout(voice_row)
        outer.addWidget(composer)
        self.setCentralWidget(central)

        self.status_models = QLabel("Loading models\u2026")
        self.status_models.setObjectName("StatusModels")
        self.statusBar().addPermanentWidget(self.status_models)
        self.statusBar().setSizeGripEnabled(False)

        self._suggest_timer = QTimer(self)
        self._suggest_timer.setSingleShot(True)
        self._suggest_timer.setInterval(SUGGEST_DEBOUNCE_MS)
        self._suggest_timer.timeout.connect(self.request_suggestions)
        # Timers set by the chatbot's skill run out while nobody asks: the window checks and tells.
        self._timer_check = QTimer(self)
        self._timer_check.setInterval(TIMER_CHECK_MS)
        self._timer_check.timeout.connect(self.check_timers)
        self._timer_check.start()
        self._checking_timers = False

        # Keyboard order: input -> chips -> send -> settings (chips only take focus by Tab when shown).
        QWidget.setTabOrder(self.input, self.suggestions.chips[0])
        QWidget.setTabOrder(self.suggestions.chips[0], self.suggestions.chips[1])
        QWidget.setTabOrder(self.suggestions.chips[1], self.suggestions.chips[2])
        QWidget.setTabOrder(self.suggestions.chips[2], self.mic_button)
        QWidget.setTabOrder(self.mic_button, self.send_button)
        QWidget.setTabOrder(self.send_button, self.settings_button)
        self.input.setFocus()
        self.voice.state_changed.connect(self._voice_state)
        self.voice.level.connect(self.level_meter.set_level)
        self.voice.partial.connect(self._dictation_partial)
        self.voice.heard.connect(self._dictation_heard)
        self.input.textEdited.connect(lambda _t: self._stop_speaking())
        self._voice_state("idle", STATE_WORDS["idle"])
        QApplication.instance().installEventFilter(self)

    def _build_actions(self) -> None:
        settings_action = QAction("Settings", self)
        settings_action.setShortcuts([QKeySequence("Ctrl+,"), QKeySequence(QKeySequence.StandardKey.Preferences)])
        settings_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        settings_action.triggered.connect(self.open_settings)
        self.addAction(settings_action)
        quit_action = QAction("Quit", self)
        quit_action.setShortcuts([QKeySequence("Ctrl+Q"), QKeySequence(QKeySequence.StandardKey.Quit)])
        quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        quit_action.triggered.connect(self.close)
        self.addAction(quit_action)
        # Ctrl+L locks the app (it used to focus the message line, which moved to Ctrl+K).
        focus_action = QAction("Focus message", self)
        focus_action.setShortcut(QKeySequence("Ctrl+K"))
        focus_action.triggered.connect(self.input.setFocus)
        self.addAction(focus_action)
        lock_action = QAction("Lock now", self)
        lock_action.setShortcut(QKeySequence("Ctrl+L"))
        lock_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        lock_action.triggered.connect(self.lock_requested)
        self.addAction(lock_action)
        self.settings_action, self.quit_action, self.lock_action = settings_action, quit_action, lock_action

    def _window_settings(self) -> QSettings:
        return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        self.setMinimumSize(520, 420)
        geometry = self._window_settings().value("main/geometry")
        if geometry is not None and self.restoreGeometry(geometry):
            return
        screen = QApplication.primaryScreen()
        avail = screen.availableGeometry() if screen is not None else None
        width, height = 980, 700
        if avail is not None:
            width, height = min(width, int(avail.width() * 0.9)), min(height, int(avail.height() * 0.9))
            self.setGeometry(avail.x() + (avail.width() - width) // 2, avail.y() + (avail.height() - height) // 2,
                             width, height)
        else:
            self.resize(width, height)

    # -- models ------------------------------------------------------------------------------------
    def _load_models(self) -> None:
        overrides = dict(self.settings.precision_overrides)
        self.worker.run(lambda ctx: self.session.load(overrides), success=self._on_loaded,
                        failure=self._on_load_failed, name="loading models")

    def _on_loaded(self, state: SessionState) -> None:
        self.loaded = True
        self._apply_state(state)
        if self.input.text():
            self.request_suggestions()
        if self._calibrate_on_start:
            self.start_calibration()
        self.voice.check_available()
        self.voice.preload()
        if self.settings.hands_free:
            self.start_hands_free()

    def start_calibration(self) -> None:
        """Time, on the bench lane, the variants this machine has no valid timing for (first start, or a
        model file changed); "Auto" then follows those timings. Never blocks the window."""
        if not self.settings.use_calibration or self.calibration_task is not None:
            return
        catalog = self.session.catalog

        def op(ctx):
            from assistant.core.inference import calibration
            from assistant.core.inference.hardware import current_profile

            if catalog is None:
                return None
            profile = current_profile()
            jobs = calibration.pending(catalog, profile)
            if not jobs:
                return None
            return calibration.run(catalog, profile, jobs, progress=ctx.progress, cancel=ctx.cancel)

        self.calibration_task = self.worker.run(op, success=self._on_calibrated, failure=self._on_calibration_failed,
                                                lane="bench", name="calibrating precisions")

    def _on_calibrated(self, result) -> None:
        self.calibration_task = None
        if result is not None and result.times:
            self.follow_auto()
        self.calibrated.emit(result)

    def _on_calibration_failed(self, exc: BaseException) -> None:
        self.calibration_task = None
        logger.warning("calibration failed; the factory's figures keep deciding: %s", exc)
        self.calibrated.emit(None)

    def follow_auto(self) -> None:
        """Re-select every live model that runs on Auto (after new measurements on this machine)."""
        auto = [m for m in LIVE_MODELS if not self.settings.override_for(m)]

        def op(ctx):
            state = None
            for model in auto:
                state = self.session.set_precision(model, None)
            return state if state is not None else self.session.state()

        self.worker.run(op, success=self._apply_state, name="following new measurements")

    def _on_load_failed(self, exc: BaseException) -> None:
        self.loaded = True
        self.banner.add(f"The models could not be loaded: {exc}")
        self.status_models.setText("Models unavailable")

    def _apply_state(self, state: SessionState) -> None:
        self.state = state
        for key, message in state.problems.items():
            if key == "catalog" and any(m in state.problems for m in LIVE_MODELS):
                continue  # the per-model message already says it (and includes the catalog problem)
            self.banner.add(message)
        parts, tips = [], []
        for model in LIVE_MODELS:
            active = state.active.get(model)
            parts.append(f"{model}: {active}" if active else f"{model}: unavailable")
            tips.append(f"{model}: {state.reasons.get(model) or state.problems.get(model, '')}")
        self.status_models.setText("   \u00b7   ".join(parts))
        self.status_models.setToolTip("\n".join(tips))
        if state.problems.get(AUTOCOMPLETE) and AUTOCOMPLETE_NOTE not in self.suggestions.hint.text():
            self.suggestions.set_words([], AUTOCOMPLETE_NOTE)
        self.session_changed.emit(state)

    def update_settings(self, settings: Settings) -> bool:
        """Adopt and save changed settings (from the settings dialog); False with a banner when saving failed."""
        old, self.settings = self.settings, settings
        if (old.speech_engine, old.vosk_model) != (settings.speech_engine, settings.vosk_model):
            self.voice.forget_engine()
        if old.hands_free != settings.hands_free or old.audio_device != settings.audio_device:
            if self.voice.mode == "handsfree":
                self.voice.stop()
            if settings.hands_free and self.loaded:
                QTimer.singleShot(0, self.start_hands_free)
        try:
            save_settings(self.settings)
        except OSError as exc:
            self.banner.add(f"Settings could not be saved: {exc}")
            return False
        self.settings_saved.emit(self.settings)
        return True

    def set_model_precision(self, model: str, precision: str | None) -> None:
        """Save the user's choice (None = Auto) and switch the live model now, in the worker."""
        overrides = dict(self.settings.precision_overrides)
        if precision in (None, "", "auto"):
            overrides.pop(model, None)
        else:
            overrides[model] = precision
        self.update_settings(replace(self.settings, precision_overrides=overrides))
        self.worker.run(lambda ctx: self.session.set_precision(model, precision), success=self._apply_state,
                        name=f"switching {model} precision")

    # -- history -----------------------------------------------------------------------------------
    def _load_history(self) -> None:
        for m in self.history.recent(HISTORY_LIMIT):
            self.transcript.add(ChatLine(m.role, m.text, m.created, m.precision, m.intent, m.confidence,
                                         m.latency_ms, m.skill))
        QTimer.singleShot(0, self.transcript.scroll_to_bottom)

    def show_system_message(self, text: str) -> None:
        """A notice in the transcript (not stored: it is about this session, not the conversation)."""
        self.transcript.add(ChatLine("system", text, time.time()), follow=True)

    def clear_personal_data(self) -> None:
        """Forget the chat history and the personal autocomplete words (the caller asked the user)."""
        removed = self.history.clear()
        self.transcript.clear()

        def done(cleared: list[str]) -> None:
            what = ", ".join([f"{removed} chat messages", *cleared])
            self.statusBar().showMessage(f"Cleared {what}.", 8000)
            self.history_cleared.emit()

        self.worker.run(lambda ctx: self.session.clear_personal(), success=done, name="clearing personal data")

    # -- sending -----------------------------------------------------------------------------------
    def send(self) -> None:
        text = self.input.text().strip()
        if not text:
            return
        user = self.history.add("user", text)
        self.transcript.add(ChatLine("user", text, user.created), follow=True)
        self.input.clear()
        self.suggestions.set_words([])
        self._suggest_for = ""
        self._pending_replies += 1
        self.statusBar().showMessage("Thinking\u2026")

        def op(ctx):
            try:
                return self.session.ask(text)
            finally:
                self.session.learn(text)

        self.worker.run(op, success=self._on_reply, failure=self._on_reply_failed, name="chatbot")
        self.request_suggestions()

    def _on_reply(self, reply) -> None:
        self._reply_done()
        msg = self.history.add(
            "assistant", str(reply.text), precision=getattr(reply, "precision", None),
            intent=getattr(reply, "intent", None), confidence=_float(getattr(reply, "confidence", None)),
            latency_ms=_float(getattr(reply, "latency_ms", None)), skill=getattr(reply, "skill", None),
        )
        line = ChatLine("assistant", msg.text, msg.created, msg.precision, msg.intent, msg.confidence,
                        msg.latency_ms, msg.skill)
        self.transcript.add(line, follow=True)
        self.reply_shown.emit(line)
        if self.settings.speak_replies and self.speaker.available:
            text = msg.text
            self.worker.run(lambda ctx: self.speaker.say(text), lane="speech", name="reading the reply aloud")

    def _on_reply_failed(self, exc: BaseException) -> None:
        self._reply_done()
        if isinstance(exc, ModelUnavailable):
            self.show_system_message(f"No reply: {exc}")
        else:
            self.show_system_message(f"The chatbot failed on this message: {exc}")
        self.reply_shown.emit(None)

    def _reply_done(self) -> None:
        self._pending_replies = max(0, self._pending_replies - 1)
        if not self._pending_replies:
            self.statusBar().clearMessage()

    # -- voice ---------------------------------------------------------------------------------------
    def _stop_speaking(self) -> None:
        if self.speaker.speaking:
            self.worker.run(lambda ctx: self.speaker.stop(), lane="speech", name="stopping the voice")

    def start_dictation(self, mode: str = "hold") -> bool:
        """Listen for one dictation ("hold": until release_dictation(); "toggle": until the next click)."""
        self._stop_speaking()
        text = self.input.text()
        self._dictation_prefix = text + (" " if text and not text.endswith(" ") else "")
        self._dictation_mode = mode
        return self.voice.start(mode)

    def release_dictation(self) -> None:
        self.voice.release()

    def start_hands_free(self) -> None:
        if not self.voice.active and self.voice.state != "unavailable":
            self._dictation_prefix = ""
            self._dictation_mode = "handsfree"
            self.voice.start("handsfree")

    def _mic_pressed(self) -> None:
        self._mic_click_ends = False
        if self.voice.mode == "handsfree":  # a click pauses hands-free listening for this session
            self._mic_click_ends = True
            self.voice.stop()
            self.statusBar().showMessage("Hands-free listening paused; click the mic to talk once.", 8000)
        elif self.voice.mode == "toggle" and self.voice.active:
            self._mic_click_ends = True
            self.release_dictation()
        elif not self.voice.active:
            self._mic_down_at = time.perf_counter()
            self.start_dictation("hold")

    def _mic_released(self) -> None:
        if self._mic_click_ends or self.voice.mode != "hold":
            return
        if time.perf_counter() - self._mic_down_at < HOLD_S:  # a click: keep listening until the next one
            self.voice.mode = "toggle"
            self._voice_state(self.voice.state, self.voice._listening_words() if self.voice.stream else self.voice.detail)
        else:
            self.release_dictation()

    def _is_ptt(self, event: QKeyEvent) -> bool:
        wanted = QKeySequence(self.settings.push_to_talk_key or "Ctrl+Space")
        if wanted.isEmpty():
            return False
        combo = wanted[0]
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        return event.key() == combo.key() and mods == combo.keyboardModifiers()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        kind = event.type()
        if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and isinstance(obj, QWidget) and obj.window() is self:
            key_event: QKeyEvent = event  # type: ignore[assignment]
            if kind == QEvent.Type.KeyPress and self._is_ptt(key_event):
                if not key_event.isAutoRepeat() and not self._ptt_down:
                    self._ptt_down = True
                    if not self.voice.active:
                        self.start_dictation("hold")
                return True
            if kind == QEvent.Type.KeyRelease and self._ptt_down and not key_event.isAutoRepeat():
                combo = QKeySequence(self.settings.push_to_talk_key or "Ctrl+Space")[0]
                if key_event.key() in (combo.key(), Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Shift, Qt.Key.Key_Meta):
                    self._ptt_down = False
                    if self.voice.mode == "hold":
                        self.release_dictation()
                    return True
        return super().eventFilter(obj, event)

    def _voice_state(self, state: str, words: str) -> None:
        listening = state in ("listening", "hearing")
        self.mic_button.set_live(state in ("loading", "listening", "hearing", "transcribing"))
        self.mic_button.set_available(state != "unavailable")
        key = self.settings.push_to_talk_key or "Ctrl+Space"
        tip = words if state in ("unavailable", "error") else f"{words}. Hold to talk ({key}), or click to start and stop"
        self.mic_button.setToolTip(tip)
        self.mic_button.setAccessibleDescription(words)
        self.level_meter.setVisible(listening)
        if not listening:
            self.level_meter.set_level(-120.0)
        self.voice_state.setText("" if state == "idle" and words == STATE_WORDS["idle"] else words)
        if state in ("listening", "hearing"):
            self.input.setPlaceholderText("Listening…")
        else:
            self.input.setPlaceholderText("Type a message and press Enter")

    def _dictation_partial(self, text: str) -> None:
        if text:
            self.input.setText(self._dictation_prefix + text)
            self.input.setCursorPosition(len(self.input.text()))

    def _dictation_heard(self, text: str, latency_ms: float) -> None:
        self.last_dictation_ms = latency_ms
        text = text.strip()
        if not text:
            self.input.setText(self._dictation_prefix.rstrip())
            self.statusBar().showMessage("Sorry, I did not catch that.", 6000)
            return
        self.input.setText(self._dictation_prefix + text)
        self.input.setCursorPosition(len(self.input.text()))
        self.dictated.emit(text, latency_ms)
        if self.settings.send_dictation or self._dictation_mode == "handsfree":
            self.send()
        else:
            self.input.setFocus()
            self._schedule_suggestions()
        self._dictation_prefix = ""

    # -- timers ------------------------------------------------------------------------------------
    def check_timers(self) -> None:
        if self._checking_timers:
            return
        self._checking_timers = True

        def done(found) -> None:
            self._checking_timers = False
            timers, reminders = found
            self.announce_timers(timers)
            self.announce_reminders(reminders)

        def failed(exc: BaseException) -> None:
            self._checking_timers = False
            logger.warning("timer check failed: %s", exc)

        self.worker.run(lambda ctx: (self.session.due_timers(), self.session.due_reminders()), success=done,
                        failure=failed, name="timers")

    def announce_timers(self, timers) -> None:
        """A finished timer becomes an assistant message (kept in the history), a beep and a taskbar alert."""
        for timer in timers:
            text = f"Time's up: your {timer.label()} is done."
            msg = self.history.add("assistant", text, skill="timer")
            line = ChatLine("assistant", msg.text, msg.created, skill="timer")
            self.transcript.add(line, follow=True)
            self.statusBar().showMessage(text, 15_000)
        if timers:
            QApplication.beep()
            QApplication.alert(self)

    def announce_reminders(self, due) -> None:
        """A due reminder or alarm (or one missed while the app was closed) becomes an assistant message
        (kept in the history), a beep and a taskbar alert, like a finished timer."""
        for item in due:
            text = item.announcement()
            msg = self.history.add("assistant", text, skill="reminder")
            self.transcript.add(ChatLine("assistant", msg.text, msg.created, skill="reminder"), follow=True)
            self.statusBar().showMessage(text, 15_000)
            self.reminder_announced.emit(text)
        if due:
            QApplication.beep()
            QApplication.alert(self)

    # -- suggestions -------------------------------------------------------------------------------
    def _schedule_suggestions(self, _text: str = "") -> None:
        self._suggest_timer.start()

    def _cursor_moved(self, old: int, new: int) -> None:
        if self.input.hasFocus() and self.input.text()[:new] != self._suggest_for:
            self._suggest_timer.start()

    def request_suggestions(self) -> None:
        if not self.settings.show_suggestions:
            return
        before = self.input.text()[: self.input.cursorPosition()]
        self._suggest_for = before
        previous = self.transcript.last_message()

        def op(ctx):
            return before, self.session.suggest(before, k=3, previous=previous)

        self.worker.run(op, success=self._on_suggestions, failure=lambda exc: self._on_suggest_failed(before, exc),
                        key="suggest", name="autocomplete")

    def _on_suggestions(self, result) -> None:
        before, suggestions = result
        if before != self.input.text()[: self.input.cursorPosition()]:
            return  # typed on since: a newer request is on its way
        error = getattr(suggestions, "error", None)
        words = list(getattr(suggestions, "words", []) or [])
        self._completing = str(getattr(suggestions, "completing", "") or "")
        self._suggestions = suggestions
        self.suggested_for = before
        self.suggestions.set_words(words, f"Suggestions unavailable: {error}" if error and not words else "")
        self.suggestions_shown.emit(words)

    def _on_suggest_failed(self, before: str, exc: BaseException) -> None:
        note = AUTOCOMPLETE_NOTE if isinstance(exc, ModelUnavailable) else f"Suggestions failed: {exc}"
        self.suggestions.set_words([], note)
        self.suggested_for = before
        self.suggestions_shown.emit([])

    def accept_suggestion(self, index: int) -> None:
        words = self.suggestions.words
        if not 0 <= index < len(words):
            return
        word = words[index]
        text, cursor = self.input.text(), self.input.cursorPosition()
        before, after = text[:cursor], text[cursor:]
        apply = getattr(self._suggestions, "apply", None)
        if apply is not None:  # core's rule: replace the partial word, one space after the word
            new_before = apply(before, word)
        else:
            partial = self._completing
            if partial and before.lower().endswith(partial.lower()):
                before = before[: len(before) - len(partial)]
            elif before and not before[-1].isspace() and _is_word_char(word[:1]):
                before += " "
            new_before = before + word + " "
        if after.startswith(" ") and new_before.endswith(" "):
            new_before = new_before[:-1]
        self.input.setText(new_before + after)
        self.input.setCursorPosition(len(new_before))
        self.input.setFocus()
        self.suggestions.set_words([])
        self._completing = ""
        self._suggestions = None
        self.suggested_for = None
        self.request_suggestions()

    # -- dialogs -----------------------------------------------------------------------------------
    def open_settings(self) -> None:
        from assistant.ui.settings_dialog import SettingsDialog

        if self._settings_dialog is None:
            self._settings_dialog = SettingsDialog(self)
            self._settings_dialog.finished.connect(self._dialog_closed)
        self._settings_dialog.refresh()
        self._settings_dialog.open()
        self._settings_dialog.raise_()
        self._settings_dialog.activateWindow()

    def _dialog_closed(self, _result: int) -> None:
        self.activateWindow()
        self.input.setFocus()

    @property
    def settings_dialog(self):
        return self._settings_dialog

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt name
        try:
            self._window_settings().setValue("main/geometry", self.saveGeometry())
        except Exception as exc:  # geometry is a nicety
            logger.debug("could not save window geometry: %s", exc)
        self._timer_check.stop()
        QApplication.instance().removeEventFilter(self)
        self.voice.shutdown()
        self.speaker.stop()
        if self.calibration_task is not None:
            self.calibration_task.request_cancel()
        if self._settings_dialog is not None:
            self._settings_dialog.shutdown()
            self._settings_dialog.close()
        self.worker.shutdown()
        self.history.close()
        super().closeEvent(event)


AUTOCOMPLETE_NOTE = "Suggestions are unavailable: the autocomplete model is not loaded (see the notice above)"


def _float(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _is_word_char(ch: str) -> bool:
    return bool(ch) and (ch.isalnum() or ch in "'")
