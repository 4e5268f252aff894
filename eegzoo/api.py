"""What users call: build a registered model (optionally with its pinned weights), load,
save and share trained ones, and predict with them from mne data or arrays prepared as the
model's recorded input contract says. The layer that joins the registry (names), data
(preparation) and io (files)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from eegzoo.core.errors import InputContractWarning, caller_stacklevel

from eegzoo.io.hub import from_pretrained, load_pretrained_source, push_to_hub, save_pretrained
from eegzoo.registry import build_from_spec, model_spec

__all__ = ["create_model", "from_pretrained", "predict", "predict_proba", "push_to_hub", "save_pretrained"]


def create_model(name: str, pretrained: bool = False, **overrides: Any) -> nn.Module:
    """Build a registered model, e.g. ``create_model("fblightconvnet", n_chans=22,
    n_outputs=4, n_times=1000, sfreq=250)``. Overrides are validated through the spec;
    ``pretrained=True`` loads the spec's pinned weights (see :mod:`eegzoo.io.hub`)."""
    spec = model_spec(name)
    model = build_from_spec(spec, overrides, f"create_model('{name}')")
    if pretrained:
        load_pretrained_source(model, spec)
    return model


# ------------------------------------------------------------------ prediction
_VOLTS_PER_UNIT = {"V": 1.0, "mV": 1e-3, "uV": 1e-6, "µV": 1e-6, "nV": 1e-9}


