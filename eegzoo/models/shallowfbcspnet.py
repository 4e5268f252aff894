"""ShallowFBCSPNet (ShallowConvNet, Schirrmeister et al. 2017), weight-compatible with
braindecode 1.8.x's ``ShallowFBCSPNet``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from eegzoo.blocks.safe_log import SafeLog
from eegzoo.blocks.square import Square
from eegzoo.blocks.temporal_spatial_conv import TemporalSpatialConv
from eegzoo.core.jsonsafe import json_safe
from eegzoo.core.signal import resolve_signal_params
from eegzoo.models.arguments import (
    make_layer,
    portable_path,
    positive_int,
    probability,
    resolve_activation,
)
from eegzoo.models.signal_model import SignalModel
from eegzoo.specs.shallowfbcspnet import ShallowFBCSPNetParams, check_shallow_lengths

_POOLS: dict[str, type[nn.Module]] = {"mean": nn.AvgPool1d, "max": nn.MaxPool1d}


class ShallowFBCSPNet(SignalModel, nn.Module):
    """ShallowConvNet: temporal + spatial conv -> square -> mean pool -> log -> conv classifier,
    the network form of filter-bank common spatial patterns (log band power of spatially
    filtered, band-passed signals).

    Accepts braindecode 1.8.x's ``ShallowFBCSPNet`` constructor arguments with the same
    meaning and defaults, has the same ``state_dict`` keys and shapes
    (``conv_time_spat.conv_time.*``, ``conv_time_spat.conv_spat.weight``, ``bnorm.*``,
    ``final_layer.conv_classifier.*``) and, under the same seed, the same initialisation.

    Args:
        n_chans, chs_info, n_times, input_window_seconds, sfreq: signal parameters (see
            :func:`eegzoo.core.signal.resolve_signal_params`); ``sfreq`` is optional.
        n_outputs: number of classes (raw logits are returned).
        n_filters_time, filter_time_length: temporal filters and their length (samples).
        n_filters_spat: spatial filters.
        pool_time_length, pool_time_stride: temporal pooling window and stride (samples).
        final_conv_length: time steps the classifier spans; ``"auto"``: all of them (one
            prediction per trial). A smaller int gives dense predictions
            ``(B, n_outputs, n_preds)``, as does an input longer than ``n_times``.
        conv_nonlin: non-linearity after the convolution (class or function; Square).
        pool_mode: ``"mean"`` or ``"max"`` pooling.
        activation_pool_nonlin: non-linearity after pooling (class or function; SafeLog).
        split_first_layer: factorise the first layer into temporal then spatial filters
            (``False``: one temporal convolution over the electrodes as input channels,
            ``conv_time``; braindecode 1.8 fails to build that variant).
        batch_norm: batch norm after the first layer (then the spatial conv has no bias).
        batch_norm_alpha: batch-norm momentum.
        drop_prob: dropout probability before the classifier.

    ``model(x)`` returns raw logits; ``return_features=True`` returns
    ``{"features": (B, n_filters, n_pooled), "logits": ...}``, the log band-power map the
    classifier takes.
    """

    architecture_name = "shallowfbcspnet"
    supports_dense_predictions = True  # braindecode's cropped decoding (to_dense_prediction_model)
    mapping = {  # pre-1.0 braindecode checkpoints
        "conv_time.weight": "conv_time_spat.conv_time.weight",
        "conv_spat.weight": "conv_time_spat.conv_spat.weight",
        "conv_time.bias": "conv_time_spat.conv_time.bias",
        "conv_spat.bias": "conv_time_spat.conv_spat.bias",
        "conv_classifier.weight": "final_layer.conv_classifier.weight",
        "conv_classifier.bias": "final_layer.conv_classifier.bias",
    }
    params_model = ShallowFBCSPNetParams

    def __init__(
        self,
        n_chans: int | None = None,
        n_outputs: int | None = None,
        n_times: int | None = None,
        n_filters_time: int = 40,
        filter_time_length: int = 25,
        n_filters_spat: int = 40,
        pool_time_length: int = 75,
        pool_time_stride: int = 15,
        final_conv_length: str | int = "auto",
        conv_nonlin: type[nn.Module] | Callable | str = Square,
        pool_mode: str = "mean",
        activation_pool_nonlin: type[nn.Module] | Callable | str = SafeLog,
        split_first_layer: bool = True,
        batch_norm: bool = True,
        batch_norm_alpha: float = 0.1,
        drop_prob: float = 0.5,
        chs_info: Any = None,
        input_window_seconds: float | None = None,
        sfreq: float | None = None,
    ) -> None:
        super().__init__()
        signal = resolve_signal_params(
            n_chans, chs_info, n_times, input_window_seconds, sfreq, "ShallowFBCSPNet", require_sfreq=False
        )
        self._init_signal(signal, n_outputs)
        for name, value in (
            ("n_filters_time", n_filters_time), ("filter_time_length", filter_time_length),
            ("n_filters_spat", n_filters_spat), ("pool_time_length", pool_time_length),
            ("pool_time_stride", pool_time_stride),
        ):
            positive_int(name, value)
        if final_conv_length != "auto":
            positive_int("final_conv_length", final_conv_length)
        if pool_mode not in _POOLS:
            raise ValueError(f"pool_mode must be 'mean' or 'max', got {pool_mode!r}.")
        probability("drop_prob", drop_prob)
        self.n_times_pooled, self.final_conv_length = check_shallow_lengths(
            signal.n_times, filter_time_length, pool_time_length, pool_time_stride, final_conv_length
        )
        self.n_filters_time = n_filters_time
        self.filter_time_length = filter_time_length
        self.n_filters_spat = n_filters_spat
        self.pool_time_length = pool_time_length
        self.pool_time_stride = pool_time_stride
        self.final_conv_length_arg = final_conv_length
        self.conv_nonlin = resolve_activation(conv_nonlin, "conv_nonlin", allow_function=True)
        self.pool_mode = pool_mode
        self.pool_nonlin = resolve_activation(activation_pool_nonlin, "activation_pool_nonlin", allow_function=True)
        self.split_first_layer = split_first_layer
        self.batch_norm = batch_norm
        self.batch_norm_alpha = batch_norm_alpha
        self.drop_prob = drop_prob
        self.n_filters_conv = n_filters_spat if split_first_layer else n_filters_time

        # Submodule names, order and initialisation follow braindecode (state_dicts are
        # interchangeable; the same seed gives the same weights).
        if split_first_layer:
            self.conv_time_spat = TemporalSpatialConv(
                self.n_chans, n_filters_time, n_filters_spat, filter_time_length,
                bias_time=True, bias_spat=not batch_norm,
            )
        else:
            self.conv_time = nn.Conv2d(self.n_chans, n_filters_time, (filter_time_length, 1), bias=not batch_norm)
        if batch_norm:
            self.bnorm = nn.BatchNorm1d(self.n_filters_conv, momentum=batch_norm_alpha, affine=True)
        self.conv_nonlin_exp = make_layer(self.conv_nonlin)
        self.pool = _POOLS[pool_mode](kernel_size=pool_time_length, stride=pool_time_stride)
        self.pool_nonlin_exp = make_layer(self.pool_nonlin)
        self.drop = nn.Dropout(p=drop_prob)
        self.final_layer = nn.Sequential()
        self.final_layer.add_module(
            "conv_classifier", nn.Conv2d(self.n_filters_conv, self.n_outputs, (self.final_conv_length, 1), bias=True)
        )
        first = self.conv_time_spat.conv_time if split_first_layer else self.conv_time
        nn.init.xavier_uniform_(first.weight, gain=1)
        if first.bias is not None:
            nn.init.zeros_(first.bias)
        if split_first_layer:
            nn.init.xavier_uniform_(self.conv_time_spat.conv_spat.weight, gain=1)
            if self.conv_time_spat.conv_spat.bias is not None:
                nn.init.zeros_(self.conv_time_spat.conv_spat.bias)
        nn.init.xavier_uniform_(self.final_layer.conv_classifier.weight, gain=1)
        nn.init.zeros_(self.final_layer.conv_classifier.bias)

    def new_head(self, n_outputs: int) -> nn.Module:
        """A fresh classifier convolution (Xavier weights, zero bias, as at construction)."""
        head = nn.Sequential()
        head.add_module("conv_classifier", nn.Conv2d(self.n_filters_conv, n_outputs, (self.final_conv_length, 1)))
        nn.init.xavier_uniform_(head.conv_classifier.weight, gain=1)
        nn.init.zeros_(head.conv_classifier.bias)
        return head

    # ------------------------------------------------------------------ forward
    def first_layer(self, x: torch.Tensor) -> torch.Tensor:
        """Temporal (+ spatial) convolution: ``(B, C, T) -> (B, n_filters, T - L + 1)``."""
        if hasattr(self, "conv_time_spat"):  # split_first_layer (a static check for TorchScript)
            return self.conv_time_spat(x)
        return self.conv_time(x.unsqueeze(-1)).squeeze(-1)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the classifier: ``(B, C, T) -> (B, n_filters, n_pooled)``."""
        self.check_input(x, self.n_times, None)
        x = self.first_layer(x)
        if self.batch_norm:
            x = self.bnorm(x)
        x = self.pool_nonlin_exp(self.pool(self.conv_nonlin_exp(x)))
        return self.drop(x)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """The classifier: ``(B, n_filters, n_pooled) -> (B, n_outputs)`` raw logits, or
        ``(B, n_outputs, n_preds)`` when it fits more than once (dense predictions)."""
        out = self.final_layer(features.unsqueeze(-1))[..., 0]
        return out[:, :, 0] if out.shape[-1] == 1 else out

    def inference_module(self) -> nn.Module:
        """The frozen export-friendly form (:class:`eegzoo.models.inference.InferenceShallowFBCSPNet`)
        of the current eval-mode weights."""
        from eegzoo.models.inference import InferenceShallowFBCSPNet

        return InferenceShallowFBCSPNet(self)

    # ------------------------------------------------------------------ description
    def describe(self) -> list[str]:
        seconds = lambda n: f" ({n / self.sfreq:g} s)" if self.sfreq else ""  # noqa: E731
        if self.split_first_layer:
            first = (
                f"1. **Temporal + spatial convolution** (merged): {self.n_filters_time} temporal filters of "
                f"{self.filter_time_length} samples{seconds(self.filter_time_length)}, then "
                f"{self.n_filters_spat} spatial filters over {self.n_chans} electrodes"
            )
        else:
            first = (
                f"1. **Temporal convolution** over {self.n_chans} electrodes: {self.n_filters_time} filters of "
                f"{self.filter_time_length} samples{seconds(self.filter_time_length)}"
            )
        first += ", batch norm." if self.batch_norm else "."
        return [
            first,
            f"2. **{_name(self.conv_nonlin)}**, {self.pool_mode}-pool over {self.pool_time_length} samples{seconds(self.pool_time_length)} "
            f"every {self.pool_time_stride}, **{_name(self.pool_nonlin)}**: log band power in {self.n_times_pooled} windows.",
            f"3. **Dropout** {self.drop_prob:g}, **classifier** convolution over {self.final_conv_length} windows -> {self.n_outputs} logits.",
        ]

    def get_config(self) -> dict[str, Any]:
        return json_safe(
            {
                "n_chans": self.n_chans,
                "n_outputs": self.n_outputs,
                "n_times": self.n_times,
                "n_filters_time": self.n_filters_time,
                "filter_time_length": self.filter_time_length,
                "n_filters_spat": self.n_filters_spat,
                "pool_time_length": self.pool_time_length,
                "pool_time_stride": self.pool_time_stride,
                "final_conv_length": self.final_conv_length_arg,
                "conv_nonlin": portable_path(self.conv_nonlin),
                "pool_mode": self.pool_mode,
                "activation_pool_nonlin": portable_path(self.pool_nonlin),
                "split_first_layer": self.split_first_layer,
                "batch_norm": self.batch_norm,
                "batch_norm_alpha": self.batch_norm_alpha,
                "drop_prob": self.drop_prob,
                "chs_info": self._chs_info,
                "input_window_seconds": None,
                "sfreq": self.sfreq,
            }
        )


def _name(layer: Any) -> str:
    return getattr(layer, "__name__", type(layer).__name__)
