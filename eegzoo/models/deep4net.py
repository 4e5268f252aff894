"""Deep4Net (Deep ConvNet, Schirrmeister et al. 2017), weight-compatible with braindecode
1.8.x's ``Deep4Net``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from eegzoo.blocks.batch_norm_folding import fold_batch_norm
from eegzoo.blocks.deep_conv_pool import (
    DeepConvPool,
    dropout,
    make_pool,
    pool_commutes,
    temporal_conv,
    temporal_pool,
)
from eegzoo.blocks.temporal_spatial_conv import TemporalSpatialConv
from eegzoo.core.jsonsafe import json_safe
from eegzoo.core.signal import resolve_signal_params
from eegzoo.models.arguments import make_layer, portable_path, positive_int, probability, resolve_activation
from eegzoo.models.signal_model import SignalModel
from eegzoo.specs.deep4net import Deep4NetParams, deep4_lengths

#: braindecode's keys from before its first layer was merged (``Deep4Net.mapping``), renamed
#: on loading as braindecode does.
LEGACY_KEYS = {
    "conv_time.weight": "conv_time_spat.conv_time.weight",
    "conv_spat.weight": "conv_time_spat.conv_spat.weight",
    "conv_time.bias": "conv_time_spat.conv_time.bias",
    "conv_spat.bias": "conv_time_spat.conv_spat.bias",
    "conv_classifier.weight": "final_layer.conv_classifier.weight",
    "conv_classifier.bias": "final_layer.conv_classifier.bias",
}

_BLOCK_LAYERS = ("drop", "conv", "bnorm", "nonlin", "pool", "pool_nonlin")


class Deep4Net(SignalModel, nn.Module):
    """Deep ConvNet: temporal + spatial convolution, batch norm, ELU, max pool, then three
    conv-pool blocks (:class:`eegzoo.blocks.deep_conv_pool.DeepConvPool`: dropout,
    convolution, batch norm, ELU, max pool) widening 25 -> 50 -> 100 -> 200 maps, and a
    convolutional classifier.

    Accepts braindecode 1.8.x's ``Deep4Net`` constructor arguments with the same meaning and
    defaults, has the same ``state_dict`` keys and shapes (``conv_time_spat.conv_time.*``,
    ``conv_time_spat.conv_spat.weight``, ``bnorm.*``, ``conv_2.weight``, ``bnorm_2.*``, ...,
    ``final_layer.conv_classifier.*``), the same layer names in the same order and, under the
    same seed, the same initialisation. Legacy keys (``conv_time.weight``,
    ``conv_classifier.weight``, ...) are renamed on loading, as braindecode does.

    Args:
        n_chans, chs_info, n_times, input_window_seconds, sfreq: signal parameters (see
            :func:`eegzoo.core.signal.resolve_signal_params`); ``sfreq`` is optional.
        n_outputs: number of classes (raw logits are returned).
        final_conv_length: time steps the classifier spans; ``"auto"``: all of them. A
            smaller int gives dense predictions ``(B, n_outputs, n_preds)``, as does an
            input longer than ``n_times``.
        n_filters_time, n_filters_spat, filter_time_length: the first layer's temporal
            filters, spatial filters and temporal filter length (samples).
        pool_time_length, pool_time_stride: every pooling's window and stride (samples).
        n_filters_2, filter_length_2, n_filters_3, filter_length_3, n_filters_4, filter_length_4: the three
            conv-pool blocks' filters and filter lengths.
        activation_first_conv_nonlin, first_pool_mode, first_pool_nonlin: the first block's
            non-linearity (class, ELU), ``"max"``/``"mean"`` pooling and pool non-linearity
            (Identity).
        activation_later_conv_nonlin, later_pool_mode, later_pool_nonlin: the same for the
            later blocks.
        drop_prob: dropout before each later block's convolution.
        split_first_layer: temporal then spatial filters (merged into one convolution);
            ``False``: one temporal convolution over the electrodes as input channels
            (``conv_time``; braindecode 1.8 fails to build that variant).
        batch_norm, batch_norm_alpha: batch norm after every convolution, and its momentum.
        stride_before_pool: stride the convolutions instead of the poolings (as braindecode:
            not the merged first layer, whose pooling then has stride 1).
        fused: run in channels-last (time-major) memory, where oneDNN's convolutions are
            fastest; in eval, fold each batch norm into its convolution; run a monotone
            non-linearity after max pooling instead of before (on a third of the samples).
            Same numbers to float rounding; ``False`` runs braindecode's sequence of
            operations (in contiguous memory).

    A window shorter than the layers need (441 samples with the defaults) scales every
    temporal length down, with braindecode's ``UserWarning`` and arithmetic (the merged
    first layer keeps its length, as in braindecode).

    ``model(x)`` returns raw logits; ``return_features=True`` returns
    ``{"features": (B, n_filters_4, n_times_out), "logits": ...}``, the map the classifier takes.
    """

    architecture_name = "deep4net"
    supports_dense_predictions = True  # braindecode's cropped decoding (to_dense_prediction_model)
    params_model = Deep4NetParams

    def __init__(
        self,
        n_chans: int | None = None,
        n_outputs: int | None = None,
        n_times: int | None = None,
        final_conv_length: str | int = "auto",
        n_filters_time: int = 25,
        n_filters_spat: int = 25,
        filter_time_length: int = 10,
        pool_time_length: int = 3,
        pool_time_stride: int = 3,
        n_filters_2: int = 50,
        filter_length_2: int = 10,
        n_filters_3: int = 100,
        filter_length_3: int = 10,
        n_filters_4: int = 200,
        filter_length_4: int = 10,
        activation_first_conv_nonlin: type[nn.Module] | str = nn.ELU,
        first_pool_mode: str = "max",
        first_pool_nonlin: type[nn.Module] | str = nn.Identity,
        activation_later_conv_nonlin: type[nn.Module] | str = nn.ELU,
        later_pool_mode: str = "max",
        later_pool_nonlin: type[nn.Module] | str = nn.Identity,
        drop_prob: float = 0.5,
        split_first_layer: bool = True,
        batch_norm: bool = True,
        batch_norm_alpha: float = 0.1,
        stride_before_pool: bool = False,
        chs_info: Any = None,
        input_window_seconds: float | None = None,
        sfreq: float | None = None,
        fused: bool = True,
    ) -> None:
        super().__init__()
        signal = resolve_signal_params(
            n_chans, chs_info, n_times, input_window_seconds, sfreq, "Deep4Net", require_sfreq=False
        )
        self._init_signal(signal, n_outputs)
        sizes = {
            "n_filters_time": n_filters_time, "n_filters_spat": n_filters_spat,
            "filter_time_length": filter_time_length, "pool_time_length": pool_time_length,
            "pool_time_stride": pool_time_stride, "n_filters_2": n_filters_2, "filter_length_2": filter_length_2,
            "n_filters_3": n_filters_3, "filter_length_3": filter_length_3, "n_filters_4": n_filters_4,
            "filter_length_4": filter_length_4,
        }
        sizes = {name: positive_int(name, value) for name, value in sizes.items()}
        if final_conv_length != "auto":
            final_conv_length = positive_int("final_conv_length", final_conv_length)
        for name, mode in (("first_pool_mode", first_pool_mode), ("later_pool_mode", later_pool_mode)):
            if mode not in ("max", "mean"):
                raise ValueError(f"{name} must be 'max' or 'mean', got {mode!r}.")
        probability("drop_prob", drop_prob)
        if isinstance(batch_norm_alpha, bool) or not isinstance(batch_norm_alpha, (int, float)) or not 0 <= batch_norm_alpha <= 1:
            raise ValueError(f"batch_norm_alpha (batch-norm momentum) must be a number in [0, 1], got {batch_norm_alpha!r}.")
        for name, flag in (
            ("split_first_layer", split_first_layer), ("batch_norm", batch_norm),
            ("stride_before_pool", stride_before_pool), ("fused", fused),
        ):
            if not isinstance(flag, bool):
                raise ValueError(f"{name} must be True or False, got {flag!r}.")
        nonlins = {
            name: resolve_activation(value, name, allow_function=True)
            for name, value in (
                ("activation_first_conv_nonlin", activation_first_conv_nonlin),
                ("first_pool_nonlin", first_pool_nonlin),
                ("activation_later_conv_nonlin", activation_later_conv_nonlin),
                ("later_pool_nonlin", later_pool_nonlin),
            )
        }
        lengths = deep4_lengths(
            signal.n_times, final_conv_length, sizes["filter_time_length"], sizes["pool_time_length"],
            sizes["pool_time_stride"], sizes["filter_length_2"], sizes["filter_length_3"], sizes["filter_length_4"],
            split_first_layer, stride_before_pool, warn=True,
        )
        # the constructor's arguments, for get_config (the attributes below are braindecode's,
        # with the scaled lengths a short window gets)
        self._arguments = {**sizes, **nonlins, "final_conv_length": final_conv_length,
                           "first_pool_mode": first_pool_mode, "later_pool_mode": later_pool_mode,
                           "drop_prob": drop_prob, "split_first_layer": split_first_layer, "batch_norm": batch_norm,
                           "batch_norm_alpha": batch_norm_alpha, "stride_before_pool": stride_before_pool}
        self.final_conv_length = lengths.final_conv_length
        self.n_times_out = lengths.n_times_out
        self.n_filters_time = sizes["n_filters_time"]
        self.n_filters_spat = sizes["n_filters_spat"]
        self.filter_time_length = lengths.filter_time_length
        self.pool_time_length = lengths.pool_time_length
        self.pool_time_stride = lengths.pool_time_stride
        self.n_filters_2, self.filter_length_2 = sizes["n_filters_2"], lengths.filter_length_2
        self.n_filters_3, self.filter_length_3 = sizes["n_filters_3"], lengths.filter_length_3
        self.n_filters_4, self.filter_length_4 = sizes["n_filters_4"], lengths.filter_length_4
        self.first_nonlin = nonlins["activation_first_conv_nonlin"]
        self.first_pool_mode = first_pool_mode
        self.first_pool_nonlin = nonlins["first_pool_nonlin"]
        self.later_conv_nonlin = nonlins["activation_later_conv_nonlin"]
        self.later_pool_mode = later_pool_mode
        self.later_pool_nonlin = nonlins["later_pool_nonlin"]
        self.drop_prob = drop_prob
        self.split_first_layer = split_first_layer
        self.batch_norm = batch_norm
        self.batch_norm_alpha = batch_norm_alpha
        self.stride_before_pool = stride_before_pool
        self.fused = fused
        self.first_pool_first = pool_commutes(self.first_nonlin, first_pool_mode)
        self.later_pool_first = pool_commutes(self.later_conv_nonlin, later_pool_mode)
        self.first_pool_max = first_pool_mode == "max"
        self.later_pool_max = later_pool_mode == "max"
        conv_stride, pool_stride = (
            (self.pool_time_stride, 1) if stride_before_pool else (1, self.pool_time_stride)
        )

        # Layer names, order and initialisation follow braindecode (state_dicts are
        # interchangeable; the same seed gives the same weights).
        if split_first_layer:
            # braindecode builds its merged first layer with the unscaled filter length
            self.conv_time_spat = TemporalSpatialConv(
                self.n_chans, self.n_filters_time, self.n_filters_spat, sizes["filter_time_length"],
                bias_time=True, bias_spat=not batch_norm,
            )
            self.n_filters_conv = self.n_filters_spat
        else:
            self.conv_time = nn.Conv2d(
                self.n_chans, self.n_filters_time, (self.filter_time_length, 1), stride=(conv_stride, 1),
                bias=not batch_norm,
            )
            self.n_filters_conv = self.n_filters_time
        if batch_norm:
            self.bnorm = nn.BatchNorm2d(self.n_filters_conv, momentum=batch_norm_alpha, affine=True, eps=1e-5)
        self.conv_nonlin = make_layer(self.first_nonlin)
        self.pool = make_pool(first_pool_mode, self.pool_time_length, pool_stride)
        self.pool_nonlin = make_layer(self.first_pool_nonlin)
        blocks = []
        n_before = self.n_filters_conv
        for nr, n_filters, filter_length in (
            (2, self.n_filters_2, self.filter_length_2), (3, self.n_filters_3, self.filter_length_3),
            (4, self.n_filters_4, self.filter_length_4),
        ):
            block = DeepConvPool(
                n_before, n_filters, filter_length, self.pool_time_length, pool_stride, conv_stride=conv_stride,
                pool_mode=later_pool_mode, nonlin=make_layer(self.later_conv_nonlin),
                pool_nonlin=make_layer(self.later_pool_nonlin), batch_norm=batch_norm,
                batch_norm_alpha=batch_norm_alpha, drop_prob=drop_prob, init_weights=False,
            )
            for name in _BLOCK_LAYERS:  # braindecode's flat names: drop_2, conv_2, bnorm_2, ...
                if hasattr(block, name):
                    self.add_module(f"{name}_{nr}", getattr(block, name))
            blocks.append(block)
            n_before = n_filters
        self.final_layer = nn.Sequential()
        self.final_layer.add_module(
            "conv_classifier", nn.Conv2d(self.n_filters_4, self.n_outputs, (self.final_conv_length, 1), bias=True)
        )

        first = self.conv_time_spat.conv_time if split_first_layer else self.conv_time
        nn.init.xavier_uniform_(first.weight, gain=1)
        if first.bias is not None:
            nn.init.zeros_(first.bias)
        if split_first_layer:
            nn.init.xavier_uniform_(self.conv_time_spat.conv_spat.weight, gain=1)
            if self.conv_time_spat.conv_spat.bias is not None:
                nn.init.zeros_(self.conv_time_spat.conv_spat.bias)
        if batch_norm:
            nn.init.ones_(self.bnorm.weight)
            nn.init.zeros_(self.bnorm.bias)
        for block in blocks:
            block.init_weights()
        nn.init.xavier_uniform_(self.final_layer.conv_classifier.weight, gain=1)
        nn.init.zeros_(self.final_layer.conv_classifier.bias)
        self.register_load_state_dict_pre_hook(_rename_legacy_keys)

    def new_head(self, n_outputs: int) -> nn.Module:
        """A fresh classifier convolution (Xavier weights, zero bias, as at construction)."""
        head = nn.Sequential()
        head.add_module("conv_classifier", nn.Conv2d(self.n_filters_4, n_outputs, (self.final_conv_length, 1)))
        nn.init.xavier_uniform_(head.conv_classifier.weight, gain=1)
        nn.init.zeros_(head.conv_classifier.bias)
        return head

    # ------------------------------------------------------------------ forward
    # Signals run as (B, maps, 1, time): the (L, 1) convolutions and pools on braindecode's
    # weights and stride/dilation attributes (read at every call, so dense-prediction
    # conversion applies) with time last, where oneDNN is fastest. Fused, in channels-last
    # (time-major) memory, faster still (dropout draws its masks in braindecode's element
    # order all the same), and in eval with each batch norm folded into its convolution.
    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the classifier: ``(B, C, T) -> (B, n_filters_4, n_times_out)``."""
        self.check_input(x, self.n_times, None)
        fold = self.fused and not self.training
        x = x.unsqueeze(2)
        if self.fused:
            x = x.contiguous(memory_format=torch.channels_last)
        if hasattr(self, "conv_time_spat"):
            weight, bias = self.conv_time_spat.merged_kernel()
            weight = weight.unsqueeze(3)
            stride, dilation = (1, 1), (1, 1)  # braindecode's merged layer has no stride
        else:
            weight, bias = self.conv_time.weight, self.conv_time.bias
            stride, dilation = self.conv_time.stride, self.conv_time.dilation
        if hasattr(self, "bnorm") and fold:
            weight, bias = fold_batch_norm(
                weight, bias, self.bnorm.running_mean, self.bnorm.running_var, self.bnorm.weight,
                self.bnorm.bias, self.bnorm.eps,
            )
        x = temporal_conv(x, weight, bias, stride, dilation)
        if hasattr(self, "bnorm") and not fold:
            x = self.bnorm(x)
        pool = (self.pool.kernel_size, self.pool.stride, self.pool.dilation, self.pool.padding)
        if self.first_pool_first and self.fused:
            x = self.conv_nonlin(temporal_pool(x, self.first_pool_max, pool[0], pool[1], pool[2], pool[3]))
        else:
            x = temporal_pool(self.conv_nonlin(x), self.first_pool_max, pool[0], pool[1], pool[2], pool[3])
        x = self.pool_nonlin(x)

        later_pool_first = self.later_pool_first and self.fused
        # block 2
        x = dropout(x, self.drop_2.p, self.drop_2.training)
        weight, bias = self.conv_2.weight, self.conv_2.bias
        if hasattr(self, "bnorm_2") and fold:
            weight, bias = fold_batch_norm(
                weight, bias, self.bnorm_2.running_mean, self.bnorm_2.running_var, self.bnorm_2.weight,
                self.bnorm_2.bias, self.bnorm_2.eps,
            )
        x = temporal_conv(x, weight, bias, self.conv_2.stride, self.conv_2.dilation)
        if hasattr(self, "bnorm_2") and not fold:
            x = self.bnorm_2(x)
        pool = (self.pool_2.kernel_size, self.pool_2.stride, self.pool_2.dilation, self.pool_2.padding)
        if later_pool_first:
            x = self.nonlin_2(temporal_pool(x, self.later_pool_max, pool[0], pool[1], pool[2], pool[3]))
        else:
            x = temporal_pool(self.nonlin_2(x), self.later_pool_max, pool[0], pool[1], pool[2], pool[3])
        x = self.pool_nonlin_2(x)
        # block 3
        x = dropout(x, self.drop_3.p, self.drop_3.training)
        weight, bias = self.conv_3.weight, self.conv_3.bias
        if hasattr(self, "bnorm_3") and fold:
            weight, bias = fold_batch_norm(
                weight, bias, self.bnorm_3.running_mean, self.bnorm_3.running_var, self.bnorm_3.weight,
                self.bnorm_3.bias, self.bnorm_3.eps,
            )
        x = temporal_conv(x, weight, bias, self.conv_3.stride, self.conv_3.dilation)
        if hasattr(self, "bnorm_3") and not fold:
            x = self.bnorm_3(x)
        pool = (self.pool_3.kernel_size, self.pool_3.stride, self.pool_3.dilation, self.pool_3.padding)
        if later_pool_first:
            x = self.nonlin_3(temporal_pool(x, self.later_pool_max, pool[0], pool[1], pool[2], pool[3]))
        else:
            x = temporal_pool(self.nonlin_3(x), self.later_pool_max, pool[0], pool[1], pool[2], pool[3])
        x = self.pool_nonlin_3(x)
        # block 4
        x = dropout(x, self.drop_4.p, self.drop_4.training)
        weight, bias = self.conv_4.weight, self.conv_4.bias
        if hasattr(self, "bnorm_4") and fold:
            weight, bias = fold_batch_norm(
                weight, bias, self.bnorm_4.running_mean, self.bnorm_4.running_var, self.bnorm_4.weight,
                self.bnorm_4.bias, self.bnorm_4.eps,
            )
        x = temporal_conv(x, weight, bias, self.conv_4.stride, self.conv_4.dilation)
        if hasattr(self, "bnorm_4") and not fold:
            x = self.bnorm_4(x)
        pool = (self.pool_4.kernel_size, self.pool_4.stride, self.pool_4.dilation, self.pool_4.padding)
        if later_pool_first:
            x = self.nonlin_4(temporal_pool(x, self.later_pool_max, pool[0], pool[1], pool[2], pool[3]))
        else:
            x = temporal_pool(self.nonlin_4(x), self.later_pool_max, pool[0], pool[1], pool[2], pool[3])
        return self.pool_nonlin_4(x).squeeze(2)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """The classifier: ``(B, n_filters_4, n_times_out) -> (B, n_outputs)`` raw logits, or
        ``(B, n_outputs, n_preds)`` when it fits more than once (dense predictions)."""
        out = self.final_layer(features.unsqueeze(3)).squeeze(3)
        if out.shape[2] == 1:
            return out.squeeze(2)
        return out

    # ------------------------------------------------------------------ description
    def describe(self) -> list[str]:
        seconds = lambda n: f" ({n / self.sfreq:g} s)" if self.sfreq else ""  # noqa: E731
        if self.split_first_layer:
            first = (
                f"1. **Temporal + spatial convolution** (merged): {self.n_filters_time} temporal filters of "
                f"{self.conv_time_spat.filter_time_length} samples{seconds(self.conv_time_spat.filter_time_length)}, "
                f"then {self.n_filters_spat} spatial filters over {self.n_chans} electrodes"
            )
        else:
            first = (
                f"1. **Temporal convolution** over {self.n_chans} electrodes: {self.n_filters_time} filters of "
                f"{self.filter_time_length} samples{seconds(self.filter_time_length)}"
            )
        norm = ", batch norm" if self.batch_norm else ""
        pool = f"pool {self.pool_time_length} (stride {self.pool_time_stride})"
        steps = [f"{first}{norm}, **{_name(self.first_nonlin)}**, {self.first_pool_mode}-{pool}."]
        for i, (n, length) in enumerate(
            ((self.n_filters_2, self.filter_length_2), (self.n_filters_3, self.filter_length_3),
             (self.n_filters_4, self.filter_length_4)), start=2,
        ):
            steps.append(
                f"{i}. **Conv-pool block**: dropout {self.drop_prob:g}, {n} temporal filters of {length} samples"
                f"{norm}, **{_name(self.later_conv_nonlin)}**, {self.later_pool_mode}-{pool}."
            )
        steps.append(
            f"5. **Classifier** convolution over {self.final_conv_length} of {self.n_times_out} time steps "
            f"-> {self.n_outputs} logits."
        )
        return steps

    def get_config(self) -> dict[str, Any]:
        args = self._arguments
        config: dict[str, Any] = {"n_chans": self.n_chans, "n_outputs": self.n_outputs, "n_times": self.n_times}
        for name in (
            "final_conv_length", "n_filters_time", "n_filters_spat", "filter_time_length", "pool_time_length",
            "pool_time_stride", "n_filters_2", "filter_length_2", "n_filters_3", "filter_length_3",
            "n_filters_4", "filter_length_4",
        ):
            config[name] = args[name]
        config.update(
            activation_first_conv_nonlin=portable_path(args["activation_first_conv_nonlin"]),
            first_pool_mode=args["first_pool_mode"],
            first_pool_nonlin=portable_path(args["first_pool_nonlin"]),
            activation_later_conv_nonlin=portable_path(args["activation_later_conv_nonlin"]),
            later_pool_mode=args["later_pool_mode"],
            later_pool_nonlin=portable_path(args["later_pool_nonlin"]),
            drop_prob=args["drop_prob"],
            split_first_layer=args["split_first_layer"],
            batch_norm=args["batch_norm"],
            batch_norm_alpha=args["batch_norm_alpha"],
            stride_before_pool=args["stride_before_pool"],
            chs_info=self._chs_info,
            input_window_seconds=None,
            sfreq=self.sfreq,
            fused=self.fused,
        )
        return json_safe(config)


def _rename_legacy_keys(module: nn.Module, state_dict: Mapping[str, Any], prefix: str, *args: Any) -> None:
    """Load-state-dict pre-hook: braindecode's pre-1.0 key names -> today's (only where the
    model has the new layer and not the old one: ``conv_time.*`` is a real key without
    ``split_first_layer``)."""
    own = module.state_dict(keep_vars=True)
    for old, new in LEGACY_KEYS.items():
        if prefix + old in state_dict and old not in own and new in own:
            state_dict[prefix + new] = state_dict.pop(prefix + old)  # type: ignore[attr-defined]


def _name(layer: Any) -> str:
    return getattr(layer, "__name__", type(layer).__name__)