def predict(
    model: nn.Module,
    data: Any,
    *,
    sfreq: float | None = None,
    ch_names: Sequence[str] | None = None,
    events: np.ndarray | None = None,
    event_id: Mapping[str, int] | None = None,
    tmin: float | None = None,
    units: str | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """Predicted class names (an array of str; class indices when the model records no
    names), one per trial of ``data``. See :func:`predict_proba` for the inputs."""
    proba = predict_proba(model, data, sfreq=sfreq, ch_names=ch_names, events=events, event_id=event_id,
                          tmin=tmin, units=units, batch_size=batch_size)
    index = proba.argmax(1)
    classes = getattr(model, "eegzoo_classes", None)
    return np.asarray(classes)[index] if classes else index


def predict_proba(
    model: nn.Module,
    data: Any,
    *,
    sfreq: float | None = None,
    ch_names: Sequence[str] | None = None,
    events: np.ndarray | None = None,
    event_id: Mapping[str, int] | None = None,
    tmin: float | None = None,
    units: str | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """Class probabilities ``(n_trials, n_outputs)`` (softmax of the logits; columns in the
    order of ``model.eegzoo_classes``) for trials prepared as the model's recorded input
    contract says: channels picked and ordered by name, resampled, the window cut, scaled,
    standardised.

    ``data`` is one of:

    - ``mne.Epochs`` (volts, mne's unit): they must cover the model's window;
    - ``mne.io.Raw`` with ``events`` (an mne events array; ``event_id`` to select codes) or,
      without them, its annotations whose descriptions are the model's class names (or
      those of ``event_id``); one trial per event, cut from the recorded window (``tmin``
      moves it);
    - an array or tensor ``(n_trials, n_chans, n_times)`` or ``(n_chans, n_times)`` with
      ``sfreq`` and ``ch_names`` (required when the model knows its channel names), in
      volts unless ``units`` says otherwise ("uV", "mV", "V"); the first sample is at the
      window start unless ``tmin`` gives its time relative to the event;
    - an :class:`~eegzoo.data.EEGDataset` prepared for this model (checked, not prepared).

    Data whose typical amplitude shows volts where the model learned from microvolts (or
    the reverse) are converted with an :class:`~eegzoo.core.errors.InputContractWarning`;
    other contradictions (missing channels, a window the data do not cover, an amplitude
    far from the training data's) are errors that say how to fix them."""
    X = _prepared_trials(model, data, sfreq=sfreq, ch_names=ch_names, events=events, event_id=event_id,
                         tmin=tmin, units=units)
    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        batches = [trial_logits(model(torch.as_tensor(X[i: i + batch_size], dtype=torch.float32, device=device)))
                   for i in range(0, len(X), batch_size)]
    if not batches:
        raise ValueError("No trials to predict.")
    return torch.softmax(torch.cat(batches).float(), dim=1).cpu().numpy()


def trial_logits(output: torch.Tensor) -> torch.Tensor:
    """One row of logits per trial: a dense model's ``(batch, n_outputs, n_preds)`` crop
    predictions (after ``to_dense_prediction_model()``) averaged over the crops, as
    braindecode's cropped decoding does; ``(batch, n_outputs)`` passes through."""
    if output.dim() == 3:
        return output.mean(dim=2)
    if output.dim() != 2:
        raise ValueError(f"Expected logits of shape (batch, n_outputs) or (batch, n_outputs, n_preds), got {tuple(output.shape)}.")
    return output


def _prepared_trials(model: nn.Module, data: Any, *, sfreq: float | None, ch_names: Sequence[str] | None,
                     events: np.ndarray | None, event_id: Mapping[str, int] | None, tmin: float | None,
                     units: str | None) -> np.ndarray:
    import mne

    from eegzoo.data.epochs import EEGDataset, cut_epochs, select_events
    from eegzoo.data.preparation import DEFAULT_SCALE, check_prepared, expected_input, prepare_epochs, recorded_classes

    if isinstance(data, EEGDataset):
        check_prepared(model, data.contract, data.X.numpy())
        return data.X.numpy()
    target = expected_input(model)
    to_volts = 1.0
    if units is not None:
        if units not in _VOLTS_PER_UNIT:
            raise ValueError(f"units={units!r}: use one of {', '.join(_VOLTS_PER_UNIT)}.")
        to_volts = _VOLTS_PER_UNIT[units]
    scale = (target.scale or DEFAULT_SCALE) * to_volts
    if isinstance(data, mne.io.BaseRaw):
        wanted = None if events is not None or event_id is not None else recorded_classes(model)
        if events is None and event_id is None and wanted is None:
            raise ValueError("The model records no class names: pass events= (an mne events array) or event_id=.")
        events, event_id, _ = select_events(data, events, event_id, wanted)
        if not len(events):
            raise ValueError(f"No events to predict: the annotations have none of {list(wanted or event_id)}.")
        epochs, target = cut_epochs(data, events, event_id, target, tmin)
        if len(epochs) != len(events):
            lost = [i for i, log in enumerate(epochs.drop_log) if log]
            raise ValueError(
                f"{len(lost)} event(s) (indices {lost[:10]}{'...' if len(lost) > 10 else ''}) have no full window in the "
                f"recording ({epochs.drop_log[lost[0]]}): drop them from events before predicting."
            )
        data = epochs
    elif not isinstance(data, mne.BaseEpochs):
        data = _epochs_from_array(data, target, sfreq, ch_names, tmin)
    X, _ = prepare_epochs(data, target, scale=scale)
    recorded = getattr(model, "eegzoo_input", None)
    if recorded is None or recorded.scale is None:
        why = ("records no input contract (it was not trained by eegzoo.training.fit, or was saved by an older eegzoo)"
               if recorded is None else
               "was trained on trials prepared outside eegzoo (fit got tensors, not from_epochs), so their unit and "
               "standardisation are not recorded")
        warnings.warn(
            f"This model {why}: eegzoo.predict assumes microvolts without standardisation. Set "
            "model.eegzoo_input = eegzoo.InputContract(...) to state how its training data were prepared.",
            InputContractWarning,
            stacklevel=caller_stacklevel(),
        )
    return X


def _epochs_from_array(data: Any, target: Any, sfreq: float | None, ch_names: Sequence[str] | None,
                       tmin: float | None) -> Any:
    import mne

    array = data.detach().cpu().numpy() if isinstance(data, torch.Tensor) else np.asarray(data)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or not np.issubdtype(array.dtype, np.number):
        raise ValueError(
            f"Expected mne Epochs/Raw, an EEGDataset, or a numeric array (n_trials, n_chans, n_times) / "
            f"(n_chans, n_times); got {type(data).__name__} with shape {getattr(array, 'shape', '?')}."
        )
    if sfreq is None:
        expects = f" (the model expects {target.sfreq:g} Hz)" if target.sfreq else ""
        raise ValueError(f"An array has no sampling rate: pass sfreq={expects}.")
    if ch_names is None:
        if target.ch_names is not None:
            raise ValueError(
                f"An array has no channel names: pass ch_names= (its channel order); the model expects "
                f"{', '.join(target.ch_names)}."
            )
        ch_names = [f"EEG{i:03d}" for i in range(array.shape[1])]
    if len(ch_names) != array.shape[1]:
        raise ValueError(f"ch_names has {len(ch_names)} names but the array has {array.shape[1]} channels.")
    info = mne.create_info(list(ch_names), float(sfreq), "eeg")
    start = tmin if tmin is not None else target.tmin if target.tmin is not None else 0.0
    return mne.EpochsArray(array.astype(np.float64), info, tmin=start, baseline=None, verbose=False)
