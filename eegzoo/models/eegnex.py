"""EEGNeX (Chen et al. 2024), weight-compatible with braindecode 1.8.x's ``EEGNeX``."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from eegzoo.blocks.batch_norm_folding import batch_norm_affine, update_running_buffers
from eegzoo.blocks.depthwise_spatial_conv import DepthwiseSpatialConv
from eegzoo.blocks.fft_correlate import fft_correlate
from eegzoo.blocks.filtered_moments import filtered_moments
from eegzoo.blocks.max_norm import MaxNormLinear
from eegzoo.core.jsonsafe import json_safe
from eegzoo.core.signal import resolve_signal_params
from eegzoo.models.arguments import activation_path, positive_int, positive_number, probability, resolve_activation
from eegzoo.models.signal_model import SignalModel
from eegzoo.specs.eegnex import EEGNeXParams, check_eegnex_lengths


class _MapAxis(nn.Module):
    """``(B, C, T) -> (B, 1, C, T)``: the single input map of block 1's 2-D convolution
    (braindecode's ``Rearrange``; parameter-free, so state_dicts are unaffected)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.unsqueeze(1)


def _zero_first(kernels: torch.Tensor, n_taps: int) -> torch.Tensor:
    """Kernels that ``fft_correlate``/``filtered_moments`` with padding ``n_taps // 2`` align as
    a "same" convolution of ``n_taps`` taps aligns them (torch pads ``(n_taps - 1) // 2``
    samples before and the rest after): for even ``n_taps``, one zero tap in front."""
    if n_taps % 2 == 0:
        return F.pad(kernels, [1, 0])
    return kernels


def _toeplitz(taps: torch.Tensor, n_rows: int, n_cols: int, offset: int) -> torch.Tensor:
    """``out[..., i, j] = taps[..., j - i + offset]`` where that index is in range, else 0:
    the matrix of a correlation with ``taps`` (``(..., K)`` -> ``(..., n_rows, n_cols)``)."""
    n_taps = taps.shape[-1]
    index = torch.arange(n_cols, device=taps.device)[None, :] - torch.arange(n_rows, device=taps.device)[:, None] + offset
    index = torch.where((index >= 0) & (index < n_taps), index, torch.full_like(index, n_taps))
    padded = F.pad(taps, [0, 1])  # index n_taps reads the zero
    out = torch.index_select(padded, -1, index.flatten())
    return out.reshape(taps.shape[:-1] + (n_rows, n_cols))


def _edge_map(
    scaled_1: torch.Tensor, w_2: torch.Tensor, shift_1: torch.Tensor, n_in: int, n_out: int, offset: int,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Block 2's output (before its batch norm) at one edge of the signal as ``(matrix,
    constant)``: ``(F2, n_out, n_in)`` applied to the edge's ``n_in`` input samples, plus
    ``(F2, n_out)``. Block 1's ``K - 1`` outputs nearest the edge are ``scaled_1``'s
    correlation matrix times the input (``offset``: the padding before the first input
    sample, 0 at the right edge), plus ``shift_1``; block 2 reads them through ``w_2``'s
    correlation matrix, with zeros beyond the signal."""
    n_filters, n_taps = scaled_1.shape[0], scaled_1.shape[1]
    first = _toeplitz(scaled_1, n_taps - 1, n_in, offset)  # (F1, K - 1, n_in)
    second = _toeplitz(w_2, n_out, n_taps - 1, offset)  # (F2, F1, n_out, K - 1)
    n_maps = w_2.shape[0]
    rows = second.permute(0, 2, 1, 3).reshape(n_maps * n_out, n_filters * (n_taps - 1))
    matrix = (rows @ first.reshape(n_filters * (n_taps - 1), n_in)).reshape(n_maps, n_out, n_in)
    constant = (second.sum(-1) * shift_1[None, :, None]).sum(1)
    return matrix, constant


class EEGNeX(SignalModel, nn.Module):
    """EEGNeX: two stacked temporal convolutions -> depthwise spatial convolution -> two
    dilated temporal convolutions -> max-norm linear classifier.

    Accepts braindecode 1.8.x's ``EEGNeX`` constructor arguments with the same meaning,
    order and defaults, has the same ``state_dict`` keys and shapes (``block_1.1.weight``,
    ``block_3.0.parametrizations.weight.original``, ``final_layer.parametrizations.weight.original``,
    ...) and, under the same seed, the same initialisation.

    Args:
        n_chans, n_outputs, n_times, chs_info, input_window_seconds, sfreq: signal
            parameters (see :func:`eegzoo.core.signal.resolve_signal_params`); ``sfreq`` is
            optional. ``n_outputs``: classes (raw logits are returned).
        activation: activation class (ELU) of blocks 3 and 5.
        depth_multiplier: spatial filters per block-2 map (block 3).
        filter_1, filter_2: maps of blocks 1 and 5, and of blocks 2 and 4.
        drop_prob: dropout after blocks 3 and 5.
        kernel_block_1_2: taps of blocks 1 and 2's "same" temporal convolutions.
        kernel_block_4, dilation_block_4, kernel_block_5, dilation_block_5: the dilated
            "same" temporal convolutions of blocks 4 and 5.
        avg_pool_block4, avg_pool_block5: mean pools after blocks 3 and 5 (one zero sample
            padded per side, zeros counted, as braindecode).
        max_norm_conv, max_norm_linear: max L2 norms of the spatial filters and of the
            classifier's rows.
        fused: run blocks 1-3 (temporal conv, batch norm, temporal conv, batch norm,
            spatial conv) as one linear map applied in the cheaper order: spatial filters
            first (``filter_2 * depth_multiplier`` maps instead of ``filter_2 * n_chans``
            signals), then both temporal filters as one composite filter through the FFT,
            with the samples where block 2's zero padding cuts block 1's output computed
            exactly apart. In training the two batch norms' statistics come from the
            input's second-order statistics (float64) instead of the filtered signals. Same
            logits, gradients and running statistics to float rounding; ``False`` runs
            braindecode's convolutions.

    ``model(x)`` returns raw logits ``(B, n_outputs)``; ``return_features=True`` returns
    ``{"features": (B, filter_1 * T_out), "logits": ...}``, the flattened map the classifier
    takes.
    """

    architecture_name = "eegnex"
    params_model = EEGNeXParams
    __jit_ignored_attributes__ = [*SignalModel.__jit_ignored_attributes__, "eval_operators_cache"]

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
        filter_2: int = 32,
        drop_prob: float = 0.5,
        kernel_block_1_2: int = 64,
        kernel_block_4: int = 16,
        dilation_block_4: int = 2,
        avg_pool_block4: int = 4,
        kernel_block_5: int = 16,
        dilation_block_5: int = 4,
        avg_pool_block5: int = 8,
        max_norm_conv: float = 1.0,
        max_norm_linear: float = 0.25,
        fused: bool = True,
    ) -> None:
        super().__init__()
        signal = resolve_signal_params(
            n_chans, chs_info, n_times, input_window_seconds, sfreq, "EEGNeX", require_sfreq=False
        )
        self._init_signal(signal, n_outputs)
        for name, value in (
            ("depth_multiplier", depth_multiplier), ("filter_1", filter_1), ("filter_2", filter_2),
            ("kernel_block_1_2", kernel_block_1_2), ("kernel_block_4", kernel_block_4),
            ("dilation_block_4", dilation_block_4), ("kernel_block_5", kernel_block_5),
            ("dilation_block_5", dilation_block_5),
        ):
            positive_int(name, value)
        positive_int("avg_pool_block4", avg_pool_block4)
        positive_int("avg_pool_block5", avg_pool_block5)
        positive_number("max_norm_conv", max_norm_conv)
        positive_number("max_norm_linear", max_norm_linear)
        probability("drop_prob", drop_prob)
        self.n_times_out = check_eegnex_lengths(signal.n_times, avg_pool_block4, avg_pool_block5)
        activation = resolve_activation(activation)

        self.activation = activation
        self.depth_multiplier = depth_multiplier
        self.filter_1 = filter_1
        self.filter_2 = filter_2
        self.filter_3 = filter_2 * depth_multiplier
        self.drop_prob = drop_prob
        self.kernel_block_1_2 = kernel_block_1_2
        self.kernel_block_4 = kernel_block_4
        self.dilation_block_4 = dilation_block_4
        self.avg_pool_block4 = avg_pool_block4
        self.kernel_block_5 = kernel_block_5
        self.dilation_block_5 = dilation_block_5
        self.avg_pool_block5 = avg_pool_block5
        self.max_norm_conv = max_norm_conv
        self.max_norm_linear = max_norm_linear
        self.fused = fused
        self.in_features = filter_1 * self.n_times_out

        # Submodule names, order and initialisation follow braindecode, so state_dicts are
        # interchangeable and the same seed gives the same weights.
        kernel = (1, kernel_block_1_2)
        self.block_1 = nn.Sequential(
            _MapAxis(),
            nn.Conv2d(1, filter_1, kernel, padding="same", bias=False),
            nn.BatchNorm2d(filter_1),
        )
        self.block_2 = nn.Sequential(
            nn.Conv2d(filter_1, filter_2, kernel, padding="same", bias=False),
            nn.BatchNorm2d(filter_2),
        )
        self.block_3 = nn.Sequential(
            DepthwiseSpatialConv(filter_2, self.n_chans, depth_multiplier, bias=False, max_norm=max_norm_conv),
            nn.BatchNorm2d(self.filter_3),
            activation(),
            nn.AvgPool2d(kernel_size=(1, avg_pool_block4), padding=(0, 1)),
            nn.Dropout(p=drop_prob),
        )
        self.block_4 = nn.Sequential(
            nn.Conv2d(
                self.filter_3, filter_2, (1, kernel_block_4), dilation=(1, dilation_block_4),
                padding="same", bias=False,
            ),
            nn.BatchNorm2d(filter_2),
        )
        self.block_5 = nn.Sequential(
            nn.Conv2d(
                filter_2, filter_1, (1, kernel_block_5), dilation=(1, dilation_block_5),
                padding="same", bias=False,
            ),
            nn.BatchNorm2d(filter_1),
            activation(),
            nn.AvgPool2d(kernel_size=(1, avg_pool_block5), padding=(0, 1)),
            nn.Dropout(p=drop_prob),
            nn.Flatten(),
        )
        self.final_layer = MaxNormLinear(self.in_features, self.n_outputs, max_norm=max_norm_linear)
        self._batch_norm_built: Tuple[float, Optional[float], float, Optional[float]] = self._batch_norm_live()

    def new_head(self, n_outputs: int) -> nn.Module:
        """A fresh max-norm linear classifier (``nn.Linear``'s initialisation, as braindecode)."""
        return MaxNormLinear(self.in_features, n_outputs, max_norm=self.max_norm_linear)

    # ------------------------------------------------------------------ forward
    def _fusable(self, x: torch.Tensor) -> bool:
        """The fused path needs block 2's edges apart from its interior (``n_times`` of at
        least twice the kernel, and 3 taps or more) and float64 statistics in training
        (none on MPS). Batch norms without running statistics are not supported here."""
        n_taps = self.kernel_block_1_2
        if not self.fused or n_taps < 3 or x.shape[-1] < 2 * n_taps:
            return False
        training = self.block_1[2].training or self.block_2[1].training
        return not (training and x.device.type == "mps")

    def _blocks_1_to_3_fused(self, x: torch.Tensor) -> torch.Tensor:
        """Blocks 1 and 2 and block 3's spatial convolution, ``(B, C, T) -> (B, F3, 1, T)``:
        the operators of :meth:`_fused_operators` applied to ``x``. In eval they do not
        depend on ``x`` and are cached while the weights are unchanged (:meth:`_eval_operators`):
        building them (Toeplitz matrices, edge maps) is most of a batch-1 forward."""
        n_taps = self.kernel_block_1_2
        left = (n_taps - 1) // 2
        n_left, n_right = 2 * n_taps - 2 - left, n_taps - 1 + left  # input samples each edge uses
        n_times = x.shape[2]
        training = self.block_1[2].training or self.block_2[1].training
        ops = self._fused_operators(x) if training or torch.jit.is_scripting() else self._eval_operators(x)
        spatial, kernels, offset, maps_left, off_left, maps_right, off_right = ops
        mixed = torch.matmul(spatial, x)  # (B, F3, T)
        inner = fft_correlate(mixed, kernels, n_taps // 2) + offset[:, None]
        out_left = torch.einsum("bme,mte->bmt", mixed[:, :, :n_left], maps_left) + off_left
        out_right = torch.einsum("bme,mte->bmt", mixed[:, :, n_times - n_right :], maps_right) + off_right
        return torch.cat([out_left, inner, out_right], -1).unsqueeze(2)

    @torch.jit.unused
    def _eval_operators(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """:meth:`_fused_operators` in eval, cached while no parameter or running statistic
        changed (in-place updates bump ``_version``; ``.to()`` changes ``data_ptr``) and no
        gradient flows to them."""
        sources = [*self.block_1.parameters(), *self.block_2.parameters(), *self.block_3[0].parameters(),
                   *self.block_1.buffers(), *self.block_2.buffers()]
        if torch.is_grad_enabled() and any(t.requires_grad for t in sources):
            return self._fused_operators(x)
        key = (x.dtype, x.device) + tuple((t.data_ptr(), t._version) for t in sources)
        cache = getattr(self, "eval_operators_cache", None)
        if cache is None or cache[0] != key or torch.jit.is_tracing() or torch.compiler.is_compiling():
            with torch.inference_mode(False), torch.no_grad():
                cache = (key, self._fused_operators(x))
            self.eval_operators_cache = cache
        return cache[1]

    def _fused_operators(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Blocks 1 and 2 and block 3's spatial convolution as operators on ``x``:
        ``(spatial, kernels, offset, maps_left, off_left, maps_right, off_right)``.

        Every step up to block 3's batch norm is affine per electrode signal, and the
        spatial filters mix electrodes only, so they go first. Blocks 1-2 filter each map
        with ``composite = sum_f scale_1[f] * (w2[:, f] * w1[f])`` (full convolution,
        ``2K - 1`` taps) wherever block 2's window lies inside the signal; in its first
        ``(K - 1) // 2`` and last ``K // 2`` outputs block 2 sees block 1's output cut at
        the signal's ends, and those samples are the exact linear maps ``edge_*`` of the
        first/last few input samples (built by filtering unit impulses)."""
        conv_1, bn_1 = self.block_1[1], self.block_1[2]
        conv_2, bn_2 = self.block_2[0], self.block_2[1]
        n_taps = self.kernel_block_1_2
        left = (n_taps - 1) // 2
        right = n_taps - 1 - left
        n_batch, n_chans, n_times = x.shape[0], x.shape[1], x.shape[2]
        n_signals = n_batch * n_chans
        eps_1, momentum_1, eps_2, momentum_2 = self._batch_norm_settings()
        w_1 = conv_1.weight[:, 0, 0]  # (F1, K)
        w_2 = conv_2.weight[:, :, 0]  # (F2, F1, K)

        # block 1's batch norm as an affine map per filter
        if bn_1.training:
            mean_1, var_1 = filtered_moments(x, _zero_first(w_1, n_taps), n_taps // 2)
            update_running_buffers(bn_1.running_mean, bn_1.running_var, bn_1.num_batches_tracked, momentum_1, mean_1, var_1, n_signals * n_times)
        else:
            mean_1, var_1 = bn_1.running_mean, bn_1.running_var
        scale_1, shift_1 = batch_norm_affine(mean_1, var_1, bn_1.weight, bn_1.bias, eps_1)

        # blocks 1-2 per electrode signal: interior kernel and constant, edge maps (float32
        # convolutions; the statistics below are exact float64 sums over these operators)
        n_filters = w_1.shape[0]
        scaled_1 = w_1 * scale_1[:, None]
        stacked = _toeplitz(scaled_1, n_taps, 2 * n_taps - 1, 0)  # [f, k, j] = scaled_1[f, j - k]
        composite = w_2.reshape(w_2.shape[0], -1) @ stacked.reshape(n_filters * n_taps, -1)  # (F2, 2K - 1)
        constant = (w_2.sum(-1) * shift_1).sum(-1)  # (F2,)
        n_left, n_right = 2 * n_taps - 2 - left, n_taps - 1 + left  # input samples each edge uses
        edge_left, const_left = _edge_map(scaled_1, w_2, shift_1, n_left, left, left)
        edge_right, const_right = _edge_map(scaled_1, w_2, shift_1, n_right, right, 0)

        # block 2's batch norm as an affine map per filter
        if bn_2.training:
            mean_2, var_2 = self._block_2_moments(
                x, composite.double(), constant.double(), edge_left.double(), const_left.double(),
                edge_right.double(), const_right.double(), n_left, n_right,
            )
            update_running_buffers(bn_2.running_mean, bn_2.running_var, bn_2.num_batches_tracked, momentum_2, mean_2, var_2, n_signals * n_times)
        else:
            mean_2, var_2 = bn_2.running_mean, bn_2.running_var
        scale_2, shift_2 = batch_norm_affine(mean_2.to(x.dtype), var_2.to(x.dtype), bn_2.weight, bn_2.bias, eps_2)

        # spatial filters first, then blocks 1-2 on F3 maps
        spatial = self.block_3[0].constrained_weight()[:, 0, :, 0]  # (F3, C)
        depth = self.depth_multiplier
        gain = spatial.sum(1)  # a constant on every electrode becomes gain * constant
        kernels = (composite * scale_2[:, None]).repeat_interleave(depth, 0)
        offset = (scale_2 * constant + shift_2).repeat_interleave(depth, 0)
        maps_left = (edge_left * scale_2[:, None, None]).repeat_interleave(depth, 0)  # (F3, left, n_left)
        maps_right = (edge_right * scale_2[:, None, None]).repeat_interleave(depth, 0)
        off_left = (const_left * scale_2[:, None] + shift_2[:, None]).repeat_interleave(depth, 0)
        off_right = (const_right * scale_2[:, None] + shift_2[:, None]).repeat_interleave(depth, 0)
        return (spatial, _zero_first(kernels, n_taps), gain * offset, maps_left, gain[:, None] * off_left,
                maps_right, gain[:, None] * off_right)

    def _batch_norm_settings(self) -> Tuple[float, Optional[float], float, Optional[float]]:
        """``eps`` and ``momentum`` of blocks 1 and 2's batch norms: read from the modules
        (they may have been changed), or as built when scripted (TorchScript does not expose
        them on modules reached through an ``nn.Sequential``)."""
        if torch.jit.is_scripting():
            return self._batch_norm_built
        return self._batch_norm_live()

    @torch.jit.unused
    def _batch_norm_live(self) -> Tuple[float, Optional[float], float, Optional[float]]:
        bn_1, bn_2 = self.block_1[2], self.block_2[1]
        return bn_1.eps, bn_1.momentum, bn_2.eps, bn_2.momentum

    @staticmethod
    def _block_2_moments(
        x: torch.Tensor, composite: torch.Tensor, constant: torch.Tensor,
        edge_left: torch.Tensor, const_left: torch.Tensor, edge_right: torch.Tensor, const_right: torch.Tensor,
        n_left: int, n_right: int,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Mean and biased variance (float64) of block 2's convolution over trials,
        electrodes and samples: the interior from :func:`filtered_moments` of the composite
        filter, the edges from the edge samples' sums and cross-products."""
        n_times = x.shape[-1]
        n_taps = (composite.shape[-1] + 1) // 2
        signals = x.reshape(-1, n_times)
        n_signals = signals.shape[0]
        n_inner = n_signals * (n_times - n_taps + 1)
        mean_i, var_i = filtered_moments(x, _zero_first(composite, n_taps), n_taps // 2)
        first = (mean_i + constant) * n_inner
        second = (var_i + (mean_i + constant).square()) * n_inner
        sides: List[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = [
            (signals[:, :n_left].double(), edge_left, const_left),
            (signals[:, n_times - n_right :].double(), edge_right, const_right),
        ]
        for samples, matrix, const in sides:
            sums = samples.sum(0)
            gram = samples.T @ samples
            linear = matrix @ sums  # (F2, n_out)
            quadratic = torch.einsum("ote,ef,otf->o", matrix, gram, matrix)
            first = first + linear.sum(1) + n_signals * const.sum(1)
            second = second + quadratic + 2 * (const * linear).sum(1) + n_signals * const.square().sum(1)
        count = n_signals * n_times
        mean = first / count
        return mean, (second / count - mean.square()).clamp_min(0)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the classifier: ``(B, C, T) -> (B, filter_1 * T_out)``."""
        self.check_input(x, self.n_times, self.n_times)
        if self._fusable(x):
            x = self._blocks_1_to_3_fused(x)
        else:
            x = self.block_3[0](self.block_2(self.block_1(x)))
        block_3 = self.block_3
        x = block_3[4](block_3[3](block_3[2](block_3[1](x))))
        return self.block_5(self.block_4(x))

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """The max-norm linear classifier: ``(B, filter_1 * T_out) -> (B, n_outputs)``."""
        return self.final_layer(features)

    def inference_module(self) -> nn.Module:
        """The frozen export-friendly form (:class:`InferenceEEGNeX`) of the current eval-mode
        weights: no parametrizations, no FFT, no dropout."""
        return InferenceEEGNeX(self)

    # ------------------------------------------------------------------ description
    def describe(self) -> list[str]:
        seconds = lambda n: f" ({n / self.sfreq:g} s)" if self.sfreq else ""  # noqa: E731
        act = self.activation.__name__
        k = self.kernel_block_1_2
        return [
            f"1. **Temporal convolution**: {self.filter_1} filters of {k} samples{seconds(k)} (\"same\" padding), batch norm.",
            f"2. **Temporal convolution**: {self.filter_1} -> {self.filter_2} maps, {k} samples, batch norm.",
            f"3. **Depthwise spatial convolution**: {self.depth_multiplier} spatial filters per map over {self.n_chans} electrodes (max-norm {self.max_norm_conv:g}), batch norm, {act}, mean-pool {self.avg_pool_block4}, dropout {self.drop_prob:g}.",
            f"4. **Dilated temporal convolution**: {self.filter_3} -> {self.filter_2} maps, {self.kernel_block_4} taps, dilation {self.dilation_block_4}, batch norm.",
            f"5. **Dilated temporal convolution**: {self.filter_2} -> {self.filter_1} maps, {self.kernel_block_5} taps, dilation {self.dilation_block_5}, batch norm, {act}, mean-pool {self.avg_pool_block5}, dropout {self.drop_prob:g}.",
            f"6. **Classifier**: flatten + max-norm ({self.max_norm_linear:g}) linear layer {self.in_features} -> {self.n_outputs}.",
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
                "filter_2": self.filter_2,
                "drop_prob": self.drop_prob,
                "kernel_block_1_2": self.kernel_block_1_2,
                "kernel_block_4": self.kernel_block_4,
                "dilation_block_4": self.dilation_block_4,
                "avg_pool_block4": self.avg_pool_block4,
                "kernel_block_5": self.kernel_block_5,
                "dilation_block_5": self.dilation_block_5,
                "avg_pool_block5": self.avg_pool_block5,
                "max_norm_conv": self.max_norm_conv,
                "max_norm_linear": self.max_norm_linear,
                "fused": self.fused,
            }
        )


class _ExplicitSameConv(nn.Module):
    """A frozen ``(1, K)`` "same" convolution with its padding spelled out (ONNX Runtime
    refuses ``auto_pad`` SAME with a dilation)."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        total = conv.dilation[1] * (conv.kernel_size[1] - 1)
        self.pad: List[int] = [total // 2, total - total // 2, 0, 0]
        self.dilation: int = conv.dilation[1]
        self.register_buffer("weight", conv.weight.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(x, self.pad), self.weight, dilation=[1, self.dilation])


def _explicit(block: nn.Sequential, index: int) -> nn.Sequential:
    """An eval copy of ``block`` with its ``index``-th module's "same" padding spelled out."""
    from eegzoo.models.inference import frozen

    out = frozen(block)
    out[index] = _ExplicitSameConv(block[index])
    return out


class InferenceEEGNeX(nn.Module):
    """Frozen eval-mode :class:`EEGNeX`: ``(B, n_chans, n_times) -> logits`` with plain layers.
    Blocks 1-3's linear part is baked as in the fused path (spatial filters, then the
    composite filter as a depthwise ``conv1d`` and the edge matrices) where it applies, else
    kept as braindecode's convolutions with the constraint baked in."""

    def __init__(self, model: EEGNeX) -> None:
        super().__init__()
        from eegzoo.models.inference import frozen, plain_conv, plain_linear

        model = frozen(model)
        n_taps = model.kernel_block_1_2
        self.n_taps: int = n_taps
        self.n_chans: int = model.n_chans
        self.n_times: int = model.n_times
        self.n_outputs: int = model.n_outputs
        self.n_left: int = 2 * n_taps - 2 - (n_taps - 1) // 2
        self.n_right: int = n_taps - 1 + (n_taps - 1) // 2
        self.baked: bool = model._fusable(torch.zeros(1, model.n_chans, model.n_times))
        self.first = nn.Sequential(_explicit(model.block_1, 1), _explicit(model.block_2, 0), plain_conv(model.block_3[0]))
        with torch.no_grad():
            depth, n_maps = model.depth_multiplier, model.filter_3
            spatial = model.block_3[0].constrained_weight()[:, 0, :, 0]
            self.register_buffer("spatial", spatial.clone())
            if self.baked:
                pieces = self._pieces(model)
                kernels, offset, maps_left, maps_right, off_left, off_right = pieces
                gain = spatial.sum(1)
                self.register_buffer("kernels", _zero_first(kernels, n_taps).unsqueeze(1).contiguous())
                self.register_buffer("offset", (gain * offset)[:, None].contiguous())
                self.register_buffer("maps_left", maps_left.contiguous())
                self.register_buffer("maps_right", maps_right.contiguous())
                self.register_buffer("off_left", (gain[:, None] * off_left).contiguous())
                self.register_buffer("off_right", (gain[:, None] * off_right).contiguous())
            else:  # braindecode's convolutions in ``first``; empty buffers keep the forward scriptable
                for name in ("kernels", "offset", "maps_left", "maps_right", "off_left", "off_right"):
                    self.register_buffer(name, torch.zeros(0))
        self.groups: int = n_maps
        self.rest_3 = nn.Sequential(frozen(model.block_3[1]), frozen(model.block_3[2]), frozen(model.block_3[3]))
        self.block_4 = _explicit(model.block_4, 0)
        self.block_5 = _explicit(model.block_5, 0)
        self.final_layer = plain_linear(model.final_layer)
        self.requires_grad_(False)

    @staticmethod
    def _pieces(model: EEGNeX) -> Tuple[torch.Tensor, ...]:
        """The fused path's per-map kernels, offsets and edge matrices (before the spatial
        gain), from the model's eval-mode weights and running statistics."""
        conv_1, bn_1 = model.block_1[1], model.block_1[2]
        conv_2, bn_2 = model.block_2[0], model.block_2[1]
        n_taps = model.kernel_block_1_2
        left = (n_taps - 1) // 2
        right = n_taps - 1 - left
        w_1, w_2 = conv_1.weight[:, 0, 0], conv_2.weight[:, :, 0]
        scale_1, shift_1 = batch_norm_affine(bn_1.running_mean, bn_1.running_var, bn_1.weight, bn_1.bias, bn_1.eps)
        scaled_1 = w_1 * scale_1[:, None]
        stacked = _toeplitz(scaled_1, n_taps, 2 * n_taps - 1, 0)
        composite = w_2.reshape(w_2.shape[0], -1) @ stacked.reshape(w_1.shape[0] * n_taps, -1)
        constant = (w_2.sum(-1) * shift_1).sum(-1)
        n_left, n_right = 2 * n_taps - 2 - left, n_taps - 1 + left
        edge_left, const_left = _edge_map(scaled_1, w_2, shift_1, n_left, left, left)
        edge_right, const_right = _edge_map(scaled_1, w_2, shift_1, n_right, right, 0)
        scale_2, shift_2 = batch_norm_affine(bn_2.running_mean, bn_2.running_var, bn_2.weight, bn_2.bias, bn_2.eps)
        depth = model.depth_multiplier
        return (
            (composite * scale_2[:, None]).repeat_interleave(depth, 0),
            (scale_2 * constant + shift_2).repeat_interleave(depth, 0),
            (edge_left * scale_2[:, None, None]).repeat_interleave(depth, 0),
            (edge_right * scale_2[:, None, None]).repeat_interleave(depth, 0),
            (const_left * scale_2[:, None] + shift_2[:, None]).repeat_interleave(depth, 0),
            (const_right * scale_2[:, None] + shift_2[:, None]).repeat_interleave(depth, 0),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.baked:
            mixed = torch.matmul(self.spatial, x)
            inner = F.conv1d(mixed, self.kernels, padding=self.n_taps // 2, groups=self.groups) + self.offset
            out_left = torch.einsum("bme,mte->bmt", mixed[:, :, : self.n_left], self.maps_left) + self.off_left
            out_right = torch.einsum("bme,mte->bmt", mixed[:, :, self.n_times - self.n_right :], self.maps_right) + self.off_right
            x = torch.cat([out_left, inner, out_right], -1).unsqueeze(2)
        else:
            x = self.first(x)
        return self.final_layer(self.block_5(self.block_4(self.rest_3(x))))
