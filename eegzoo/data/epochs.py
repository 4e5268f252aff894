"""mne objects -> model-ready tensors, matching a zoo model's channels, rate and length."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import mne
import numpy as np
import scipy.signal
import torch
from torch import nn

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

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.X[i], self.y[i]


def _target(model_or_spec: nn.Module | ModelSpec | str) -> tuple[int, float, int, list[str] | None]:
    """(n_chans, sfreq, n_times, channel names or None) a model expects."""
    if isinstance(model_or_spec, str):
        from eegzoo.registry import model_spec

        model_or_spec = model_spec(model_or_spec)
    if isinstance(model_or_spec, ModelSpec):
        s = model_or_spec.signal
        if None in (s.n_chans, s.sfreq, s.n_times):
            raise ValueError(f"Spec '{model_or_spec.name}' does not fix n_chans, sfreq and n_times; pass a built model.")
        return s.n_chans, s.sfreq, s.n_times, s.ch_names
    chs = getattr(model_or_spec, "chs_info", None)
    names = [c["ch_name"] for c in chs] if chs else None
    return model_or_spec.n_chans, float(model_or_spec.sfreq), model_or_spec.n_times, names


def exponential_moving_standardize(x: np.ndarray, factor_new: float = 1e-3, init_block_size: int = 1000, eps: float = 1e-4) -> np.ndarray:
    """Per channel, subtract an exponential moving mean and divide by the exponential moving
    standard deviation (``(..., n_times)``; causal, as used for online decoding)."""
    b, a = [factor_new], [1.0, factor_new - 1.0]
    init = x[..., :init_block_size]
    mean0, var0 = init.mean(-1, keepdims=True), init.var(-1, keepdims=True)
    zi_mean = scipy.signal.lfilter_zi(b, a) * mean0
    means = scipy.signal.lfilter(b, a, x, axis=-1, zi=zi_mean)[0]
    demeaned = x - means
    zi_var = scipy.signal.lfilter_zi(b, a) * var0
    variances = scipy.signal.lfilter(b, a, demeaned**2, axis=-1, zi=zi_var)[0]
    return demeaned / np.maximum(np.sqrt(variances), eps)


def _standardize(x: np.ndarray, how: str | None) -> np.ndarray:
    if how is None:
        return x
    if how == "trial":
        return (x - x.mean(-1, keepdims=True)) / np.maximum(x.std(-1, keepdims=True), 1e-8)
    if how == "ems":
        return exponential_moving_standardize(x)
    raise ValueError(f"standardize must be None, 'trial' or 'ems', got {how!r}.")


def from_epochs(
    epochs: mne.BaseEpochs,
    model_or_spec: nn.Module | ModelSpec | str,
    *,
    resample: bool = True,
    length: Literal["error", "crop", "pad"] = "error",
    standardize: Literal["trial", "ems"] | None = None,
    scale: float = 1e6,
    classes: Sequence[str] | None = None,
) -> EEGDataset:
    """Prepare ``epochs`` for a model (or spec / registered name).

    - Channels are picked by name in the model's order when it knows its channel names
      (``chs_info`` / the spec's ``ch_names``); a missing channel is an error that lists
      them. Otherwise the EEG channels are used in recorded order and must number n_chans.
    - ``resample=True`` resamples to the model's sfreq with mne; ``False`` makes a
      different rate an error.
    - The window must have ``n_times`` samples: ``length="crop"`` keeps the first
      ``n_times``, ``"pad"`` zero-pads at the end; the default refuses a mismatch.
    - ``scale`` multiplies the data (mne stores volts; 1e6 gives microvolts), then
      ``standardize`` ("trial": per trial and channel; "ems": exponential moving).
    - Labels: classes are the ``event_id`` names ordered by event code (or ``classes``);
      ``y`` holds their indices.
    """
    n_chans, sfreq, n_times, names = _target(model_or_spec)
    epochs = epochs.copy()
    if names is not None:
        missing = [n for n in names if n not in epochs.ch_names]
        if missing:
            raise ValueError(
                f"The data lack {len(missing)} channel(s) the model expects: {', '.join(missing)}. "
                "Rename channels (epochs.rename_channels) or interpolate them before preparing."
            )
        epochs.pick(names)
        epochs.reorder_channels(names)
    else:
        epochs.pick("eeg")
        if len(epochs.ch_names) != n_chans:
            raise ValueError(f"The data have {len(epochs.ch_names)} EEG channels; the model expects n_chans={n_chans}.")
    if abs(epochs.info["sfreq"] - sfreq) > 1e-6:
        if not resample:
            raise ValueError(
                f"The data are sampled at {epochs.info['sfreq']:g} Hz but the model expects "
                f"sfreq={sfreq:g} Hz: pass resample=True or resample the data."
            )
        epochs.resample(sfreq, verbose=False)
    data = epochs.get_data(copy=True)
    if data.shape[-1] != n_times:
        if length == "crop" and data.shape[-1] > n_times:
            data = data[..., :n_times]
        elif length == "pad" and data.shape[-1] < n_times:
            data = np.pad(data, [(0, 0), (0, 0), (0, n_times - data.shape[-1])])
        else:
            raise ValueError(
                f"Epochs have {data.shape[-1]} samples but the model expects n_times={n_times}: "
                "adjust tmin/tmax, or pass length='crop' (longer) / length='pad' (shorter)."
            )
    data = _standardize(data * scale, standardize)
    codes = {name: code for name, code in epochs.event_id.items()}
    class_names = list(classes) if classes is not None else sorted(codes, key=codes.get)
    unknown = [c for c in class_names if c not in codes]
    if unknown:
        raise ValueError(f"classes {unknown} are not in the epochs' event_id {sorted(codes)}.")
    index_of_code = {codes[name]: i for i, name in enumerate(class_names)}
    keep = np.array([code in index_of_code for code in epochs.events[:, 2]])
    labels = np.array([index_of_code[c] for c in epochs.events[keep, 2]], dtype=np.int64)
    return EEGDataset(
        X=torch.as_tensor(data[keep], dtype=torch.float32),
        y=torch.as_tensor(labels),
        classes=class_names,
        ch_names=list(epochs.ch_names),
        sfreq=float(epochs.info["sfreq"]),
        info={"scale": scale, "standardize": standardize, "description": epochs.info.get("description")},
    )


def from_raw(
    raw: mne.io.BaseRaw,
    model_or_spec: nn.Module | ModelSpec | str,
    events: np.ndarray | None = None,
    event_id: Mapping[str, int] | None = None,
    tmin: float = 0.0,
    tmax: float | None = None,
    **kwargs: Any,
) -> EEGDataset:
    """Cut ``raw`` into epochs around ``events`` (default: from its annotations) and
    prepare them with :func:`from_epochs`. ``tmax`` defaults to one model window after
    ``tmin``."""
    if events is None:
        events, found = mne.events_from_annotations(raw, event_id=event_id, verbose=False)
        event_id = event_id or found
    if event_id is None:
        event_id = {str(code): int(code) for code in np.unique(events[:, 2])}
    n_chans, sfreq, n_times, _ = _target(model_or_spec)
    if tmax is None:  # one model window (n_times / sfreq seconds), in the raw's samples
        tmax = tmin + n_times / sfreq - 1 / raw.info["sfreq"]
    epochs = mne.Epochs(raw, events, dict(event_id), tmin=tmin, tmax=tmax, baseline=None, preload=True, verbose=False)
    return from_epochs(epochs, model_or_spec, **kwargs)


def read_raw(path: str | os.PathLike, **kwargs: Any) -> mne.io.BaseRaw:
    """Read GDF/EDF/BDF/FIF/BrainVision (anything ``mne.io.read_raw`` knows), preloaded."""
    return mne.io.read_raw(path, preload=True, verbose=False, **kwargs)


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
