"""mne objects -> model-ready tensors, matching a zoo model's channels, rate and length."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import mne
import numpy as np
import torch
from torch import nn

from eegzoo.data.events import bad_overlaps, cut_with_report, normalise_annotations
from eegzoo.data.preparation import expected_input, prepare_epochs, recorded_classes, typical_amplitude
from eegzoo.specs.input import InputContract
from eegzoo.specs.model import ModelSpec


@dataclass
class EEGDataset(torch.utils.data.Dataset):
    """Trials ``X`` (n, n_chans, n_times) float32 and labels ``y`` (n,) int64, with the
    class names (index -> name), channel names and sampling rate they were prepared for."""

    X: torch.Tensor
    y: torch.Tensor
    classes: list[str]
    ch_names: list[str]
    sfreq: float
    info: dict[str, Any] = field(default_factory=dict)
    #: how the trials were prepared (channels, rate, window, unit, standardisation)
    contract: InputContract | None = None

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.X[i], self.y[i]

    def input_contract(self) -> InputContract:
        """How the trials were prepared: the record of :func:`from_epochs`, or for trials
        prepared by hand what the tensors show (channels, rate, length, typical amplitude;
        unit and standardisation unknown)."""
        if self.contract is not None:
            return self.contract
        return InputContract(
            n_chans=int(self.X.shape[1]), ch_names=list(self.ch_names) or None, sfreq=float(self.sfreq),
            n_times=int(self.X.shape[2]), amplitude=typical_amplitude(self.X.numpy()) if len(self.X) else None,
        )


def from_epochs(
    epochs: mne.BaseEpochs,
    model_or_spec: nn.Module | ModelSpec | str,
    *,
    resample: bool = True,
    length: Literal["error", "crop", "pad"] = "error",
    standardize: Literal["auto", "trial", "ems"] | None = "auto",
    scale: float | Literal["auto"] = "auto",
    classes: Sequence[str] | None = None,
) -> EEGDataset:
    """Prepare ``epochs`` for a model (or spec / registered name).

    A model trained by :func:`eegzoo.training.fit` records how its training data were
    prepared (``model.eegzoo_input``, saved in ``config.json``); the defaults apply that
    record, so test data are prepared exactly like the training data.

    - Channels are picked by name in the model's order when it knows its channel names
      (recorded, ``chs_info`` or the spec's ``ch_names``), ignoring case with an
      :class:`~eegzoo.core.errors.InputContractWarning` if needed; a missing channel is an
      error that lists them. Otherwise the EEG channels are used in recorded order and must
      number n_chans.
    - ``resample=True`` resamples to the model's sfreq with mne; ``False`` makes a
      different rate an error.
    - Window: a recorded window (tmin/tmax around the event) is cut from epochs that cover
      it. Otherwise the epochs must have ``n_times`` samples: ``length="crop"`` keeps the
      first ``n_times``, ``"pad"`` zero-pads at the end; the default refuses a mismatch.
    - ``scale`` multiplies the data (mne stores volts; ``"auto"``: the recorded scale, else
      1e6, microvolts). Data whose amplitude shows volts where the model learned from
      microvolts (or the reverse) are converted with a warning; other amplitude mismatches
      are refused. Then ``standardize`` ("trial": per trial and channel; "ems": exponential
      moving; ``"auto"``: as recorded, else none).
    - Labels: ``classes`` (event_id names in output order; other events are dropped),
      default the model's recorded class names, else the ``event_id`` names ordered by event
      code; ``y`` holds their indices.
    """
    return _dataset(
        epochs, expected_input(model_or_spec), recorded_classes(model_or_spec), resample=resample, length=length,
        standardize=standardize, scale=scale, classes=classes,
    )


def _dataset(
    epochs: mne.BaseEpochs,
    target: InputContract,
    model_classes: list[str] | None,
    *,
    resample: bool = True,
    length: Literal["error", "crop", "pad"] = "error",
    standardize: Literal["auto", "trial", "ems"] | None = "auto",
    scale: float | Literal["auto"] = "auto",
    classes: Sequence[str] | None = None,
) -> EEGDataset:
    X, contract = prepare_epochs(
        epochs, target, resample=resample, length=length, standardize=standardize,
        scale=None if scale == "auto" else scale,
    )
    codes = dict(epochs.event_id)
    from_model = classes is None and model_classes is not None
    class_names = list(classes) if classes is not None else model_classes or sorted(codes, key=codes.get)
    if from_model and not any(c in codes for c in class_names):
        raise ValueError(
            f"None of the epochs' event names {sorted(codes)} is among the model's classes {class_names}: "
            "name the events as in training (epochs.event_id), or pass classes=."
        )
    unknown = [] if from_model else [c for c in class_names if c not in codes]
    if unknown:
        raise ValueError(f"classes {unknown} are not in the epochs' event_id {sorted(codes)}.")
    index_of_code = {codes[name]: i for i, name in enumerate(class_names) if name in codes}
    keep = np.array([code in index_of_code for code in epochs.events[:, 2]], dtype=bool)
    if not keep.any():
        raise ValueError(f"No epochs of the classes {class_names} (the epochs' events: {sorted(codes)}).")
    labels = np.array([index_of_code[c] for c in epochs.events[keep, 2]], dtype=np.int64)
    name_of_code = {code: name for name, code in codes.items()}
    used, ignored = Counter(), Counter()
    for code, kept in zip(epochs.events[:, 2], keep):
        (used if kept else ignored)[name_of_code.get(code, str(code))] += 1
    return EEGDataset(
        X=torch.as_tensor(X[keep], dtype=torch.float32),
        y=torch.as_tensor(labels),
        classes=class_names,
        ch_names=list(contract.ch_names or []),
        sfreq=contract.sfreq,
        info={"description": epochs.info.get("description"), "events": {"used": dict(used), "ignored": dict(ignored)}},
        contract=contract,
    )


def select_events(
    raw: mne.io.BaseRaw,
    events: np.ndarray | None = None,
    event_id: Mapping[str, int] | None = None,
    classes: Sequence[str] | None = None,
) -> tuple[np.ndarray, dict[str, int], dict[str, int]]:
    """(events, event_id, ignored description -> count): ``events`` (default: from the
    annotations) restricted to ``classes`` when given. Events that share an onset are an
    error naming them, since mne cannot cut both (e.g. a GDF's trial-start and cue codes):
    pass ``classes`` to say which descriptions are trials."""
    if events is None:
        if not len(raw.annotations):
            raise ValueError("The recording has no annotations: pass events= (an mne events array) and event_id=.")
        events, found = mne.events_from_annotations(raw, event_id=dict(event_id) if event_id else None, verbose=False)
        event_id = found
    elif event_id is None:
        event_id = {str(code): int(code) for code in np.unique(events[:, 2])}
    event_id = dict(event_id)
    name_of_code = {code: name for name, code in event_id.items()}
    ignored: Counter[str] = Counter()
    if classes is not None:
        keep_codes = {event_id[c] for c in classes if c in event_id}
        for code in events[:, 2]:
            if code not in keep_codes:
                ignored[name_of_code.get(code, str(code))] += 1
        events = events[np.isin(events[:, 2], list(keep_codes))]
        event_id = {name: code for name, code in event_id.items() if code in keep_codes}
    else:
        events = events[np.isin(events[:, 2], list(event_id.values()))]
    samples, counts = np.unique(events[:, 0], return_counts=True)
    shared = set(samples[counts > 1].tolist())
    if shared:
        pairs = Counter(
            " & ".join(sorted({name_of_code.get(c, str(c)) for c in events[events[:, 0] == s, 2]})) for s in shared
        )
        described = "; ".join(f"{names} at {n} onset(s)" for names, n in sorted(pairs.items()))
        raise ValueError(
            f"Events share onsets ({described}), so each onset would be cut twice. "
            + ("Some of the selected classes coincide: check the class names. " if classes is not None else
               "Pass classes=[...] (CLI: --classes a,b,...) naming the descriptions that mark trials; "
               f"the recording has: {', '.join(sorted(event_id))}.")
        )
    return events, event_id, dict(ignored)


def cut_epochs(
    raw: mne.io.BaseRaw,
    events: np.ndarray,
    event_id: Mapping[str, int],
    target: InputContract,
    tmin: float | None = None,
    tmax: float | None = None,
    reject_by_annotation: bool = False,
) -> tuple[mne.Epochs, InputContract]:
    """Epochs around ``events`` for a model expecting ``target``, and the contract to
    prepare them with. ``tmin`` defaults to the recorded window start, else 0; without
    ``tmax`` one model window is cut (the window then starts at ``tmin``). Trials that
    overlap ``BAD_*`` annotations are kept unless ``reject_by_annotation`` (eegzoo's one
    default everywhere); either way they are counted in a :class:`TrialsDroppedWarning`."""
    start = float(tmin if tmin is not None else target.tmin if target.tmin is not None else 0.0)
    if tmax is None:
        rate = target.sfreq or raw.info["sfreq"]
        same_rate = abs(raw.info["sfreq"] - rate) < 1e-6
        # one window; when resampling, two samples more so that rounding never shortens it
        tmax = start + (target.n_times - 1 if same_rate else target.n_times + 2) / rate
        if target.tmin is None:
            target = target.model_copy(update={"tmin": start, "tmax": None})
    epochs, _ = cut_with_report(raw, events, event_id, start, tmax, reject_by_annotation, "recording", baseline=None)
    return epochs, target


def from_raw(
    raw: mne.io.BaseRaw,
    model_or_spec: nn.Module | ModelSpec | str,
    events: np.ndarray | None = None,
    event_id: Mapping[str, int] | None = None,
    tmin: float | None = None,
    tmax: float | None = None,
    *,
    classes: Sequence[str] | None = None,
    reject_by_annotation: bool = False,
    **kwargs: Any,
) -> EEGDataset:
    """Cut ``raw`` into epochs around ``events`` (default: from its annotations; only those
    of ``classes`` when given, or of the model's recorded classes) and prepare them with
    :func:`from_epochs`. Trials overlapping ``BAD_*`` annotations are kept unless
    ``reject_by_annotation``; either way they are counted (``info["events"]``) and reported. ``tmin`` defaults to the model's recorded window start, else 0;
    ``tmax`` to one model window after ``tmin``. The dataset's ``info["events"]`` says which
    events were used and which ignored."""
    target = expected_input(model_or_spec)
    wanted = classes if classes is not None else recorded_classes(model_or_spec)
    events, event_id, ignored = select_events(raw, events, event_id, wanted)
    if not len(events):
        raise ValueError(f"No events of the classes {list(wanted or [])} in the recording.")
    epochs, target = cut_epochs(raw, events, event_id, target, tmin, tmax, reject_by_annotation)
    data = _dataset(epochs, target, recorded_classes(model_or_spec), classes=classes, **kwargs)
    dropped = len(events) - len(epochs)
    if ignored:
        data.info["events"]["ignored"] = {**ignored, **data.info["events"]["ignored"]}
    if dropped:
        data.info["events"]["dropped (window outside the recording or in a BAD segment)"] = dropped
    stop = epochs.tmax
    overlapping = int(bad_overlaps(raw, epochs.events, epochs.tmin, stop).sum()) if not reject_by_annotation else 0
    if overlapping:
        data.info["events"]["kept although overlapping BAD_* annotations"] = overlapping
    return data


def read_raw(path: str | os.PathLike, **kwargs: Any) -> mne.io.BaseRaw:
    """Read GDF/EDF/BDF/FIF/BrainVision/EEGLAB (anything ``mne.io.read_raw`` knows),
    preloaded, with BrainVision's ``Comment/face`` annotations named ``face`` as EEGLAB and
    other formats name them (see :func:`eegzoo.data.events.normalise_annotations`)."""
    return normalise_annotations(mne.io.read_raw(path, preload=True, verbose=False, **kwargs))


def moabb_dataset(name: str = "BNCI2014_001", subjects: Sequence[int] | None = None) -> dict[int, dict[str, mne.io.BaseRaw]]:
    """Raw sessions of a MOABB dataset (e.g. BCI IV 2a = "BNCI2014_001") from MOABB's local
    cache. Needs the optional ``moabb`` package and data downloaded beforehand."""
    try:
        import moabb.datasets
    except ImportError as err:
        raise ImportError("moabb_dataset needs MOABB: pip install moabb (and its data cached locally).") from err
    dataset = getattr(moabb.datasets, name)()
    data = dataset.get_data(subjects=list(subjects) if subjects else None)
    return {subject: {session: next(iter(runs.values())) if len(runs) == 1 else mne.concatenate_raws(list(runs.values()))
                      for session, runs in sessions.items()} for subject, sessions in data.items()}
