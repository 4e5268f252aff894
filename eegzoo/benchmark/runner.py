"""Run every method × dataset × subject × seed under the dataset's protocol, as independent
jobs whose results are cached on disk (an interrupted run resumes where it stopped).

A job receives a :class:`Cell`: the method (a name and settings), the dataset's spec, the
subject, the seed and the path of its result, never data or models. It loads its own
subject's recordings from the dataset cache where it runs (a joblib/loky process, a dask
worker, a ray worker), so the parent never holds a whole dataset. Engines: joblib (``loky``,
``threading``), dask.distributed through joblib's dask backend, ray through its task API
(joblib's ray backend cannot yield results as they finish)."""

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
from eegzoo.specs.dataset import DatasetSpec


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
    spec: DatasetSpec  # the dataset's spec itself (a spec registered at run time is unknown to workers)
    subject: int
    seed: int
    path: Path  # where its result is cached
    config: dict[str, Any]  # what determines the result; a cached file with another config is recomputed
    cost: float = 1.0  # relative run time (the longest cells are started first)

    @property
    def data(self) -> SubjectData:
        """This cell's subject's trials, read from the dataset cache (the last subject read in
        this process is kept, so that the other seeds and methods of a subject reuse it)."""
        return _subject(self.spec, self.subject)


_LAST_SUBJECT: dict[str, SubjectData] = {}


def _subject(spec: DatasetSpec, subject: int) -> SubjectData:
    from eegzoo.data.datasets import load_dataset

    key = json.dumps([spec.model_dump(mode="json"), str(getattr(spec, "_spec_dir", None)), subject], sort_keys=True)
    if key not in _LAST_SUBJECT:
        _LAST_SUBJECT.clear()  # one subject at a time per process
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            found = subject_data(spec, load_dataset(spec, subjects=[subject], progress=False))
        if not found:
            raise ValueError(f"Dataset '{spec.name}' subject {subject} has no trials for its protocol ({spec.protocol.kind}).")
        _LAST_SUBJECT[key] = found[0]
    return _LAST_SUBJECT[key]


def protocol_subjects(spec: DatasetSpec) -> list[int]:
    """The subjects whose files provide the splits the protocol uses (others are left out,
    as :func:`eegzoo.benchmark.protocol.subject_data` leaves them out)."""
    protocol = spec.protocol
    if protocol.kind == "none":
        raise ValueError(f"Dataset '{spec.name}' has no evaluation protocol (kind 'none'); it cannot be benchmarked.")
    if spec.source.registry == "moabb":
        return list(spec.subjects)
    if spec.on_disk:
        pairs = {(r.subject, r.split) for r in spec.recordings()}
    else:
        pairs = {(int(f.subject), str(f.split)) for f in spec.files if f.subject is not None}
    kept = []
    for subject in spec.subjects:
        splits = {split for s, split in pairs if s == subject}
        if (protocol.kind == "train-test" and splits & set(protocol.train) and splits & set(protocol.test)) or (
                protocol.kind != "train-test" and protocol.split in splits):
            kept.append(subject)
    return kept


