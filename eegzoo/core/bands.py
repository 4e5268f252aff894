"""Frequency bands of a filter bank as plain numbers: the default bank, parsing of
``n_bands``-style arguments and the checks against a sampling rate. Torch-free, so specs can
validate bands without loading torch."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Union

Band = tuple[float, float]
BandsArg = Union[int, None, Sequence[Sequence[float]]]

#: Edges of the default 9-band bank (4-8, 8-12, ..., 36-40 Hz), as in FBCNet.
DEFAULT_BANDS: tuple[Band, ...] = tuple((float(lo), float(lo + 4)) for lo in range(4, 37, 4))
def resolve_bands(bands: BandsArg) -> list[Band]:
    """Turn ``n_bands``-style input into a list of ``(low, high)`` Hz pairs.

    ``None`` gives the nine 4 Hz bands of 4-40 Hz; an int ``N`` splits 4-40 Hz into ``N``
    equal bands (edges ``4 + i * 36 / N``); a sequence of pairs is used as given.
    """
    if bands is None:
        return list(DEFAULT_BANDS)
    if isinstance(bands, bool):
        raise ValueError(f"n_bands must be an int, None or a list of (low, high) pairs, got {bands!r}.")
    if isinstance(bands, int):
        if bands < 1:
            raise ValueError(f"n_bands must be >= 1 when given as an int, got {bands}.")
        width = 36.0 / bands
        return [(4.0 + i * width, 4.0 + (i + 1) * width) for i in range(bands)]
    if isinstance(bands, (str, bytes)) or not isinstance(bands, Sequence):
        raise ValueError(
            f"n_bands must be an int, None or a list of (low, high) pairs in Hz, got {bands!r}."
        )
    if len(bands) == 0:
        raise ValueError("n_bands is an empty list: give at least one (low, high) pair in Hz.")
    out: list[Band] = []
    for i, band in enumerate(bands):
        if isinstance(band, (str, bytes)) or not isinstance(band, Sequence) or len(band) != 2:
            raise ValueError(
                f"n_bands[{i}] = {band!r} is not a (low, high) pair in Hz; write e.g. (8, 12)."
            )
        low, high = band
        if isinstance(low, bool) or isinstance(high, bool) or not all(
            isinstance(v, (int, float)) for v in (low, high)
        ):
            raise ValueError(f"n_bands[{i}] = {band!r}: the edges must be numbers in Hz.")
        out.append((float(low), float(high)))
    return out


def check_bands(bands: Sequence[Band], sfreq: float) -> None:
    """Raise a ``ValueError`` naming the band and the fix when a band cannot be designed."""
    nyquist = sfreq / 2.0
    for i, (low, high) in enumerate(bands):
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"Band {i} ({low}, {high}) Hz has a non-finite edge.")
        if low <= 0:
            raise ValueError(
                f"Band {i} ({low:g}, {high:g}) Hz: the low edge must be > 0 Hz "
                "(a band-pass needs a high-pass edge)."
            )
        if high <= low:
            raise ValueError(
                f"Band {i} ({low:g}, {high:g}) Hz: the low edge must be below the high edge; "
                f"write it as ({min(low, high):g}, {max(low, high):g})."
            )
        if high >= nyquist:
            raise ValueError(
                f"Band {i} ({low:g}, {high:g}) Hz reaches the Nyquist frequency "
                f"(sfreq / 2 = {nyquist:g} Hz): sfreq={sfreq:g} Hz is too low for it. "
                f"Use a sampling rate above {2 * high:g} Hz or drop/lower bands above "
                f"{nyquist:g} Hz."
            )


def divisors(n: int) -> list[int]:
    """Positive divisors of ``n`` (the valid head counts for ``n`` channels)."""
    return [d for d in range(1, n + 1) if n % d == 0]
