"""Turn a (model, dataset) pair into a pretrained variant: train on the dataset protocol's
training part of one subject, test on its held-out part, and write the weights pinned by
sha256 in a variant spec that carries the held-out results, class names, input contract,
recipe and data provenance (the generated card shows them). Works for every dataset spec,
a lab's own recordings included (``eegzoo pretrain``), and builds eegzoo's own variants
(``scripts/train_pretrained.py``)."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.stats import binomtest
from sklearn.metrics import cohen_kappa_score

from eegzoo.benchmark import dataset_names
from eegzoo.benchmark.protocol import subject_data
from eegzoo.core.files import atomic_write_text, file_sha256
from eegzoo.data.datasets import load_dataset
from eegzoo.io.hub import save_pretrained
from eegzoo.io.weights import save_weights
from eegzoo.registry import model_spec
from eegzoo.registry.datasets import dataset_spec
from eegzoo.sklearn import EEGZooClassifier
from eegzoo.specs.dataset import DatasetSpec
from eegzoo.specs.recipe import get_recipe

#: Signal parameters are the variant's [signal] table, not its [params].
SIGNAL_FIELDS = {"n_chans", "n_outputs", "n_times", "sfreq", "chs_info", "input_window_seconds"}


@dataclass(frozen=True)
class PretrainResult:
    """What :func:`pretrain` wrote and measured."""

    name: str
    spec_file: Path
    weights_file: Path
    accuracy: float
    kappa: float
    chance: float
    p_value: float  # one-sided binomial test of the held-out accuracy against chance
    n_train: int
    n_test: int


def provenance(spec: DatasetSpec) -> str:
    """Where the data came from, as the card states it."""
    source = spec.source
    pinned = f"files pinned by sha256 (`eegzoo datasets info {spec.name}`)"
    if source.registry in ("pypi", "debian"):
        return (f"{source.registry} package `{source.package}` {source.version}, archive sha256 "
                f"{source.sha256[:12]}…, {pinned}")
    if source.registry == "moabb":
        return f"MOABB dataset `{source.dataset}` (MOABB {source.moabb_version})"
    hashed = sum(1 for f in spec.files if f.sha256)
    kind = "BIDS dataset" if source.registry == "bids" else "local recordings"
    check = f"{hashed} files pinned by sha256" if hashed else "files not pinned by sha256 (add them: `eegzoo datasets hash`)"
    return f"{kind} under `{source.root}` ({check}; spec `{spec.name}`)"


def held_out_description(spec: DatasetSpec, n_train: int, n_test: int, seed: int) -> tuple[str, str]:
    kind = spec.protocol.kind
    if kind == "train-test":
        return (f"the official training split ({', '.join(spec.protocol.train)}): {n_train} trials",
                f"the official test split ({', '.join(spec.protocol.test)}): {n_test} trials")
    return (f"folds 2-{spec.protocol.n_folds} of the benchmark's {spec.protocol.n_folds}-fold split (seed {seed}): {n_train} trials",
            f"fold 1 of {spec.protocol.n_folds} ({'chronological' if kind == 'chronological' else 'stratified, shuffled with seed ' + str(seed)}): {n_test} trials")


def pretrain(
    model: str,
    dataset: str,
    out: str | Path,
    *,
    subject: int = 1,
    seed: int = 0,
    recipe: str = "benchmark",
    license: str | None = None,
    repo_id: str | None = None,
    weights_file: str = "model.safetensors",
    model_folder: bool = True,
    reproduce: str | None = None,
    created: str | None = None,
    device: str | None = None,
) -> PretrainResult:
    """Train registered ``model`` on ``dataset`` (registered name or spec file; subject ``subject``, the first
    train/test split of its protocol for ``seed``) with ``recipe``, and write into ``out``:
    the weights (``weights_file``, relative to ``out``) and ``<model>.<dataset>.json``, a
    variant spec whose ``[pretrained]`` table pins them (``bundled``, so they load offline)
    with the held-out results. ``model_folder=True`` also makes ``out`` a saved-model folder
    (``config.json``, the card as ``README.md``), so ``from_pretrained(out)``,
    ``eegzoo predict out`` and ``push_to_hub`` take it as it is; ``register_spec`` of the
    JSON file adds the named variant (``create_model(name, pretrained=True)``).

    The weights' license follows their data (``license`` overrides the dataset's). Refused
    before any training: a dataset without a protocol or with fewer than two classes, or a
    subject the dataset does not have."""
    (dataset,) = dataset_names([dataset])  # a spec file is registered under its name
    spec = dataset_spec(dataset)
    base = model_spec(model)
    name = f"{base.name}.{spec.name}"
    if spec.protocol is None:
        raise ValueError(f"dataset '{spec.name}' has no [protocol]: pretrain needs a train/test split (add one to its spec).")
    if len(spec.classes) < 2:
        raise ValueError(f"dataset '{spec.name}' has {len(spec.classes)} class: a classifier needs at least two.")
    if subject not in spec.subjects:
        raise ValueError(f"dataset '{spec.name}' has no subject {subject}; its subjects: {spec.subjects}.")
    out = Path(out)
    torch.set_num_threads(1)  # deterministic for the seed on CPU: a rerun writes identical files
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (data,) = subject_data(spec, {subject: load_dataset(spec.name, subjects=[subject], progress=False)[subject]})
    train, test = data.folds(seed)[0]
    clf = EEGZooClassifier(base.name, recipe=recipe, sfreq=data.sfreq, ch_names=data.ch_names, seed=seed, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(data.X[train], data.y[train])
    predicted = clf.predict(data.X[test])
    truth = data.y[test]
    accuracy = float(np.mean(predicted == truth))
    kappa = float(cohen_kappa_score(truth, predicted))
    chance = float(max(np.mean(truth == c) for c in np.unique(truth)))
    p_value = float(binomtest(int((predicted == truth).sum()), len(truth), chance, alternative="greater").pvalue)
    module = clf.module_.cpu()
    module.eegzoo_input = module.eegzoo_input.with_events(spec.events, [str(c) for c in clf.classes_])

    params_model = type(module.eegzoo_params)
    params = {
        k: v for k, v in module.eegzoo_params.model_dump(mode="json", exclude_none=True).items()
        if k not in SIGNAL_FIELDS and v != params_model.model_fields[k].default
    }
    train_text, test_text = held_out_description(spec, len(train), len(test), seed)
    split = "test" if spec.protocol.kind == "train-test" else f"fold 1 of {spec.protocol.n_folds} (seed {seed})"
    config = f"subject {subject}"
    results = [
        {"metric": "accuracy", "metric_name": "Accuracy", "value": round(accuracy, 6), "dataset": spec.name,
         "dataset_name": spec.name, "split": split, "config": config},
        {"metric": "cohen_kappa", "metric_name": "Cohen's kappa", "value": round(kappa, 6), "dataset": spec.name,
         "dataset_name": spec.name, "split": split, "config": config},
    ]
    details = {
        "training data": f"`{spec.name}` subject {subject}, {train_text}",
        "held-out data": test_text + " (never seen in training or early stopping)",
        "data provenance": provenance(spec),
        "data license": spec.license,
        "caveats": " ".join(spec.caveats) or "none stated",
        "recipe": f"`{recipe}`: {get_recipe(recipe).description}",
        "input": f"volts x 1e6 (microvolts), {len(data.ch_names)} channels in the order above, "
                 f"{module.n_times} samples at {float(module.sfreq):g} Hz: {spec.epochs.tmin:g} to "
                 f"{spec.epochs.tmax:g} s relative to the {spec.epochs.relative_to}",
        "seed": str(seed),
        "reproduce": reproduce or f"eegzoo pretrain {base.name} --dataset {spec.name} --subject {subject} "
                                  f"--seed {seed} --recipe {recipe} --out {out}",
    }

    out.mkdir(parents=True, exist_ok=True)
    weights = out / weights_file
    if model_folder:  # config.json, model.safetensors and the card, with the held-out results
        save_pretrained(module, out, results=results, details=details)
    if not (model_folder and weights_file == "model.safetensors"):
        save_weights(module, weights, metadata={"created": created or f"eegzoo pretrain, seed {seed}"})
    variant: dict[str, Any] = {
        "name": name,
        "architecture": base.architecture,
        "description": f"{base.architecture} trained on `{spec.name}` ({spec.paradigm}; {', '.join(map(str, clf.classes_))}). "
                       f"Held-out accuracy {accuracy:.3f}.",
        "tags": list(dict.fromkeys([*base.tags, "pretrained", spec.name, *spec.tags[:2]])),
        "task": "classification",
        "paper": base.paper,
        "citation": "\n".join(c for c in (base.citation, spec.citation) if c),
        "license": license or spec.license,
        "signal": {"n_chans": module.n_chans, "n_outputs": module.n_outputs, "n_times": module.n_times,
                   "sfreq": float(module.sfreq), "ch_names": list(data.ch_names)},
        "params": params,
        "pretrained": {
            "repo_id": repo_id or f"local/{name}",
            "filename": "model.safetensors",
            "sha256": file_sha256(weights),
            "bundled": weights_file,
            "classes": [str(c) for c in clf.classes_],
            "input": module.eegzoo_input.model_copy(update={
                "tmin": spec.epochs.tmin, "tmax": spec.epochs.tmin + (module.n_times - 1) / float(module.sfreq),
            }).model_dump(mode="json", exclude_none=True),
            "dataset": spec.name,
            "seed": seed,
            "results": results,
            "details": details,
        },
    }
    spec_file = atomic_write_text(out / f"{name}.json", json.dumps(variant, indent=2) + "\n")
    return PretrainResult(name, spec_file, weights, accuracy, kappa, chance, p_value, len(train), len(test))
