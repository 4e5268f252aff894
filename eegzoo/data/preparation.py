"""Preparing mne data the way a model expects (its :class:`InputContract`), and checking that
data already prepared match it: the guard against chance-level results from inputs that
differ silently from the training data (volts for microvolts, another standardisation,
another channel order, window or rate)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import mne
import numpy as np
import scipy.signal
from torch import nn

from eegzoo.core.errors import InputContractWarning, caller_stacklevel
from eegzoo.specs.input import InputContract, unit_of_scale
from eegzoo.specs.model import ModelSpec

Standardize = Literal["trial", "ems"] | None
DEFAULT_SCALE = 1e6  # mne stores volts; models learn from microvolts by default
#: Automatic unit conversion: only volts <-> microvolts (a factor of 1e6), the common mistake.
_CONVERTIBLE = 6
_SAME_UNIT_DECADES = 1.0  # amplitudes within 10x of the training data's count as the same unit
_CONVERT_DECADES = 1.5  # within 10**1.5 of a factor 1e6: converted


def expected_input(model_or_spec: nn.Module | ModelSpec | str) -> InputContract:
    """What a model expects: the contract recorded by :func:`eegzoo.training.fit` (saved in
    ``config.json``), else what the model (or spec / registered name) states itself:
    channels, rate and length, with no recorded window, unit or standardisation."""
    if isinstance(model_or_spec, str):
        from eegzoo.registry import model_spec

        model_or_spec = model_spec(model_or_spec)
    if isinstance(model_or_spec, ModelSpec):
        s = model_or_spec.signal
        if None in (s.n_chans, s.sfreq, s.n_times):
            raise ValueError(f"Spec '{model_or_spec.name}' does not fix n_chans, sfreq and n_times; pass a built model.")
        return InputContract(n_chans=s.n_chans, ch_names=s.ch_names, sfreq=s.sfreq, n_times=s.n_times)
    recorded = getattr(model_or_spec, "eegzoo_input", None)
    if recorded is not None:
        return recorded
    chs = getattr(model_or_spec, "chs_info", None)
    return InputContract(
        n_chans=model_or_spec.n_chans, ch_names=[c["ch_name"] for c in chs] if chs else None,
        sfreq=None if model_or_spec.sfreq is None else float(model_or_spec.sfreq), n_times=model_or_spec.n_times,
    )


def recorded_classes(model_or_spec: Any) -> list[str] | None:
    """Class names in output order, as recorded with a trained model (``None`` otherwise)."""
    classes = getattr(model_or_spec, "eegzoo_classes", None)
    return list(classes) if classes else None


def match_channels(available: Sequence[str], wanted: Sequence[str], warn: bool = True) -> dict[str, str]:
    """Map each wanted channel name to the data's name for it: exact matches first, then
    matches that ignore case (with an :class:`InputContractWarning` when ``warn``). A
    channel that is missing, or ambiguous ignoring case, is a ``ValueError`` listing them."""
    exact = set(available)
    by_lower: dict[str, list[str]] = {}
    for name in available:
        by_lower.setdefault(name.lower(), []).append(name)
    mapping, folded, missing, ambiguous = {}, {}, [], []
    for name in wanted:
        if name in exact:
            mapping[name] = name
            continue
        candidates = by_lower.get(name.lower(), [])
        if len(candidates) == 1:
            mapping[name] = folded[name] = candidates[0]
        elif candidates:
            ambiguous.append(f"{name} ({' / '.join(candidates)})")
        else:
            missing.append(name)
    if missing or ambiguous:
        parts = []
        if missing:
            parts.append(f"The data lack {len(missing)} channel(s) the model expects: {', '.join(missing)}.")
        if ambiguous:
            parts.append(f"Channel names differing only in case are ambiguous: {', '.join(ambiguous)}.")
        raise ValueError(
            " ".join(parts) + " Rename channels (epochs.rename_channels({old: new})) or interpolate them before "
            f"preparing; the data have: {', '.join(available)}."
        )
    if folded and warn:
        renames = ", ".join(f"{have}->{want}" for want, have in folded.items())
        warnings.warn(
            f"Channel names matched ignoring case: {renames}. Rename them to silence this "
            f"(epochs.rename_channels({{{', '.join(f'{have!r}: {want!r}' for want, have in folded.items())}}})).",
            InputContractWarning,
            stacklevel=caller_stacklevel(),
        )
    return mapping


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


def standardize_trials(x: np.ndarray, how: Standardize) -> np.ndarray:
    if how is None:
        return x
    if how == "trial":
        return (x - x.mean(-1, keepdims=True)) / np.maximum(x.std(-1, keepdims=True), 1e-8)
    if how == "ems":
        return exponential_moving_standardize(x)
    raise ValueError(f"standardize must be None, 'trial' or 'ems', got {how!r}.")


def typical_amplitude(x: np.ndarray) -> float:
    """Median over trials and channels of the standard deviation over time."""
    return float(np.median(np.asarray(x, dtype=np.float64).std(-1)))


def unit_factor(observed: float, expected: float, unit: str | None) -> float:
    """The factor that brings data of typical amplitude ``observed`` to the training data's
    ``expected``: 1 when they agree within 10x, 1e6 or 1e-6 when the data are clearly in
    volts instead of microvolts (or the reverse); anything else is refused."""
    unit = unit or "the training unit"
    if not math.isfinite(observed) or observed <= 0:
        raise ValueError(
            f"The data are {'flat (every sample equal)' if observed == 0 else 'not finite (NaN or Inf)'}: "
            "check the recording and the channel selection."
        )
    if expected <= 0:
        return 1.0
    decades = math.log10(expected / observed)
    if abs(decades) <= _SAME_UNIT_DECADES:
        return 1.0
    for k in (_CONVERTIBLE, -_CONVERTIBLE):
        if abs(decades - k) <= _CONVERT_DECADES:
            return 10.0**k
    raise ValueError(
        f"The data's typical amplitude is {observed:.3g} {unit} but the model was trained on data of "
        f"{expected:.3g} {unit} ({10 ** abs(decades):.3g}x {'smaller' if decades > 0 else 'larger'}), which is "
        "not a volts/microvolts mix-up: check the unit of the recording (mne objects hold volts), its "
        "filtering and its reference, and prepare it as the model's card says."
    )


def _window(data: np.ndarray, epochs_tmin: float, sfreq: float, target: InputContract,
            length: Literal["error", "crop", "pad"]) -> tuple[np.ndarray, float, int]:
    """(data, tmin, samples of real data) cut to the model's window."""
    n_times, available = target.n_times, data.shape[-1]
    if target.tmin is not None:  # a recorded window: take it from wherever the epochs start
        n_real = n_times if target.tmax is None else min(n_times, round((target.tmax - target.tmin) * sfreq) + 1)
        offset = round((target.tmin - epochs_tmin) * sfreq)
        if offset < 0 or offset + n_real > available:
            t_end = target.tmin + (n_real - 1) / sfreq
            have_end = epochs_tmin + (available - 1) / sfreq
            raise ValueError(
                f"The model was trained on the window {target.tmin:g} s to {t_end:g} s around the event; "
                f"these epochs span {epochs_tmin:g} s to {have_end:g} s. Cut epochs covering it "
                f"(mne.Epochs(..., tmin={target.tmin:g}, tmax={t_end:g}))."
            )
        data = data[..., offset: offset + n_real]
        if n_real < n_times:  # the training data were zero-padded to n_times
            data = np.pad(data, [(0, 0), (0, 0), (0, n_times - n_real)])
        return data, epochs_tmin + offset / sfreq, n_real
    if available == n_times:
        return data, epochs_tmin, n_times
    if length == "crop" and available > n_times:
        return data[..., :n_times], epochs_tmin, n_times
    if length == "pad" and available < n_times:
        return np.pad(data, [(0, 0), (0, 0), (0, n_times - available)]), epochs_tmin, available
    raise ValueError(
        f"Epochs have {available} samples but the model expects n_times={n_times}: "
        "adjust tmin/tmax, or pass length='crop' (longer) / length='pad' (shorter)."
    )


