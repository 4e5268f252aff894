"""Run every method × dataset × subject × seed under the dataset's protocol, as independent
joblib jobs whose results are cached on disk (an interrupted run resumes where it stopped)."""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eegzoo.benchmark.baselines import BASELINES
from eegzoo.benchmark.protocol import SubjectData, subject_data
from eegzoo.core.errors import RegistryError, unknown_names_message
from eegzoo.core.files import atomic_write_text
from eegzoo.core.jsonsafe import json_safe
from eegzoo.core.version import __version__


@dataclass(frozen=True)
class Method:
    """A zoo model (trained by :class:`eegzoo.sklearn.EEGZooClassifier` with ``settings``:
    recipe, epochs, ...) or a classic baseline pipeline."""

    name: str
    kind: str  # "zoo" or "baseline"
    settings: dict[str, Any] = field(default_factory=dict)

    def build(self, sfreq: float, ch_names: list[str], seed: int) -> Any:
        if self.kind == "baseline":
            return BASELINES[self.name].make(sfreq)
        from eegzoo.sklearn import EEGZooClassifier

        return EEGZooClassifier(self.name, sfreq=sfreq, ch_names=ch_names, seed=seed, **self.settings)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, **json_safe(self.settings)}


def methods(models: Sequence[str], baselines: Sequence[str], **zoo_settings: Any) -> list[Method]:
    """Zoo models (registered names) then baselines (names in ``BASELINES``), checked."""
    from eegzoo.registry import is_model, list_models

    unknown = [m for m in models if not is_model(m)]
    if unknown:
        raise RegistryError(unknown_names_message(unknown, list_models(), "model"))
    unknown = [b for b in baselines if b not in BASELINES]
    if unknown:
        raise RegistryError(unknown_names_message(unknown, list(BASELINES), "baseline"))
    settings = {k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in zoo_settings.items() if v is not None}
    return [Method(m, "zoo", settings) for m in models] + [Method(b, "baseline") for b in baselines]


@dataclass(frozen=True)
class Cell:
    method: Method
    data: SubjectData
    seed: int
    path: Path  # where its result is cached
    config: dict[str, Any]  # what determines the result; a cached file with another config is recomputed


