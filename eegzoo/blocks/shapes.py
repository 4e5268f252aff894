"""Shapes in error messages, written so that TorchScript compiles the blocks that use them."""

from __future__ import annotations

import torch


def shape_text(x: torch.Tensor) -> str:
    """``(2, 22, 1000)``: a tensor's shape as error messages show it (``tuple(x.shape)``
    does not compile in TorchScript)."""
    return "(" + ", ".join([str(s) for s in x.shape]) + ")"
