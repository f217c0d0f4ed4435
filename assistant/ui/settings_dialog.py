"""Settings: models and precision (the measured trade-off of every variant), hardware, about.

Everything shown is read from the catalog (the factory's manifest), the policy's decisions, the last
`bench` results on this machine and the live session; collecting it runs in the Worker. Changing a
model's precision saves the settings and switches the live model at once (MainWindow does both).
"""

from __future__ import annotations

import datetime as _dt
import logging
import platform
import sys
import threading
from dataclasses import dataclass, field
from importlib import metadata

from PySide6.QtCharts import QChart, QChartView, QScatterSeries, QValueAxis
from PySide6.QtCore import QMargins, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from assistant import APP_NAME, __version__
from assistant.core import fileio, paths
from assistant.core.catalog import PRECISION_WORDS, PRECISIONS, Catalog, ModelInfo
from assistant.ui.session import LIVE_MODELS, SessionState
from assistant.ui.theme import current_colors

logger = logging.getLogger(__name__)

PAGES = ("Models and precision", "Hardware", "About")
STATUS_CHARS = 48  # longer reasons (converter errors) are cut in the table and shown whole in the tooltip
COLUMNS = ("Precision", "Status", "Size", "Latency p50", "{metric}", "\u0394 vs fp32", "Agreement", "Active")
# Distinct, colour-blind-friendly hues (Okabe-Ito) for the precisions in the chart.
PRECISION_COLORS = {
    "fp32": "#0072B2", "fp16": "#56B4E9", "dynamic": "#009E73", "int8": "#D55E00",
    "int16x8": "#CC79A7", "mixed": "#E69F00",
}


# -- the data behind the pages (collected off the GUI thread) -------------------------------------
@dataclass
class BenchInfo:
    rows: dict[tuple[str, str], object] = field(default_factory=dict)  # (model, precision) -> BenchRow
    measured: str = ""  # when, in words ("" = never on this machine)


@dataclass
class ModelsView:
    catalog: Catalog
    checks: dict[tuple[str, str], tuple[bool, str]]
    decisions: dict[str, object]  # model -> policy.Decision
    decision_error: str
    bench: BenchInfo
    state: SessionState


def collect_models_view(session, settings) -> ModelsView:
    """Catalog, checks, policy decisions and last bench results. Runs in the worker (hashes files)."""
    catalog = session.catalog if session.catalog is not None else Catalog.load()
    checks = {}
    for name, info in catalog.models.items():
        for v in info.shipped():
            result = catalog.check(name, v.precision)
            checks[(name, v.precision)] = (result.ok, result.reason)
    decisions: dict[str, object] = {}
    decision_error = ""
    try:
        from assistant.core import policy

        decisions = dict(policy.select_all(catalog=catalog, settings=settings))
    except Exception as exc:  # no hardware module, unreadable profile: the table still shows the facts
        decision_error = f"The precision policy is unavailable: {exc}"
        logger.warning("%s", decision_error)
    return ModelsView(catalog, checks, decisions, decision_error, load_bench(), session.state())


def load_bench() -> BenchInfo:
    try:
        from assistant.core import bench
    except ImportError as exc:
        logger.warning("benchmark module unavailable: %s", exc)
        return BenchInfo()
    rows = bench.load_results()
    info = BenchInfo({(r.model, r.precision): r for r in rows})
    if rows:
        try:
            stamp = bench.results_path().stat().st_mtime
            info.measured = _dt.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")
        except OSError:
            info.measured = "earlier"
    return info


def collect_hardware() -> list[str]:
    try:
        from assistant.core.hardware import detect
    except ImportError as exc:
        return [f"Hardware detection is not part of this build ({exc})."]
    return list(detect().describe())


# -- formatting ------------------------------------------------------------------------------------
def human_bytes(n: int | None) -> str:
    return fileio.human_bytes(n, none="\u2013")


def is_fraction_metric(info: ModelInfo) -> bool:
    values = [info.metric_value(p) for p in info.variants]
    values = [v for v in values if v is not None]
    return bool(values) and all(0.0 <= v <= 1.0 for v in values) and info.metric.tolerance <= 1


def format_metric(info: ModelInfo, value: float | None) -> str:
    if value is None:
        return "\u2013"
    return f"{value * 100:.2f}%" if is_fraction_metric(info) else f"{value:.4g}"