def _spec_hash(name: str) -> str:
    from eegzoo.registry.datasets import dataset_spec

    text = json.dumps(dataset_spec(name).model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan(methods_: Sequence[Method], datasets: Sequence[str], seeds: Sequence[int], out: Path,
         loaded: dict[str, list[SubjectData]]) -> list[Cell]:
    cells = []
    for dataset in datasets:
        spec_hash = _spec_hash(dataset)
        for method in methods_:
            for data in loaded[dataset]:
                for seed in _seeds_that_matter(method, data, seeds):
                    config = {"method": method.describe(), "dataset": dataset, "dataset_spec": spec_hash,
                              "subject": data.subject, "seed": seed, "eegzoo": __version__}
                    path = out / "cells" / dataset / method.name / f"subject{data.subject}-seed{seed}.json"
                    cells.append(Cell(method, data, seed, path, config))
    return cells


def _seeds_that_matter(method: Method, data: SubjectData, seeds: Sequence[int]) -> Sequence[int]:
    """Baselines are deterministic: with folds that do not depend on the seed (an official
    split, chronological folds) one run stands for every seed."""
    return seeds[:1] if method.kind == "baseline" and data.protocol.kind != "k-fold" else seeds


def cached_result(cell: Cell) -> dict[str, Any] | None:
    """The stored result of ``cell`` when it was computed with the same configuration."""
    if not cell.path.exists():
        return None
    try:
        stored = json.loads(cell.path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        warnings.warn(f"{cell.path} is unreadable; computing the cell again.", stacklevel=2)
        return None
    return stored if stored.get("config") == cell.config else None


def run_cell(cell: Cell, threads: int = 1) -> dict[str, Any]:
    """Fit and test ``cell.method`` on each fold of ``cell.data``; write the result atomically."""
    import mne
    import torch

    torch.set_num_threads(threads)
    data = cell.data
    y_true: list[str] = []
    y_pred: list[str] = []
    fit_seconds, predict_seconds = [], []
    for train, test in data.folds(cell.seed):
        estimator = cell.method.build(data.sfreq, data.ch_names, cell.seed)
        with warnings.catch_warnings(), mne.utils.use_log_level("error"):
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            estimator.fit(data.X[train], data.y[train])
            fit_seconds.append(time.perf_counter() - start)
            start = time.perf_counter()
            y_pred.extend(str(p) for p in estimator.predict(data.X[test]))
            predict_seconds.append(time.perf_counter() - start)
        y_true.extend(str(t) for t in data.y[test])
    result = {"config": cell.config, "y_true": y_true, "y_pred": y_pred,
              "fit_seconds": fit_seconds, "predict_seconds": predict_seconds,
              "n_train": [len(train) for train, _ in data.folds(cell.seed)]}
    atomic_write_text(cell.path, json.dumps(result) + "\n")
    return result


def load_datasets(datasets: Iterable[str], progress: bool | None = None) -> dict[str, list[SubjectData]]:
    from eegzoo.data.datasets import load_dataset
    from eegzoo.registry.datasets import dataset_spec

    loaded = {}
    for name in datasets:
        spec = dataset_spec(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            loaded[name] = subject_data(spec, load_dataset(name, progress=progress))
    return loaded


def execute(cells: Sequence[Cell], n_jobs: int = -1, backend: str | None = None,
            report: Any = None) -> list[dict[str, Any]]:
    """Results of every cell, in order: cached ones read back, the others run as joblib jobs
    (``backend``: joblib's default ``loky`` processes, ``threading``, or a registered
    cluster backend such as ``dask`` or ``ray``). ``report(done, total, cell, result,
    cached)`` is called as each finishes."""
    from joblib import Parallel, delayed, effective_n_jobs, parallel_config

    results: list[dict[str, Any] | None] = [cached_result(c) for c in cells]
    todo = [i for i, r in enumerate(results) if r is None]
    done = 0
    for i, r in enumerate(results):
        if r is not None:
            done += 1
            if report:
                report(done, len(cells), cells[i], r, True)
    if todo and backend == "ray":  # joblib knows dask by itself; ray registers its backend on request
        from ray.util.joblib import register_ray

        register_ray()
    if todo:
        with parallel_config(n_jobs=n_jobs, **({"backend": backend} if backend else {})):
            workers = effective_n_jobs()
            threads = max(1, (os.cpu_count() or 1) // max(1, min(workers, len(todo))))
            # longest first, so that the last jobs to finish are short ones
            todo.sort(key=lambda i: -_cost(cells[i]))
            jobs = Parallel(return_as="generator_unordered")(delayed(_indexed)(i, cells[i], threads) for i in todo)
            try:
                for i, result in jobs:
                    results[i] = result
                    done += 1
                    if report:
                        report(done, len(cells), cells[i], result, False)
            except KeyboardInterrupt:
                raise BenchmarkInterrupted(done, len(cells)) from None
    return [r for r in results if r is not None]


class BenchmarkInterrupted(KeyboardInterrupt):
    """Ctrl-C during a benchmark: every finished cell is already cached, so the same command
    resumes where it stopped. The message says how far it got."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(
            f"benchmark interrupted: {done} of {total} cells are finished and cached; run the same "
            "command again to resume (cached cells are read back, not recomputed)."
        )
        self.done, self.total = done, total


def _indexed(i: int, cell: Cell, threads: int) -> tuple[int, dict[str, Any]]:
    return i, run_cell(cell, threads)


def _cost(cell: Cell) -> float:
    size = float(np.prod(cell.data.X.shape))
    return size * (50.0 if cell.method.kind == "zoo" else 1.0)
