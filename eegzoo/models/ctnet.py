"""CTNet (Zhao et al. 2024), weight-compatible with braindecode 1.8.x's ``CTNet``."""

from __future__ import annotations

import copy
import math
from typing import Any, Optional

import torch
import torch.nn.functional as F
from torch import nn

from eegzoo.blocks.batch_norm_folding import composed_batch_norm_affine, update_running_stats
from eegzoo.blocks.fft_correlate import fft_correlate
from eegzoo.blocks.filtered_moments import filtered_moments
from eegzoo.blocks.transformer_encoder_layer import TransformerEncoderLayer
from eegzoo.core.jsonsafe import json_safe
from eegzoo.core.signal import resolve_signal_params
from eegzoo.models.arguments import activation_path, positive_int, probability, resolve_activation
from eegzoo.models.signal_model import SignalModel
from eegzoo.specs.ctnet import (
    CTNetParams,
    check_ctnet_lengths,
    check_heads,
    ctnet_encoding_length,
    resolve_ctnet_dims,
)

#: Samples of the convolution between the two poolings (fixed in the original code).
_SECOND_KERNEL = 16


class CTNet(SignalModel, nn.Module):
    """CTNet: EEGNet-style convolutions cut the trial into tokens, a transformer encoder
    relates them, and a linear classifier reads the tokens plus the encoder's output.

    Accepts braindecode 1.8.x's ``CTNet`` constructor arguments, in the same order, with the
    same meaning and defaults, has the same ``state_dict`` keys and shapes
    (``cnn.eegnet_module.*``, ``position.encoding``, ``trans.layers.<i>.attention.module.0.*``,
    ``trans.layers.<i>.feed_forward.module.0.*``, ``final_layer.*``), gives the same logits
    (eval and training mode, dropout included) and, under the same seed, the same
    initialisation.

    Args:
        n_outputs: number of classes (raw logits are returned).
        n_chans, chs_info, n_times, input_window_seconds, sfreq: signal parameters (see
            :func:`eegzoo.core.signal.resolve_signal_params`); ``sfreq`` is optional.
        activation_patch: activation class of the convolutions (ELU; a class or dotted path).
        activation_transformer: activation class of the encoder's feed-forward blocks (GELU).
        cnn_drop_prob: dropout after each pooling of the convolutional part.
        att_positional_drop_prob: dropout after adding the positional encoding.
        final_drop_prob: accepted and stored but, as in braindecode 1.8.1, not applied (its
            forward never calls the flatten-dropout layer it builds).
        num_heads: attention heads (must divide ``embed_dim``).
        embed_dim: token size, ``depth_multiplier * n_filters_time``.
        num_layers: transformer encoder layers.
        n_filters_time: temporal filters (``None``: ``embed_dim // depth_multiplier``).
        kernel_size: samples of the temporal convolution ("same" padding).
        depth_multiplier: spatial filters per temporal filter. Two of ``embed_dim``,
            ``n_filters_time`` and ``depth_multiplier`` determine the third.
        pool_size_1, pool_size_2: the two temporal average poolings; the encoder sees
            ``n_times // pool_size_1 // pool_size_2`` tokens.
        fused: filter the ``embed_dim`` spatially mixed maps in time through the FFT instead of
            the ``n_filters_time * n_chans`` electrode signals (the temporal convolution, its
            batch norm and the depthwise spatial convolution are linear per filter, so they
            commute; in training the batch norm's statistics come from the input's
            second-order statistics, :func:`eegzoo.blocks.filtered_moments.filtered_moments`),
            and fold the batch norms into the convolutions in eval mode. Same numbers to float
            rounding, faster; ``False`` runs braindecode's operations one by one.

    ``model(x)`` returns raw logits ``(B, n_outputs)``; ``return_features=True`` returns
    ``{"features": (B, n_tokens, embed_dim), "logits": ...}``: the tokens plus the encoder's
    output, which the classifier flattens.
    """

    architecture_name = "ctnet"
    params_model = CTNetParams

    def __init__(
        self,
        n_outputs: int | None = None,
        n_chans: int | None = None,
        sfreq: float | None = None,
        chs_info: Any = None,
        n_times: int | None = None,
        input_window_seconds: float | None = None,
        activation_patch: type[nn.Module] | str = nn.ELU,
        activation_transformer: type[nn.Module] | str = nn.GELU,
        cnn_drop_prob: float = 0.3,
        att_positional_drop_prob: float = 0.1,
        final_drop_prob: float = 0.5,
        num_heads: int = 4,
        embed_dim: int | None = 40,
        num_layers: int = 6,
        n_filters_time: int | None = None,
        kernel_size: int = 64,
        depth_multiplier: int | None = 2,
        pool_size_1: int = 8,
        pool_size_2: int = 8,
        fused: bool = True,
    ) -> None:
        super().__init__()
        signal = resolve_signal_params(
            n_chans, chs_info, n_times, input_window_seconds, sfreq, "CTNet", require_sfreq=False
        )
        self._init_signal(signal, n_outputs)
        for name, value in (
            ("num_heads", num_heads), ("num_layers", num_layers), ("kernel_size", kernel_size),
            ("pool_size_1", pool_size_1), ("pool_size_2", pool_size_2),
        ):
            positive_int(name, value)
        for name, value in (
            ("cnn_drop_prob", cnn_drop_prob), ("att_positional_drop_prob", att_positional_drop_prob),
            ("final_drop_prob", final_drop_prob),
        ):
            probability(name, value)
        depth, n_filters, embed = resolve_ctnet_dims(depth_multiplier, n_filters_time, embed_dim)
        check_heads(embed, num_heads)
        self.sequence_length = check_ctnet_lengths(signal.n_times, pool_size_1, pool_size_2)
        self.activation_patch = resolve_activation(activation_patch, "activation_patch")
        self.activation_transformer = resolve_activation(activation_transformer, "activation_transformer")
        self.cnn_drop_prob = cnn_drop_prob
        self.att_positional_drop_prob = att_positional_drop_prob
        self.final_drop_prob = final_drop_prob
        self.num_heads = num_heads
        self.num_layers = num_layers
        self.depth_multiplier: int = depth
        self.n_filters_time: int = n_filters
        self.embed_dim: int = embed
        self.kernel_size: int = kernel_size
        self.pool_size_1: int = pool_size_1
        self.pool_size_2: int = pool_size_2
        self.fused: bool = fused
        self.token_scale: float = math.sqrt(embed)

        # Submodule names, order and initialisation follow braindecode, so state_dicts are
        # interchangeable and the same seed gives the same weights.
        self.cnn = _PatchEmbedding(
            n_filters, kernel_size, depth, pool_size_1, pool_size_2, cnn_drop_prob, self.n_chans,
            self.activation_patch,
        )
        self.position = _PositionalEncoding(
            ctnet_encoding_length(signal.n_times, pool_size_1, self.sequence_length), embed,
            att_positional_drop_prob,
        )
        self.trans = _TransformerEncoder(num_heads, num_layers, embed, self.activation_transformer)
        self.final_layer = nn.Linear(embed * self.sequence_length, self.n_outputs)

    # ------------------------------------------------------------------ forward
    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the classifier: ``(B, C, T) -> (B, n_tokens, embed_dim)``."""
        self.check_input(x, self.n_times, self.n_times)
        if torch.jit.is_scripting():  # TorchScript compiles braindecode's operations only
            maps = self.cnn(x.unsqueeze(1))[:, :, 0, :]
        elif self.fused and self.fused_path_applies(x):
            maps = self.fused_convolutions(x)
        else:
            maps = self.cnn(x.unsqueeze(1))[:, :, 0, :]
        tokens = self.position(maps.transpose(1, 2) * self.token_scale)  # (B, S, E)
        return tokens + self.trans(tokens)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """The classifier: ``(B, n_tokens, embed_dim) -> (B, n_outputs)`` raw logits."""
        return self.final_layer(features.flatten(1))

    def fused_path_applies(self, x: torch.Tensor) -> bool:
        """Whether :meth:`fused_convolutions` can run on ``x`` (public, like every method the
        forward calls, so that copies of the model's public methods still run it)."""
        bn = self.cnn.eegnet_module[1]
        if not bn.training:
            return True
        # float64 statistics (none on MPS); torch's own error for one value per channel
        return x.device.type != "mps" and x.shape[0] * x.shape[1] * x.shape[2] > 1

    def fused_convolutions(self, x: torch.Tensor) -> torch.Tensor:
        """The convolutional part, ``(B, C, T) -> (B, embed_dim, n_tokens)``, with the temporal
        convolution moved after the spatial one: map ``o`` (of temporal filter
        ``f = o // depth_multiplier``) is ``scale_f * h_f * (w_o . x) + shift_f * sum(w_o)``.
        In eval mode every batch norm is folded into its convolution."""
        seq = self.cnn.eegnet_module
        conv_time, bn_time, conv_spat, bn_spat = seq[0], seq[1], seq[2], seq[3]
        act_1, drop_1, conv_sep, bn_sep, act_2, drop_2 = seq[4], seq[6], seq[7], seq[8], seq[9], seq[11]
        left = (self.kernel_size - 1) // 2  # "same" padding: one more zero on the right for even kernels
        extra = self.kernel_size - 1 - 2 * left
        temporal = conv_time.weight[:, 0, 0]  # (F1, K)
        if bn_time.training:
            padded = F.pad(x, (0, extra)) if extra > 0 else x
            mean, var = filtered_moments(padded, temporal, left)
            update_running_stats(bn_time, mean, var, x.shape[0] * x.shape[1] * x.shape[2])
        else:
            mean, var = _running_stats(bn_time)
        scale, shift = _affine(bn_time, mean, var)
        spatial = conv_spat.weight[:, 0, :, 0]  # (E, C)
        kernels = (temporal * scale[:, None]).repeat_interleave(self.depth_multiplier, dim=0)
        bias = shift.repeat_interleave(self.depth_multiplier) * spatial.sum(1)
        training = bn_spat.training
        if not training:  # fold the second batch norm as well
            scale_2, shift_2 = _affine(bn_spat, *_running_stats(bn_spat))
            kernels = kernels * scale_2[:, None]
            bias = bias * scale_2 + shift_2
        mixed = torch.matmul(spatial, x)  # (B, E, T)
        if training:  # forward + backward: the FFT beats a depthwise convolution
            y = fft_correlate(F.pad(mixed, (0, extra)) if extra > 0 else mixed, kernels, left) + bias[:, None]
            y = bn_spat(y.unsqueeze(2))[:, :, 0, :]
        else:  # a forward alone: oneDNN's depthwise convolution beats the FFT
            padded = F.pad(mixed, (left, left + extra))
            y = F.conv1d(padded, kernels[:, None, :], bias, groups=kernels.shape[0])
        y = drop_1(_mean_pool(act_1(y), self.pool_size_1))
        left_2 = (_SECOND_KERNEL - 1) // 2
        y = F.pad(y, (left_2, _SECOND_KERNEL - 1 - left_2))
        weight = conv_sep.weight[:, :, 0, :]
        if bn_sep.training:
            y = bn_sep(F.conv1d(y, weight).unsqueeze(2))[:, :, 0, :]
        else:
            scale_3, shift_3 = _affine(bn_sep, *_running_stats(bn_sep))
            y = F.conv1d(y, weight * scale_3[:, None, None], shift_3)
        return drop_2(_mean_pool(act_2(y), self.pool_size_2))

    def inference_module(self) -> nn.Module:
        """An export-friendly eval-mode copy: braindecode's operations one by one (no FFT),
        gradients off."""
        form = copy.deepcopy(self).eval()
        form.fused = False
        form.requires_grad_(False)
        return form

    # ------------------------------------------------------------------ description
    def describe(self) -> list[str]:
        rate = f" ({self.kernel_size / self.sfreq:g} s)" if self.sfreq else ""
        act, trans_act = self.activation_patch.__name__, self.activation_transformer.__name__
        return [
            f"1. **Temporal convolution**: {self.n_filters_time} filters of {self.kernel_size} samples{rate} (\"same\" padding), batch norm.",
            f"2. **Depthwise spatial convolution**: {self.depth_multiplier} spatial filters per temporal filter over {self.n_chans} electrodes -> {self.embed_dim} maps, batch norm, {act}, mean-pool {self.pool_size_1}, dropout {self.cnn_drop_prob:g}.",
            f"3. **Convolution** over {_SECOND_KERNEL} samples ({self.embed_dim} -> {self.embed_dim} maps), batch norm, {act}, mean-pool {self.pool_size_2}, dropout {self.cnn_drop_prob:g}: {self.sequence_length} tokens of size {self.embed_dim}.",
            f"4. **Tokens** scaled by sqrt({self.embed_dim}) plus a learned positional encoding, dropout {self.att_positional_drop_prob:g}.",
            f"5. **Transformer encoder**: {self.num_layers} post-norm layers, {self.num_heads} heads, feed-forward {self.embed_dim} -> {4 * self.embed_dim} -> {self.embed_dim} ({trans_act}), dropout 0.5.",
            f"6. **Classifier**: tokens + encoder output, flattened ({self.embed_dim * self.sequence_length}) -> linear -> {self.n_outputs} logits.",
        ]

    def get_config(self) -> dict[str, Any]:
        return json_safe(
            {
                "n_outputs": self.n_outputs,
                "n_chans": self.n_chans,
                "sfreq": self.sfreq,
                "chs_info": self._chs_info,
                "n_times": self.n_times,
                "input_window_seconds": None,
                "activation_patch": activation_path(self.activation_patch),
                "activation_transformer": activation_path(self.activation_transformer),
                "cnn_drop_prob": self.cnn_drop_prob,
                "att_positional_drop_prob": self.att_positional_drop_prob,
                "final_drop_prob": self.final_drop_prob,
                "num_heads": self.num_heads,
                "embed_dim": self.embed_dim,
                "num_layers": self.num_layers,
                "n_filters_time": self.n_filters_time,
                "kernel_size": self.kernel_size,
                "depth_multiplier": self.depth_multiplier,
                "pool_size_1": self.pool_size_1,
                "pool_size_2": self.pool_size_2,
                "fused": self.fused,
            }
        )


def _mean_pool(x: torch.Tensor, size: int) -> torch.Tensor:
    """``AvgPool2d((1, size))`` on ``(B, E, T)`` maps (the remainder dropped), as a mean over
    a reshaped last axis (cheaper than the pooling kernel, same numbers)."""
    n = x.shape[-1] // size
    return x[..., : n * size].reshape(x.shape[0], x.shape[1], n, size).mean(-1)


# ---------------------------------------------------------------------- batch-norm helpers
def _running_stats(bn: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    mean = bn.running_mean
    var = bn.running_var
    assert mean is not None and var is not None
    return mean, var


def _affine(bn: nn.Module, mean: torch.Tensor, var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``bn(y) = scale * y + shift`` per channel, for the given statistics."""
    return composed_batch_norm_affine(mean, var, bn.eps, bn.weight, bn.bias)


# ---------------------------------------------------------------------- submodules
class _PatchEmbedding(nn.Module):
    """EEGNet-style convolutions, as braindecode's ``cnn.eegnet_module`` (indices are
    state_dict keys): ``(B, 1, C, T) -> (B, E, 1, n_tokens)``. The plain path; the model's
    fused path reads the same weights."""

    def __init__(
        self, n_filters_time: int, kernel_size: int, depth_multiplier: int, pool_size_1: int,
        pool_size_2: int, drop_prob: float, n_chans: int, activation: type[nn.Module],
    ) -> None:
        super().__init__()
        n_maps = depth_multiplier * n_filters_time
        self.eegnet_module = nn.Sequential(
            nn.Conv2d(1, n_filters_time, (1, kernel_size), padding="same", bias=False),
            nn.BatchNorm2d(n_filters_time),
            nn.Conv2d(n_filters_time, n_maps, (n_chans, 1), groups=n_filters_time, bias=False),
            nn.BatchNorm2d(n_maps),
            activation(),
            nn.AvgPool2d((1, pool_size_1)),
            nn.Dropout(drop_prob),
            nn.Conv2d(n_maps, n_maps, (1, _SECOND_KERNEL), padding="same", bias=False),
            nn.BatchNorm2d(n_maps),
            activation(),
            nn.AvgPool2d((1, pool_size_2)),
            nn.Dropout(drop_prob),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.eegnet_module(x)


class _PositionalEncoding(nn.Module):
    """A learned vector per token position, added to the tokens, then dropout."""

    def __init__(self, length: int, embed_dim: int, drop_prob: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(drop_prob)
        self.encoding = nn.Parameter(torch.randn(1, length, embed_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(x + self.encoding[:, : x.shape[1], :])


class _TransformerEncoder(nn.Module):
    """``num_layers`` post-norm encoder layers (braindecode's ``trans.layers.<i>.*`` keys;
    attention, feed-forward and every dropout 0.5, fixed in braindecode)."""

    def __init__(self, num_heads: int, num_layers: int, embed_dim: int, activation: type[nn.Module]) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            *[
                TransformerEncoderLayer(embed_dim, num_heads, dropout=0.5, activation=activation, norm_first=False)
                for _ in range(num_layers)
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
