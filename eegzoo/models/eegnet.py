"""EEGNet (Lawhern et al. 2018), weight-compatible with braindecode 1.8.x's ``EEGNet``."""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn

from eegzoo.blocks.batch_norm_folding import composed_batch_norm_affine, update_running_buffers
from eegzoo.blocks.depthwise_spatial_conv import DepthwiseSpatialConv
from eegzoo.blocks.depthwise_temporal_conv import DepthwiseTemporalConv
from eegzoo.blocks.fft_correlate import fft_correlate
from eegzoo.blocks.filtered_moments import filtered_moments
from eegzoo.blocks.max_norm import MaxNormLinear
from eegzoo.core.jsonsafe import json_safe
from eegzoo.core.signal import resolve_signal_params
from eegzoo.models.arguments import activation_path, positive_int, positive_number, probability, resolve_activation
from eegzoo.models.signal_model import SignalModel
from eegzoo.specs.eegnet import EEGNetParams, check_eegnet_lengths, eegnet_feature_length

_POOLS: dict[str, type[nn.Module]] = {"mean": nn.AvgPool2d, "max": nn.MaxPool2d}


class EEGNet(SignalModel, nn.Module):
    """EEGNet: temporal conv -> depthwise spatial conv -> separable conv -> conv classifier.

    Accepts braindecode 1.8.x's ``EEGNet`` constructor arguments with the same meaning and
    defaults (EEGNet-8,2: ``F1=8`` temporal filters, ``D=2`` spatial filters each,
    ``F2=F1*D``), has the same ``state_dict`` keys and shapes (``conv_temporal.weight``,
    ``conv_spatial.parametrizations.weight.original``, ``final_layer.conv_classifier.*``,
    ...) and, under the same seed, the same initialisation.

    Args:
        n_chans, chs_info, n_times, input_window_seconds, sfreq: signal parameters (see
            :func:`eegzoo.core.signal.resolve_signal_params`); ``sfreq`` is optional.
        n_outputs: number of classes (raw logits are returned).
        final_conv_length: time steps the classifier convolution spans; ``"auto"`` spans
            the whole window (one prediction per trial). A smaller int gives dense
            predictions ``(B, n_outputs, n_preds)``, as does an input longer than
            ``n_times`` (cropped decoding).
        pool_mode: ``"mean"`` or ``"max"`` pooling.
        F1, D, F2: temporal filters, spatial filters per temporal filter, pointwise
            filters (``None``: ``F1 * D``).
        kernel_length: samples of the temporal convolution (64 = 0.5 s at 128 Hz).
        depthwise_kernel_length: samples of the separable (depthwise temporal) convolution.
        pool1_kernel_size, pool2_kernel_size: the two temporal poolings.
        conv_spatial_max_norm: max L2 norm of each spatial filter.
        activation: activation class (ELU).
        batch_norm_momentum, batch_norm_affine, batch_norm_eps: batch norms' settings.
        drop_prob: dropout probability.
        final_layer_with_constraint: flatten + max-norm linear classifier
            (``final_layer.linearconstraint``) instead of the convolution.
        norm_rate: max L2 norm of the linear classifier's rows.
        third_kernel_size: deprecated and ignored (warns), kept for compatibility.
        fused: run the depthwise (separable) convolution through the FFT
            (:func:`eegzoo.blocks.fft_correlate.fft_correlate`) and apply the spatial
            filters before the temporal ones (both are linear and the batch norm between
            them is affine per filter, so they commute: the 64-tap filtering then runs over
            ``F1 * D`` maps instead of ``F1 * n_chans`` electrode signals; in training the
            batch norm's statistics come from the input's second-order statistics,
            :func:`eegzoo.blocks.filtered_moments.filtered_moments`). Same numbers to float
            rounding, faster; ``False`` runs braindecode's convolutions.

    ``model(x)`` returns raw logits ``(B, n_outputs)``; ``return_features=True`` returns
    ``{"features": (B, F2, 1, T_out), "logits": ...}``: the map the classifier takes
    (``features.flatten(1)`` is a vector per trial).
    """

    architecture_name = "eegnet"
    config_json_constructor_only = True  # braindecode's EEGNet refuses unknown config.json keys
    mapping = {  # pre-1.0 braindecode checkpoints
        "conv_classifier.weight": "final_layer.conv_classifier.weight",
        "conv_classifier.bias": "final_layer.conv_classifier.bias",
    }
    params_model = EEGNetParams

    def __init__(
        self,
        n_chans: int | None = None,
        n_outputs: int | None = None,
        n_times: int | None = None,
        final_conv_length: str | int = "auto",
        pool_mode: str = "mean",
        F1: int = 8,
        D: int = 2,
        F2: int | None = None,
        kernel_length: int = 64,
        *,
        depthwise_kernel_length: int = 16,
        pool1_kernel_size: int = 4,
        pool2_kernel_size: int = 8,
        conv_spatial_max_norm: float = 1,
        activation: type[nn.Module] | str = nn.ELU,
        batch_norm_momentum: float = 0.01,
        batch_norm_affine: bool = True,
        batch_norm_eps: float = 1e-3,
        drop_prob: float = 0.25,
        final_layer_with_constraint: bool = False,
        norm_rate: float = 0.25,
        chs_info: Any = None,
        input_window_seconds: float | None = None,
        sfreq: float | None = None,
        third_kernel_size: Any = None,
        fused: bool = True,
    ) -> None:
        super().__init__()
        signal = resolve_signal_params(
            n_chans, chs_info, n_times, input_window_seconds, sfreq, "EEGNet", require_sfreq=False
        )
        self._init_signal(signal, n_outputs)
        if pool_mode not in _POOLS:
            raise ValueError(f"pool_mode must be 'mean' or 'max', got {pool_mode!r}.")
        for name, value in (
            ("F1", F1), ("D", D), ("kernel_length", kernel_length),
            ("depthwise_kernel_length", depthwise_kernel_length),
            ("pool1_kernel_size", pool1_kernel_size), ("pool2_kernel_size", pool2_kernel_size),
        ):
            positive_int(name, value)
        if F2 is not None:
            positive_int("F2", F2)
        if final_conv_length != "auto":
            positive_int("final_conv_length", final_conv_length)
        positive_number("conv_spatial_max_norm", conv_spatial_max_norm)
        positive_number("norm_rate", norm_rate)
        positive_number("batch_norm_eps", batch_norm_eps)
        probability("drop_prob", drop_prob)
        if third_kernel_size is not None:
            warnings.warn("third_kernel_size is deprecated and ignored.", FutureWarning, stacklevel=2)
        activation = resolve_activation(activation)

        self.final_conv_length_arg = final_conv_length
        self.pool_mode = pool_mode
        self.F1, self.D = F1, D
        self.F2_arg = F2
        self.F2 = F2 if F2 is not None else F1 * D
        self.kernel_length = kernel_length
        self.depthwise_kernel_length = depthwise_kernel_length
        self.pool1_kernel_size = pool1_kernel_size
        self.pool2_kernel_size = pool2_kernel_size
        self.conv_spatial_max_norm = conv_spatial_max_norm
        self.activation = activation
        self.batch_norm_momentum = batch_norm_momentum
        self.batch_norm_affine = batch_norm_affine
        self.batch_norm_eps = batch_norm_eps
        self.drop_prob = drop_prob
        self.final_layer_with_constraint = final_layer_with_constraint
        self.norm_rate = norm_rate
        self.fused = fused
        self.final_conv_length = check_eegnet_lengths(
            signal.n_times, kernel_length, depthwise_kernel_length, pool1_kernel_size,
            pool2_kernel_size, final_conv_length, final_layer_with_constraint,
        )
        self.n_times_out = eegnet_feature_length(
            signal.n_times, kernel_length, depthwise_kernel_length, pool1_kernel_size, pool2_kernel_size
        )

        # Submodule names, order and initialisation follow braindecode, so state_dicts are
        # interchangeable and the same seed gives the same weights.
        pool = _POOLS[pool_mode]
        self.conv_temporal = nn.Conv2d(1, F1, (1, kernel_length), bias=False, padding=(0, kernel_length // 2))
        self.bnorm_temporal = self._batch_norm(F1)
        self.conv_spatial = DepthwiseSpatialConv(F1, self.n_chans, D, bias=False, max_norm=conv_spatial_max_norm)
        self.bnorm_1 = self._batch_norm(F1 * D)
        self.elu_1 = activation()
        self.pool_1 = pool(kernel_size=(1, pool1_kernel_size))
        self.drop_1 = nn.Dropout(p=drop_prob)
        self.conv_separable_depth = DepthwiseTemporalConv(F1 * D, depthwise_kernel_length)
        self.conv_separable_point = nn.Conv2d(F1 * D, self.F2, kernel_size=(1, 1), bias=False)
        self.bnorm_2 = self._batch_norm(self.F2)
        self.elu_2 = activation()
        self.pool_2 = pool(kernel_size=(1, pool2_kernel_size))
        self.drop_2 = nn.Dropout(p=drop_prob)
        self._sizing_pass()
        self.final_layer = self.new_head(self.n_outputs)

    def _batch_norm(self, n: int) -> nn.BatchNorm2d:
        return nn.BatchNorm2d(n, momentum=self.batch_norm_momentum, affine=self.batch_norm_affine, eps=self.batch_norm_eps)

    def _sizing_pass(self) -> None:
        """braindecode sizes its classifier with one forward pass of zeros, in training mode:
        it draws dropout masks and moves the batch-norm running statistics (a zero batch gives
        ``running_var = 1 - momentum``). The same pass here keeps construction, and so
        same-seed initialisation, identical."""
        with torch.no_grad():
            self._body(torch.zeros(1, self.n_chans, self.n_times))

    def new_head(self, n_outputs: int) -> nn.Module:
        """The classifier: a convolution over ``(1, final_conv_length)`` (default), or a
        flatten + max-norm linear layer; bias initialised to zero, as braindecode."""
        head = nn.Sequential()
        if self.final_layer_with_constraint:
            head.add_module("flatten", nn.Flatten())
            head.add_module(
                "linearconstraint",
                MaxNormLinear(self.F2 * self.final_conv_length, n_outputs, max_norm=self.norm_rate),
            )
            nn.init.zeros_(head.linearconstraint.bias)
        else:
            head.add_module("conv_classifier", nn.Conv2d(self.F2, n_outputs, (1, self.final_conv_length), bias=True))
            nn.init.zeros_(head.conv_classifier.bias)
        return head

    # ------------------------------------------------------------------ forward
    def _spatial_then_temporal(self, x: torch.Tensor) -> torch.Tensor:
        """Temporal conv + batch norm + depthwise spatial conv, in the cheaper order: both
        convolutions are linear and the batch norm between them is an affine map per
        temporal filter, so map ``o`` (of temporal filter ``f = o // D``) is
        ``scale_f * h_f * (w_o . x) + shift_f * sum(w_o)``: the 64-tap filtering runs over
        ``F1 * D`` maps instead of ``F1 * n_chans`` electrode signals. In training, the
        batch statistics come from :func:`filtered_moments` (the input's second-order
        statistics) instead of the filtered signals."""
        bn = self.bnorm_temporal
        temporal = self.conv_temporal.weight[:, 0, 0]  # (F1, K)
        if bn.training:
            mean, var = filtered_moments(x, temporal, self.kernel_length // 2)
            count = self._values_per_filter(x)
            update_running_buffers(bn.running_mean, bn.running_var, bn.num_batches_tracked, bn.momentum, mean, var, count)
        else:
            running_mean, running_var = bn.running_mean, bn.running_var
            assert running_mean is not None and running_var is not None  # track_running_stats (see _body)
            mean, var = running_mean, running_var
        scale, shift = composed_batch_norm_affine(mean, var, bn.eps, bn.weight, bn.bias)
        spatial = self.conv_spatial.constrained_weight()[:, 0, :, 0]  # (F1 * D, n_chans)
        kernels = (temporal * scale[:, None]).repeat_interleave(self.D, dim=0)
        bias = shift.repeat_interleave(self.D) * spatial.sum(1)
        mixed = torch.matmul(spatial, x)  # (B, F1 * D, T)
        out = fft_correlate(mixed, kernels, self.kernel_length // 2) + bias[:, None]
        return out.unsqueeze(2)

    def _values_per_filter(self, x: torch.Tensor) -> int:
        """Values the temporal batch norm sees per filter: trials x electrodes x the samples
        of the "same"-padded temporal convolution (``T + 1`` for an even kernel)."""
        n_out = x.shape[-1] + 2 * (self.kernel_length // 2) - self.kernel_length + 1
        return x.numel() // x.shape[-1] * n_out

    def _body(self, x: torch.Tensor) -> torch.Tensor:
        bn = self.bnorm_temporal
        direct = not self.fused or not bn.track_running_stats
        if bn.training:  # float64 statistics (none on MPS); torch's own error for one value per channel
            direct = direct or x.device.type == "mps" or self._values_per_filter(x) < 2
        if direct:  # braindecode's operations, one by one
            x = self.conv_spatial(bn(self.conv_temporal(x.unsqueeze(1))))
        else:
            x = self._spatial_then_temporal(x)
        x = self.drop_1(self.pool_1(self.elu_1(self.bnorm_1(x))))
        depth = self.conv_separable_depth
        if self.fused:
            x = fft_correlate(x, depth.weight[:, :, 0], self.depthwise_kernel_length // 2)
        else:
            x = depth(x)
        x = self.conv_separable_point(x)
        return self.drop_2(self.pool_2(self.elu_2(self.bnorm_2(x))))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the classifier: ``(B, C, T) -> (B, F2, 1, T_out)``."""
        self.check_input(x, self.n_times, self.n_times if self.final_layer_with_constraint else None)
        return self._body(x)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """The classifier: ``(B, F2, 1, T_out) -> (B, n_outputs)`` raw logits, or
        ``(B, n_outputs, n_preds)`` when it fits more than once (dense predictions)."""
        if self.final_layer_with_constraint:
            return self.final_layer(features)
        out = self.final_layer(features)[:, :, 0, :]
        return out[:, :, 0] if out.shape[-1] == 1 else out

    def inference_module(self) -> nn.Module:
        """The frozen export-friendly form (:class:`eegzoo.models.inference.InferenceEEGNet`)
        of the current eval-mode weights."""
        from eegzoo.models.inference import InferenceEEGNet

        return InferenceEEGNet(self)

    # ------------------------------------------------------------------ description
    def describe(self) -> list[str]:
        rate = f" ({self.kernel_length / self.sfreq:g} s)" if self.sfreq else ""
        pool = "mean" if self.pool_mode == "mean" else "max"
        head = (
            f"flatten + max-norm ({self.norm_rate:g}) linear layer {self.F2 * self.final_conv_length} -> {self.n_outputs}"
            if self.final_layer_with_constraint
            else f"convolution over {self.F2} maps x {self.final_conv_length} time steps -> {self.n_outputs} logits"
        )
        return [
            f"1. **Temporal convolution**: {self.F1} filters of {self.kernel_length} samples{rate}, batch norm.",
            f"2. **Depthwise spatial convolution**: {self.D} spatial filters per temporal filter over {self.n_chans} electrodes (max-norm {self.conv_spatial_max_norm:g}), batch norm, {self.activation.__name__}, {pool}-pool {self.pool1_kernel_size}, dropout {self.drop_prob:g}.",
            f"3. **Separable convolution**: depthwise temporal ({self.depthwise_kernel_length} samples) + pointwise -> {self.F2} maps, batch norm, {self.activation.__name__}, {pool}-pool {self.pool2_kernel_size}, dropout {self.drop_prob:g}.",
            f"4. **Classifier**: {head}.",
        ]

    def get_config(self) -> dict[str, Any]:
        return json_safe(
            {
                "n_chans": self.n_chans,
                "n_outputs": self.n_outputs,
                "n_times": self.n_times,
                "final_conv_length": self.final_conv_length_arg,
                "pool_mode": self.pool_mode,
                "F1": self.F1,
                "D": self.D,
                "F2": self.F2_arg,
                "kernel_length": self.kernel_length,
                "depthwise_kernel_length": self.depthwise_kernel_length,
                "pool1_kernel_size": self.pool1_kernel_size,
                "pool2_kernel_size": self.pool2_kernel_size,
                "conv_spatial_max_norm": self.conv_spatial_max_norm,
                "activation": activation_path(self.activation),
                "batch_norm_momentum": self.batch_norm_momentum,
                "batch_norm_affine": self.batch_norm_affine,
                "batch_norm_eps": self.batch_norm_eps,
                "drop_prob": self.drop_prob,
                "final_layer_with_constraint": self.final_layer_with_constraint,
                "norm_rate": self.norm_rate,
                "chs_info": self._chs_info,
                "input_window_seconds": None,
                "sfreq": self.sfreq,
                "fused": self.fused,
            }
        )
