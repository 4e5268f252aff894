"""Zoo models next to classic baselines, under each dataset's own protocol.

``run_benchmark(models, datasets, seeds, out)`` runs every model and baseline × dataset ×
subject × seed as an independent joblib job, caches each finished cell in ``out/cells/``
(an interrupted run resumes), and writes ``results.csv``, ``results.md``, ``results.png``,
``cells.csv`` and ``benchmark.json`` — every file atomically.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eegzoo.benchmark.baselines import BASELINES, Baseline
from eegzoo.benchmark.report import markdown_table, plot, summarize, write_csv
from eegzoo.benchmark.runner import ClusterError, Method, execute, methods, plan, prepare_datasets, unfit_pairs
from eegzoo.core.files import atomic_write_text
from eegzoo.core.version import __version__

__all__ = ["ALL_MODELS", "BASELINES", "DEFAULT_BASELINES", "DEFAULT_MODELS", "Baseline", "BenchmarkResult", "ClusterError", "Method", "all_models", "dataset_names", "offline_datasets", "run_benchmark"]

# The zoo's four architectures: with every offline dataset and 3 seeds, 111 cells in about
# 12 minutes on 2 CPU cores (README, Benchmark), the run behind the README's table.
DEFAULT_MODELS = ("fblightconvnet", "eegnet", "shallowfbcspnet", "fbcnet")
DEFAULT_BASELINES = ("csp-lda", "ts-lr", "means-slda")
#: ``models=["all"]`` (CLI ``--models all``): every registered architecture with its
#: reference configuration (the variant named like the architecture), plugins' included.
ALL_MODELS = "all"


def all_models() -> list[str]:
    """Every registered architecture's reference variant, by name."""
    from eegzoo.registry import list_models, model_spec

    return [name for name in list_models() if model_spec(name).architecture == name]


def offline_datasets() -> list[str]:
    """Registered datasets with a classification protocol whose files come from a package
    registry (no internet data server needed)."""
    from eegzoo.registry.datasets import dataset_spec, list_datasets

    return [n for n in list_datasets() if dataset_spec(n).source.registry != "moabb" and dataset_spec(n).protocol.kind != "none"]


def dataset_names(values: Sequence[str | os.PathLike]) -> list[str]:
    """Registered dataset names for datasets given by name or by spec file: a spec file is
    registered for this process and named by its name (tables and cached cells say 'mylab',
    not 'specs/mylab.toml'); a file named like another registered dataset is refused."""
    from eegzoo.core.errors import SpecError
    from eegzoo.registry.datasets import _is_spec_path, dataset_source, is_dataset, load_dataset_spec, register_dataset

    names = []
    for value in values:
        if _is_spec_path(value):
            spec = load_dataset_spec(value)
            if is_dataset(spec.name):  # already registered (EEGZOO_DATASET_PATH): the same file, or a clash
                if Path(dataset_source(spec.name)).resolve() != Path(value).resolve():
                    raise SpecError(f"{value} is named '{spec.name}', like the registered dataset from "
                                    f"{dataset_source(spec.name)}: rename one of them.")
            else:
                register_dataset(spec, str(Path(value).resolve()))
            names.append(spec.name)
        else:
            names.append(str(value))
    return names


@dataclass
class BenchmarkResult:
    rows: list[dict[str, Any]]  # one per dataset × method (see eegzoo.benchmark.report)
    cells: list[dict[str, Any]]  # every cell's stored result
    not_run: dict[tuple[str, str], str]  # (dataset, model) -> why that model cannot take that dataset's trials
    files: dict[str, Path]
    seconds: float

    @property
    def markdown(self) -> str:
        return self.files["markdown"].read_text(encoding="utf-8")


