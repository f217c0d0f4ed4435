"""The settings dialog on a real (tiny) catalog: the digits fixture model in five precisions."""

from __future__ import annotations

import json
import threading
import time

import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from assistant.core.appdata import paths
from assistant.ui.settings_dialog import tick_label_format


def open_settings(qtbot, window):
    qtbot.keyClick(window.input, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible(), "Ctrl+, should open the settings"
    qtbot.waitUntil(lambda: dialog.view is not None and "digits" in dialog.models_page.panels, timeout=20_000)
    return dialog


def test_models_page_shows_every_precision_with_measured_facts(qtbot, make_window, models_dir):
    window = make_window()
    dialog = open_settings(qtbot, window)
    panel = dialog.models_page.panels["digits"]
    table = panel.table
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())}
    assert set(rows) == {"fp32", "fp16", "dynamic", "int8", "int16x8"}
    manifest = json.loads((models_dir / "manifest.json").read_text())["models"]["digits"]["variants"]
    for precision, cells in rows.items():
        assert cells[1] == "shipped"
        assert cells[2].endswith(("kB", "MB", "B"))
        acc = manifest[precision]["quality"]["accuracy"]
        assert cells[4] == f"{acc * 100:.2f}%"  # the manifest's measured quality, as a percentage
        assert cells[3].endswith("ms *")  # factory latency until measured here
    assert rows["fp32"][5] == "reference"
    active = [p for p, cells in rows.items() if cells[7]]
    decision = dialog.view.decisions["digits"]
    assert active == [decision.precision]  # not a live model: the policy's choice is shown as active
    assert decision.reason and decision.reason.split(": ", 1)[-1] in panel.why.text()
    assert panel.why.text().startswith(f"Active: {decision.precision}")
    assert set(panel.series) == set(rows)  # one chart point per shipped precision
    assert panel.series[decision.precision].markerSize() > panel.series["fp32" if decision.precision != "fp32" else "fp16"].markerSize()


