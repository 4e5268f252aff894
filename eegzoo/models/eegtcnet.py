"""EEG-TCNet (Ingolfsson et al. 2020), weight-compatible with braindecode 1.8.x's ``EEGTCNet``."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Optional

import torch
from torch import nn
from torch.nn import functional as F

from eegzoo.blocks.batch_norm_folding import composed_batch_norm_affine, fold_batch_norm, update_running_stats
from eegzoo.blocks.column_max_norm import ColumnMaxNormLinear
from eegzoo.blocks.filtered_moments import filtered_moments
from eegzoo.blocks.tcn_residual_block import TCNResidualBlock
from eegzoo.core.jsonsafe import json_safe
from eegzoo.core.signal import resolve_signal_params
from eegzoo.models.arguments import activation_path, positive_int, positive_number, probability, resolve_activation
from eegzoo.models.signal_model import SignalModel
from eegzoo.specs.eegtcnet import EEGTCNetParams, check_eegtcnet_lengths


class EEGTCNet(SignalModel, nn.Module):
    """EEG-TCNet: an EEGNet front end (temporal conv, depthwise spatial conv, separable conv)
    whose feature sequence feeds a temporal convolutional network (dilated causal residual
    blocks, :class:`eegzoo.blocks.tcn_residual_block.TCNResidualBlock`); the TCN's last time
    step is classified by a max-norm linear layer.

    Accepts braindecode 1.8.x's ``EEGTCNet`` constructor arguments with the same meaning
    and defaults, has the same ``state_dict`` keys and shapes (``eegnet_tc.conv1.weight``,
    ``tcn_block.downsample.*``, ``tcn_block.layers.<i>.<j>.*``,
    ``final_layer.parametrizations.weight.original``, ...) and, under the same seed, the
    same initialisation.

    Args:
        n_chans, chs_info, n_times, input_window_seconds, sfreq: signal parameters (see
            :func:`eegzoo.core.signal.resolve_signal_params`); ``sfreq`` is optional.
        n_outputs: number of classes (raw logits are returned).
        activation: activation class of both parts (ELU).
        depth_multiplier: spatial filters per temporal filter (``D``; ``F2 = filter_1 * D``).
        filter_1: temporal filters (``F1``); also the second pooling's size, as braindecode.
        kern_length: samples of the temporal convolution.
        drop_prob: dropout of both parts unless ``drop_prob_eeg`` / ``drop_prob_tcn`` is given.
        depth: TCN residual blocks (dilations 1, 2, 4, ...).
        kernel_size: taps of each causal convolution.
        filters: TCN feature maps.
        max_norm_const: the classifier's max column norm (braindecode's ``MaxNormLinear``,
            :class:`eegzoo.blocks.column_max_norm.ColumnMaxNormLinear`).
        drop_prob_eeg, drop_prob_tcn: dropout of the EEGNet part and of the TCN.
        tcn_batch_norm: batch norm after each TCN convolution and a bias on the skip path's
            1x1 convolution (the Keras source); ``False``: braindecode's earlier layout.

    ``model(x)`` returns raw logits ``(B, n_outputs)``; ``return_features=True`` returns
    ``{"features": (B, filters), "logits": ...}``, the TCN's last time step. As in
    braindecode, a training-mode forward of a single trial runs the batch norms on their
    running statistics (one trial has no batch statistics).
    """

    architecture_name = "eegtcnet"
    params_model = EEGTCNetParams

    def __init__(
        self,
        n_chans: int | None = None,
        n_outputs: int | None = None,
        n_times: int | None = None,
        chs_info: Any = None,
        input_window_seconds: float | None = None,
        sfreq: float | None = None,
        activation: type[nn.Module] | str = nn.ELU,
        depth_multiplier: int = 2,
        filter_1: int = 8,
        kern_length: int = 64,
        drop_prob: float = 0.5,
        depth: int = 2,
        kernel_size: int = 4,
        filters: int = 12,
        max_norm_const: float = 0.25,
        drop_prob_eeg: float | None = None,
        drop_prob_tcn: float | None = None,
        tcn_batch_norm: bool = True,
    ) -> None:
        super().__init__()
        signal = resolve_signal_params(
            n_chans, chs_info, n_times, input_window_seconds, sfreq, "EEGTCNet", require_sfreq=False
        )
        self._init_signal(signal, n_outputs)
        for name, value in (
            ("depth_multiplier", depth_multiplier), ("filter_1", filter_1), ("kern_length", kern_length),
            ("depth", depth), ("kernel_size", kernel_size), ("filters", filters),
        ):
            positive_int(name, value)
        positive_number("max_norm_const", max_norm_const)
        probability("drop_prob", drop_prob)
        for name, value in (("drop_prob_eeg", drop_prob_eeg), ("drop_prob_tcn", drop_prob_tcn)):
            if value is not None:
                probability(name, value)
        self.activation = resolve_activation(activation)
        self.depth_multiplier = depth_multiplier
        self.filter_1 = filter_1
        self.filter_2 = filter_1 * depth_multiplier
        self.kern_length = kern_length
        self.drop_prob = drop_prob
        self.drop_prob_eeg_arg = drop_prob_eeg
        self.drop_prob_tcn_arg = drop_prob_tcn
        self.drop_prob_eeg = drop_prob if drop_prob_eeg is None else drop_prob_eeg
        self.drop_prob_tcn = drop_prob if drop_prob_tcn is None else drop_prob_tcn
        self.depth = depth
        self.kernel_size = kernel_size
        self.filters = filters
        self.max_norm_const = max_norm_const
        self.tcn_batch_norm = tcn_batch_norm
        self.n_steps = check_eegtcnet_lengths(signal.n_times, kern_length, filter_1, depth_multiplier)

        # Submodule names, order and initialisation follow braindecode.
        self.eegnet_tc = _EEGNetTC(self.n_chans, filter_1, kern_length, depth_multiplier, self.drop_prob_eeg, self.activation)
        self.tcn_block = _TCNBlock(self.filter_2, depth, kernel_size, filters, self.drop_prob_tcn, self.activation, tcn_batch_norm)
        self.final_layer = self.new_head(self.n_outputs)

    def new_head(self, n_outputs: int) -> nn.Module:
        """The max-norm linear classifier on the TCN's last time step."""
        return ColumnMaxNormLinear(self.filters, n_outputs, max_norm=self.max_norm_const)

    # ------------------------------------------------------------------ forward
    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the classifier: ``(B, C, T) -> (B, filters)``."""
        self.check_input(x, self.n_times, self.n_times)
        if self.training and x.shape[0] == 1 and not torch.jit.is_scripting():
            return self.features_with_running_norms(x)
        return self.tcn_block(self.eegnet_tc(x))[:, :, -1]

    @torch.jit.unused
    def features_with_running_norms(self, x: torch.Tensor) -> torch.Tensor:
        """One trial in training mode: the batch norms use their running statistics (one
        trial has none of its own) and leave them untouched; dropout stays on. braindecode's
        rule."""
        norms = [m for m in self.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training]
        for m in norms:
            m.train(False)
        try:
            return self.tcn_block(self.eegnet_tc(x))[:, :, -1]
        finally:
            for m in norms:
                m.train(True)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """The classifier: ``(B, filters) -> (B, n_outputs)`` raw logits."""
        return self.final_layer(features)

    # ------------------------------------------------------------------ description
    def describe(self) -> list[str]:
        act = self.activation.__name__
        rate = f" ({self.kern_length / self.sfreq:g} s)" if self.sfreq else ""
        dilations = ", ".join(str(2**i) for i in range(self.depth))
        return [
            f"1. **Temporal convolution**: {self.filter_1} filters of {self.kern_length} samples{rate}, batch norm, {act}.",
            f"2. **Depthwise spatial convolution**: {self.depth_multiplier} spatial filters per temporal filter over {self.n_chans} electrodes, batch norm, {act}, mean-pool 8, dropout {self.drop_prob_eeg:g}.",
            f"3. **Separable convolution**: depthwise temporal ({self.filter_2} samples) + pointwise -> {self.filter_2} maps, batch norm, {act}, mean-pool {self.filter_1}, dropout {self.drop_prob_eeg:g}: {self.n_steps} time steps.",
            f"4. **Temporal convolutional network**: {self.depth} residual blocks of two causal convolutions ({self.kernel_size} taps, dilations {dilations}, {self.filters} maps{', batch norm' if self.tcn_batch_norm else ''}, {act}, dropout {self.drop_prob_tcn:g}).",
            f"5. **Classifier**: the last time step's {self.filters} features, max-norm ({self.max_norm_const:g}) linear layer -> {self.n_outputs} logits.",
        ]

    def get_config(self) -> dict[str, Any]:
        return json_safe(
            {
                "n_chans": self.n_chans,
                "n_outputs": self.n_outputs,
                "n_times": self.n_times,
                "chs_info": self._chs_info,
                "input_window_seconds": None,
                "sfreq": self.sfreq,
                "activation": activation_path(self.activation),
                "depth_multiplier": self.depth_multiplier,
                "filter_1": self.filter_1,
                "kern_length": self.kern_length,
                "drop_prob": self.drop_prob,
                "depth": self.depth,
                "kernel_size": self.kernel_size,
                "filters": self.filters,
                "max_norm_const": self.max_norm_const,
                "drop_prob_eeg": self.drop_prob_eeg_arg,
                "drop_prob_tcn": self.drop_prob_tcn_arg,
                "tcn_batch_norm": self.tcn_batch_norm,
            }
        )


class _EEGNetTC(nn.Module):
    """EEG-TCNet's EEGNet part: ``(B, C, T) -> (B, F2, T')``, braindecode's ``eegnet_tc``
    (same submodules and weight shapes). The temporal convolution runs on braindecode's
    ``(B, 1, T, C)`` image in channels-last memory (oneDNN's fastest for a one-input-channel
    convolution, forward and backward), the ELU after it in place, and the depthwise spatial
    convolution as one matrix product (:func:`grouped_spatial_product`); from there on time
    is the last axis, which gives the TCN its ``(B, F2, T')`` input without a permute. In
    eval every batch norm is folded into its convolution."""

    def __init__(
        self, n_chans: int, filter_1: int, kern_length: int, depth_multiplier: int,
        drop_prob: float, activation: type[nn.Module],
    ) -> None:
        super().__init__()
        self.activation = activation()
        # The same activation writing into its input, for the largest map (the F1 x n_chans
        # filtered signals): no new 45 MB tensor per forward. Parameter-free (no keys).
        self.activation_in_place = _in_place_twin(activation, self.activation)
        self.filter_1 = filter_1
        self.filter_2 = filter_1 * depth_multiplier
        self.kern_length = kern_length
        f2 = self.filter_2
        self.conv1 = nn.Conv2d(1, filter_1, (kern_length, 1), padding=(kern_length // 2, 0), bias=False)
        self.bn1 = nn.BatchNorm2d(filter_1)
        self.depthwise_conv = nn.Conv2d(filter_1, f2, (1, n_chans), groups=filter_1, bias=False)
        self.bn2 = nn.BatchNorm2d(f2)
        self.pool1 = nn.AvgPool2d(kernel_size=(1, 8))
        self.drop1 = nn.Dropout(p=drop_prob)
        self.separable_conv_depthwise = nn.Conv2d(f2, f2, (f2, 1), groups=f2, padding=(f2 // 2, 0), bias=False)
        self.separable_conv_pointwise = nn.Conv2d(f2, f2, (1, 1), bias=False)
        self.bn3 = nn.BatchNorm2d(f2)
        self.pool2 = nn.AvgPool2d(kernel_size=(1, filter_1))
        self.drop2 = nn.Dropout(p=drop_prob)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return self.forward_train(x)
        # Eval: each batch norm folded into the convolution before it (one pass less over
        # the largest map, the F1 x n_chans filtered signals).
        bn = self.bn1
        w, b = fold_batch_norm(self.conv1.weight, None, bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps)
        x = self.activation_in_place(F.conv2d(self.temporal_input(x), w, b, padding=(self.kern_length // 2, 0)))
        bn = self.bn2
        w, b = fold_batch_norm(self.depthwise_conv.weight, None, bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps)
        x = grouped_spatial_product(x, w, b)  # (B, F2, 1, T1)
        x = self.pool1(self.activation(x))
        x = F.conv2d(
            x, self.separable_conv_depthwise.weight.transpose(2, 3), padding=(0, self.filter_2 // 2),
            groups=self.filter_2,
        )
        bn = self.bn3
        w, b = fold_batch_norm(
            self.separable_conv_pointwise.weight, None, bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps
        )
        x = self.pool2(self.activation(F.conv2d(x, w, b)))
        return x[:, :, 0]  # (B, F2, T3)

    @staticmethod
    def temporal_input(x: torch.Tensor) -> torch.Tensor:
        """``(B, C, T) -> (B, 1, T, C)`` in channels-last memory (the same bytes as ``(B, T, C)``):
        oneDNN convolves a one-input-channel image about 2x faster in this format than in
        NCHW, forward and backward, and its output stays channels-last for the spatial
        convolution."""
        return x.transpose(1, 2).unsqueeze(1).contiguous(memory_format=torch.channels_last)

    def forward_train(self, x: torch.Tensor) -> torch.Tensor:
        """braindecode's operations (batch statistics, dropout), the first batch norm folded
        into the temporal convolution (:meth:`normalised_temporal`)."""
        x = self.normalised_temporal(x)  # (B, F1, T1, C)
        x = grouped_spatial_product(self.activation_in_place(x), self.depthwise_conv.weight, None)
        x = self.drop1(self.pool1(self.activation(self.bn2(x))))  # (B, F2, 1, T2)
        x = F.conv2d(
            x, self.separable_conv_depthwise.weight.transpose(2, 3), padding=(0, self.filter_2 // 2),
            groups=self.filter_2,
        )
        x = self.drop2(self.pool2(self.activation(self.bn3(self.separable_conv_pointwise(x)))))
        return x[:, :, 0]  # (B, F2, T3)

    def normalised_temporal(self, x: torch.Tensor) -> torch.Tensor:
        """``bn1(conv1(x))`` in training mode, ``(B, C, T) -> (B, F1, T1, C)``, with the batch
        statistics taken from the input's second-order statistics
        (:func:`eegzoo.blocks.filtered_moments.filtered_moments`) and folded into the
        temporal filters: the largest map of the model (F1 x n_chans filtered signals) gets
        no separate batch-norm pass, forward or backward. The running statistics move as
        ``nn.BatchNorm2d`` moves them."""
        image = self.temporal_input(x)
        if torch.jit.is_scripting():
            return self.bn1(self.conv1(image))
        return self.folded_temporal(x, image)

    @torch.jit.unused
    def folded_temporal(self, x: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        bn = self.bn1
        n_out = x.shape[-1] + 2 * (self.kern_length // 2) - self.kern_length + 1
        count = x.shape[0] * x.shape[1] * n_out
        if not bn.training or not bn.track_running_stats or x.device.type == "mps" or count < 2:
            return bn(self.conv1(image))  # braindecode's two steps (no float64 statistics on MPS)
        temporal = self.conv1.weight[:, 0, :, 0]  # (F1, K)
        mean, var = filtered_moments(x, temporal, self.kern_length // 2)
        update_running_stats(bn, mean, var, count)
        scale, shift = composed_batch_norm_affine(mean, var, bn.eps, bn.weight, bn.bias)
        weight = self.conv1.weight * scale[:, None, None, None]
        return F.conv2d(image, weight, shift, padding=(self.kern_length // 2, 0))


def grouped_spatial_product(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
    """The depthwise spatial convolution (``groups = F1``, kernel ``(1, C)``) of a
    channels-last ``(B, F1, T, C)`` map as one matrix product: ``(B*T, C*F1)`` (a free view
    of channels-last memory) times a block-diagonal ``(C*F1, F2)`` matrix built from the
    ``(F2, 1, 1, C)`` weight. oneDNN's grouped convolution on channels-last input is
    ~40x slower backward; the product is a dense GEMM both ways. Returns ``(B, F2, 1, T)``
    in time-last memory, as braindecode's (dropout draws its masks in memory order)."""
    batch, groups, n_times, n_chans = x.shape
    depth = weight.shape[0] // groups
    per_group = weight.reshape(groups, depth, n_chans).permute(2, 0, 1)  # (C, F1, D)
    eye = torch.eye(groups, dtype=weight.dtype, device=weight.device)
    block = (per_group.unsqueeze(2) * eye.unsqueeze(0).unsqueeze(-1)).reshape(n_chans * groups, groups * depth)
    rows = x.permute(0, 2, 3, 1).reshape(batch * n_times, n_chans * groups)
    out = rows @ block if bias is None else torch.addmm(bias, rows, block)
    return out.view(batch, n_times, groups * depth).transpose(1, 2).contiguous().unsqueeze(2)


def _in_place_twin(activation: type[nn.Module], instance: nn.Module) -> nn.Module:
    """An in-place instance of ``activation`` where the class has an ``inplace`` option
    (ELU, ReLU, ...), else ``instance`` itself (a parametric activation keeps one set of
    weights)."""
    try:
        return activation(inplace=True)
    except TypeError:
        return instance


#: braindecode's position of each sublayer in ``tcn_block.layers.<i>`` (an ``nn.Sequential``
#: of conv, chomp, [batch norm], activation, dropout, twice), by batch norm on/off.
_SEQUENTIAL_POSITIONS = {True: {"conv1": 0, "bn1": 2, "conv2": 5, "bn2": 7}, False: {"conv1": 0, "conv2": 4}}


class _TCNBlock(nn.Module):
    """EEG-TCNet's TCN: ``depth`` :class:`TCNResidualBlock`\\ s (dilations 1, 2, 4, ...),
    ``(B, F2, T) -> (B, filters, T)``.

    braindecode keeps each block as an ``nn.Sequential`` (``layers.<i>.0.weight``, ...) and
    the first block's skip-path 1x1 convolution apart (``downsample``); the state_dict keys
    are translated to and from that layout, so braindecode checkpoints load strictly and
    eegzoo's load in braindecode. ``downsample`` is the first block's ``reshaping_conv``."""

    __jit_unused_properties__ = ["downsample"]

    def __init__(
        self, input_dimension: int, depth: int, kernel_size: int, filters: int, drop_prob: float,
        activation: type[nn.Module], batch_norm: bool,
    ) -> None:
        super().__init__()
        self.batch_norm = batch_norm
        # Built before the blocks, as braindecode does (same random stream).
        downsample = nn.Conv1d(input_dimension, filters, 1, bias=batch_norm) if input_dimension != filters else None
        self.layers = nn.ModuleList(
            TCNResidualBlock(
                input_dimension if i == 0 else filters, filters, kernel_size, dilation=2**i, dropout=drop_prob,
                activation=activation, batch_norm=batch_norm, bias=False, batch_norm_momentum=0.01,
                batch_norm_eps=1e-3, residual=downsample if i == 0 else None,
            )
            for i in range(depth)
        )
        positions = _SEQUENTIAL_POSITIONS[batch_norm]
        self._to_braindecode = {"layers.0.reshaping_conv.": "downsample."}
        self._to_braindecode.update(
            {f"layers.{i}.{name}.": f"layers.{i}.{pos}." for i in range(depth) for name, pos in positions.items()}
        )
        self._from_braindecode = {v: k for k, v in self._to_braindecode.items()}
        self._register_state_dict_hook(_TCNBlock._state_dict_hook)
        self._register_load_state_dict_pre_hook(self._load_hook)

    @property
    def downsample(self) -> nn.Module | None:
        """The skip path's 1x1 convolution of the first block (``None`` when ``F2 == filters``)."""
        conv = self.layers[0].reshaping_conv
        return None if isinstance(conv, nn.Identity) else conv

    @staticmethod
    def _rename(keys: dict[str, str], key: str, prefix: str) -> str:
        local = key[len(prefix):]
        for old, new in keys.items():
            if local.startswith(old):
                return prefix + new + local[len(old):]
        return key

    @staticmethod
    def _state_dict_hook(module: "_TCNBlock", state: dict, prefix: str, local_metadata: Any) -> None:
        ours = [k for k in state if k.startswith(prefix)]
        values = OrderedDict((module._rename(module._to_braindecode, k, prefix), state.pop(k)) for k in ours)
        first = [k for k in values if k.startswith(prefix + "downsample.")]
        for key in first + [k for k in values if k not in first]:  # braindecode's order
            state[key] = values[key]

    def _load_hook(self, state: dict, prefix: str, *args: Any) -> None:
        for key in [k for k in state if k.startswith(prefix)]:
            new = self._rename(self._from_braindecode, key, prefix)
            if new != key:
                state[new] = state.pop(key)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x
