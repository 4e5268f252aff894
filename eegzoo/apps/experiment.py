"""Training runs as the CLI and the demo do them: data source -> trained model folder
(weights, config, card with metrics, plots, history)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mne
from torch import nn

from eegzoo.api import create_model, from_pretrained, save_pretrained
from eegzoo.core.files import atomic_write_text
from eegzoo.data.datasets import load_dataset
from eegzoo.data.epochs import EEGDataset, from_epochs, from_raw, read_raw
from eegzoo.data.protocol import protocol_folds
from eegzoo.registry.datasets import dataset_spec, is_dataset
from eegzoo.specs.results import measured_results
from eegzoo.training import History, evaluate, fit, split_stratified

SIMULATED = "simulated"


def load_source(source: str, model: nn.Module, session: str, subject: int = 1, seed: int = 0, n_trials: int = 36,
                classes: list[str] | None = None) -> EEGDataset:
    """``"simulated"`` (the SIMULATED dataset: ``subject``, ``session`` "T" or "E"), a
    registered dataset or dataset spec file (``subject``; "T"/"E" = the training/test part of
    the first fold of its protocol), an mne epochs file (``*-epo.fif``), or a raw recording
    whose annotations mark the trials."""
    if source == SIMULATED:
        from eegzoo.data.simulated import simulated_motor_imagery

        epochs = simulated_motor_imagery(subject, n_trials, seed, sessions=(session,))[subject][session]
        return from_epochs(epochs, model, classes=classes)
    if is_dataset(source):
        spec = dataset_spec(source)
        data = load_dataset(spec, subjects=[subject], splits=spec.protocol.splits)
        fold = protocol_folds(spec, data, seed)[0]
        return from_epochs(fold.train if session == "T" else fold.test, model, classes=classes)
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"--data {source!r}: no such file or registered dataset; use 'simulated', a dataset "
                                f"(eegzoo datasets list) or an EEG file mne can read.")
    if path.name.endswith(("-epo.fif", "_epo.fif", "-epo.fif.gz")):
        return from_epochs(mne.read_epochs(path, preload=True, verbose=False), model, classes=classes)
    return from_raw(read_raw(path), model, classes=classes)


def _sized_for(name: str, signal: dict[str, Any]) -> dict[str, Any]:
    """Signal arguments plus the hyperparameters the architecture sizes from them (e.g.
    FBLightConvNet's one-second windows; see ``sized_for_signal``)."""
    from eegzoo.registry import get_architecture, model_spec

    sized = getattr(get_architecture(model_spec(name).architecture).params_model, "sized_for_signal", None)
    return {**(sized(signal["n_times"], signal["sfreq"]) if sized else {}), **signal}


def _write_json(path: Path, value: Any) -> None:
    atomic_write_text(path, json.dumps(value, indent=2) + "\n")


def train_run(
    name: str, source: str, out: str | Path, epochs: int | None = None, lr: float | None = None,
    batch_size: int | None = None, seed: int = 0, subject: int = 1, n_trials: int = 36, patience: int | None = None,
    progress: bool = True, test_source: str | None = None, recipe: str = "default",
) -> tuple[nn.Module, History, dict[str, Any]]:
    """Train ``name`` on ``source`` with ``recipe`` (session T for the simulated data; 20% held
    out per class for early stopping; ``epochs``/``lr``/... override the recipe), checkpoint the best weights into ``out`` as they improve (an
    interrupted run keeps the best so far), then test (session E for the simulated data,
    else ``test_source`` or the held-out part) and write metrics, plots and the card."""
    from eegzoo.apps.plots import plot_confusion_matrix, plot_learning_curves

    out = Path(out)
    # a registered dataset fixes the model's channels, classes, window and rate
    model = create_model(name, **(_sized_for(name, dataset_spec(source).signal_arguments()) if is_dataset(source) else {}))
    train_all = load_source(source, model, "T", subject, seed, n_trials)
    model.eegzoo_classes = train_all.classes
    train, valid = split_stratified(train_all, 0.2, seed)
    history = fit(
        model, train, valid, recipe, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, patience=patience,
        progress=progress, on_improvement=lambda m, h: save_pretrained(m, out),
    )
    if source == SIMULATED:
        test = load_source(SIMULATED, model, "E", subject, seed, n_trials, classes=train_all.classes)
        where = dict(dataset="simulated-motor-imagery", dataset_name="SIMULATED motor imagery (not recordings)",
                     split="session E", config=f"subject {subject}")
    elif test_source is not None:
        test = load_source(test_source, model, "E", classes=train_all.classes)
        where = dict(dataset=Path(test_source).name, split="test")
    elif is_dataset(source):
        test = load_source(source, model, "E", subject, seed, classes=train_all.classes)
        spec = dataset_spec(source)
        where = dict(dataset=spec.name, split=f"test part of the first fold of its protocol ({spec.protocol.kind})",
                     config=f"subject {subject}")
    else:
        test = valid
        where = dict(dataset=Path(source).name, split="early-stopping validation (20% held out; optimistic)")
    metrics = evaluate(model, test)
    figures = {
        "Learning curves": plot_learning_curves(history, out / "learning_curves.png").name,
        "Confusion matrix": plot_confusion_matrix(metrics, out / "confusion_matrix.png").name,
    }
    results = measured_results({k: metrics[k] for k in ("accuracy", "kappa")}, **where)
    details = {"training data": source, "recipe": recipe, "best epoch": history.best_epoch,
               "stopped early": history.stopped_early, "training trials": len(train),
               "validation trials": len(valid), "test trials": len(test), "seed": seed}
    if is_dataset(source):
        details["data license"] = dataset_spec(source).license
    details.update({k: v for k, v in (("max epochs", epochs), ("learning rate", lr), ("batch size", batch_size)) if v is not None})
    save_pretrained(model, out, results=results, details=details, figures=figures)
    _write_json(out / "metrics.json", metrics)
    _write_json(out / "history.json", {"epochs": history.epochs, "best_epoch": history.best_epoch,
                                       "stopped_early": history.stopped_early})
    return model, history, metrics


def evaluate_run(directory: str | Path, source: str, subject: int = 1, seed: int = 0, n_trials: int = 36) -> dict[str, Any]:
    """Load a trained folder and evaluate it on ``source`` (session E for the simulated data),
    mapping labels through the class names saved with the model."""
    model = from_pretrained(directory)
    classes = getattr(model, "eegzoo_classes", None)
    return evaluate(model, load_source(source, model, "E", subject, seed, n_trials, classes=classes))
