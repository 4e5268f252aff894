"""Signal parameters shared by every zoo model: channels, window length, sampling rate.

Mirrors braindecode's rules so that the same arguments mean the same thing: ``n_chans``
may come from ``len(chs_info)``, ``n_times`` from ``round(input_window_seconds * sfreq)``,
``input_window_seconds`` from ``n_times / sfreq`` and ``sfreq`` from
``n_times / input_window_seconds``. Contradictions and gaps are ``ValueError``s that name
the parameter to pass.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class PaddingWarning(UserWarning):
    """Zeros are appended: the model pads the input to a length it can split evenly
    (FBCNet's ``stride_factor`` windows). Filter with ``warnings.simplefilter``."""


class TruncationWarning(UserWarning):
    """Samples are dropped: the window length does not divide the input, or the input is
    longer than the model's ``n_times``. Filter with ``warnings.simplefilter``."""


@dataclass(frozen=True)
class SignalParams:
    n_chans: int
    n_times: int
    sfreq: float | None
    input_window_seconds: float | None
    chs_info: list[dict] | None


def normalise_chs_info(chs_info: Any) -> list[dict] | None:
    """Accept mne ``Info``, ``info["chs"]``, or a list of dicts/channel names; positions
    (``loc``) given as lists, as configs store them, become numpy arrays as in mne."""
    if chs_info is None:
        return None
    if isinstance(chs_info, Mapping) and "chs" in chs_info:
        chs_info = chs_info["chs"]  # mne.Info (a dict), or a copy of one
    if isinstance(chs_info, (str, bytes)) or not isinstance(chs_info, Sequence):
        raise ValueError(
            "chs_info must be mne's info['chs'] (a list of channel dicts), an mne Info, or a "
            f"list of channel names; got {type(chs_info).__name__}."
        )
    out = []
    for i, ch in enumerate(chs_info):
        if isinstance(ch, str):
            out.append({"ch_name": ch})
        elif isinstance(ch, Mapping):
            ch = dict(ch)
            if isinstance(ch.get("loc"), (list, tuple)):  # read back from JSON: mne's array again
                import numpy as np

                ch["loc"] = np.asarray(ch["loc"], dtype=float)
            out.append(ch)
        else:
            raise ValueError(f"chs_info[{i}] must be a channel dict or name, got {type(ch).__name__}.")
    return out


def _positive_int(name: str, value: Any) -> int:
    # numbers.Integral: numpy integer scalars (what arrays and mne give) count as ints
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")
    return int(value)


def _positive_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}.")
    return float(value)


def resolve_signal_params(
    n_chans: int | None,
    chs_info: Any,
    n_times: int | None,
    input_window_seconds: float | None,
    sfreq: float | None,
    model_name: str = "the model",
    require_sfreq: bool = True,
) -> SignalParams:
    """Fill in the inferable signal parameters and check they agree. Models without
    filters designed in Hz (``require_sfreq=False``) may leave ``sfreq`` and
    ``input_window_seconds`` unknown, as braindecode does."""
    chs = normalise_chs_info(chs_info)
    if n_chans is None and chs is not None:
        n_chans = len(chs)
    if n_chans is None:
        raise ValueError(
            f"{model_name} needs n_chans: pass n_chans=<number of EEG channels> or chs_info "
            "(e.g. epochs.info['chs'])."
        )
    n_chans = _positive_int("n_chans", n_chans)
    if chs is not None and len(chs) != n_chans:
        raise ValueError(
            f"n_chans={n_chans} differs from len(chs_info)={len(chs)}: pass one of them, or "
            "make them agree."
        )
    if n_times is not None:
        n_times = _positive_int("n_times", n_times)
    if input_window_seconds is not None:
        input_window_seconds = _positive_float("input_window_seconds", input_window_seconds)
    if sfreq is not None:
        sfreq = _positive_float("sfreq", sfreq)
    if n_times is not None and input_window_seconds is not None and sfreq is not None:
        if n_times != round(input_window_seconds * sfreq):
            raise ValueError(
                f"n_times={n_times} differs from input_window_seconds * sfreq = "
                f"{input_window_seconds} * {sfreq} = {input_window_seconds * sfreq:g}: "
                "pass only two of the three."
            )
    if sfreq is None and n_times is not None and input_window_seconds is not None:
        sfreq = n_times / input_window_seconds
    if sfreq is None and require_sfreq:
        raise ValueError(
            f"{model_name} needs sfreq (the sampling frequency in Hz, e.g. sfreq=250): its "
            "filters are designed for it."
        )
    if n_times is None and input_window_seconds is not None and sfreq is not None:
        n_times = round(input_window_seconds * sfreq)
    if n_times is None:
        raise ValueError(
            f"{model_name} needs the input length: pass n_times=<samples per trial> or "
            "input_window_seconds=<seconds per trial> with sfreq."
        )
    if input_window_seconds is None and sfreq is not None:
        input_window_seconds = n_times / sfreq
    return SignalParams(n_chans, n_times, sfreq, input_window_seconds, chs)
