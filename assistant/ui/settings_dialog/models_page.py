"""The "Models and precision" page: per model, the precision choice, the table of variants and the chart."""

from __future__ import annotations

import logging

from PySide6.QtCharts import QChart, QChartView, QScatterSeries, QValueAxis
from PySide6.QtCore import QMargins, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from assistant.core.appdata import paths
from assistant.core.inference import registry
from assistant.core.inference.catalog import PRECISION_COLORS, PRECISION_WORDS, PRECISIONS, ModelInfo
from assistant.ui.session import LIVE_MODELS
from assistant.ui.settings_dialog.data import ModelsView, latency_of
from assistant.ui.settings_dialog.formatting import (
    format_agreement,
    format_delta,
    format_metric,
    human_bytes,
    is_fraction_metric,
    tick_label_format,
)
from assistant.ui.theme import current_colors

logger = logging.getLogger(__name__)


STATUS_CHARS = 48  # longer reasons (converter errors) are cut in the table and shown whole in the tooltip
COLUMNS = ("Precision", "Status", "Size", "Latency p50", "{metric}", "\u0394 vs fp32", "Agreement", "Active")
# Distinct, colour-blind-friendly hues (Okabe-Ito) for the precisions in the chart.
LATENCY_SOURCES = {
    "this machine": "measured on this machine (Measure on this machine)",
    "calibration": "measured on this machine (the quick calibration Auto follows)",
    "factory": "factory figure (measured when the model was built)",
}



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
                f"{latency:.3f} ms" + (" *" if source == "factory" else "") if latency is not None else "\u2013",
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
                    item.setToolTip("p50 at 1 thread, " + LATENCY_SOURCES[source])
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
        if "calibration" in sources:
            when = f", {view.bench.calibration_measured}" if view.bench.calibration_measured else ""
            notes.append(f"Latency measured on this machine by the quick calibration that Auto follows{when}.")
        if "factory" in sources:
            notes.append("* factory figure, measured when the model was built; \u201cMeasure on this machine\u201d "
                         "replaces it.")
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
    """Every model's panel in a tab, the benchmark button with its progress, and catalog notices."""

    measure_requested = Signal()
    cancel_requested = Signal()
    precision_chosen = Signal(str, object)  # model, precision or None (= Auto)

    def __init__(self):
        super().__init__()
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
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.cancel_button.hide()
        top.addWidget(self.cancel_button)
        self.measure_button = QPushButton("&Measure on this machine")
        self.measure_button.setObjectName("Primary")
        self.measure_button.setToolTip("Time every variant here (one thread and all threads); takes a minute")
        self.measure_button.clicked.connect(self.measure_requested)
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
        names = registry.display_order(list(view.catalog.models))
        if list(self.panels) != names or not self.tabs.count():
            self.tabs.clear()
            for panel in self.panels.values():
                panel.deleteLater()
            self.panels = {}
            for name in names:
                panel = ModelPanel(name)
                panel.precision_chosen.connect(self.precision_chosen)
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