def prepare_epochs(
    epochs: mne.BaseEpochs,
    target: InputContract,
    *,
    resample: bool = True,
    length: Literal["error", "crop", "pad"] = "error",
    scale: float | None = None,
    standardize: Standardize | Literal["auto"] = "auto",
) -> tuple[np.ndarray, InputContract]:
    """(trials ``(n, n_chans, n_times)`` float64, the contract they satisfy) for ``target``.

    Channels are picked by name in the target's order (ignoring case with a warning when
    needed), the rate is resampled, the window is cut (the recorded one when the target
    has one), the data are scaled (``scale``, default the target's or 1e6), converted
    when their amplitude shows volts for microvolts or the reverse (with a warning), then
    standardised (``"auto"``: as recorded, else not)."""
    epochs = epochs.copy()
    if target.ch_names is not None:
        mapping = match_channels(epochs.ch_names, target.ch_names)
        epochs.pick([mapping[n] for n in target.ch_names])
        epochs.reorder_channels([mapping[n] for n in target.ch_names])
        epochs.rename_channels({have: want for want, have in mapping.items() if have != want})
    else:
        epochs.pick("eeg")
        if len(epochs.ch_names) != target.n_chans:
            raise ValueError(f"The data have {len(epochs.ch_names)} EEG channels; the model expects n_chans={target.n_chans}.")
    if target.sfreq is not None and abs(epochs.info["sfreq"] - target.sfreq) > 1e-6:
        if not resample:
            raise ValueError(
                f"The data are sampled at {epochs.info['sfreq']:g} Hz but the model expects "
                f"sfreq={target.sfreq:g} Hz: pass resample=True or resample the data."
            )
        if target.sfreq > epochs.info["sfreq"]:
            warnings.warn(
                f"The data are sampled at {epochs.info['sfreq']:g} Hz, below the model's {target.sfreq:g} Hz: they are "
                "upsampled, which adds no information above their Nyquist frequency "
                f"({epochs.info['sfreq'] / 2:g} Hz); the model may rely on content these data do not have.",
                InputContractWarning,
                stacklevel=caller_stacklevel(),
            )
        epochs.resample(target.sfreq, verbose=False)
    rate = float(epochs.info["sfreq"])
    data, tmin, n_real = _window(epochs.get_data(copy=True), float(epochs.tmin), rate, target, length)
    scale = float(scale if scale is not None else target.scale if target.scale is not None else DEFAULT_SCALE)
    data = data * scale
    amplitude = typical_amplitude(data[..., :n_real]) if len(data) else 0.0
    if target.amplitude is not None and len(data):
        factor = unit_factor(amplitude, target.amplitude, target.unit)
        if factor != 1.0:
            unit = target.unit or "the training unit"
            warnings.warn(
                f"The data's typical amplitude is {amplitude:.3g} {unit} after scaling by {scale:g}, but the model "
                f"learned from {target.amplitude:.3g} {unit}: "
                + ("they look like microvolts where volts were expected (mne objects hold volts; so do arrays "
                   "passed to eegzoo.predict unless units= says otherwise), so they were divided by 1e6. Pass "
                   "units='uV' to eegzoo.predict, or build mne objects from volts, to silence this."
                   if factor < 1 else
                   "they look like volts where microvolts were expected, so they were multiplied by 1e6. Prepare "
                   "them with the model's recorded scale (from_epochs(epochs, model) without scale=) to silence this."),
                InputContractWarning,
                stacklevel=caller_stacklevel(),
            )
            data, scale, amplitude = data * factor, scale * factor, amplitude * factor
    if standardize == "auto":
        standardize = target.standardize
    data = standardize_trials(data, standardize)
    contract = InputContract(
        n_chans=len(epochs.ch_names), ch_names=list(epochs.ch_names), sfreq=rate,
        n_times=target.n_times, tmin=round(tmin, 9), tmax=round(tmin + (n_real - 1) / rate, 9),
        scale=scale, unit=unit_of_scale(scale), standardize=standardize, amplitude=amplitude,
    )
    return data, contract


