"""Fast factory pieces that need no TensorFlow: verdicts, manifest locking, job isolation, registry, CLI."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from assistant.factory import manifest as mf
from assistant.factory import recipes
from assistant.factory.convert import Job, JobRunner, error_summary
from assistant.factory.recipes.base import MetricSpec
from assistant.factory.verify import agreement, judge, rejection_threshold
from assistant.factory.worker import CRASH_ENV

pytestmark = pytest.mark.factory

ACC = MetricSpec("accuracy", higher_is_better=True, tolerance=0.005)


def _probs(n=200, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, classes)) * 3
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_identical_outputs_ship():
    ref = _probs()
    agree = agreement([ref], [ref.copy()], ["probabilities"])
    assert agree.top1 == 1.0 and agree.max_abs_error == 0.0 and agree.cosine == pytest.approx(1.0)
    verdict = judge(ACC, {"accuracy": 0.9}, {"accuracy": 0.9}, agree, ["probabilities"])
    assert verdict.shipped and verdict.within_tolerance and verdict.loss == 0.0


def test_negated_logits_are_rejected_even_with_a_plausible_metric():
    ref = _probs()
    flipped = _probs()[:, ::-1]  # ranking reversed: every argmax moves
    agree = agreement([ref], [flipped], ["probabilities"])
    assert agree.top1 < 0.2
    verdict = judge(ACC, {"accuracy": 0.9}, {"accuracy": 0.9}, agree, ["probabilities"])
    assert not verdict.shipped and "top-1 agreement" in verdict.reason


def test_negated_embeddings_are_rejected_by_cosine():
    ref = np.random.default_rng(1).standard_normal((50, 128))
    agree = agreement([ref], [-ref], ["embedding"])
    assert agree.top1 is None and agree.cosine == pytest.approx(-1.0)
    verdict = judge(MetricSpec("tar", tolerance=0.01), {"tar": 0.9}, {"tar": 0.9}, agree, ["embedding"])
    assert not verdict.shipped and "cosine" in verdict.reason


def test_metric_loss_limits_in_both_directions():
    agree = agreement([_probs()], [_probs()], ["probabilities"])
    assert rejection_threshold(ACC) == 0.05  # max(5 x 0.005, 0.05)
    assert rejection_threshold(MetricSpec("x", tolerance=0.02)) == pytest.approx(0.1)
    ok = judge(ACC, {"accuracy": 0.87}, {"accuracy": 0.9}, agree, ["probabilities"])
    assert ok.shipped and not ok.within_tolerance and ok.loss == pytest.approx(0.03)
    bad = judge(ACC, {"accuracy": 0.84}, {"accuracy": 0.9}, agree, ["probabilities"])
    assert not bad.shipped and "accuracy loses 0.0600" in bad.reason
    perplexity = MetricSpec("perplexity", higher_is_better=False, tolerance=1.0)
    worse = judge(perplexity, {"perplexity": 56.0}, {"perplexity": 50.0}, agree, ["logits"])
    assert worse.shipped is False and worse.loss == pytest.approx(6.0)
    better = judge(perplexity, {"perplexity": 49.0}, {"perplexity": 50.0}, agree, ["logits"])
    assert better.shipped and better.within_tolerance


def test_nan_outputs_are_rejected():
    ref = _probs()
    bad = ref.copy()
    bad[3, 2] = np.nan
    agree = agreement([ref], [bad], ["probabilities"])
    verdict = judge(ACC, {"accuracy": 0.9}, {"accuracy": 0.9}, agree, ["probabilities"])
    assert not verdict.shipped and "NaN" in verdict.reason


def test_concurrent_manifest_updates_lose_nothing(tmp_path):
    """Two builders updating their own entries at the same time: every update survives."""
    rounds = 15

    def builder(name):
        for i in range(rounds):
            with mf.locked(tmp_path):
                def change(m, i=i):
                    entry = m["models"].setdefault(name, {"count": 0})
                    time.sleep(0.002)  # widen the read-modify-write window
                    entry["count"] = entry["count"] + 1
                mf.update(tmp_path, change)

    threads = [threading.Thread(target=builder, args=(n,)) for n in ("chatbot", "autocomplete")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    data = json.loads((tmp_path / "manifest.json").read_text())
    assert data["models"] == {"chatbot": {"count": rounds}, "autocomplete": {"count": rounds}}
    assert data["schema"] == 1 and data["generated"].endswith("Z")
    assert not list(tmp_path.glob(".manifest.json.*"))  # no temp files left behind


def test_damaged_manifest_is_kept_aside(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    assert mf.load(tmp_path)["models"] == {}
    assert (tmp_path / "manifest.json.damaged").read_text() == "{not json"


def test_error_summary_picks_the_error_lines():
    log = "\n".join([
        "W0000 00:00 something noisy",
        "Traceback (most recent call last):",
        '  File "x.py", line 3, in <module>',
        "    converter.convert()",
        "tensorflow.lite.python.convert_phase.ConverterError: <unknown>:0: error: 'tfl.lstm' op is not supported",
    ])
    summary = error_summary(log)
    assert "tfl.lstm" in summary and "W0000" not in summary and "converter.convert()" not in summary


def test_crashing_job_becomes_a_reason(tmp_path, monkeypatch):
    """A child that aborts is reported with its signal; the runner stays usable. (Spawned children here:
    the forking zygote is exercised by the sabotaged build in test_pipeline.py.)"""
    monkeypatch.setenv(CRASH_ENV, "int8")
    with JobRunner(tmp_path, isolation="spawn") as runner:
        job = Job("convert", "int8", str(tmp_path / "none.keras"), str(tmp_path / "none.npz"),
                  str(tmp_path / "x.tflite"), str(tmp_path / "x.log"), timeout=120)
        result = runner.run(job)
        assert not result.ok and "crashed (SIGABRT)" in result.reason and "simulated" in result.reason
        second = runner.run(Job("convert", "fp64", str(tmp_path / "none.keras"), str(tmp_path / "none.npz"),
                                str(tmp_path / "y.tflite"), str(tmp_path / "y.log"), timeout=120))
        assert not second.ok and "failed (exit 1)" in second.reason and "unknown precision 'fp64'" in second.reason


def test_registry_explains_missing_recipes(monkeypatch):
    assert {"chatbot", "autocomplete"} <= set(recipes.names())
    with pytest.raises(recipes.RecipeError, match="unknown model 'nope'"):
        recipes.get("nope")
    monkeypatch.setitem(recipes.KNOWN, "ghost", "assistant.factory.recipes.ghost:GhostRecipe")
    with pytest.raises(recipes.RecipeError, match="not there yet"):
        recipes.get("ghost")
    recipes.register("half", "assistant.factory.recipes.base:Recipe")  # abstract: incomplete
    try:
        with pytest.raises(recipes.RecipeError, match="incomplete"):
            recipes.get("half")
    finally:
        recipes.unregister("half")
    assert "half" not in recipes.names()


def test_cli_build_of_unknown_model_fails_clearly(tmp_path, capsys):
    from assistant.factory.__main__ import main

    rc = main(["build", "nope", "--out", str(tmp_path / "models"), "--work", str(tmp_path / "work")])
    assert rc == 1
    assert "unknown model 'nope'" in capsys.readouterr().err


def test_cli_report_on_an_empty_folder(tmp_path, capsys):
    from assistant.factory.__main__ import main

    assert main(["report", "--out", str(tmp_path)]) == 0
    assert "No models have been built yet" in (tmp_path / "REPORT.md").read_text()
    assert (tmp_path / "NOTICE").is_file()


@pytest.mark.parametrize("kind", ["size", "latency"])
@pytest.mark.parametrize("model", ["autocomplete", "chatbot"])
def test_every_plot_names_each_precision_once_at_its_own_point(model, kind):
    """The report's plots: one legend entry per precision, each drawn at that precision's own figures, with
    its own marker. (The old text labels put "dynamic" on the int8 point when the two sat 0.035 ms apart.)"""
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from assistant.factory import report
    from tests.conftest import REPO

    entry = json.loads((REPO / "models" / "manifest.json").read_text())["models"].get(model)
    if entry is None:
        pytest.skip(f"no committed {model} model")
    fig = report.figure(model, entry, kind)
    try:
        ax = fig.axes[0]
        expected = {p: (x, y) for p, x, y, _status in report.plot_points(entry, kind)}
        drawn = {c.get_label().split(" (")[0]: c for c in ax.collections}
        assert set(drawn) == set(expected)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert sorted(lbl.split(" (")[0] for lbl in labels if "tolerance" not in lbl) == sorted(expected)
        for precision, collection in drawn.items():
            assert collection.get_offsets().tolist() == [list(expected[precision])]
        markers = [c.get_paths()[0].vertices.tobytes() for c in drawn.values()]
        assert len(set(markers)) == len(markers)  # distinct shapes, not only colours
    finally:
        plt.close(fig)


@pytest.mark.parametrize("higher, a, b, better", [
    (True, 0.9, 0.8, True), (True, 0.8, 0.9, False), (False, 1.7, 2.6, True), (False, 2.6, 1.7, False),
])
def test_the_selective_search_keeps_the_better_candidate(higher, a, b, better):
    """_better(a, b) is True when a scores better, for metrics where lower is better too (landmark error in px:
    a mixed variant at 1.75 px once lost to one at 1.80 px)."""
    from assistant.factory.pipeline import Build, Candidate

    build = Build.__new__(Build)
    build.recipe = type("R", (), {"metric": MetricSpec("m", higher_is_better=higher, tolerance=0.1)})()
    assert build._better(Candidate("mixed", quality={"m": a}), Candidate("mixed", quality={"m": b})) is better