@pytest.mark.parametrize(("lo", "hi", "ticks", "labels"), [
    (34.55, 34.70, 4, ["34.55", "34.60", "34.65", "34.70"]),  # int8/fp32 top-3 within 0.1 pt
    (0.0, 0.5, 6, ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5"]),
    (0.0, 0.75, 4, ["0.00", "0.25", "0.50", "0.75"]),
    (80.0, 95.0, 4, ["80", "85", "90", "95"]),
])
def test_chart_tick_labels_are_distinct(lo, hi, ticks, labels):
    fmt = tick_label_format(lo, hi, ticks)
    assert [fmt % (lo + i * (hi - lo) / (ticks - 1)) for i in range(ticks)] == labels


def test_fixed_precision_is_saved_and_auto_removes_it(qtbot, make_window, models_dir):
    window = make_window()
    dialog = open_settings(qtbot, window)
    panel = dialog.models_page.panels["digits"]
    panel.select_choice("fp16")
    qtbot.waitUntil(lambda: window.settings.precision_overrides.get("digits") == "fp16", timeout=5000)
    saved = json.loads(paths.settings_path().read_text())
    assert saved["precision_overrides"] == {"digits": "fp16"}
    qtbot.waitUntil(lambda: dialog.view.decisions["digits"].precision == "fp16", timeout=10_000)
    assert "chosen in settings" in dialog.view.decisions["digits"].reason
    panel.select_choice(None)
    qtbot.waitUntil(lambda: "digits" not in window.settings.precision_overrides, timeout=5000)
    assert json.loads(paths.settings_path().read_text())["precision_overrides"] == {}


def test_benchmark_runs_in_background_without_stalling_and_updates_table(qtbot, make_window, models_dir,
                                                                       monkeypatch):
    from assistant.core.inference import bench

    real = bench.measure_variant
    threads = []

    def measure(path, runs=200, warmup=20):
        threads.append(threading.current_thread() is threading.main_thread())
        # The fixture model is tiny: repeat the measurement for 0.6 s per variant on any machine, like
        # real models; run on the GUI thread, that would freeze the window for 0.6 s per variant.
        deadline = time.perf_counter() + 0.6
        result = real(path, runs, warmup)
        while time.perf_counter() < deadline:
            result = real(path, runs, warmup)
        return result

    monkeypatch.setattr(bench, "measure_variant", measure)
    window = make_window()
    dialog = open_settings(qtbot, window)
    gaps = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick():
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    progress_values = []
    dialog.models_page.progress.valueChanged.connect(progress_values.append)
    started = time.perf_counter()
    with qtbot.waitSignal(dialog.bench_finished, timeout=180_000) as blocker:
        qtbot.mouseClick(dialog.models_page.measure_button, Qt.MouseButton.LeftButton)
        assert dialog.models_page.progress.isVisible() and dialog.models_page.cancel_button.isVisible()
    elapsed = time.perf_counter() - started
    timer.stop()
    rows = blocker.args[0]
    assert isinstance(rows, list) and {r.precision for r in rows} == {"fp32", "fp16", "dynamic", "int8", "int16x8"}
    assert all(r.p50_1t is not None and not r.error for r in rows)
    stalls = sorted(g for g in gaps if g > 300)
    print(f"benchmark {elapsed:.2f} s, {len(gaps)} ticks of 10 ms, worst gaps {sorted(gaps)[-3:]} ms")
    assert threads and not any(threads), "the benchmark ran on the GUI thread"
    assert elapsed > 2.0, "the benchmark was too short to show anything about the event loop"
    assert len(gaps) > elapsed * 20, f"the timer ticked only {len(gaps)} times in {elapsed:.1f} s"
    # No stall over 300 ms. One is forgiven (a shared 2-core CI machine can deschedule the process
    # once), but only if it stays far below the second per variant a GUI-thread benchmark would cost.
    assert len(stalls) <= 1 and max(gaps) < 600, f"event loop stalled {stalls} ms while benchmarking"
    assert max(progress_values) >= 4
    qtbot.waitUntil(lambda: "Latency measured on this machine" in dialog.models_page.panels["digits"].caption.text(), timeout=10_000)
    table = dialog.models_page.panels["digits"].table
    latencies = [table.item(r, 3).text() for r in range(table.rowCount())]
    assert all(t.endswith(" ms") and not t.endswith("*") for t in latencies)
    measured = {r.precision: r.p50_1t for r in rows}
    first = table.item(0, 0).text()
    assert latencies[0] == f"{measured[first]:.3f} ms"
    assert not dialog.models_page.progress.isVisible()


def test_benchmark_can_be_cancelled(qtbot, make_window, models_dir, monkeypatch):
    from assistant.core.inference import bench

    real = bench.measure_variant
    entered = threading.Event()

    def slow_measure(path, runs=200, warmup=20):
        entered.set()
        return real(path, runs=runs, warmup=warmup)

    monkeypatch.setattr(bench, "measure_variant", slow_measure)
    window = make_window()
    dialog = open_settings(qtbot, window)
    with qtbot.waitSignal(dialog.bench_finished, timeout=120_000) as blocker:
        dialog.models_page.measure_button.click()
        assert entered.wait(30)
        qtbot.mouseClick(dialog.models_page.cancel_button, Qt.MouseButton.LeftButton)
    rows = blocker.args[0]
    assert len(rows) < 5, "cancel should stop before every variant was timed"
    assert "cancelled" in dialog.models_page.bench_label.text()
    assert not bench.results_path().exists()


def test_hardware_and_about_pages(qtbot, make_window, models_dir):
    window = make_window()
    dialog = open_settings(qtbot, window)
    qtbot.keyClick(dialog, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert dialog.stack.currentWidget() is dialog.hardware_page
    qtbot.waitUntil(lambda: "Detecting" not in dialog.hardware_page.text(), timeout=10_000)
    from assistant.core.inference.hardware import detect

    text = dialog.hardware_page.text()
    assert detect().describe()[0] in text
    qtbot.keyClick(dialog, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert dialog.stack.currentWidget() is dialog.about_page
    labels = " ".join(w.text() for w in dialog.about_page.findChildren(type(dialog.about_page.clear_status)))
    assert str(paths.data_dir()) in labels and str(paths.settings_path()) in labels
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_clear_personal_data_asks_first(qtbot, make_window, models_dir):
    from assistant.core.text.personal import PersonalModel

    layer = PersonalModel()
    layer.learn("my secret plans for tomorrow")
    assert layer.size() > 0
    layer.close()
    window = make_window()
    window.history.add("user", "my secret plans")
    dialog = open_settings(qtbot, window)
    dialog.show_page(2)

    def answer(button):
        box = dialog._confirm_box
        qtbot.waitUntil(box.isVisible)
        box.button(button).click()

    dialog.about_page.clear_button.click()
    answer(QMessageBox.StandardButton.Cancel)
    assert window.history.count() == 1
    kept = PersonalModel()
    assert kept.size() > 0, "Cancel must keep the personal words"
    kept.close()
    dialog.about_page.clear_button.click()
    with qtbot.waitSignal(window.history_cleared, timeout=10_000):
        answer(QMessageBox.StandardButton.Yes)
    assert window.history.count() == 0
    assert window.transcript.bubbles == []
    again = PersonalModel()
    assert again.size() == 0, "the personal autocomplete words must be gone too"
    again.close()


def test_start_up_calibration_runs_off_the_gui_thread_and_auto_follows_it(qtbot, make_window, models_dir, monkeypatch):
    """First start: every quality-keeping variant is timed on the bench lane (never on the GUI thread),
    the timings are cached, the panel says they were measured here, and the next start times nothing."""
    from assistant.core.inference import calibration
    from assistant.core.inference.hardware import current_profile

    threads = []
    real_run = calibration.run

    def recording_run(*args, **kwargs):
        threads.append(threading.current_thread())
        return real_run(*args, **kwargs)

    monkeypatch.setattr(calibration, "run", recording_run)
    window = make_window(calibrate_on_start=True)
    qtbot.waitUntil(lambda: bool(threads) and window.calibration_task is None, timeout=30_000)
    assert all(t is not threading.main_thread() for t in threads)
    cached = calibration.load(current_profile(), window.session.catalog)
    assert set(cached["digits"]) == {"fp32", "fp16", "dynamic", "int8"}
    dialog = open_settings(qtbot, window)
    qtbot.waitUntil(lambda: dialog.view.decisions["digits"].source == "calibration", timeout=10_000)
    panel = dialog.models_page.panels["digits"]
    qtbot.waitUntil(lambda: "measured on this machine" in panel.why.text(), timeout=10_000)
    assert "quick calibration" in panel.caption.text()
    table = panel.table
    cells = {table.item(r, 0).text(): table.item(r, 3).text() for r in range(table.rowCount())}
    assert cells["dynamic"].endswith(" ms") and not cells["dynamic"].endswith("*")
    window.close()

    again = make_window()  # the same start-up step, started by hand so the test cannot miss its signal
    with qtbot.waitSignal(again.calibrated, timeout=30_000) as blocker:
        again.start_calibration()
    assert blocker.args[0] is None  # nothing pending: the cached timings are still valid
    assert len(threads) == 1
