"""Plain JSON types from numpy values and nested containers.

Numpy is never imported here: a value can only be a numpy object if numpy is already
loaded, so the helpers look it up in ``sys.modules`` (listing the zoo stays light)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any


def _is_numpy_scalar(value: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, np.generic)


def _is_numpy_array(value: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, np.ndarray)


def json_safe(value: Any) -> Any:
    """Numpy arrays/scalars, tuples and nested containers as plain JSON types (mne's
    ``info['chs']`` holds arrays and int enums)."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if _is_numpy_array(value):
        return json_safe(value.tolist())
    if _is_numpy_scalar(value):
        return value.item()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def plain_scalars(value: Any) -> Any:
    """Numpy scalars (``np.int64(22)``, ``np.float32(250.0)``) as Python numbers, in nested
    dicts, lists and tuples too; everything else unchanged (arrays stay arrays, so
    validation still refuses them)."""
    if _is_numpy_scalar(value):
        return value.item()
    if isinstance(value, dict):
        return {k: plain_scalars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_scalars(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain_scalars(v) for v in value)
    return value
