"""TCFormer (Altaheri et al. 2025), weight-compatible with braindecode 1.8.x's ``TCFormer``."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from eegzoo.blocks.batch_norm_folding import composed_batch_norm_affine, update_running_buffers
from eegzoo.blocks.fft_correlate import fft_correlate
from eegzoo.blocks.filter_bank import fast_fft_length
from eegzoo.blocks.filtered_moments import filtered_moments
from eegzoo.blocks.grouped_query_attention import GroupedQueryAttention, rotary_tables
from eegzoo.blocks.max_norm import constrain_max_norm
from eegzoo.blocks.spectral_product import spectral_product
from eegzoo.blocks.tcn_residual_block import TCNResidualBlock
from eegzoo.core.jsonsafe import json_safe
from eegzoo.core.signal import resolve_signal_params
from eegzoo.models.arguments import activation_path, positive_int, positive_number, probability, resolve_activation
from eegzoo.models.signal_model import SignalModel
from eegzoo.specs.tcformer import TCFormerParams, check_tcformer_arguments


def _same_padding(kernel_length: int) -> tuple[int, int]:
    """Left/right zeros of the front-end's "same" temporal convolutions (one more on the
    right for even kernels), as braindecode's ``ConstantPad2d``."""
    half = kernel_length // 2
    return (half - 1, half) if kernel_length % 2 == 0 else (half, half)


def _mix_and_correlate(
    x: torch.Tensor, spatial: torch.Tensor, kernels: torch.Tensor, padding: int, bias: torch.Tensor
) -> torch.Tensor:
    """``fft_correlate(spatial @ x, kernels, padding) + bias``: ``(B, C, T) -> (B, O, T')``,
    one kernel and one bias per output map. With fewer electrodes than maps the mixing runs
    on the input's spectrum (rFFTs of ``C`` signals instead of ``O`` maps), the kernels'
    spectra multiply the mixed spectra and one inverse rFFT gives the maps."""
    batch, n_chans, n_times = x.shape
    n_maps, n_taps = kernels.shape
    if n_chans > n_maps:
        return fft_correlate(torch.matmul(spatial, x), kernels, padding) + bias[:, None]
    n_fft = fast_fft_length(n_times + n_taps - 1)
    n_freqs = n_fft // 2 + 1
    spectrum = torch.view_as_real(torch.fft.rfft(x, n=n_fft)).reshape(batch, n_chans, 2 * n_freqs)
    # bmm with the weight broadcast: (B, O, 2F) comes out in place (matmul would transpose)
    mixed = torch.bmm(spatial.expand(batch, n_maps, n_chans), spectrum)
    filtered = spectral_product(torch.view_as_complex(mixed.view(batch, n_maps, n_freqs, 2)), torch.fft.rfft(kernels.flip(-1), n=n_fft))
    # a constant in time is its sum in the DC bin: the bias costs no pass over the maps
    filtered[:, :, 0] += bias * n_fft
    start = n_taps - 1 - padding
    n_out = n_times + 2 * padding - n_taps + 1
    return torch.fft.irfft(filtered, n=n_fft)[..., start : start + n_out]


