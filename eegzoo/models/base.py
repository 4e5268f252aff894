"""What every zoo model class offers: config round trip, Hub I/O, head replacement."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn


def json_safe(value: Any) -> Any:
    """Numpy arrays/scalars, tuples and nested containers as plain JSON types (mne's
    ``info['chs']`` holds arrays and int enums)."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (fixed filter taps are not counted)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class ZooModel:
    """Mixin for zoo model classes. Subclasses set ``architecture_name``, name their final
    layer ``head_name`` and implement :meth:`get_config`."""

    architecture_name: ClassVar[str]
    head_name: ClassVar[str] = "final_layer"

    def get_config(self) -> dict[str, Any]:
        """JSON-safe constructor arguments: ``type(self).from_config(get_config())`` rebuilds
        the same architecture."""
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> nn.Module:
        """Build from :meth:`get_config` output, validated by the architecture's params model."""
        from eegzoo.registry import get_architecture, validate_params

        params = validate_params(get_architecture(cls.architecture_name), dict(config), f"{cls.__name__}.from_config")
        return cls(**params.constructor_kwargs())

    def save_pretrained(self, save_directory: str | os.PathLike, **kwargs: Any) -> Any:
        """See :func:`eegzoo.hub.save_pretrained`."""
        from eegzoo.hub import save_pretrained

        return save_pretrained(self, save_directory, **kwargs)  # type: ignore[arg-type]

    def push_to_hub(self, repo_id: str, **kwargs: Any) -> Any:
        """See :func:`eegzoo.hub.push_to_hub`."""
        from eegzoo.hub import push_to_hub

        return push_to_hub(self, repo_id, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def from_pretrained(cls, location: Any, **kwargs: Any) -> nn.Module:
        """See :func:`eegzoo.hub.from_pretrained`; checks the result is a ``cls``."""
        from eegzoo.hub import from_pretrained

        model = from_pretrained(location, **kwargs)
        if not isinstance(model, cls):
            raise TypeError(f"{location} holds a {type(model).__name__}, not a {cls.__name__}.")
        return model

    def reset_head(self, n_outputs: int) -> None:
        """Replace the final layer by a freshly initialised one with ``n_outputs`` outputs
        (the body is kept: fine-tune on a new label set)."""
        if isinstance(n_outputs, bool) or not isinstance(n_outputs, int) or n_outputs < 1:
            raise ValueError(f"n_outputs must be a positive int, got {n_outputs!r}.")
        old = getattr(self, self.head_name)
        new = nn.Linear(old.in_features, n_outputs, bias=old.bias is not None)
        new.to(device=old.weight.device, dtype=old.weight.dtype)
        setattr(self, self.head_name, new)
        self._n_outputs = n_outputs
        params = getattr(self, "eegzoo_params", None)
        if params is not None:
            self.eegzoo_params = params.model_copy(update={"n_outputs": n_outputs})

    def _features_and_logits(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        features = self.forward_features(x)  # type: ignore[attr-defined]
        return {"features": features, "logits": self.forward_head(features)}  # type: ignore[attr-defined]
