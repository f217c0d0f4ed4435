"""models/REPORT.md, its plots (models/report/*.png) and models/NOTICE, all generated from the manifest.

Everything in the report is read from models/manifest.json, which holds only measured numbers, so the
report can be regenerated at any time (`python -m assistant.factory report`) and never disagrees with
what the app reads.
"""

from __future__ import annotations

import io
import logging
import shlex
from pathlib import Path
from typing import Any

from assistant.core.appdata.fileio import atomic_write, human_bytes
from assistant.core.inference.catalog import PRECISION_COLORS, PRECISION_MARKERS, PRECISION_WORDS, PRECISIONS
from assistant.factory import manifest as mf
from assistant.factory.verify import MIN_ABS_METRIC_LOSS, MIN_COSINE, MIN_TOP1, TOLERANCE_FACTOR

logger = logging.getLogger(__name__)

REPORT_NAME = "REPORT.md"
NOTICE_NAME = "NOTICE"
PLOTS_DIR = "report"
# Label positions cycle so that variants with (nearly) equal numbers stay readable.


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != 0 and abs(value) < 10 ** -digits:
            return f"{value:.1e}"
        return f"{value:.{digits}f}"
    return str(value)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _ordered(variants: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    order = {p: i for i, p in enumerate(PRECISIONS)}
    return sorted(variants.items(), key=lambda kv: order.get(kv[0], len(order)))


def _metric_of(variant: dict[str, Any], metric: str) -> float | None:
    value = (variant.get("quality") or {}).get(metric)
    return float(value) if isinstance(value, int | float) else None


# ------------------------------------------------------------------------------------------- plots


def plot_points(entry: dict[str, Any], kind: str) -> list[tuple[str, float, float, str]]:
    """(precision, x, y, status) of every variant with a measured metric: x is kB ("size") or ms ("latency")."""
    metric = entry.get("metric", {}).get("name", "metric")
    points = []
    for precision, v in _ordered(entry.get("variants", {})):
        y = _metric_of(v, metric)
        if y is None:
            continue
        if kind == "size":
            x = v.get("bytes") or v.get("bytes_produced")
            x = x / 1000 if x else None
        else:
            x = (v.get("latency_ms") or {}).get("p50_1t")
        if x is not None:
            points.append((precision, float(x), y, str(v.get("status"))))
    return points


def figure(name: str, entry: dict[str, Any], kind: str) -> Any:
    """One plot (matplotlib Figure) or None: every precision once, as its own marker and colour, named in
    the legend. Text labels next to points were ambiguous when points sat close together (int8 and dynamic
    of the autocomplete are 0.035 ms apart)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = plot_points(entry, kind)
    if not points:
        return None
    metric = entry.get("metric", {}).get("name", "metric")
    tolerance = float(entry.get("metric", {}).get("tolerance", 0.0))
    higher = bool(entry.get("metric", {}).get("higher_is_better", True))
    fp32 = _metric_of(entry.get("variants", {}).get("fp32", {}), metric)
    fig, ax = plt.subplots(figsize=(6.4, 4), dpi=100)
    for precision, x, y, status in points:
        shipped = status == "shipped"
        color = PRECISION_COLORS.get(precision, "C0")
        ax.scatter([x], [y], marker=PRECISION_MARKERS.get(precision, "o"), s=70, zorder=3,
                   facecolors=color if shipped else "none", edgecolors=color, linewidths=1.5,
                   label=precision + ("" if shipped else f" ({status})"))
    if fp32 is not None:
        limit = fp32 - tolerance if higher else fp32 + tolerance
        ax.axhline(limit, color="grey", linestyle="--", linewidth=1, label=f"fp32 {'-' if higher else '+'} tolerance")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    ax.set_xlabel("file size (kB)" if kind == "size" else "p50 latency, 1 thread (ms)")
    ax.set_ylabel(metric)
    ax.set_title(f"{name}: {kind} vs {metric}")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


def _plots(models_dir: Path, name: str, entry: dict[str, Any]) -> list[str]:
    """Size vs quality and latency vs quality for one model; returns the PNG paths relative to models/."""
    import matplotlib.pyplot as plt

    written = []
    for kind in ("size", "latency"):
        fig = figure(name, entry, kind)
        if fig is None:
            continue
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": None})
        plt.close(fig)
        rel = f"{PLOTS_DIR}/{name}_{kind}_quality.png"
        atomic_write(models_dir / rel, buffer.getvalue())
        written.append(rel)
    return written


# ------------------------------------------------------------------------------------------ report


def _model_section(name: str, entry: dict[str, Any], plots: list[str]) -> list[str]:
    metric = entry.get("metric", {})
    mname = metric.get("name", "metric")
    build = entry.get("build", {})
    threads = None
    out = [f"## {name}: {entry.get('task', '')}", ""]
    if build.get("quick"):
        out += ["> **Quick build** (tiny data, few steps): for tests of the pipeline, not for shipping.", ""]
    out += [
        f"- architecture: {entry.get('architecture', '-')} ({entry.get('kind', '-')}, "
        f"{entry.get('parameters', '-')} parameters)",
        f"- task metric: `{mname}` ({'higher' if metric.get('higher_is_better', True) else 'lower'} is better), "
        f"tolerance {metric.get('tolerance')} vs fp32",
        "- float Keras model: "
        + ", ".join(f"{k} {_num(v)}" for k, v in (entry.get("float_reference", {}).get("quality") or {}).items()),
        "- inputs: " + ", ".join(f"`{t['name']}` {t['shape']} {t['dtype']} ({t['role']})" for t in entry.get("inputs", [])),
        "- outputs: " + ", ".join(f"`{t['name']}` {t['shape']} {t['dtype']} ({t['role']})" for t in entry.get("outputs", [])),
        "",
    ]
    rows = []
    for precision, v in _ordered(entry.get("variants", {})):
        lat = v.get("latency_ms") or {}
        threads = threads or lat.get("threads_all")
        agree = v.get("agreement") or {}
        status = v.get("status", "-")
        note = v.get("reason") or v.get("note") or v.get("analysis_error") or ""
        if precision == "mixed" and v.get("float_layers"):
            note = (note + "; " if note else "") + f"{len(v['float_layers'])} layer(s) in float"
        rows.append([
            precision, status, human_bytes(v.get("bytes") or v.get("bytes_produced")), _num(v.get("ratio_to_fp32"), 2),
            _num(lat.get("p50_1t")), _num(lat.get("p95_1t")), _num(lat.get("p50_all")), _num(lat.get("p95_all")),
            human_bytes(v.get("peak_memory_bytes")), _num(_metric_of(v, mname), 4), _num(v.get("metric_delta"), 4),
            _num(agree.get("top1")), _num(agree.get("max_abs_error"), 4), _num(agree.get("cosine"), 4), note,
        ])
    all_t = f"{int(threads)}t" if threads else "all"
    out += _table(
        ["precision", "status", "bytes", "ratio", "p50 1t ms", "p95 1t ms", f"p50 {all_t} ms", f"p95 {all_t} ms",
         "peak mem", mname, "Δ vs fp32", "top-1 agr", "max abs err", "cosine", "reason / note"],
        rows,
    )
    other = sorted({k for _, v in entry.get("variants", {}).items() for k in (v.get("quality") or {}) if k != mname})
    if other:
        out += ["Other task metrics:", ""]
        out += _table(["precision"] + other, [
            [p] + [_num(_metric_of(v, k), 4) for k in other]
            for p, v in _ordered(entry.get("variants", {})) if v.get("quality")
        ])
    baselines = entry.get("baselines") or {}
    if baselines:
        keys = sorted({k for b in baselines.values() for k in b})
        out += ["Baselines on the same data:", ""]
        out += _table(["baseline"] + keys, [[b] + [_num(vals.get(k), 4) for k in keys] for b, vals in baselines.items()])
    layers = (entry.get("analysis") or {}).get("int8_layers")
    if layers:
        if "error" in layers:
            out += [f"int8 per-layer analysis failed: {layers['error']}", ""]
        else:
            out += [
                f"int8 per-layer error (QuantizationDebugger, {layers.get('samples')} representative samples, "
                f"{layers.get('count')} layers; RMSE/scale near 0.29 is plain rounding, larger is worse; "
                f"all layers in `{layers.get('csv')}`). Model output tensor(s): "
                + (", ".join(f"`{o.split(';')[0]}`" for o in layers.get("outputs", [])) or "-")
                + ". Worst layers:",
                "",
            ]
            out += _table(["layer", "op", "RMSE/scale", "max abs err", "mean err"], [
                [r.get("layer"), r.get("op"), _num(r.get("rmse_over_scale")), _num(r.get("max_abs_error"), 4),
                 _num(r.get("mean_error"), 4)] for r in layers.get("worst", [])
            ])
    search = (entry.get("analysis") or {}).get("mixed_search")
    if search:
        first = (entry.get("analysis") or {}).get("float_first")
        order = (f"the layers named {', '.join(f'`{f}`' for f in first)} first, then output layers" if first
                 else "output layers")
        out += [f"Selective int8 search ({order}, then the worst by RMSE/scale, kept in float until "
                "the tolerance is met):", ""]
        out += _table(["float layers", mname, "top-1 agr", "status", "within tolerance", "reason"], [
            [a.get("float_layers"), _num((a.get("quality") or {}).get(mname), 4),
             _num((a.get("agreement") or {}).get("top1")), a.get("status") or "failed",
             _num(a.get("within_tolerance")), a.get("reason") or a.get("error") or ""]
            for a in search
        ])
    elif "int8" in entry.get("variants", {}) and "mixed" not in entry.get("variants", {}):
        out += ["No selective (mixed) variant: int8 is within the tolerance or could not be analysed.", ""]
    findings = entry.get("findings") or []
    if findings:
        out += ["What the analysis found:", ""] + [f"- {f}" for f in findings] + [""]
    pairs = entry.get("pairs") or {}
    if pairs:
        out += _pairs_section(entry, pairs)
    data = entry.get("data") or {}
    if data:
        out += ["Data: " + ", ".join(f"{k} {_num(v)}" for k, v in data.items()), ""]
    if build:
        machine = build.get("machine", {})
        versions = build.get("versions", {})
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in (build.get("stage_seconds") or {}).items())
        out += [
            f"Build: {build.get('finished')}, wall time {build.get('wall_time_s')} s ({stages}); seed {build.get('seed')}; "
            f"on {machine.get('cpu_model', '?')} ({machine.get('arch', '?')}, {machine.get('cores_usable', '?')} usable "
            f"cores, {human_bytes(machine.get('ram_bytes'))} RAM); "
            + ", ".join(f"{k} {v}" for k, v in versions.items()),
            "",
        ]
    analysed = entry.get("analysed")
    if analysed:
        out += [f"Latency and memory re-measured {analysed.get('finished')} with `{analysed.get('command')}`.", ""]
    for rel in plots:
        out += [f"![{Path(rel).stem}]({rel})", ""]
    command = build.get("command", f"python -m assistant.factory build {name}")
    words = shlex.split(command) if command else []
    bench = f"assistant bench {name}"
    if "--out" in words[:-1]:
        bench = f"ASSISTANT_MODELS_DIR={shlex.quote(words[words.index('--out') + 1])} {bench}"
    out += ["Reproduce:", "", "```", command, f"{bench}      # the same latency code, on your machine", "```", ""]
    return out


def _pairs_section(entry: dict[str, Any], pairs: dict[str, Any]) -> list[str]:
    """Separation and measured threshold of every detector+embedder precision pair (the face lock's)."""
    out = [
        "Detector + embedder precision pairs (the threshold the app uses for each pair is this table's). "
        f"Method: {entry.get('pairs_method', '')}. "
        "**The evaluation set is tiny** (12 photos of 7 people, 8 genuine and 58 impostor clean pairs, plus "
        "labelled augmentations): it shows whether genuine and impostor scores separate and whether a "
        "precision changes that; it is not a false-accept-rate estimate, which would need thousands of people.",
        "",
    ]

    def d(stats: dict[str, Any], key: str) -> str:
        return _num(stats.get(key), 3) if stats.get("n") else "-"

    rows = []
    for pair, s in sorted(pairs.items()):
        ms = s.get("ms_per_frame") or {}
        rows.append([
            pair, _num(s.get("threshold"), 3), f"{d(s.get('genuine_clean', {}), 'min')} / {d(s.get('genuine_clean', {}), 'mean')}",
            f"{d(s.get('genuine_augmented', {}), 'min')} / {d(s.get('genuine_augmented', {}), 'mean')}",
            f"{d(s.get('impostor', {}), 'max')} / {d(s.get('impostor', {}), 'mean')}", _num(s.get("eer"), 3),
            _num(s.get("gar_clean"), 3), _num(s.get("gar_augmented"), 3), _num(s.get("gar_at_zero_impostor"), 3),
            _num(s.get("separation_clean"), 2), _num(s.get("separation_all"), 2), _num(s.get("faces_found"), 3),
            _num(ms.get("detect"), 2), _num(ms.get("align_embed"), 2), _num(ms.get("total"), 2),
        ])
    out += _table(
        ["detector+embedder", "threshold", "genuine clean min/mean", "genuine augm. min/mean", "impostor max/mean",
         "EER", "GAR clean", "GAR augm.", "GAR at zero-impostor", "separation clean", "separation all",
         "faces found", "detect ms", "align+embed ms", "total ms"], rows)
    sample = next(iter(pairs.values()), {})
    out += [
        f"Pairs per row: genuine clean {sample.get('genuine_clean', {}).get('n', '-')}, genuine augmented "
        f"{sample.get('genuine_augmented', {}).get('n', '-')}, impostor {sample.get('impostor', {}).get('n', '-')} "
        "(a pair is left out when a face was not found on one side: see faces found). Separation: (lowest genuine "
        "- highest impostor) / pooled standard deviation of the scores; positive means no overlap. GAR: genuine "
        "pairs accepted at the threshold. Times: median per 640x480 frame at one thread, in the factory's process.",
        "",
    ]
    return out


def render(manifest: dict[str, Any], plots: dict[str, list[str]] | None = None) -> str:
    """The text of REPORT.md for a manifest."""
    plots = plots or {}
    versions = manifest.get("versions", {})
    limit = f"max({TOLERANCE_FACTOR:g} x tolerance, {MIN_ABS_METRIC_LOSS})"
    lines = [
        "# Post-training analysis of the shipped models",
        "",
        f"Generated from `models/manifest.json` ({manifest.get('generated')}) by `python -m assistant.factory report`;"
        " do not edit by hand. Every number below was measured by the factory.",
        "",
        "Toolchain: " + (", ".join(f"{k} {v}" for k, v in versions.items()) or "-"),
        "",
        "How to read the tables:",
        "",
        "- precisions: " + "; ".join(f"`{p}` {w}" for p, w in PRECISION_WORDS.items()) + ".",
        "- every variant is compared with its float Keras model on held-out inputs. It is **rejected** (no file "
        f"shipped) when its task metric loses more than {limit} against fp32, when its top-1 agreement with "
        f"the float model is below {MIN_TOP1}, or when the cosine of embedding outputs is below {MIN_COSINE}. "
        "**unsupported** means the converter could not produce it (its message is quoted).",
        "- latency: `assistant.core.inference.bench.measure_variant`, the code behind `assistant bench`: one model call at "
        "batch 1 in LiteRT, p50/p95 in ms at 1 thread and at all usable cores, measured in a process without "
        "TensorFlow. Peak memory: growth of the resident set while loading the variant and running it.",
        "- Δ vs fp32: task metric of the variant minus fp32's (fp32 itself: minus the float Keras model's).",
        "",
    ]
    build_all = manifest.get("build_all")
    if build_all:
        lines += [
            f"`{build_all.get('command')}` took {build_all.get('wall_time_s')} s wall time on "
            f"{build_all.get('machine', {}).get('cpu_model', '?')} "
            f"({build_all.get('machine', {}).get('cores_usable', '?')} usable cores), finished {build_all.get('finished')}.",
            "",
        ]
    models = manifest.get("models", {})
    if not models:
        lines += ["No models have been built yet: run `python -m assistant.factory build all`.", ""]
    overview = []
    for name, entry in sorted(models.items()):
        shipped = [p for p, v in _ordered(entry.get("variants", {})) if v.get("status") == "shipped"]
        other = [f"{p} ({v.get('status')})" for p, v in _ordered(entry.get("variants", {})) if v.get("status") != "shipped"]
        overview.append([name, entry.get("task", ""), ", ".join(shipped) or "-", ", ".join(other) or "-"])
    if overview:
        lines += _table(["model", "task", "shipped", "not shipped"], overview)
    for name, entry in sorted(models.items()):
        lines += _model_section(name, entry, plots.get(name, []))
    return "\n".join(lines).rstrip() + "\n"


def notice(manifest: dict[str, Any]) -> str:
    """models/NOTICE: third-party data and weights behind each model, with their licenses."""
    runtime = [(name, src) for name, entry in sorted(manifest.get("models", {}).items())
               for src in entry.get("sources") or [] if src.get("runtime")]
    lines = [
        "Third-party data and weights used to build the models in this folder.",
        "Generated from manifest.json by the model factory. The packages below are read from their installed",
        "copies when the models are built; no file, text passage or photo of theirs is copied into this",
        "repository: what ships here is derived from them (trained weights, vocabularies, label lists) or,",
        "for data the app reads at run time, references into the installed package.",
    ]
    if runtime:
        lines.append("Read at run time from the installed package (a runtime dependency in pyproject.toml):")
        lines += [f"  {src.get('name', '?')} {src.get('version', '')} ({name}): {src['runtime']}" for name, src in runtime]
    lines.append("")
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for name, entry in sorted(manifest.get("models", {}).items()):
        lines.append(f"{name} ({entry.get('task', '')}):")
        sources = entry.get("sources") or []
        if not sources:
            lines.append("  - no third-party data or weights")
        for src in sources:
            lines.append(
                f"  - {src.get('name', '?')} {src.get('version', '')} - license: {src.get('license', 'unknown')}"
                f" - used as: {src.get('use', '-')}".replace("  -  -", "  -")
                + (" - also read at run time" if src.get("runtime") else "")
            )
            seen.setdefault((src.get("name", "?"), src.get("version", "")), src)
        lines.append("")
    if seen:
        lines.append("All sources:")
        for (src_name, version), src in sorted(seen.items()):
            lines.append(f"  {src_name} {version}: {src.get('license', 'unknown')}")
        lines.append("")
    return "\n".join(lines)


def write_all(models_dir: Path, manifest: dict[str, Any] | None = None) -> list[Path]:
    """Regenerate REPORT.md, the plots and NOTICE. Call under the manifest lock when building."""
    models_dir = Path(models_dir)
    manifest = manifest if manifest is not None else mf.load(models_dir)
    plots: dict[str, list[str]] = {}
    for name, entry in manifest.get("models", {}).items():
        try:
            plots[name] = _plots(models_dir, name, entry)
        except Exception as exc:  # noqa: BLE001 - a plot must not cost the report
            logger.warning("plots for %s failed: %s", name, exc)
            plots[name] = []
    atomic_write(models_dir / REPORT_NAME, render(manifest, plots))
    atomic_write(models_dir / NOTICE_NAME, notice(manifest))
    return [models_dir / REPORT_NAME, models_dir / NOTICE_NAME] + [models_dir / p for ps in plots.values() for p in ps]
