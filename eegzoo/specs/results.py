"""Measured results: one metric value on one dataset split, as the Hub's ``model-index``
records it. Trained folders' cards and pretrained variants' specs carry them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# metric key as eegzoo's evaluate() names it -> (Hub metric id, pretty name)
KNOWN_METRICS: dict[str, tuple[str, str]] = {
    "accuracy": ("accuracy", "Accuracy"),
    "balanced_accuracy": ("balanced_accuracy", "Balanced accuracy"),
    "kappa": ("cohen_kappa", "Cohen's kappa"),
    "cohen_kappa": ("cohen_kappa", "Cohen's kappa"),
    "f1": ("f1", "F1"),
    "roc_auc": ("roc_auc", "ROC AUC"),
    "loss": ("cross_entropy", "Cross-entropy loss"),
}


class MeasuredResult(BaseModel):
    """A metric measured on a dataset split, e.g. accuracy 0.81 on BNCI2014_001, session E.

    ``dataset`` is an identifier (a registered dataset name, a Hub dataset id or a short
    slug such as ``simulated-motor-imagery``); ``dataset_name`` its readable name; ``config``
    narrows it (e.g. ``"subject 1"``); ``task`` defaults to ``eeg-<spec task>``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str = Field(min_length=1, description="metric id, e.g. 'accuracy', 'cohen_kappa'")
    value: float = Field(description="the measured value")
    dataset: str = Field(min_length=1, description="dataset identifier")
    split: str = Field(min_length=1, description="which part of the dataset, e.g. 'test', 'session E'")
    dataset_name: Optional[str] = Field(default=None, description="readable dataset name")
    config: Optional[str] = Field(default=None, description="dataset subset, e.g. 'subject 1'")
    metric_name: Optional[str] = Field(default=None, description="readable metric name")
    task: Optional[str] = Field(default=None, description="task id, default 'eeg-classification'")
    source_name: Optional[str] = Field(default=None, description="who/what measured it (with source_url)")
    source_url: Optional[str] = Field(default=None, description="where the measurement is published")

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"a measured value must be finite, got {value}")
        return value

    @model_validator(mode="after")
    def _source_has_url(self) -> "MeasuredResult":
        if self.source_name is not None and self.source_url is None:
            raise ValueError("source_name needs source_url (the Hub shows the source as a link); pass both or neither")
        return self


def measured_results(
    metrics: Mapping[str, Any],
    *,
    dataset: str,
    split: str,
    dataset_name: str | None = None,
    config: str | None = None,
    task: str | None = None,
) -> list[MeasuredResult]:
    """Turn an ``evaluate()``-style mapping (``{"accuracy": 0.8, "kappa": 0.7, ...}``) into
    :class:`MeasuredResult` s for one dataset split. Non-numeric entries (confusion matrix,
    class names) are left out; known keys get Hub metric ids (``kappa`` -> ``cohen_kappa``)."""
    results = []
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        metric, metric_name = KNOWN_METRICS.get(key, (key, None))
        results.append(MeasuredResult(
            metric=metric, metric_name=metric_name, value=float(value), dataset=dataset, split=split,
            dataset_name=dataset_name, config=config, task=task,
        ))
    if not results:
        raise ValueError(f"no numeric metric in {sorted(metrics)}; pass e.g. {{'accuracy': 0.8}}.")
    return results
