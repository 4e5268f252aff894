"""Constructor-argument helpers shared by the architectures: activation classes given as
classes or dotted paths, positive integers and numbers."""

from __future__ import annotations

import importlib
import numbers
from collections.abc import Callable
from typing import Any

from torch import nn

from eegzoo.specs.signal_arguments import BRAINDECODE_CLASS_PATHS, EEGZOO_TO_BRAINDECODE_PATHS


def resolve_activation(activation: Any, name: str = "activation", allow_function: bool = False) -> Any:
    """Accept an ``nn.Module`` class or its dotted path / ``torch.nn`` name ("ELU"); with
    ``allow_function``, also a plain function (or its dotted path) such as ``torch.square``."""
    if isinstance(activation, str):
        activation = BRAINDECODE_CLASS_PATHS.get(activation, activation)  # braindecode's layers
        module_name, _, attr = activation.rpartition(".")
        try:
            owner = importlib.import_module(module_name) if module_name else nn
            activation = getattr(owner, attr)
        except (ImportError, AttributeError) as err:
            raise ValueError(
                f"{name}={activation!r} does not name an importable class; use e.g. "
                "'torch.nn.ELU' or pass the class itself."
            ) from err
    if isinstance(activation, type) and issubclass(activation, nn.Module):
        return activation
    if allow_function and callable(activation) and not isinstance(activation, (type, nn.Module)):
        return activation
    kinds = "an nn.Module class such as nn.ELU (the class, not an instance)"
    if allow_function:
        kinds += " or a function such as torch.square"
    raise ValueError(f"{name} must be {kinds}, got {activation!r}.")


def activation_path(activation: type[nn.Module] | Callable[..., Any]) -> str:
    """Dotted path that :func:`resolve_activation` turns back into the class (or function)."""
    return f"{activation.__module__}.{activation.__qualname__}"


def portable_path(activation: type[nn.Module] | Callable[..., Any]) -> str:
    """:func:`activation_path`, with eegzoo's Square/SafeLog under braindecode's names so that
    configs load in braindecode too (eegzoo maps them back)."""
    path = activation_path(activation)
    return EEGZOO_TO_BRAINDECODE_PATHS.get(path, path)


def make_layer(activation: type[nn.Module] | Callable[..., Any]) -> nn.Module:
    """An instance of an activation class, or a module applying a plain function."""
    if isinstance(activation, type):
        return activation()
    return FunctionLayer(activation)


class FunctionLayer(nn.Module):
    """Apply a parameter-free function (e.g. ``torch.square``) as a layer."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: Any) -> Any:
        return self.fn(x)

    def extra_repr(self) -> str:
        return activation_path(self.fn)


def positive_int(name: str, value: Any, minimum: int = 1) -> int:
    # numbers.Integral: numpy integer scalars (what arrays and mne give) count as ints
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


def positive_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}.")
    return value


def probability(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a probability in [0, 1), got {value!r}.")
    return float(value)
