"""Module paths that moved: the old name keeps working for a while and says where to go."""

from __future__ import annotations

import importlib
import warnings
from typing import Any, Callable


def moved_module(old: str, new: str, since: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``old`` that forwards every name to ``new`` with a
    ``DeprecationWarning`` naming the new import."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(importlib.import_module(new), name)
        warnings.warn(
            f"{old} moved to {new} in eegzoo {since}: import {name} from {new} "
            f"(`from {new} import {name}`); {old} will be removed.",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    return __getattr__
