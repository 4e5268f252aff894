"""Train eegzoo's pretrained variants and register them (not run by CI).

For each (model, dataset) below — those where ``eegzoo benchmark`` shows the zoo model
significantly above chance and the data's license allows sharing weights — train on the
training split with the ``benchmark`` recipe (through the same EEGZooClassifier as the
benchmark), test on the held-out split, and write:

- ``registry/weights/<model>.<dataset>.safetensors`` (bundled in the wheel),
- ``registry/<model>.<dataset>.json``: the variant spec, its ``[pretrained]`` table pinning
  the file by sha256, naming the Hub repo it is meant for, and carrying the held-out results,
  class names, recipe, data provenance and license (the generated card shows them).

Deterministic for its seed on CPU (one thread): running it again rewrites identical files.

    python scripts/train_pretrained.py            # all variants
    python scripts/train_pretrained.py eegnet.selfregulationscp1
    eegzoo card --all                             # then refresh model_cards/
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import cohen_kappa_score

from eegzoo.benchmark.protocol import subject_data
from eegzoo.core.files import atomic_write_text, file_sha256
from eegzoo.data.datasets import load_dataset
from eegzoo.io.weights import save_weights
from eegzoo.registry import model_spec
from eegzoo.registry.datasets import dataset_spec
from eegzoo.sklearn import EEGZooClassifier
from eegzoo.specs.recipe import get_recipe

REGISTRY = Path(__file__).resolve().parent.parent / "registry"
HUB_OWNER = "eegzoo"
RECIPE = "benchmark"
SEED = 0
SIGNAL_FIELDS = {"n_chans", "n_outputs", "n_times", "sfreq", "chs_info", "input_window_seconds"}

# (model, dataset, license of the weights)
VARIANTS = [
    ("fblightconvnet", "graz-sample", "GPL-3.0-or-later"),
    ("shallowfbcspnet", "graz-sample", "GPL-3.0-or-later"),
    ("eegnet", "selfregulationscp1", "other"),
]
# Not here: shallowfbcspnet on selfregulationscp1 (0.673 ± 0.111 over 3 seeds: one seed not
# significantly above chance), pylossless-press (no license stated for the recordings).
WEIGHTS_LICENSE_NOTE = {
    "GPL-3.0-or-later": "GPL-3.0-or-later: trained on data distributed under the GPL (Debian's octave-biosig)",
    "other": "Research use: trained on BCI Competition II data (free for research; cite the competition papers)",
}


def held_out_description(spec, n_train: int, n_test: int) -> tuple[str, str]:
    kind = spec.protocol.kind
    if kind == "train-test":
        return (f"the official training split ({', '.join(spec.protocol.train)}): {n_train} trials",
                f"the official test split ({', '.join(spec.protocol.test)}): {n_test} trials")
    return (f"folds 2-{spec.protocol.n_folds} of the benchmark's {spec.protocol.n_folds}-fold split (seed {SEED}): {n_train} trials",
            f"fold 1 of {spec.protocol.n_folds} (stratified, shuffled with seed {SEED}): {n_test} trials")


def train_variant(model: str, dataset: str, license_id: str) -> dict:
    torch.set_num_threads(1)
    spec = dataset_spec(dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (data,) = subject_data(spec, {1: load_dataset(dataset, subjects=[1], progress=False)[1]})
    train, test = data.folds(SEED)[0]
    clf = EEGZooClassifier(model, recipe=RECIPE, sfreq=data.sfreq, ch_names=data.ch_names, seed=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(data.X[train], data.y[train])
    predicted = clf.predict(data.X[test])
    accuracy = float(np.mean(predicted == data.y[test]))
    kappa = float(cohen_kappa_score(data.y[test], predicted))
    name = f"{model}.{dataset}"
    module = clf.module_
    weights = REGISTRY / "weights" / f"{name}.safetensors"
    save_weights(module, weights, metadata={"created": f"scripts/train_pretrained.py, seed {SEED}"})
    base = model_spec(model)
    params_model = type(module.eegzoo_params)
    params = {
        k: v for k, v in module.eegzoo_params.model_dump(mode="json", exclude_none=True).items()
        if k not in SIGNAL_FIELDS and v != params_model.model_fields[k].default
    }
    train_text, test_text = held_out_description(spec, len(train), len(test))
    source = spec.source
    recipe = get_recipe(RECIPE)
    split = "test" if spec.protocol.kind == "train-test" else f"fold 1 of {spec.protocol.n_folds} (seed {SEED})"
    variant = {
        "name": name,
        "architecture": base.architecture,
        "description": f"{base.architecture} trained on `{dataset}` ({spec.paradigm}; {', '.join(map(str, clf.classes_))}). "
                       f"Held-out accuracy {accuracy:.3f}.",
        "tags": list(dict.fromkeys([*base.tags, "pretrained", dataset, *spec.tags[:2]])),
        "task": "classification",
        "paper": base.paper,
        "citation": "\n".join(c for c in (base.citation, spec.citation) if c),
        "license": WEIGHTS_LICENSE_NOTE[license_id],
        "signal": {"n_chans": module.n_chans, "n_outputs": module.n_outputs, "n_times": module.n_times,
                   "sfreq": float(module.sfreq), "ch_names": list(data.ch_names)},
        "params": params,
        "pretrained": {
            "repo_id": f"{HUB_OWNER}/{name}",
            "filename": "model.safetensors",
            "sha256": file_sha256(weights),
            "bundled": f"weights/{name}.safetensors",
            "classes": [str(c) for c in clf.classes_],
            "input": module.eegzoo_input.model_copy(update={
                "tmin": spec.epochs.tmin, "tmax": spec.epochs.tmin + (module.n_times - 1) / float(module.sfreq),
            }).model_dump(mode="json", exclude_none=True),
            "dataset": dataset,
            "seed": SEED,
            "results": [
                {"metric": "accuracy", "metric_name": "Accuracy", "value": round(accuracy, 6), "dataset": dataset,
                 "dataset_name": dataset, "split": split, "config": "subject 1"},
                {"metric": "cohen_kappa", "metric_name": "Cohen's kappa", "value": round(kappa, 6), "dataset": dataset,
                 "dataset_name": dataset, "split": split, "config": "subject 1"},
            ],
            "details": {
                "training data": f"`{dataset}` subject 1, {train_text}",
                "held-out data": test_text + " (never seen in training or early stopping)",
                "data provenance": f"{source.registry} package `{source.package}` {source.version}, archive sha256 "
                                   f"{source.sha256[:12]}…, files pinned by sha256 (`eegzoo datasets info {dataset}`)",
                "data license": spec.license,
                "caveats": " ".join(spec.caveats) or "none stated",
                "recipe": f"`{RECIPE}`: {recipe.description}",
                "input": f"volts x 1e6 (microvolts), {len(data.ch_names)} channels in the order above, "
                         f"{module.n_times} samples at {float(module.sfreq):g} Hz: {spec.epochs.tmin:g} to "
                         f"{spec.epochs.tmax:g} s relative to the {spec.epochs.relative_to}",
                "seed": str(SEED),
                "reproduce": f"python scripts/train_pretrained.py {name}",
            },
        },
    }
    atomic_write_text(REGISTRY / f"{name}.json", json.dumps(variant, indent=2) + "\n")
    print(f"{name}: held-out accuracy {accuracy:.4f}, kappa {kappa:.4f} ({len(test)} trials); "
          f"{weights.stat().st_size} bytes, sha256 {file_sha256(weights)}")
    return variant


def main(names: list[str]) -> None:
    chosen = [v for v in VARIANTS if not names or f"{v[0]}.{v[1]}" in names]
    if names and len(chosen) != len(names):
        raise SystemExit(f"unknown variant(s); choose among {[f'{m}.{d}' for m, d, _ in VARIANTS]}")
    for model, dataset, license_id in chosen:
        train_variant(model, dataset, license_id)


if __name__ == "__main__":
    main(sys.argv[1:])