def run_benchmark(
    models: Sequence[str] = DEFAULT_MODELS,
    datasets: Sequence[str] | None = None,
    seeds: int | Sequence[int] = 3,
    out: str | os.PathLike = "runs/benchmark",
    baselines: Sequence[str] = DEFAULT_BASELINES,
    *,
    recipe: str | dict[str, Any] | None = "benchmark",
    epochs: int | None = None,
    model_kwargs: dict[str, Any] | None = None,
    n_jobs: int = -1,
    backend: str | None = None,
    scheduler: str | None = None,
    address: str | None = None,
    threads: int = 1,
    device: str | None = None,
    alpha: float = 0.05,
    report: Callable[..., None] | None = None,
    started: Callable[..., None] | None = None,
    skipped: Callable[[str, str, str], None] | None = None,
) -> BenchmarkResult:
    """Benchmark ``models`` (registered names) and ``baselines`` on ``datasets`` (registered
    names or spec files; default: :func:`offline_datasets`; ``"all"`` among ``models``: every architecture, see
    :func:`all_models`) for ``seeds`` (N → seeds 0..N-1, or a list).
    Zoo models are trained with ``recipe`` (``epochs`` and ``model_kwargs`` override it),
    through :class:`eegzoo.sklearn.EEGZooClassifier`, exactly like the baselines.

    Each cell is a job that loads its own subject where it runs. ``backend``: ``loky``
    (default, ``n_jobs`` processes), ``threading``, ``dask`` (``scheduler``: the address of a
    running dask scheduler; none: a ``LocalCluster`` sized to this machine) or ``ray``
    (``address`` of a ray cluster; none: a local ``ray.init``); the last two need
    ``pip install 'eegzoo[cluster]'``. Each job runs ``threads`` torch/BLAS threads (1 by
    default: the same table, bit for bit, on every backend). ``device``: where zoo models
    train (``"cuda"``, ``"cpu"``; default: CUDA when available, as in :func:`eegzoo.fit`). ``started(n, total, cell)`` and
    ``report(done, total, cell, result, cached)`` are called as cells start and finish.

    A zoo model that cannot be built for a dataset's trials (too short for its pooling, ...)
    is not run on it: ``skipped(dataset, model, reason)`` is called for each such pair before
    any cell starts, and they are listed in ``results.md``, ``benchmark.json`` and ``not_run``."""
    start = time.perf_counter()
    out = Path(out)
    datasets = offline_datasets() if datasets is None else dataset_names(datasets)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list:
        raise ValueError("seeds must be a positive number or a non-empty list.")
    models = [m for name in models for m in (all_models() if name == ALL_MODELS else [name])]
    chosen = methods(list(dict.fromkeys(models)), list(baselines), recipe=recipe, epochs=epochs, model_kwargs=model_kwargs, device=device)
    if not chosen:
        raise ValueError("Nothing to benchmark: give at least one model or baseline.")
    shapes = prepare_datasets(datasets)
    unfit = unfit_pairs(chosen, shapes)
    if skipped:
        for (dataset, method), reason in unfit.items():
            skipped(dataset, method, reason)
    cells = plan(chosen, datasets, seed_list, out, {d: s.values for d, s in shapes.items()}, skip=unfit)
    if not cells:
        raise ValueError("Nothing to benchmark: no model fits these datasets' trials:\n" +
                         "\n".join(f"  {m} on {d}: {r}" for (d, m), r in unfit.items()))
    results = execute(cells, n_jobs=n_jobs, backend=backend, report=report, started=started, threads=threads,
                      scheduler=scheduler, address=address)
    rows = summarize(results, alpha)
    files = {
        "csv": write_csv(rows, out / "results.csv"),
        "markdown": atomic_write_text(out / "results.md", markdown_table(rows, alpha, unfit)),
        "plot": plot(rows, out / "results.png"),
        "cells": _write_cells(results, out / "cells.csv"),
    }
    seconds = time.perf_counter() - start
    run = {"models": list(models), "baselines": list(baselines), "datasets": datasets, "seeds": seed_list,
           "zoo_settings": chosen[0].settings if chosen and chosen[0].kind == "zoo" else {},
           "not_run": [{"dataset": d, "model": m, "reason": r} for (d, m), r in unfit.items()],
           "n_jobs": n_jobs, "backend": backend or "loky", "threads_per_job": threads, "seconds": round(seconds, 1), "eegzoo": __version__,
           "python": sys.version.split()[0], "platform": platform.platform(), "cpu_count": os.cpu_count()}
    files["run"] = atomic_write_text(out / "benchmark.json", json.dumps(run, indent=2) + "\n")
    return BenchmarkResult(rows, results, unfit, files, seconds)


def _write_cells(results: Sequence[dict[str, Any]], path: Path) -> Path:
    lines = ["dataset,method,subject,seed,accuracy,test_trials,fit_seconds"]
    for r in results:
        c = r["config"]
        accuracy = float(np.mean(np.array(r["y_true"]) == np.array(r["y_pred"])))
        lines.append(f"{c['dataset']},{c['method']['name']},{c['subject']},{c['seed']},{accuracy:.6g},"
                     f"{len(r['y_true'])},{sum(r['fit_seconds']):.3f}")
    return atomic_write_text(path, "\n".join(lines) + "\n")