def format_delta(info: ModelInfo, precision: str) -> tuple[str, float | None]:
    """Change of the task metric from fp32, as text, and the loss (positive = worse)."""
    if precision == "fp32":
        return "reference", 0.0
    ref, value = info.metric_value("fp32"), info.metric_value(precision)
    if ref is None or value is None:
        return "\u2013", None
    diff = value - ref
    loss = info.metric_loss(precision)
    text = f"{diff * 100:+.2f} pt" if is_fraction_metric(info) else f"{diff:+.4g}"
    return text.replace("-", "\u2212"), loss


def format_agreement(agreement: dict[str, float], precision: str) -> str:
    if precision == "fp32" and not agreement:
        return "reference"
    if "top1" in agreement:
        return f"{agreement['top1'] * 100:.1f}% top-1"
    if "cosine" in agreement:
        return f"cos {agreement['cosine']:.4f}"
    if agreement:
        key, value = next(iter(agreement.items()))
        return f"{key} {value:.4g}"
    return "\u2013"


def tick_label_format(lo: float, hi: float, ticks: int) -> str:
    """printf format with just enough decimals to tell neighbouring ticks apart.

    A fixed "%.3g" printed 34.65 and 34.70 both as "34.7" when the precisions' quality is that close.
    """
    step = (hi - lo) / max(1, ticks - 1)
    if step <= 0:
        return "%.3g"
    for decimals in range(7):
        if abs(round(step, decimals) - step) <= step * 1e-6:
            return f"%.{decimals}f"
    return "%.3g"


def latency_of(info: ModelInfo, precision: str, bench: BenchInfo) -> tuple[float | None, str]:
    """p50 at one thread: this machine's last bench if there is one, else the factory's number."""
    row = bench.rows.get((info.name, precision))
    if row is not None and getattr(row, "p50_1t", None) is not None:
        return float(row.p50_1t), "this machine"
    value = info.variants[precision].latency_ms.get("p50_1t") if precision in info.variants else None
    return (float(value), "factory") if value is not None else (None, "")


