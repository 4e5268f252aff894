"""Training runs as the CLI and the demo do them: data source -> trained model folder
(weights, config, card with metrics, plots, history)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mne
from torch import nn

from eegzoo.api import create_model, from_pretrained, save_pretrained
from eegzoo.core.files import atomic_write_text
from eegzoo.data.datasets import EPOCHS_SUFFIXES, load_dataset, read_any
from eegzoo.data.epochs import EEGDataset, from_epochs, from_raw, read_raw, select_events
from eegzoo.data.events import NOT_TRIALS, TrialsDroppedWarning, cut_with_report, describe_counts, event_counts
from eegzoo.io.cards import DATA_LICENSE, DATA_PARADIGM
from eegzoo.data.preparation import match_channels
from eegzoo.data.protocol import protocol_folds
from eegzoo.sklearn import data_sized_model
from eegzoo.registry.datasets import dataset_spec, is_dataset
from eegzoo.specs.results import measured_results
from eegzoo.registry import model_spec
from eegzoo.training import History, evaluate, fit, resolve_device, seed_everything, split_stratified

SIMULATED = "simulated"
#: where the reported accuracy comes from when no test data were given
VALIDATION_SPLIT = "early-stopping validation (20% held out; optimistic)"
_EPOCHS_SUFFIXES = EPOCHS_SUFFIXES


@dataclass(frozen=True)
class Selection:
    """What to take from the training data (the command line's ``--channels``,
    ``--classes``, ``--tmin``/``--tmax`` and ``--sfreq``); ``None`` = from the data."""

    channels: list[str] | None = None
    classes: list[str] | None = None
    tmin: float | None = None
    tmax: float | None = None
    sfreq: float | None = None
    #: drop trials overlapping BAD_* annotations (off: kept, and counted either way)
    reject_by_annotation: bool = False

    def is_empty(self) -> bool:
        return (self.channels, self.classes, self.tmin, self.tmax, self.sfreq) == (None, None, None, None, None)


def _file(source: str) -> Path:
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"--data {source!r}: no such file or registered dataset; use 'simulated', a dataset "
                                f"(eegzoo datasets list) or an EEG file mne can read.")
    return path


def load_source(source: str, model: nn.Module, session: str, subject: int = 1, seed: int = 0, n_trials: int = 36,
                classes: list[str] | None = None) -> EEGDataset:
    """Data for a built (or trained) model: ``"simulated"`` (the SIMULATED dataset:
    ``subject``, ``session`` "T" or "E"), a registered dataset or dataset spec file
    (``subject``; "T"/"E" = the training/test part of the first fold of its protocol), an mne
    epochs file (``*-epo.fif``), or a raw recording whose annotations mark the trials. A
    trained model's recorded input contract says how to prepare them (channels, window,
    unit, class order)."""
    if source == SIMULATED:
        from eegzoo.data.simulated import simulated_motor_imagery

        epochs = simulated_motor_imagery(subject, n_trials, seed, sessions=(session,))[subject][session]
        return from_epochs(epochs, model, classes=classes)
    if is_dataset(source):
        spec = dataset_spec(source)
        data = load_dataset(spec, subjects=[subject], splits=spec.protocol.splits)
        fold = protocol_folds(spec, data, seed)[0]
        prepared = from_epochs(fold.train if session == "T" else fold.test, model, classes=classes)
        # the recordings' event names (upright, inverted -> face): eegzoo predict finds trials by them
        prepared.contract = prepared.contract.with_events(spec.events, prepared.classes)
        return prepared
    path = _file(source)
    data = read_any(path)
    if isinstance(data, mne.BaseEpochs):
        return from_epochs(data, model, classes=classes)
    return from_raw(data, model, classes=classes)


def read_training_epochs(source: str, name: str, selection: Selection, subject: int = 1, seed: int = 0,
                         n_trials: int = 36) -> tuple[mne.BaseEpochs, dict[str, int]]:
    """(epochs to train on, ignored event descriptions -> count) from ``"simulated"``
    (session T), an epochs file or a raw recording. For a recording the trials are the
    annotations named in ``selection.classes`` (default: all), cut from ``selection.tmin``
    (default 0) to ``selection.tmax`` (default: the trials' annotated duration, else the
    window of the registered model ``name``)."""
    ignored: dict[str, int] = {}
    data = None if source == SIMULATED else read_any(_file(source))
    if data is None or isinstance(data, mne.BaseEpochs):
        if data is None:
            from eegzoo.data.simulated import simulated_motor_imagery

            epochs = simulated_motor_imagery(subject, n_trials, seed, sessions=("T",))[subject]["T"]
        else:
            epochs = data
            if selection.classes is None:
                _check_trial_events(source, Counter(_labels(epochs)))
        if selection.tmin is not None or selection.tmax is not None:
            if (selection.tmin or epochs.tmin) < epochs.tmin - 1e-9 or (selection.tmax or epochs.tmax) > epochs.tmax + 1e-9:
                raise ValueError(f"--tmin/--tmax must lie within the epochs' window, {epochs.tmin:g} s to {epochs.tmax:g} s.")
            epochs = epochs.copy().crop(selection.tmin, selection.tmax)
        return epochs, ignored
    raw = data
    counts = event_counts(raw.annotations.description)
    descriptions = sorted(counts)
    unknown = [c for c in selection.classes or [] if c not in descriptions]
    if unknown:
        raise ValueError(f"--classes {unknown} are not event names of the data, which has {describe_counts(counts)}.")
    classes = selection.classes
    if classes is None:  # every event name that marks trials: not BAD_*/EDGE/boundary
        classes = [d for d in descriptions if not NOT_TRIALS.match(d)]
        _check_trial_events(source, Counter({d: counts[d] for d in classes}), counts)
    events, event_id, ignored = select_events(raw, classes=classes)
    if not len(events):
        raise ValueError(f"{source}: no events of the classes {selection.classes}.")
    tmin = 0.0 if selection.tmin is None else selection.tmin
    tmax = selection.tmax
    if tmax is None:
        names = set(event_id)
        durations = {round(float(d), 6) for d, desc in zip(raw.annotations.duration, raw.annotations.description) if desc in names}
        if len(durations) == 1 and next(iter(durations)) > 0:
            tmax = tmin + next(iter(durations)) - 1 / raw.info["sfreq"]
        else:  # never another dataset's window (a registered variant's n_times / sfreq)
            raise ValueError(
                f"{source}: the trials' annotations have no common duration ({sorted(durations)[:5]} s), so the window "
                "is not known: pass --tmax (and --tmin, default 0), in seconds relative to each event."
            )
    epochs, _ = cut_with_report(raw, events, event_id, tmin, tmax, selection.reject_by_annotation, str(source), baseline=None)
    return epochs, ignored


def _labels(epochs: mne.BaseEpochs) -> list[str]:
    names = {code: name for name, code in epochs.event_id.items()}
    return [names.get(code, str(code)) for code in epochs.events[:, 2]]


def _check_trial_events(source: str, trials: Counter, everything: Counter | None = None) -> None:
    """Without --classes every event name is a class: refuse names too rare to be one (a
    'boundary', a stray code, an event_id entry without trials), naming all of them."""
    rare = {k: v for k, v in trials.items() if v < 2}
    if len(trials) < 2 or rare:
        shown = describe_counts(everything or trials)
        problem = (f"event(s) {', '.join(repr(k) for k in sorted(rare))} have fewer than 2 trials" if rare
                   else "fewer than two event names mark trials")
        raise ValueError(f"{source}: without --classes every event name is a class, but {problem}. The data have "
                         f"{shown}. Pass --classes naming the events that are classes, e.g. --classes "
                         f"{','.join(k for k, v in sorted(trials.items(), key=lambda kv: -kv[1])[:2])}.")


def size_model_to_data(name: str, epochs: mne.BaseEpochs, selection: Selection, seed: int = 0) -> tuple[nn.Module, mne.BaseEpochs, list[str]]:
    """(fresh model, epochs with its channels and rate, class names): the model takes its
    channels, rate, window and number of classes from the data, as braindecode infers
    signal parameters, and ``selection`` overrides them. Channels: ``selection.channels``,
    else the registered variant's channel names when the data have them all, else the
    data's EEG channels. The global random generators are seeded before the model is built,
    so its initial weights depend on ``seed`` only."""

    epochs = epochs.copy()
    wanted = selection.channels or model_spec(name).signal.ch_names
    try:  # the recording's own names are kept; --channels only selects and orders them
        mapping = match_channels(epochs.ch_names, wanted, warn=False) if wanted else None
    except ValueError:
        if selection.channels:
            raise
        mapping = None  # the variant's channels are not all there: use the data's
    if mapping is not None:
        picks = [mapping[n] for n in wanted]
        epochs.pick(picks).reorder_channels(picks)
    else:
        if not any(t == "eeg" for t in epochs.get_channel_types()):
            raise ValueError("The data have no EEG channels: name the channels to use with --channels.")
        epochs.pick("eeg")
    if selection.sfreq is not None and abs(selection.sfreq - epochs.info["sfreq"]) > 1e-6:
        if selection.sfreq > epochs.info["sfreq"]:
            raise ValueError(f"--sfreq {selection.sfreq:g} Hz is above the data's {epochs.info['sfreq']:g} Hz: upsampling "
                             "adds no information; give a lower rate or leave --sfreq out.")
        epochs.resample(selection.sfreq, verbose=False)
    codes = dict(epochs.event_id)
    present = set(epochs.events[:, 2].tolist())
    classes = list(selection.classes) if selection.classes else sorted((c for c in codes if codes[c] in present), key=codes.get)
    unknown = [c for c in classes if c not in codes]
    if unknown:
        raise ValueError(f"--classes {unknown} are not event names of the data ({', '.join(sorted(codes))}).")
    if len(classes) < 2:
        raise ValueError(f"The data have {len(classes)} class(es) ({', '.join(classes) or 'none'}); training a classifier "
                         "needs at least two: check --classes and the recording's events.")
    seed_everything(seed)
    model = data_sized_model(name, len(epochs.ch_names), len(epochs.times), float(epochs.info["sfreq"]), len(classes),
                             list(epochs.ch_names))
    return model, epochs, classes


def describe_data(data: EEGDataset, ignored: dict[str, int]) -> str:
    """One line on what the model is trained on."""
    counts = ", ".join(f"{c} {int((data.y == i).sum())}" for i, c in enumerate(data.classes))
    contract = data.input_contract()
    names = ", ".join(data.ch_names[:8]) + (", ..." if len(data.ch_names) > 8 else "")
    line = (f"data: {len(data)} trials ({counts}); {contract.n_chans} channels ({names}); {contract.sfreq:g} Hz; "
            f"window {contract.tmin:g} s to {contract.tmax:g} s around the event ({contract.n_times} samples)")
    if ignored:
        line += "; events ignored (not classes): " + ", ".join(f"{k} {v}" for k, v in sorted(ignored.items()))
    return line


def _write_json(path: Path, value: Any) -> None:
    atomic_write_text(path, json.dumps(value, indent=2) + "\n")


def train_run(
    name: str, source: str, out: str | Path, epochs: int | None = None, lr: float | None = None,
    batch_size: int | None = None, seed: int = 0, subject: int = 1, n_trials: int = 36, patience: int | None = None,
    progress: bool = True, test_source: str | None = None, recipe: str = "default",
    selection: Selection | None = None, report: Callable[[str], None] | None = None,
    cropped: bool | None = None, device: str | None = None,
) -> tuple[nn.Module, History, dict[str, Any]]:
    """Train ``name`` on ``source`` with ``recipe`` (session T for the simulated data; 20% held
    out per class for early stopping; ``epochs``/``lr``/... override the recipe), checkpoint
    the best weights into ``out`` as they improve (an interrupted run keeps the best so far),
    then test (session E for the simulated data, else ``test_source`` or the held-out part)
    and write metrics, plots and the card. ``cropped`` overrides the recipe's cropped decoding
    (see :func:`eegzoo.training.fit`); ``device``: where to train (default: CUDA when available).

    A fresh model is sized from the data (:func:`size_model_to_data`; ``selection``
    overrides), after seeding: the same ``seed`` gives the same weights, bit for bit, on CPU.
    ``report`` receives a line describing the data used."""
    from eegzoo.apps.plots import plot_confusion_matrix, plot_learning_curves

    out = Path(out)
    device = resolve_device(device)  # checked before any data or training work
    selection = selection or Selection()
    with warnings.catch_warnings(record=True) as caught:  # dropped/flagged trials: reported with the data line
        warnings.simplefilter("always", TrialsDroppedWarning)
        if is_dataset(source):  # a registered dataset fixes the model's channels, classes, window and rate
            if not selection.is_empty():
                raise ValueError("--channels/--classes/--tmin/--tmax/--sfreq apply to files and the simulated data; "
                                 "a registered dataset fixes them in its spec (reject_by_annotation too).")
            seed_everything(seed)
            signal = dataset_spec(source).signal_arguments()  # sized like any fresh model (e.g. 1 s windows)
            if signal["n_outputs"] < 2:
                raise ValueError(f"dataset '{dataset_spec(source).name}' has {signal['n_outputs']} class; training a "
                                 "classifier needs at least two: map its events to two or more classes.")
            model = data_sized_model(name, signal["n_chans"], signal["n_times"], signal["sfreq"], signal["n_outputs"],
                                     [c["ch_name"] for c in signal["chs_info"]])
            train_all, ignored = load_source(source, model, "T", subject, seed, n_trials), {}
        else:
            recorded, ignored = read_training_epochs(source, name, selection, subject, seed, n_trials)
            model, recorded, classes = size_model_to_data(name, recorded, selection, seed)
            train_all = from_epochs(recorded, model, classes=classes)
    dropped = [str(w.message) for w in caught if issubclass(w.category, TrialsDroppedWarning)]
    for w in caught:
        if not issubclass(w.category, TrialsDroppedWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if report is not None:
        report(describe_data(train_all, ignored))
        for line in dropped:
            report(f"trials: {line}")
    elif dropped:
        for line in dropped:
            warnings.warn(line, TrialsDroppedWarning, stacklevel=2)
    train, valid = split_stratified(train_all, 0.2, seed)
    history = fit(
        model, train, valid, recipe, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, patience=patience,
        progress=progress, on_improvement=lambda m, h: save_pretrained(m, out), cropped=cropped, device=device,
    )
    if source == SIMULATED:
        test = load_source(SIMULATED, model, "E", subject, seed, n_trials)
        where = dict(dataset="simulated-motor-imagery", dataset_name="SIMULATED motor imagery (not recordings)",
                     split="session E", config=f"subject {subject}")
    elif test_source is not None:
        test = load_source(test_source, model, "E")
        where = dict(dataset=Path(test_source).name, split="test")
    elif is_dataset(source):
        test = load_source(source, model, "E", subject, seed)
        spec = dataset_spec(source)
        where = dict(dataset=spec.name, split=f"test part of the first fold of its protocol ({spec.protocol.kind})",
                     config=f"subject {subject}")
    else:
        test = valid
        where = dict(dataset=Path(source).name, split=VALIDATION_SPLIT)
    metrics = evaluate(model, test)
    metrics["evaluated_on"] = where["split"]
    figures = {
        "Learning curves": plot_learning_curves(history, out / "learning_curves.png").name,
        "Confusion matrix": plot_confusion_matrix(metrics, out / "confusion_matrix.png").name,
    }
    results = measured_results({k: metrics[k] for k in ("accuracy", "kappa")}, **where)
    metrics["validation_only"] = where["split"] == VALIDATION_SPLIT
    details = {"training data": source, "recipe": recipe, "best epoch": history.best_epoch,
               "stopped early": history.stopped_early, "training trials": len(train),
               "validation trials": len(valid), "test trials": len(test), "seed": seed}
    if history.predictions_per_trial > 1:
        details["cropped decoding"] = (f"{history.predictions_per_trial} predictions per trial (one per crop), "
                                       "averaged for the loss and the trial's prediction")
    if is_dataset(source):
        details[DATA_LICENSE] = dataset_spec(source).license
        details[DATA_PARADIGM] = dataset_spec(source).paradigm
    elif source == SIMULATED:
        details[DATA_LICENSE] = "BSD-3-Clause: SIMULATED data generated by eegzoo"
    if dropped:
        details["trials dropped or flagged"] = "; ".join(dropped)
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
    return evaluate(model, load_source(source, model, "E", subject, seed, n_trials))