def _spec_hash(name: str) -> str:
    from eegzoo.registry.datasets import dataset_spec

    text = json.dumps(dataset_spec(name).model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan(methods_: Sequence[Method], datasets: Sequence[str], seeds: Sequence[int], out: Path,
         sizes: dict[str, float] | None = None, skip: Iterable[tuple[str, str]] = ()) -> list[Cell]:
    """Every cell, in order dataset × method × subject × seed (``sizes``: values per subject of
    each dataset, to start the longest cells first), but the ``(dataset, method)`` pairs in ``skip``."""
    from eegzoo.registry.datasets import dataset_spec

    skip = set(skip)
    cells = []
    for dataset in datasets:
        spec = dataset_spec(dataset)
        spec_hash = _spec_hash(dataset)
        subjects = protocol_subjects(spec)
        for method in methods_:
            if (dataset, method.name) in skip:
                continue
            cost = (sizes or {}).get(dataset, 1.0) * (50.0 if method.kind == "zoo" else 1.0)
            for subject in subjects:
                for seed in _seeds_that_matter(method, spec.protocol.kind, seeds):
                    config = {"method": method.describe(), "dataset": dataset, "dataset_spec": spec_hash,
                              "subject": subject, "seed": seed, "eegzoo": __version__}
                    path = out / "cells" / dataset / method.name / f"subject{subject}-seed{seed}.json"
                    cells.append(Cell(method, spec, subject, seed, path, config, cost))
    return cells


def _seeds_that_matter(method: Method, protocol_kind: str, seeds: Sequence[int]) -> Sequence[int]:
    """Baselines are deterministic: with folds that do not depend on the seed (an official
    split, chronological folds) one run stands for every seed."""
    return seeds[:1] if method.kind == "baseline" and protocol_kind != "k-fold" else seeds


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
    """Load the cell's subject, fit and test ``cell.method`` on each fold with ``threads``
    torch/BLAS threads; write the result atomically."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        return _run_cell(cell, threads)


def _run_cell(cell: Cell, threads: int) -> dict[str, Any]:
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


@dataclass(frozen=True)
class TrialShape:
    """What a model must take from a dataset: its first subject's trials' shape and classes."""

    n_chans: int
    n_times: int
    sfreq: float
    n_classes: int
    ch_names: tuple[str, ...]
    values: float  # values in that subject's trials (the cost of its cells)


def prepare_datasets(datasets: Iterable[str], progress: bool | None = None) -> dict[str, TrialShape]:
    """Fill each dataset's cache (downloads happen once, here, not in every worker) and check
    it by reading its first subject, which the parent then lets go: the shape of that
    subject's trials for each dataset (which models fit them; the longest cells start first)."""
    from eegzoo.registry.datasets import dataset_spec

    shapes = {}
    for name in datasets:
        spec = dataset_spec(name)
        subjects = protocol_subjects(spec)
        if not subjects:
            raise ValueError(f"Dataset '{name}' has no subject with the splits its protocol uses ({spec.protocol.splits}).")
        data = _subject(spec, subjects[0])
        shapes[name] = TrialShape(int(data.X.shape[1]), int(data.X.shape[2]), float(data.sfreq), len(np.unique(data.y)),
                                  tuple(data.ch_names), float(np.prod(data.X.shape)))
        _LAST_SUBJECT.clear()
    return shapes


def unfit_pairs(methods_: Sequence[Method], shapes: dict[str, TrialShape]) -> dict[tuple[str, str], str]:
    """``{(dataset, model): reason}`` for each zoo model that cannot be built for a dataset's
    trials (e.g. EEGTCNet's pooling needs more samples than a 50-sample window has): those
    cells are left out and reported, instead of failing the whole run when one starts."""
    from eegzoo.sklearn import data_sized_model

    unfit = {}
    for method in methods_:
        if method.kind != "zoo":
            continue
        overrides = dict(method.settings.get("model_kwargs") or {})
        for dataset, shape in shapes.items():
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    data_sized_model(method.name, shape.n_chans, shape.n_times, shape.sfreq, shape.n_classes,
                                     list(shape.ch_names), **overrides)
            except ValueError as err:
                unfit[(dataset, method.name)] = " ".join(str(err).split())
    return unfit


BACKENDS = ("loky", "threading", "multiprocessing", "dask", "ray")


class ClusterError(ValueError):
    """A cluster backend that is not installed or not reachable; the message names the fix."""


def execute(cells: Sequence[Cell], n_jobs: int = -1, backend: str | None = None,
            report: Any = None, *, started: Any = None, threads: int = 1,
            scheduler: str | None = None, address: str | None = None) -> list[dict[str, Any]]:
    """Results of every cell, in order: cached ones read back, the others run as jobs on
    ``backend``: joblib's ``loky`` processes (default), ``threading``, ``dask`` (a running
    scheduler at ``scheduler``, else a ``LocalCluster`` of ``n_jobs`` single-threaded workers,
    all cores for -1) or ``ray`` (``ray.init(address)``; without an address, a local ray of
    ``n_jobs`` CPUs). Each job uses ``threads`` torch/BLAS threads (1: the same results on
    every backend). ``started(n, total, cell)`` is called as a cell is handed to a free
    worker, ``report(done, total, cell, result, cached)`` as each finishes."""
    results: list[dict[str, Any] | None] = [cached_result(c) for c in cells]
    todo = [i for i, r in enumerate(results) if r is None]
    done = 0
    for i, r in enumerate(results):
        if r is not None:
            done += 1
            if report:
                report(done, len(cells), cells[i], r, True)
    backend = backend or "loky"
    if backend not in BACKENDS:
        raise ValueError(f"Unknown backend {backend!r}: use one of {', '.join(BACKENDS)}.")
    if scheduler is not None and backend != "dask":
        raise ValueError(f"scheduler={scheduler!r} is the address of a dask scheduler: use it with backend='dask'.")
    if address is not None and backend != "ray":
        raise ValueError(f"address={address!r} is the address of a ray cluster: use it with backend='ray'.")
    if not todo:
        return [r for r in results if r is not None]
    todo.sort(key=lambda i: -_cost(cells[i]))  # longest first, so that the last jobs to finish are short ones
    counter = {"started": done}

    def handed(i: int) -> int:
        counter["started"] += 1
        if started:
            started(counter["started"], len(cells), cells[i])
        return i

    def finished(pairs: Iterable[tuple[int, dict[str, Any]]]) -> None:
        nonlocal done
        try:
            for i, result in pairs:
                results[i] = result
                done += 1
                if report:
                    report(done, len(cells), cells[i], result, False)
        except KeyboardInterrupt:
            raise BenchmarkInterrupted(done, len(cells)) from None

    if backend == "ray":
        _execute_ray(cells, todo, n_jobs, threads, address, handed, finished)
    elif backend == "dask":
        with _dask_client(n_jobs, threads, scheduler):
            _execute_joblib(cells, todo, -1, "dask", threads, handed, finished)
    else:
        _execute_joblib(cells, todo, n_jobs, backend, threads, handed, finished)
    return [r for r in results if r is not None]


def _execute_joblib(cells: Sequence[Cell], todo: list[int], n_jobs: int, backend: str, threads: int,
                    handed: Any, finished: Any) -> None:
    from joblib import Parallel, delayed, parallel_config

    # one job per free worker (pre_dispatch="n_jobs", batch_size=1): joblib takes the next job
    # from the generator when a worker frees, which is when ``handed`` announces its start
    jobs = (delayed(_indexed)(handed(i), cells[i], threads) for i in todo)
    with parallel_config(backend=backend, n_jobs=n_jobs):  # registers joblib's dask backend on request
        finished(Parallel(return_as="generator_unordered", pre_dispatch="n_jobs", batch_size=1)(jobs))


def _dask_client(n_jobs: int, threads: int, scheduler: str | None) -> Any:
    """A dask.distributed client: connected to ``scheduler``, or owning a LocalCluster sized to
    this machine (``n_jobs`` workers, all cores for -1), closed with the returned context."""
    import contextlib

    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError("backend 'dask' needs dask.distributed: pip install 'eegzoo[cluster]' "
                           "(or pip install 'dask[distributed]').") from None
    stack = contextlib.ExitStack()
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise ClusterError(f"cannot reach the dask scheduler at {scheduler!r} ({type(err).__name__}: {err}): start one "
                               "(`dask scheduler`, then `dask worker ADDRESS --nthreads 1` on each machine, or "
                               "dask-jobqueue's SLURMCluster) and pass its address, e.g. tcp://host:8786; "
                               "or omit it for a LocalCluster on this machine.") from None
        stack.callback(client.close)
        return stack
    workers = n_jobs if n_jobs > 0 else max(1, (os.cpu_count() or 1) // max(1, threads))
    cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               dashboard_address=None))
    stack.enter_context(Client(cluster))
    return stack