# -- the per-model panel ---------------------------------------------------------------------------
class ModelPanel(QWidget):
    """One model: the precision choice, the table of variants and the latency/quality chart."""

    precision_chosen = Signal(str, object)  # model, precision or None (= Auto)

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = name
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)

        top = QHBoxLayout()
        self.title = QLabel(name)
        self.title.setObjectName("SectionTitle")
        top.addWidget(self.title)
        top.addStretch(1)
        label = QLabel("&Precision:")
        self.combo = QComboBox()
        self.combo.setAccessibleName(f"{name} precision")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        label.setBuddy(self.combo)
        self.combo.activated.connect(self._chosen)
        top.addWidget(label)
        top.addWidget(self.combo)
        layout.addLayout(top)

        self.why = QLabel()
        self.why.setObjectName("Muted")
        self.why.setWordWrap(True)
        self.why.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.why)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName(f"{name} precisions")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)  # long reasons: full text in the tooltip
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout.addWidget(self.table)

        self.caption = QLabel()
        self.caption.setObjectName("Caption")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)

        self.chart = QChart()
        self.chart.setMargins(QMargins(4, 4, 4, 4))
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)
        self.chart.setBackgroundRoundness(6)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(240)
        self.chart_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.chart_view.setAccessibleName(f"{name}: latency against quality")
        layout.addWidget(self.chart_view, 1)
        self.series: dict[str, QScatterSeries] = {}

    def _chosen(self, index: int) -> None:
        value = self.combo.itemData(index)
        self.precision_chosen.emit(self.name, value)

    def select_choice(self, precision: str | None) -> None:
        index = self.combo.findData(precision)
        if index >= 0 and index != self.combo.currentIndex():
            self.combo.setCurrentIndex(index)
            self._chosen(index)

    def update_view(self, view: ModelsView, override: str | None) -> None:
        info = view.catalog.models[self.name]
        decision = view.decisions.get(self.name)
        live = self.name in LIVE_MODELS
        active = view.state.active.get(self.name) if live else getattr(decision, "precision", None)
        reason = (view.state.reasons.get(self.name) if live else None) or getattr(decision, "reason", "")
        auto_pick = ""
        if decision is not None and getattr(decision, "source", "") != "override":
            auto_pick = decision.precision
        self.title.setText(f"{self.name} \u2014 {info.task}")
        self.title.setToolTip(info.architecture)

        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem("Auto" + (f" ({auto_pick})" if auto_pick else ""), None)
        for v in info.shipped():
            self.combo.addItem(f"{v.precision} \u2014 {PRECISION_WORDS.get(v.precision, '')}", v.precision)
        index = self.combo.findData(override) if override else 0
        self.combo.setCurrentIndex(max(0, index))
        self.combo.blockSignals(False)

        if live and self.name in view.state.problems and not active:
            self.why.setText(view.state.problems[self.name])
        elif active:
            where = "" if live else " (used when this model starts)"
            why = reason[len(active) + 1:].strip() if reason.startswith(f"{active}:") else reason
            self.why.setText(f"Active: {active}{where} \u2014 {why}" if why else f"Active: {active}{where}")
        else:
            self.why.setText(reason or view.decision_error or "No usable variant.")

        self._fill_table(info, view, active, reason)
        self._fill_chart(info, view, active)

    def _fill_table(self, info: ModelInfo, view: ModelsView, active: str | None, reason: str) -> None:
        colors = current_colors()
        headers = [c.format(metric=info.metric.name.replace("_", " ")) for c in COLUMNS]
        self.table.setHorizontalHeaderLabels(headers)
        self.table.horizontalHeaderItem(3).setToolTip("Median time of one model call at one thread, in ms")
        self.table.horizontalHeaderItem(5).setToolTip(
            f"Change of {info.metric.name} from fp32; the policy accepts a loss up to {info.metric.tolerance:g}"
        )
        order = {p: i for i, p in enumerate(PRECISIONS)}
        variants = sorted(info.variants.values(), key=lambda v: order.get(v.precision, 99))
        self.table.setRowCount(len(variants))
        sources = set()
        for row, v in enumerate(variants):
            ok, why = view.checks.get((info.name, v.precision), (v.shipped, v.reason))
            if v.shipped and ok:
                status, tip = "shipped", "file present and checksum verified"
            elif v.shipped:
                status, tip = f"damaged: {why}", why
            else:
                status, tip = f"{v.status}: {v.reason}" if v.reason else v.status, v.reason
            if len(status) > STATUS_CHARS:
                status = status[: STATUS_CHARS - 1].rstrip() + "\u2026"
            latency, source = latency_of(info, v.precision, view.bench) if v.shipped else (None, "")
            if source:
                sources.add(source)
            delta, loss = format_delta(info, v.precision) if v.shipped else ("\u2013", None)
            is_active = v.precision == active
            cells = [
                v.precision,
                status,
                human_bytes(v.bytes) if v.shipped else "\u2013",
                f"{latency:.3f} ms" + ("" if source == "this machine" else " *") if latency is not None else "\u2013",
                format_metric(info, info.metric_value(v.precision)) if v.shipped else "\u2013",
                delta,
                format_agreement(v.agreement, v.precision) if v.shipped else "\u2013",
                "\u25cf active" if is_active else "",
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col in (2, 3, 4, 5, 6):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if col == 0:
                    item.setToolTip(PRECISION_WORDS.get(v.precision, v.precision))
                elif col == 1:
                    item.setToolTip(tip)
                elif col == 3 and source:
                    item.setToolTip(f"p50 at 1 thread, measured {'on this machine' if source == 'this machine' else 'by the factory'}")
                elif col == 7 and is_active:
                    item.setToolTip(reason)
                if not (v.shipped and ok):
                    item.setForeground(QColor(colors["muted"] if not v.shipped else colors["danger"]))
                if col == 5 and loss is not None and loss > info.metric.tolerance + 1e-12:
                    item.setForeground(QColor(colors["danger"]))
                    item.setToolTip(f"loses more than the tolerance ({info.metric.tolerance:g})")
                if is_active:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                    if col == 7:
                        item.setForeground(QColor(colors["ok"]))
                self.table.setItem(row, col, item)
        height = self.table.horizontalHeader().height() + 2 * self.table.frameWidth() + 2
        height += sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setFixedHeight(height)
        notes = []
        if "this machine" in sources:
            notes.append(f"Latency measured on this machine ({view.bench.measured}).")
        if "factory" in sources:
            notes.append("* measured by the factory; \u201cMeasure on this machine\u201d replaces it.")
        notes.append(f"Quality: {info.metric.name} on held-out data. Agreement: same output as fp32.")
        self.caption.setText(" ".join(notes))

    def _fill_chart(self, info: ModelInfo, view: ModelsView, active: str | None) -> None:
        colors = current_colors()
        chart = self.chart
        chart.removeAllSeries()
        for axis in list(chart.axes()):
            chart.removeAxis(axis)
        chart.setBackgroundBrush(QColor(colors["surface"]))
        chart.setPlotAreaBackgroundVisible(False)
        chart.legend().setLabelColor(QColor(colors["text"]))
        chart.setTitleBrush(QColor(colors["text"]))
        chart.setTitle(f"Latency against {info.metric.name.replace('_', ' ')} (up and left is better)"
                       if info.metric.higher_is_better else f"Latency against {info.metric.name}")
        xs, ys = [], []
        self.series = {}
        scale = 100.0 if is_fraction_metric(info) else 1.0
        for v in info.shipped():
            latency, _source = latency_of(info, v.precision, view.bench)
            quality = info.metric_value(v.precision)
            if latency is None or quality is None:
                continue
            series = QScatterSeries()
            series.setName(v.precision + ("  (active)" if v.precision == active else ""))
            series.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeCircle)
            series.setMarkerSize(16.0 if v.precision == active else 11.0)
            color = QColor(PRECISION_COLORS.get(v.precision, colors["accent"]))
            series.setColor(color)
            series.setBorderColor(QColor(colors["text"]) if v.precision == active else color)
            series.append(QPointF(latency, quality * scale))
            chart.addSeries(series)
            self.series[v.precision] = series
            xs.append(latency)
            ys.append(quality * scale)
        axis_x, axis_y = QValueAxis(), QValueAxis()
        axis_x.setTitleText("p50 latency, ms (1 thread)")
        axis_y.setTitleText(info.metric.name.replace("_", " ") + (" (%)" if scale == 100.0 else ""))
        if xs:
            lo, hi = min(xs), max(xs)
            pad = (hi - lo) * 0.15 or max(hi * 0.2, 0.01)
            axis_x.setRange(max(0.0, lo - pad), hi + pad)
            lo, hi = min(ys), max(ys)
            pad = (hi - lo) * 0.25 or max(abs(hi) * 0.01, 0.1)
            axis_y.setRange(lo - pad, hi + pad)
            axis_x.applyNiceNumbers()
            axis_y.applyNiceNumbers()
        for axis in (axis_x, axis_y):
            axis.setLabelsColor(QColor(colors["muted"]))
            axis.setTitleBrush(QColor(colors["muted"]))
            axis.setGridLineColor(QColor(colors["border"]))
            axis.setLinePenColor(QColor(colors["border"]))
            axis.setLabelFormat(tick_label_format(axis.min(), axis.max(), axis.tickCount()))
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        for series in self.series.values():
            series.attachAxis(axis_x)
            series.attachAxis(axis_y)
        chart.legend().setVisible(bool(self.series))


