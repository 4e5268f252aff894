"""Average pooling with a dilation: what dense (cropped) predictions need from a mean pool."""

from __future__ import annotations

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn


def _pair(value: object, name: str) -> Tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)  # type: ignore[arg-type]
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in pair):
        raise ValueError(f"DilatedAvgPool2d: {name} must be an int or a pair of ints >= 0, got {value!r}.")
    return int(pair[0]), int(pair[1])


class DilatedAvgPool2d(nn.Module):
    """Mean over a ``kernel_size`` window every ``stride`` steps, window taps ``dilation``
    apart: ``(B, C, H, W) -> (B, C, H', W')``.

    ``nn.AvgPool2d`` has no dilation, so a network turned into a dense-prediction one
    (strides set to 1, later layers dilated, braindecode's ``to_dense_prediction_model``)
    would average the wrong samples. ``kernel_size``, ``stride``, ``dilation`` and
    ``padding`` are plain attributes, as on braindecode's ``AvgPool2dWithConv`` (no
    parameters, no state). Undilated windows run ``avg_pool2d``; dilated ones a depthwise
    convolution with ``1 / window`` taps (braindecode's computation).
    """

    def __init__(self, kernel_size: object, stride: object = None, dilation: object = 1, padding: object = 0) -> None:
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size")
        if min(self.kernel_size) < 1:
            raise ValueError(f"DilatedAvgPool2d: kernel_size must be >= 1, got {kernel_size!r}.")
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride")
        self.dilation = _pair(dilation, "dilation")
        self.padding = _pair(padding, "padding")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kernel: Tuple[int, int] = self.kernel_size
        stride: Tuple[int, int] = self.stride
        dilation: Tuple[int, int] = self.dilation
        padding: Tuple[int, int] = self.padding
        if dilation[0] == 1 and dilation[1] == 1:
            return F.avg_pool2d(x, [kernel[0], kernel[1]], [stride[0], stride[1]], [padding[0], padding[1]],
                                False, True)
        channels = x.shape[1]
        weight = torch.full([channels, 1, kernel[0], kernel[1]], 1.0 / (kernel[0] * kernel[1]),
                            dtype=x.dtype, device=x.device)
        return F.conv2d(x, weight, None, [stride[0], stride[1]], [padding[0], padding[1]],
                        [dilation[0], dilation[1]], channels)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, dilation={self.dilation}, padding={self.padding}"
