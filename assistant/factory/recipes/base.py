"""The contract every model recipe fulfils; the pipeline (assistant.factory.pipeline) is shared code.

A recipe knows its data (installed packages only, see shared/SOURCES.md), how to train or import its
float Keras model, which samples calibrate int8, which held-out samples verify and evaluate variants,
and its task metric with a tolerance. The pipeline does everything else: conversion to every precision
(each in a subprocess), verification against the float model, analysis, manifest, report.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np


def package_version(dist: str) -> str:
    """Installed version of a data/weights package, for the manifest's sources and NOTICE."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


# predict(inputs) -> outputs. `inputs` is one batched array per model input (batch first); the
# pipeline runs a TFLite variant or the Keras model behind it and returns one batched array per output.
PredictFn = Callable[[Sequence[np.ndarray]], list[np.ndarray]]


@dataclass(frozen=True)
class MetricSpec:
    """The task metric the policy compares across precisions."""

    name: str  # key in the dict evaluate() returns, e.g. "macro_f1" or "top3"
    higher_is_better: bool = True
    tolerance: float = 0.005  # largest acceptable loss vs fp32, in the metric's own unit


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of the model contract (written to the manifest)."""

    name: str
    shape: tuple[int, ...]
    dtype: str  # "int32", "float32", ...
    role: str  # token_ids | features | probabilities | logits | embedding
    normalisation: str | None = None


@dataclass
class PreparedData:
    """What a recipe hands the pipeline after loading its data.

    `representative`: 100-500 real samples, each a list with one batch-1 array per input (int8 calibration).
    `verify_inputs`: held-out inputs (one batched array per input) on which every variant is compared with
    the float model. `payload` is the recipe's own data (splits, vocabularies) for train() and evaluate().
    """

    representative: list[list[np.ndarray]]
    verify_inputs: list[np.ndarray]
    payload: Any = None
    summary: dict[str, Any] = field(default_factory=dict)  # counts for the report (sizes of splits ...)


class Recipe(abc.ABC):
    """One model the app ships. Subclasses set the class attributes and implement the methods."""

    name: str  # folder and file stem in models/, key in the manifest
    task: str  # words, for the UI and the report
    kind: str  # conv | recurrent | embedding | detector (read by the precision policy)
    architecture: str
    metric: MetricSpec
    sources: list[dict[str, str]]  # {"name","version","license","use"}; also written to models/NOTICE
    stateful: bool = False
    # Precisions the pipeline tries; one that does not convert is recorded as unsupported.
    precisions: tuple[str, ...] = ("fp32", "fp16", "dynamic", "int8", "int16x8")
    # Full-int8 variants keep integer inputs integer; float "features" inputs become int8 when True.
    int8_io: bool = True
    # Layers (name substrings) the selective int8 search keeps in float before any ranked by error, when
    # the recipe knows where int8 hurts (the VAD's STFT front end).
    float_first: tuple[str, ...] = ()

    @abc.abstractmethod
    def prepare(self, work_dir: Path, quick: bool, seed: int) -> PreparedData:
        """Load and split the data (deterministic for a seed). quick: tiny data for tests."""

    @abc.abstractmethod
    def train(self, data: PreparedData, work_dir: Path, quick: bool, seed: int) -> Any:
        """Return the trained float keras.Model with fixed batch-1 input shapes (ready to convert)."""

    @abc.abstractmethod
    def contract(self, data: PreparedData) -> tuple[list[TensorSpec], list[TensorSpec]]:
        """Inputs and outputs of the shipped model, in order."""

    @abc.abstractmethod
    def evaluate(self, predict: PredictFn, data: PreparedData, quick: bool) -> dict[str, float]:
        """Task metrics on the held-out test set; must contain metric.name."""

    def write_assets(self, data: PreparedData, out_dir: Path) -> dict[str, str]:
        """Write run-time assets (vocabulary, labels, ...) into out_dir; return {name: file name}."""
        return {}

    def baselines(self, data: PreparedData, quick: bool) -> dict[str, dict[str, float]]:
        """Non-neural baselines on the same split, e.g. {"tfidf_logreg": {"macro_f1": ...}}."""
        return {}

    def manifest_extra(self, data: PreparedData) -> dict[str, Any]:
        """More facts for this model's manifest entry that the app reads (a detector's decoding settings)."""
        return {}

    def post_build(self, models_dir: Path, manifest: dict[str, Any], work_dir: Path,
                   quick: bool) -> dict[str, dict[str, Any]]:
        """Analyses that need the shipped files of this and other models (run after the manifest entry is
        written); returns {model: {key: value}} to merge into those models' entries."""
        return {}