# -- pages -----------------------------------------------------------------------------------------
class ModelsPage(QWidget):
    def __init__(self, dialog: SettingsDialog):
        super().__init__()
        self.dialog = dialog
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        top = QHBoxLayout()
        title = QLabel("Models and precision")
        title.setObjectName("PageTitle")
        top.addWidget(title)
        top.addStretch(1)
        self.bench_label = QLabel()
        self.bench_label.setObjectName("Muted")
        top.addWidget(self.bench_label)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v / %m")
        self.progress.setFixedWidth(160)
        self.progress.hide()
        top.addWidget(self.progress)
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.setToolTip("Stop measuring after the variant being timed")
        self.cancel_button.clicked.connect(dialog.cancel_benchmark)
        self.cancel_button.hide()
        top.addWidget(self.cancel_button)
        self.measure_button = QPushButton("&Measure on this machine")
        self.measure_button.setObjectName("Primary")
        self.measure_button.setToolTip("Time every variant here (one thread and all threads); takes a minute")
        self.measure_button.clicked.connect(dialog.start_benchmark)
        self.measure_button.ensurePolished()
        self.measure_button.setMinimumWidth(self.measure_button.sizeHint().width())
        top.addWidget(self.measure_button)
        layout.addLayout(top)
        intro = QLabel("Each model ships in several precisions: what each costs and keeps. "
                       "Auto lets the policy choose for this hardware; a change applies at once.")
        intro.setObjectName("Muted")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.notice = QLabel()
        self.notice.setObjectName("Banner")
        self.notice.setWordWrap(True)
        self.notice.setContentsMargins(10, 6, 10, 6)
        self.notice.hide()
        layout.addWidget(self.notice)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.panels: dict[str, ModelPanel] = {}

    def update_view(self, view: ModelsView, overrides: dict[str, str]) -> None:
        notes = list(view.catalog.problems)
        if view.decision_error:
            notes.append(view.decision_error)
        notes += [msg for key, msg in view.state.problems.items() if key != "catalog"]
        self.notice.setText("\n".join(dict.fromkeys(notes)))
        self.notice.setVisible(bool(notes))
        current = self.tabs.tabText(self.tabs.currentIndex()) if self.tabs.count() else ""
        names = sorted(view.catalog.models, key=lambda n: (n not in LIVE_MODELS, n))
        if list(self.panels) != names or not self.tabs.count():
            self.tabs.clear()
            for panel in self.panels.values():
                panel.deleteLater()
            self.panels = {}
            for name in names:
                panel = ModelPanel(name)
                panel.precision_chosen.connect(self.dialog.choose_precision)
                self.panels[name] = panel
                scroll = QScrollArea()  # short screens (1366x768) scroll instead of squeezing the table
                scroll.setWidgetResizable(True)
                scroll.setFrameShape(QScrollArea.Shape.NoFrame)
                scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
                scroll.setWidget(panel)
                self.tabs.addTab(scroll, name)
            if not names:
                empty = QLabel("No models are installed, so there is nothing to compare.\n"
                               f"Models folder: {paths.models_dir()}")
                empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
                empty.setWordWrap(True)
                self.tabs.addTab(empty, "No models")
        for name, panel in self.panels.items():
            panel.update_view(view, overrides.get(name))
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i) == current:
                self.tabs.setCurrentIndex(i)
        self.measure_button.setEnabled(bool(view.catalog.models) and not self.progress.isVisible())
        if view.bench.measured and not self.progress.isVisible():
            self.bench_label.setText(f"Last measured on this machine: {view.bench.measured}")


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
        card, self.profile = _card_label("Detecting\u2026")
        self.profile.setAccessibleName("Hardware profile")
        layout.addWidget(card)
        heading = QLabel("Precision chosen for each model (Auto)")
        heading.setObjectName("SectionTitle")
        layout.addWidget(heading)
        card, self.choices = _card_label("\u2013")
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