def contract_differences(model: InputContract, data: InputContract) -> list[str]:
    """How data prepared under ``data`` differ from what the model was trained on."""
    out = []
    if model.ch_names is not None and data.ch_names is not None and model.ch_names != data.ch_names:
        out.append(f"channels {data.ch_names} (model: {model.ch_names})")
    if model.sfreq is not None and data.sfreq is not None and not math.isclose(model.sfreq, data.sfreq, rel_tol=1e-9):
        out.append(f"sfreq={data.sfreq:g} Hz (model: {model.sfreq:g} Hz)")
    if model.n_times != data.n_times:
        out.append(f"n_times={data.n_times} (model: {model.n_times})")
    if model.tmin is not None and data.tmin is not None and abs(model.tmin - data.tmin) > 0.5 / (model.sfreq or data.sfreq or 1e3):
        out.append(f"window starting at {data.tmin:g} s (model: {model.tmin:g} s)")
    if model.scale is not None and data.scale is not None and not math.isclose(model.scale, data.scale, rel_tol=1e-6):
        out.append(f"scale={data.scale:g}, unit {data.unit} (model: {model.scale:g}, unit {model.unit})")
    if model.scale is not None and data.scale is not None and model.standardize != data.standardize:
        out.append(f"standardize={data.standardize!r} (model: {model.standardize!r})")
    return out


def check_prepared(model: nn.Module, contract: InputContract | None, X: np.ndarray, classes: Sequence[str] | None = None) -> None:
    """Refuse prepared data (an :class:`EEGDataset`'s contract and trials) that differ from
    the model's recorded input contract or class names: they would give a silent
    chance-level result. The message names each difference and the fix."""
    recorded = getattr(model, "eegzoo_input", None)
    problems = []
    if recorded is not None and contract is not None:
        problems = contract_differences(recorded, contract)
    elif recorded is not None and recorded.amplitude is not None and recorded.standardize is None and len(X):
        observed = typical_amplitude(X)
        if unit_factor(observed, recorded.amplitude, recorded.unit) != 1.0:
            problems.append(
                f"typical amplitude {observed:.3g} (model: {recorded.amplitude:.3g} {recorded.unit or ''}; volts for microvolts?)"
            )
    model_classes = recorded_classes(model)
    if model_classes is not None and classes is not None and list(classes) != model_classes:
        problems.append(f"classes {list(classes)} (model, in output order: {model_classes})")
    if problems:
        raise ValueError(
            "The data were prepared differently from the model's training data: " + "; ".join(problems)
            + ". Prepare them with from_epochs(epochs, model) / from_raw(raw, model) without scale=, standardize= "
            "or classes= (they then follow the model's recorded preparation), or use eegzoo.predict(model, epochs)."
        )