class _SwapTimeFeatures(nn.Module):
    """``(B, S, d) <-> (B, d, S)`` (braindecode's ``Rearrange`` slot in ``reduce``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(1, 2)


class _ChannelGroupAttention(nn.Module):
    """Grouped squeeze-and-excitation: one sigmoid gate per channel group, from the group's
    time-averaged maps (``(B, d, 1, T) -> (B, d, 1, T)``, the gated maps)."""

    def __init__(self, in_channels: int, n_groups: int, reduction: int) -> None:
        super().__init__()
        self.n_groups = n_groups
        self.att_fc1 = nn.Conv2d(in_channels, in_channels // reduction, 1, groups=n_groups, bias=False)
        self.att_fc2 = nn.Conv2d(in_channels // reduction, n_groups, 1, groups=n_groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        descriptor = x.mean(dim=(2, 3), keepdim=True)
        gate = torch.sigmoid(self.att_fc2(torch.relu(self.att_fc1(descriptor))))  # (B, G, 1, 1)
        batch, channels, height, width = x.shape
        grouped = x.view(batch, self.n_groups, channels // self.n_groups, height, width)
        return (grouped * gate.unsqueeze(2)).view(batch, channels, height, width)


class _MultiKernelConvBlock(nn.Module):
    """Parallel "same" temporal convolutions (one group of ``n_filters_time`` filters per
    kernel length, batch norm each), depthwise spatial convolution, pooling, grouped 1x1
    reduction to ``d_model``, grouped temporal convolution, grouped squeeze-and-excitation
    and pooling: ``(B, C, T) -> (B, d_model, T // pool_length_1 // pool_length_2)``.

    The temporal convolutions, their batch norms and the depthwise spatial convolution are
    linear (the batch norms affine per filter), so with ``fused`` they run in the cheaper
    order: spatial filters first (``f2`` maps instead of ``F1 * groups * n_chans``
    signals), then each map correlated with its temporal kernel through the FFT, every
    kernel length in one pass (kernels placed in one common zero-padded frame). In
    training, the temporal batch norms' statistics come from the input's second-order
    statistics (:func:`filtered_moments`) instead of the filtered signals."""

    def __init__(
        self, n_chans: int, temp_kernel_lengths: tuple[int, ...], n_filters_time: int, depth_multiplier: int,
        pool_length_1: int, pool_length_2: int, temp_kernel_length_2: int, drop_prob: float, group_dim: int,
        se_reduction: int, activation: type[nn.Module],
    ) -> None:
        super().__init__()
        n_groups = len(temp_kernel_lengths)
        self.n_groups = n_groups
        self.n_filters_time = n_filters_time
        self.depth_multiplier = depth_multiplier
        self.d_model = group_dim * n_groups
        # Submodule names, order and indices follow braindecode (state_dict keys, seeded init).
        self.temporal_convs = nn.ModuleList(
            [
                nn.Sequential(
                    nn.ConstantPad2d(_same_padding(k), 0.0),
                    nn.Conv2d(1, n_filters_time, (1, k), bias=False),
                    nn.BatchNorm2d(n_filters_time),
                )
                for k in temp_kernel_lengths
            ]
        )
        in_dw = n_filters_time * n_groups
        f2 = in_dw * depth_multiplier
        self.channel_dw_conv = nn.Sequential(
            nn.Conv2d(in_dw, f2, (n_chans, 1), bias=False, groups=in_dw), nn.BatchNorm2d(f2), activation()
        )
        self.pool1 = nn.AvgPool2d((1, pool_length_1))
        self.drop1 = nn.Dropout(drop_prob)
        self.use_channel_reduction = self.d_model != f2
        if self.use_channel_reduction:
            self.channel_reduction = nn.Sequential(
                nn.Conv2d(f2, self.d_model, (1, 1), bias=False, groups=n_groups), nn.BatchNorm2d(self.d_model)
            )
        else:
            self.channel_reduction = nn.Identity()
        self.temporal_conv_2 = nn.Sequential(
            nn.Conv2d(self.d_model, self.d_model, (1, temp_kernel_length_2), padding="same", bias=False, groups=n_groups),
            nn.BatchNorm2d(self.d_model),
            activation(),
        )
        self.use_group_attn = n_groups > 1
        if self.use_group_attn:
            self.group_attn = _ChannelGroupAttention(self.d_model, n_groups, se_reduction)
        else:
            self.group_attn = nn.Identity()
        self.pool2 = nn.AvgPool2d((1, pool_length_2))
        self.drop2 = nn.Dropout(drop_prob)
        # the "same" padding of temporal_conv_2 (torch's split: the extra zero on the right),
        # applied explicitly: no padded copy warning for even kernels
        self.pad_2 = [(temp_kernel_length_2 - 1) // 2, temp_kernel_length_2 - 1 - (temp_kernel_length_2 - 1) // 2]

        # the common frame of the fused path: kernel of length k starts at frame_padding - left(k)
        pads = [_same_padding(k) for k in temp_kernel_lengths]
        self.frame_padding = max(max(p) for p in pads)
        self.frame_length = 2 * self.frame_padding + 1
        self.frame_offsets = [self.frame_padding - p[0] for p in pads]
        self.kernel_lengths = list(temp_kernel_lengths)

    # ------------------------------------------------------------------ fused front-end
    def _framed_kernels(self) -> torch.Tensor:
        """Every temporal kernel in the common frame: ``(F1 * groups, frame_length)``."""
        framed = []
        for i, conv in enumerate(self.temporal_convs):
            weight = conv[1].weight[:, 0, 0]  # (F1, k)
            offset = self.frame_offsets[i]
            framed.append(F.pad(weight, [offset, self.frame_length - offset - self.kernel_lengths[i]]))
        return torch.cat(framed, 0)

    def _temporal_affine(self, x: torch.Tensor, kernels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(scale, shift)`` of the temporal batch norms, per temporal filter: running
        statistics in eval mode; in training, the batch statistics of the filtered input
        (computed without filtering it) and the running statistics' update."""
        scales = []
        shifts = []
        if self.training:
            mean, var = filtered_moments(x, kernels, self.frame_padding)
            count = x.numel()  # trials x electrodes x samples ("same" convolutions keep T)
            f1 = self.n_filters_time
            for i, conv in enumerate(self.temporal_convs):
                bn = conv[2]
                m = mean[i * f1 : (i + 1) * f1]
                v = var[i * f1 : (i + 1) * f1]
                update_running_buffers(bn.running_mean, bn.running_var, bn.num_batches_tracked, bn.momentum, m, v, count)
                scale, shift = composed_batch_norm_affine(m, v, bn.eps, bn.weight, bn.bias)
                scales.append(scale)
                shifts.append(shift)
        else:
            for conv in self.temporal_convs:
                bn = conv[2]
                scale, shift = composed_batch_norm_affine(bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
                scales.append(scale)
                shifts.append(shift)
        return torch.cat(scales), torch.cat(shifts)

    def _fused_spatiotemporal(self, x: torch.Tensor) -> torch.Tensor:
        """Temporal convs + batch norms + depthwise spatial conv (+ its batch norm in eval):
        ``(B, C, T) -> (B, f2, 1, T)``, spatial filters first. Map ``o`` (of temporal
        filter ``f = o // D``) is ``scale_f * h_f * (w_o . x) + shift_f * sum(w_o)``."""
        kernels = self._framed_kernels()
        scale, shift = self._temporal_affine(x, kernels)
        spatial = self.channel_dw_conv[0].weight[:, 0, :, 0]  # (f2, C)
        depth = self.depth_multiplier
        kernels = (kernels * scale[:, None]).repeat_interleave(depth, dim=0)
        bias = shift.repeat_interleave(depth) * spatial.sum(1)
        bn = self.channel_dw_conv[1]
        fold = not self.training and bn.track_running_stats
        if fold:  # the spatial batch norm is affine per map too
            out_scale, out_shift = composed_batch_norm_affine(bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
            kernels = kernels * out_scale[:, None]
            bias = bias * out_scale + out_shift
        out = _mix_and_correlate(x, spatial, kernels, self.frame_padding, bias).unsqueeze(2)
        return out if fold else bn(out)

    def _direct_spatiotemporal(self, x: torch.Tensor) -> torch.Tensor:
        """braindecode's operations, one by one: ``(B, C, T) -> (B, f2, 1, T)`` before the activation."""
        x = x.unsqueeze(1)
        x = torch.cat([conv(x) for conv in self.temporal_convs], dim=1)
        return self.channel_dw_conv[1](self.channel_dw_conv[0](x))

    def forward(self, x: torch.Tensor, fused: bool = True) -> torch.Tensor:
        direct = not fused
        if self.training:  # float64 statistics (none on MPS); torch's own error for one value per channel
            direct = direct or x.device.type == "mps" or x.numel() < 2
        for conv in self.temporal_convs:
            direct = direct or not conv[2].track_running_stats
        if direct:
            x = self._direct_spatiotemporal(x)
        else:
            x = self._fused_spatiotemporal(x)
        x = self.drop1(self.pool1(self.channel_dw_conv[2](x)))
        if self.use_channel_reduction:
            x = self.channel_reduction(x)
        conv_2 = self.temporal_conv_2[0]
        x = F.conv2d(F.pad(x, self.pad_2), conv_2.weight, None, groups=self.n_groups)
        x = self.temporal_conv_2[2](self.temporal_conv_2[1](x))
        if self.use_group_attn:
            x = x + self.group_attn(x)
        x = self.drop2(self.pool2(x))
        return x[:, :, 0]


class _DropPath(nn.Module):
    """Stochastic depth: the whole residual branch of a trial is dropped with probability
    ``p`` in training (survivors scaled by ``1 / (1 - p)``); the same random draws as
    braindecode's ``DropPath`` (float32 Bernoulli of shape ``(B, 1, ...)``)."""

    def __init__(self, drop_prob: float) -> None:
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep = 1.0 - self.drop_prob
        shape = [x.shape[0]] + [1] * (x.dim() - 1)
        mask = torch.full(shape, keep, dtype=torch.float32, device=x.device).bernoulli().to(x.dtype)
        if keep > 0.0:
            mask = mask / keep
        return x * mask

    def extra_repr(self) -> str:
        return f"p={self.drop_prob}"


class _TransformerBlock(nn.Module):
    """Pre-norm encoder layer: grouped-query attention and a position-wise MLP, each a
    residual branch with stochastic depth."""

    def __init__(
        self, d_model: int, q_heads: int, kv_heads: int, mlp_ratio: int, drop_prob: float,
        drop_path_rate: float, activation: type[nn.Module],
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = GroupedQueryAttention(d_model, q_heads, kv_heads, drop_prob)
        self.drop_path = _DropPath(drop_path_rate)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, mlp_ratio * d_model), activation(), nn.Linear(mlp_ratio * d_model, d_model),
            nn.Dropout(drop_prob),
        )

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x), cos, sin))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class _TCN(nn.Module):
    """``depth`` grouped causal residual blocks with dilations 1, 2, 4, ..."""

    def __init__(self, depth: int, kernel_length: int, n_filters: int, n_groups: int, drop_prob: float,
                 activation: type[nn.Module]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            [
                TCNResidualBlock(
                    n_filters, n_filters, kernel_length, dilation=2**i, dropout=drop_prob,
                    activation=activation, groups=n_groups,
                )
                for i in range(depth)
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return x


class _ClassificationHead(nn.Module):
    """Grouped 1x1 convolution (max-norm rows) giving logits per feature group, averaged
    over the groups: ``(B, d_fused, 1) -> (B, n_outputs)``."""

    def __init__(self, d_features: int, n_groups: int, n_outputs: int, max_norm: float) -> None:
        super().__init__()
        self.n_groups = n_groups
        self.n_outputs = n_outputs
        self.max_norm = float(max_norm)
        self.conv = constrain_max_norm(nn.Conv1d(d_features, n_outputs * n_groups, 1, groups=n_groups), max_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # the constrained weight from its parameter (what the parametrization gives; scriptable)
        weight = self.conv.parametrizations.weight.original.renorm(2, 0, self.max_norm)
        out = F.conv1d(x, weight, self.conv.bias, groups=self.n_groups)[:, :, 0]
        return out.view(out.shape[0], self.n_groups, self.n_outputs).mean(dim=1)


class TCFormer(SignalModel, nn.Module):
    """TCFormer: multi-kernel convolutional tokens -> grouped-query transformer with rotary
    positions -> grouped temporal convolutional network -> per-group classifier.

    Accepts braindecode 1.8.x's ``TCFormer`` constructor arguments with the same meaning,
    order and defaults (the paper's 77.8k-parameter configuration), has the same
    ``state_dict`` keys and shapes (``conv_block.temporal_convs.0.1.weight``,
    ``transformer.0.attn.key_value_proj.weight``, ``tcn.blocks.0.conv1.weight``,
    ``final_layer.conv.parametrizations.weight.original``, ...) and, under the same seed,
    the same initialisation.

    Args:
        n_outputs: number of classes (raw logits are returned).
        n_chans, chs_info, n_times, input_window_seconds, sfreq: signal parameters (see
            :func:`eegzoo.core.signal.resolve_signal_params`); ``sfreq`` is optional.
        n_filters_time: temporal filters per kernel length (F1).
        temp_kernel_lengths: temporal kernel lengths, one feature group each.
        depth_multiplier: depthwise spatial filters per temporal filter (D).
        pool_length_1, pool_length_2: average pooling after the spatial convolution and
            after the second temporal convolution (``n_times // 56`` tokens by default).
        temp_kernel_length_2: taps of the grouped second temporal convolution.
        group_dim: channels per group; ``d_model = group_dim * len(temp_kernel_lengths)``.
        se_reduction: reduction of the grouped squeeze-and-excitation gate.
        n_transformer_layers, q_heads, kv_heads, mlp_ratio: the encoder (``q_heads`` query
            heads sharing ``kv_heads`` key/value heads; ``d_model // q_heads`` even).
        drop_path_max: stochastic depth of the last encoder layer (quadratic schedule from 0).
        tcn_depth, tcn_kernel_length: residual blocks and taps of the grouped causal TCN.
        classifier_max_norm: max L2 norm of each classifier row.
        drop_prob_conv, drop_prob_trans, drop_prob_tcn: dropout of the three parts.
        activation: activation class of the convolutional parts (ELU).
        activation_ffn: activation class of the encoder's MLP (GELU).
        fused: run the temporal convolutions after the spatial ones, through the FFT (see
            ``_MultiKernelConvBlock``); same numbers to float rounding, faster. ``False``
            runs braindecode's convolutions.

    ``model(x)`` accepts any window of at least ``pool_length_1 * pool_length_2`` samples
    (the classifier reads the TCN's last step) and returns raw logits ``(B, n_outputs)``;
    ``return_features=True`` returns ``{"features": (B, d_fused), "logits": ...}``: the TCN's
    last time step, which the classifier takes.
    """

    architecture_name = "tcformer"
    params_model = TCFormerParams

    def __init__(
        self,
        n_outputs: int | None = None,
        n_chans: int | None = None,
        chs_info: Any = None,
        n_times: int | None = None,
        input_window_seconds: float | None = None,
        sfreq: float | None = None,
        n_filters_time: int = 32,
        temp_kernel_lengths: tuple[int, ...] = (20, 32, 64),
        depth_multiplier: int = 2,
        pool_length_1: int = 8,
        pool_length_2: int = 7,
        temp_kernel_length_2: int = 16,
        group_dim: int = 16,
        se_reduction: int = 4,
        n_transformer_layers: int = 2,
        q_heads: int = 4,
        kv_heads: int = 2,
        mlp_ratio: int = 2,
        drop_path_max: float = 0.25,
        tcn_depth: int = 2,
        tcn_kernel_length: int = 4,
        classifier_max_norm: float = 0.25,
        drop_prob_conv: float = 0.4,
        drop_prob_trans: float = 0.4,
        drop_prob_tcn: float = 0.3,
        activation: type[nn.Module] | str = nn.ELU,
        activation_ffn: type[nn.Module] | str = nn.GELU,
        fused: bool = True,
    ) -> None:
        super().__init__()
        signal = resolve_signal_params(
            n_chans, chs_info, n_times, input_window_seconds, sfreq, "TCFormer", require_sfreq=False
        )
        self._init_signal(signal, n_outputs)
        for name, value in (
            ("n_filters_time", n_filters_time), ("depth_multiplier", depth_multiplier),
            ("pool_length_1", pool_length_1), ("pool_length_2", pool_length_2),
            ("temp_kernel_length_2", temp_kernel_length_2), ("group_dim", group_dim),
            ("se_reduction", se_reduction), ("q_heads", q_heads), ("kv_heads", kv_heads),
            ("mlp_ratio", mlp_ratio), ("tcn_kernel_length", tcn_kernel_length),
        ):
            positive_int(name, value)
        positive_int("n_transformer_layers", n_transformer_layers, minimum=0)
        positive_int("tcn_depth", tcn_depth, minimum=0)
        if isinstance(temp_kernel_lengths, int) or not hasattr(temp_kernel_lengths, "__iter__"):
            raise ValueError(f"temp_kernel_lengths must be a tuple of ints, e.g. (20, 32, 64), got {temp_kernel_lengths!r}.")
        temp_kernel_lengths = tuple(temp_kernel_lengths)
        check_tcformer_arguments(
            signal.n_times, temp_kernel_lengths, group_dim, se_reduction, q_heads, kv_heads,
            pool_length_1, pool_length_2,
        )
        positive_number("classifier_max_norm", classifier_max_norm)
        for name, value in (
            ("drop_prob_conv", drop_prob_conv), ("drop_prob_trans", drop_prob_trans), ("drop_prob_tcn", drop_prob_tcn),
        ):
            probability(name, value)
        if isinstance(drop_path_max, bool) or not isinstance(drop_path_max, (int, float)) or not 0 <= drop_path_max <= 1:
            raise ValueError(f"drop_path_max must be in [0, 1], got {drop_path_max!r}.")
        activation = resolve_activation(activation)
        activation_ffn = resolve_activation(activation_ffn, "activation_ffn")

        self.n_filters_time = n_filters_time
        self.temp_kernel_lengths = temp_kernel_lengths
        self.depth_multiplier = depth_multiplier
        self.pool_length_1 = pool_length_1
        self.pool_length_2 = pool_length_2
        self.temp_kernel_length_2 = temp_kernel_length_2
        self.group_dim = group_dim
        self.se_reduction = se_reduction
        self.n_transformer_layers = n_transformer_layers
        self.q_heads = q_heads
        self.kv_heads = kv_heads
        self.mlp_ratio = mlp_ratio
        self.drop_path_max = drop_path_max
        self.tcn_depth = tcn_depth
        self.tcn_kernel_length = tcn_kernel_length
        self.classifier_max_norm = classifier_max_norm
        self.drop_prob_conv = drop_prob_conv
        self.drop_prob_trans = drop_prob_trans
        self.drop_prob_tcn = drop_prob_tcn
        self.activation = activation
        self.activation_ffn = activation_ffn
        self.min_times = pool_length_1 * pool_length_2

        n_groups = len(temp_kernel_lengths)
        self.n_groups = n_groups
        self.d_model = group_dim * n_groups
        self.d_fused = group_dim * (n_groups + 1)
        self.head_dim = self.d_model // q_heads

        # Submodule names, order and initialisation follow braindecode, so state_dicts are
        # interchangeable and the same seed gives the same weights.
        self.conv_block = _MultiKernelConvBlock(
            self.n_chans, temp_kernel_lengths, n_filters_time, depth_multiplier, pool_length_1, pool_length_2,
            temp_kernel_length_2, drop_prob_conv, group_dim, se_reduction, activation,
        )
        self.mix = nn.Sequential(nn.Conv1d(self.d_model, self.d_model, 1, bias=False), nn.BatchNorm1d(self.d_model), nn.SiLU())
        drop_rates = torch.linspace(0, 1, n_transformer_layers) ** 2 * drop_path_max
        self.transformer = nn.ModuleList(
            [
                _TransformerBlock(self.d_model, q_heads, kv_heads, mlp_ratio, drop_prob_trans, float(drop_rates[i]), activation_ffn)
                for i in range(n_transformer_layers)
            ]
        )
        self.reduce = nn.Sequential(
            _SwapTimeFeatures(), nn.Conv1d(self.d_model, group_dim, 1, bias=False), nn.BatchNorm1d(group_dim), nn.SiLU()
        )
        self.tcn = _TCN(tcn_depth, tcn_kernel_length, self.d_fused, n_groups + 1, drop_prob_tcn, activation)
        self.final_layer = _ClassificationHead(self.d_fused, n_groups + 1, self.n_outputs, classifier_max_norm)
        self.apply(_xavier_init)
        self.fused = bool(fused)

    def new_head(self, n_outputs: int) -> nn.Module:
        """The grouped max-norm classifier, Xavier-initialised with zero bias, as braindecode."""
        head = _ClassificationHead(self.d_fused, self.n_groups + 1, n_outputs, self.classifier_max_norm)
        head.apply(_xavier_init)
        return head

    # ------------------------------------------------------------------ forward
    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the classifier: ``(B, C, T) -> (B, d_fused)``, the TCN's last
        time step over the convolutional and the transformer features."""
        self.check_input(x, self.min_times, None)
        conv_features = self.conv_block(x, self.fused)  # (B, d_model, S)
        tokens = self.mix(conv_features).transpose(1, 2)  # (B, S, d_model)
        cos, sin = rotary_tables(self.head_dim, tokens.shape[1], tokens.dtype, tokens.device)
        for block in self.transformer:
            tokens = block(tokens, cos, sin)
        fused = torch.cat((conv_features, self.reduce(tokens)), dim=1)  # (B, d_fused, S)
        return self.tcn(fused)[:, :, -1]

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """The classifier: ``(B, d_fused) -> (B, n_outputs)`` raw logits (the mean of the
        per-group logits)."""
        return self.final_layer(features.unsqueeze(-1))

    # ------------------------------------------------------------------ description
    def describe(self) -> list[str]:
        kernels = ", ".join(str(k) for k in self.temp_kernel_lengths)
        rate = ""
        if self.sfreq:
            rate = " (" + ", ".join(f"{k / self.sfreq:g}" for k in self.temp_kernel_lengths) + " s)"
        act = self.activation.__name__
        return [
            f"1. **Multi-kernel temporal convolutions**: {self.n_filters_time} filters of each of {kernels} samples{rate}, batch norm.",
            f"2. **Depthwise spatial convolution**: {self.depth_multiplier} spatial filters per temporal filter over {self.n_chans} electrodes, batch norm, {act}, mean-pool {self.pool_length_1}, dropout {self.drop_prob_conv:g}.",
            f"3. **Grouped reduction and temporal convolution**: {self.n_groups} groups -> d_model = {self.d_model}, {self.temp_kernel_length_2}-tap grouped convolution, {act}, grouped squeeze-and-excitation (reduction {self.se_reduction}), mean-pool {self.pool_length_2} -> tokens, dropout {self.drop_prob_conv:g}.",
            f"4. **Transformer encoder**: 1x1 mix, {self.n_transformer_layers} pre-norm layers of grouped-query attention ({self.q_heads} query heads, {self.kv_heads} key/value heads, rotary positions) and a {self.mlp_ratio}x {self.activation_ffn.__name__} MLP, stochastic depth up to {self.drop_path_max:g}, dropout {self.drop_prob_trans:g}; reduced to {self.group_dim} channels.",
            f"5. **Grouped TCN**: convolutional and transformer features ({self.d_fused} channels, {self.n_groups + 1} groups), {self.tcn_depth} causal residual blocks of {self.tcn_kernel_length} taps (dilations 1, 2, ...), dropout {self.drop_prob_tcn:g}.",
            f"6. **Classifier**: last time step, grouped 1x1 convolution (max-norm {self.classifier_max_norm:g}) -> {self.n_outputs} logits per group, averaged over groups.",
        ]

    def get_config(self) -> dict[str, Any]:
        return json_safe(
            {
                "n_outputs": self.n_outputs,
                "n_chans": self.n_chans,
                "chs_info": self._chs_info,
                "n_times": self.n_times,
                "input_window_seconds": None,
                "sfreq": self.sfreq,
                "n_filters_time": self.n_filters_time,
                "temp_kernel_lengths": list(self.temp_kernel_lengths),
                "depth_multiplier": self.depth_multiplier,
                "pool_length_1": self.pool_length_1,
                "pool_length_2": self.pool_length_2,
                "temp_kernel_length_2": self.temp_kernel_length_2,
                "group_dim": self.group_dim,
                "se_reduction": self.se_reduction,
                "n_transformer_layers": self.n_transformer_layers,
                "q_heads": self.q_heads,
                "kv_heads": self.kv_heads,
                "mlp_ratio": self.mlp_ratio,
                "drop_path_max": float(self.drop_path_max),
                "tcn_depth": self.tcn_depth,
                "tcn_kernel_length": self.tcn_kernel_length,
                "classifier_max_norm": float(self.classifier_max_norm),
                "drop_prob_conv": float(self.drop_prob_conv),
                "drop_prob_trans": float(self.drop_prob_trans),
                "drop_prob_tcn": float(self.drop_prob_tcn),
                "activation": activation_path(self.activation),
                "activation_ffn": activation_path(self.activation_ffn),
                "fused": self.fused,
            }
        )


def _xavier_init(module: nn.Module) -> None:
    """braindecode's TCFormer initialisation: Xavier-uniform weights (the stored parameter of
    a max-norm layer) and zero biases for every convolution and linear layer."""
    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Linear)):
        params = getattr(module, "parametrizations", None)
        if params is not None and "weight" in params:
            nn.init.xavier_uniform_(params.weight.original)
        elif isinstance(getattr(module, "weight", None), nn.Parameter):
            nn.init.xavier_uniform_(module.weight)
        if getattr(module, "bias", None) is not None:
            nn.init.constant_(module.bias, 0.0)