def _card_label(text: str) -> tuple[QFrame, QLabel]:
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


class AboutPage(QWidget):
    def __init__(self, dialog: SettingsDialog):
        super().__init__()
        self.dialog = dialog
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
        self.clear_button.clicked.connect(dialog.confirm_clear)
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
    from assistant.core.history import DB_NAME
    from assistant.core.storage import db_path

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


# -- the dialog ------------------------------------------------------------------------------------
class SettingsDialog(QDialog):
    """Settings of the main window `main` (its worker, session and settings). Esc closes it."""

    view_updated = Signal(object)  # ModelsView
    bench_finished = Signal(object)  # list of BenchRow, or an exception

    def __init__(self, main):
        super().__init__(main)
        self.main = main
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
        self.models_page = ModelsPage(self)
        self.hardware_page = HardwarePage()
        self.about_page = AboutPage(self)
        for page in (self.models_page, self.hardware_page, self.about_page):
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

        def op(ctx):
            from assistant.core import bench

            cat = catalog if catalog is not None else Catalog.load()
            rows = bench.bench_all(cat, progress=ctx.progress, cancel=ctx.cancel)
            if ctx.cancel.is_set():
                return rows, None
            return rows, bench.save_results(rows)

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
        self.bench_finished.emit(rows)
        self.refresh()

    def _bench_failed(self, exc: BaseException) -> None:
        self._bench_finish_ui()
        self.models_page.bench_label.setText(f"Measuring failed: {exc}")
        self.bench_finished.emit(exc)

    def shutdown(self) -> None:
        if self.bench_task is not None:
            self.bench_task.request_cancel()

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