def _execute_ray(cells: Sequence[Cell], todo: list[int], n_jobs: int, threads: int, address: str | None,
                 handed: Any, finished: Any) -> None:
    """Ray tasks through ray's own API (joblib's ray backend cannot return results as they
    finish): as many in flight as the cluster has CPUs for, one more as each finishes."""
    try:
        import ray
    except ImportError:
        raise ClusterError("backend 'ray' needs ray: pip install 'eegzoo[cluster]' (or pip install 'ray').") from None
    owned = not ray.is_initialized()
    if owned:
        _check_reachable(address)
        try:
            if address is not None:
                ray.init(address=address, log_to_driver=False)
            else:
                # a new local ray even when `ray start` runs here (connecting to it takes no num_cpus)
                ray.init(address="local", num_cpus=n_jobs if n_jobs > 0 else None, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise ClusterError(f"cannot connect to the ray cluster at {address!r} ({type(err).__name__}: "
                               f"{str(err).splitlines()[0] if str(err) else ''}): start one (`ray start --head`, then "
                               "`ray start --address HEAD:6379` on each machine) and pass its address, e.g. HEAD:6379 "
                               "or 'auto'; or omit it for a local ray on this machine. A cluster started with token "
                               "authentication (`ray start`'s default since ray 2.5x) also needs RAY_AUTH_MODE=token set "
                               "here, with its ~/.ray/auth_token.") from None
    try:
        task = ray.remote(num_cpus=threads, max_retries=0)(_indexed)
        slots = max(1, int(ray.cluster_resources().get("CPU", 1) // threads))
        if n_jobs > 0:
            slots = min(slots, n_jobs)
        queue = list(todo)

        def pairs() -> Iterable[tuple[int, dict[str, Any]]]:
            running: list[Any] = []
            try:
                while queue or running:
                    while queue and len(running) < slots:
                        i = queue.pop(0)
                        running.append(task.remote(handed(i), cells[i], threads))
                    ready, running = ray.wait(running, num_returns=1)
                    yield ray.get(ready[0])
            finally:
                for ref in running:
                    ray.cancel(ref, force=True)

        finished(pairs())
    finally:
        if owned:
            ray.shutdown()


def _check_reachable(address: str | None) -> None:
    """A ray address (host:port, ray://host:port) that accepts no TCP connection within 5 s
    is an error now (ray.init itself retries for minutes)."""
    import socket

    if address is None or address == "auto" or address.startswith("local"):
        return
    host, _, port = address.split("://")[-1].rpartition(":")
    try:
        with socket.create_connection((host or "localhost", int(port)), timeout=5):
            return
    except (OSError, ValueError) as err:
        raise ClusterError(f"cannot connect to the ray cluster at {address!r} ({type(err).__name__}: {err}): start one "
                           "(`ray start --head`, then `ray start --address HEAD:6379` on each machine) and pass its "
                           "address, e.g. HEAD:6379 or 'auto'; or omit it for a local ray on this machine.") from None


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
    return cell.cost
