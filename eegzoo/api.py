"""What users call: build a registered model (optionally with its pinned weights) and load,
save and share trained ones. The layer that joins the registry (names) with io (files)."""

from __future__ import annotations

from typing import Any

from torch import nn

from eegzoo.io.hub import from_pretrained, load_pretrained_source, push_to_hub, save_pretrained
from eegzoo.registry import build_from_spec, model_spec

__all__ = ["create_model", "from_pretrained", "push_to_hub", "save_pretrained"]


def create_model(name: str, pretrained: bool = False, **overrides: Any) -> nn.Module:
    """Build a registered model, e.g. ``create_model("fblightconvnet", n_chans=22,
    n_outputs=4, n_times=1000, sfreq=250)``. Overrides are validated through the spec;
    ``pretrained=True`` loads the spec's pinned weights (see :mod:`eegzoo.io.hub`)."""
    spec = model_spec(name)
    model = build_from_spec(spec, overrides, f"create_model('{name}')")
    if pretrained:
        load_pretrained_source(model, spec)
    return model
