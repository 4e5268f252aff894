"""IFNet (Wang et al. 2023), weight-compatible with braindecode 1.8.x's ``IFNet``."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, List, Mapping, Optional

import torch
import torch.nn.functional as F
from torch import nn

from eegzoo.blocks.bandwise_batch_norm import bandwise_filter_batch_norm
from eegzoo.blocks.batch_norm_folding import batch_norm_affine
from eegzoo.blocks.filter_bank import _FILTER_KWARGS, BandsArg, FilterBank, FrozenFilterBank
from eegzoo.blocks.interactive_band_mixing import InteractiveBandMixing
from eegzoo.blocks.max_norm import MaxNormLinear
from eegzoo.blocks.spectral_spatial import spectral_bandwise_filter
from eegzoo.core.jsonsafe import json_safe
from eegzoo.core.signal import resolve_signal_params
from eegzoo.models.arguments import activation_path, positive_int, positive_number, probability, resolve_activation
from eegzoo.models.signal_model import SignalModel
from eegzoo.specs.ifnet import POWER_CLAMP, IFNetParams, ifnet_branches

#: Activation bytes per eval-mode chunk: the maps of a chunk stay in cache through every
#: pass over them (filtering, temporal filters, activation, power).
_CHUNK_BYTES = 4 * 2**20


class IFNet(SignalModel, nn.Module):
    """IFNet (IFNetV2): filter bank -> band-wise spatial and temporal filters summed across
    bands (interactive frequency mixing) -> log-power in windows -> max-norm linear.

    The input is split into frequency bands (4-16 and 16-40 Hz by default) by fixed FIR
    filters; each band gets ``n_filters_spat`` spatial filters and a depthwise temporal
    filter per map (63 and 31 taps), both followed by batch norm; the bands' maps are summed
    and passed through GELU (:class:`eegzoo.blocks.InteractiveBandMixing`); the log of the
    mean power in ``stride_factor`` windows (end zero-padded to a multiple) goes through
    dropout to a max-norm linear classifier. Accepts braindecode 1.8.x's ``IFNet``
    constructor arguments with the same meaning and defaults, has the same ``state_dict``
    keys and shapes (``spectral_filtering.fir_list.i``, ``feature_block.spatial_conv.weight``,
    ``feature_block.temporal_convs.i.0.weight``, ``final_layer.parametrizations.weight.original``,
    ...) and, under the same seed, the same initialisation.

    Args:
        n_chans, chs_info, n_times, input_window_seconds, sfreq: signal parameters; ``sfreq``
            is required (the filters are designed for it).
        n_outputs: number of classes (raw logits are returned).
        bands: ``(low, high)`` Hz pairs, an int N (N equal bands over 4-40 Hz) or ``None``
            (nine 4 Hz bands).
        n_filters_spat: spatial filters per band (= feature maps).
        kernel_sizes: one depthwise temporal kernel size per band. With fewer bands than
            kernels the extra kernels are dropped; with more bands, as many branches as
            kernels take consecutive (band, electrode) signals (braindecode's grouping; both
            warn).
        stride_factor: power windows per trial.
        drop_prob: dropout before the classifier.
        linear_max_norm: max L2 norm of the classifier's rows.
        activation: activation class after the band sum (GELU).
        verbose: let mne log the filter design.
        filter_parameters: keyword arguments of :class:`eegzoo.blocks.FilterBank`.
        fused: filter bank + spatial filters from one rFFT of the input
            (:func:`eegzoo.blocks.spectral_spatial.spectral_bandwise_filter`) and the
            depthwise temporal filters through the FFT
            (:meth:`eegzoo.blocks.InteractiveBandMixing.mix`), eval batch norms folded in;
            same numbers, faster (FIR banks with one band per kernel).

    ``model(x)`` returns raw logits ``(B, n_outputs)``; ``return_features=True`` returns
    ``{"features": (B, n_filters_spat * stride_factor), "logits": ...}``, the log-powers
    (after dropout) the linear layer takes.
    """

    architecture_name = "ifnet"
    params_model = IFNetParams

    def __init__(
        self,
        n_chans: int | None = None,
        n_outputs: int | None = None,
        n_times: int | None = None,
        chs_info: Any = None,
        input_window_seconds: float | None = None,
        sfreq: float | None = None,
        bands: BandsArg = [(4.0, 16.0), (16, 40)],
        n_filters_spat: int = 64,
        kernel_sizes: Sequence[int] = (63, 31),
        stride_factor: int = 8,
        drop_prob: float = 0.5,
        linear_max_norm: float = 0.5,
        activation: type[nn.Module] | str = nn.GELU,
        verbose: bool = False,
        filter_parameters: Mapping[str, Any] | None = None,
        fused: bool = True,
    ) -> None:
        super().__init__()
        signal = resolve_signal_params(n_chans, chs_info, n_times, input_window_seconds, sfreq, "IFNet")
        self._init_signal(signal, n_outputs)
        positive_int("n_filters_spat", n_filters_spat)
        positive_int("stride_factor", stride_factor)
        probability("drop_prob", drop_prob)
        positive_number("linear_max_norm", linear_max_norm)
        if isinstance(kernel_sizes, (str, bytes)) or not isinstance(kernel_sizes, Sequence) or len(kernel_sizes) == 0:
            raise ValueError(f"kernel_sizes must be a non-empty sequence of ints >= 1, got {kernel_sizes!r}.")
        kernel_sizes = [positive_int("kernel_sizes[]", k) for k in kernel_sizes]
        filter_parameters = dict(filter_parameters or {})
        unknown = sorted(set(filter_parameters) - set(_FILTER_KWARGS))
        if unknown:
            raise ValueError(f"Unknown filter_parameters {unknown}; valid keys are {list(_FILTER_KWARGS)}.")
        activation = resolve_activation(activation)

        self._bands_arg = bands
        self.n_filters_spat = n_filters_spat
        self.kernel_sizes = kernel_sizes
        self.stride_factor = stride_factor
        self.drop_prob = float(drop_prob)
        self.linear_max_norm = linear_max_norm
        self.activation = activation
        self.verbose = verbose
        self.filter_parameters = filter_parameters
        self.fused = fused
        self.power_min, self.power_max = float(POWER_CLAMP[0]), float(POWER_CLAMP[1])
        self.window = -(-self.n_times // stride_factor)
        self.n_times_padded = self.window * stride_factor

        # Submodule names and creation order follow braindecode (interchangeable
        # state_dicts, same-seed initialisation).
        self.spectral_filtering = FilterBank(sfreq=signal.sfreq, bands=bands, verbose=verbose, **filter_parameters)
        self.n_bands = self.spectral_filtering.n_bands
        self.bands = self.spectral_filtering.bands
        n_branches = ifnet_branches(self.n_bands, len(kernel_sizes), self.n_chans)
        if self.n_bands != len(kernel_sizes):
            warnings.warn(
                f"Got {self.n_bands} bands and {len(kernel_sizes)} kernel sizes: IFNet builds "
                f"{n_branches} branches (the smaller number); give one kernel size per band.",
                UserWarning,
                stacklevel=2,
            )
        if self.n_times_padded != self.n_times:
            warnings.warn(
                f"n_times={self.n_times} is not divisible by stride_factor={stride_factor}: the "
                f"maps are zero-padded to {self.n_times_padded} samples before the power windows.",
                UserWarning,
                stacklevel=2,
            )
        self.n_branches = n_branches
        self.feature_block = InteractiveBandMixing(
            self.n_chans * self.n_bands, n_filters_spat, kernel_sizes[:n_branches], activation
        )
        self.dropout = nn.Dropout(self.drop_prob)
        self.final_layer = self.new_head(self.n_outputs)
        #: The fused path needs FIR filters and one branch per band.
        self.can_fuse: bool = self.spectral_filtering.is_fir and n_branches == self.n_bands

    def new_head(self, n_outputs: int) -> nn.Module:
        """A fresh max-norm linear classifier (``nn.Linear`` initialisation)."""
        return MaxNormLinear(self.n_filters_spat * self.stride_factor, n_outputs, max_norm=self.linear_max_norm)

    # ------------------------------------------------------------------ forward
    def filter_and_mix(self, x: torch.Tensor) -> torch.Tensor:
        """Filter bank + band-wise spatial filters + batch norm: ``(B, C, T) -> (B, n_branches * n_filters_spat, T)``."""
        block = self.feature_block
        bn = block.spatial_bn
        weight = block.spatial_conv.weight
        if bn.training and bn.track_running_stats and not torch.jit.is_scripting() and self.n_filters_spat > self.n_chans:
            return self.normalised_spatial_filters(x, weight, bn)
        if bn.training or not bn.track_running_stats:
            return bn(self.spatial_filters(x, weight, None))
        scale, shift = batch_norm_affine(bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps)
        return self.spatial_filters(x, weight * scale[:, None, None], shift)

    @torch.jit.unused
    def normalised_spatial_filters(self, x: torch.Tensor, weight: torch.Tensor, bn: nn.BatchNorm1d) -> torch.Tensor:
        """Training: more maps than band signals, so the batch statistics come from the band
        signals' covariances and the normalisation is folded into the spatial filters (no
        batch-norm pass over the maps, forward or backward;
        :func:`eegzoo.blocks.bandwise_batch_norm.bandwise_filter_batch_norm`)."""
        return bandwise_filter_batch_norm(x, self.spectral_filtering, weight, None, bn)

    def spatial_filters(self, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
        if torch.jit.is_scripting():  # the bank's cached spectra are eager-only
            bands = self.spectral_filtering(x)  # (B, nb, C, T)
            maps = torch.matmul(weight.view(1, self.n_bands, -1, self.n_chans), bands).flatten(1, 2)
            return maps if bias is None else maps + bias[:, None]
        return self.fused_spatial_filters(x, weight, bias)

    @torch.jit.unused
    def fused_spatial_filters(self, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
        return spectral_bandwise_filter(x, self.spectral_filtering, weight, bias)

    def band_sum(self, x: torch.Tensor) -> torch.Tensor:
        """Everything up to the activation: ``(B, C, T) -> (B, n_filters_spat, T)``."""
        block = self.feature_block
        if self.fused and self.can_fuse:
            return block.mix(self.filter_and_mix(x))
        return block.temporal(block.spatial(self.spectral_filtering(x).flatten(1, 2)))

    def log_power(self, maps: torch.Tensor) -> torch.Tensor:
        """Log of the mean power in ``stride_factor`` windows (zero-padded end, clamped):
        ``(B, F, T) -> (B, F, stride_factor)``."""
        if self.n_times_padded != self.n_times:
            maps = F.pad(maps, (0, self.n_times_padded - self.n_times))
        windows = maps.view(maps.shape[0], maps.shape[1], self.stride_factor, self.window)
        return torch.log(torch.clamp(torch.mean(windows * windows, dim=-1), self.power_min, self.power_max))

    def band_powers(self, x: torch.Tensor) -> torch.Tensor:
        return self.log_power(self.feature_block.inter_frequency(self.band_sum(x)))

    def eval_chunk_size(self, x: torch.Tensor) -> int:
        """Trials per chunk in eval mode (see ``_CHUNK_BYTES``); training, graphs and
        batch norms without running statistics take the whole batch."""
        if torch.jit.is_scripting() or torch.jit.is_tracing() or self.training or not self.fused:
            return x.shape[0]
        if torch.compiler.is_compiling():
            return x.shape[0]
        maps = self.n_branches * self.n_filters_spat
        return max(1, _CHUNK_BYTES // (maps * x.shape[-1] * x.element_size()))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the linear layer: ``(B, C, T) -> (B, n_filters_spat * stride_factor)``."""
        self.check_input(x, self.n_times, self.n_times)
        step = self.eval_chunk_size(x)
        if step >= x.shape[0]:
            powers = self.band_powers(x)
        else:
            powers = torch.cat([self.band_powers(chunk) for chunk in x.split(step)])
        return self.dropout(powers).flatten(1)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """The max-norm linear layer: ``(B, n_filters_spat * stride_factor) -> (B, n_outputs)``."""
        return self.final_layer(features)

    def inference_module(self) -> nn.Module:
        """The frozen export-friendly form (:class:`InferenceIFNet`) of the current eval-mode weights."""
        return InferenceIFNet(self)

    # ------------------------------------------------------------------ description
    def describe(self) -> list[str]:
        bank = self.spectral_filtering
        bands = ", ".join(f"{lo:g}-{hi:g}" for lo, hi in bank.bands)
        kernels = ", ".join(str(k) for k in self.feature_block.kernel_sizes)
        pad = f" (zero-padded to {self.n_times_padded})" if self.n_times_padded != self.n_times else ""
        return [
            f"1. **Filter bank** ({bank.method.upper()}, {bank.phase} phase, fixed): {bank.n_bands} bands [{bands}] Hz.",
            f"2. **Band-wise spatial convolution**: {self.n_filters_spat} spatial filters per band over {self.n_chans} electrodes, batch norm.",
            f"3. **Band-wise temporal convolution**: one depthwise kernel per map ({kernels} taps), batch norm.",
            f"4. **Interactive frequency mixing**: the {self.n_branches} bands' maps summed, {self.activation.__name__}.",
            f"5. **Log-power** in {self.stride_factor} windows of {self.window} samples{pad}, dropout {self.drop_prob:g}.",
            f"6. **Linear head** (max-norm {self.linear_max_norm:g}): {self.n_filters_spat * self.stride_factor} -> {self.n_outputs} logits.",
        ]

    def get_config(self) -> dict[str, Any]:
        bands = self._bands_arg
        return json_safe(
            {
                "n_chans": self.n_chans,
                "n_outputs": self.n_outputs,
                "n_times": self.n_times,
                "chs_info": self._chs_info,
                "input_window_seconds": None,
                "sfreq": self.sfreq,
                "bands": [[float(lo), float(hi)] for lo, hi in bands] if isinstance(bands, (list, tuple)) else bands,
                "n_filters_spat": self.n_filters_spat,
                "kernel_sizes": list(self.kernel_sizes),
                "stride_factor": self.stride_factor,
                "drop_prob": self.drop_prob,
                "linear_max_norm": self.linear_max_norm,
                "activation": activation_path(self.activation),
                "verbose": self.verbose,
                "filter_parameters": self.filter_parameters or None,
                "fused": self.fused,
            }
        )


class InferenceIFNet(nn.Module):
    """Frozen eval-mode :class:`IFNet` from plain convolutions (exports to TorchScript,
    ``torch.export`` and ONNX): the FIR filter bank as one fixed ``conv1d``, the eval batch
    norms folded into the spatial and temporal filters, and the band sum done by one grouped
    ``conv1d`` whose groups take each map's branches (kernels centred in a common frame)."""

    def __init__(self, model: IFNet) -> None:
        super().__init__()
        bank = model.spectral_filtering
        if not bank.is_fir:
            raise ValueError(
                "The export form needs a FIR filter bank; this model uses IIR filters "
                "(filter_parameters={'method': 'iir'}), which only run in eager mode."
            )
        block = model.feature_block
        self.n_chans: int = model.n_chans
        self.n_times: int = model.n_times
        self.n_outputs: int = model.n_outputs
        self.n_filters: int = model.n_filters_spat
        self.n_branches: int = model.n_branches
        self.groups: int = model.n_branches
        self.stride_factor: int = model.stride_factor
        self.window: int = model.window
        self.pad_end: int = model.n_times_padded - model.n_times
        self.power_min: float = model.power_min
        self.power_max: float = model.power_max
        self.origin: int = block.origin
        self.right: int = block.frame_width - 1 - block.origin
        self.bank = FrozenFilterBank(bank)
        with torch.no_grad():
            scale, shift = _affine(block.spatial_bn)
            self.register_buffer("spatial", (block.spatial_conv.weight * scale[:, None, None]).detach().clone())
            self.register_buffer("spatial_bias", shift.detach().clone())
            frame = block.kernel_frame()  # (G, F, W)
            shifts = torch.zeros(self.n_filters)
            scales: List[torch.Tensor] = []
            for branch in block.temporal_convs:
                s, b = _affine(branch[1])
                scales.append(s)
                shifts = shifts + b
            frame = frame * torch.stack(scales)[:, :, None]
            # grouped conv: group f reads maps (g, f) for every branch g
            self.register_buffer("temporal", frame.permute(1, 0, 2).contiguous().detach().clone())
            self.register_buffer("temporal_bias", shifts.detach().clone())
        self.activation = block.inter_frequency
        self.classifier = nn.Linear(model.final_layer.in_features, model.n_outputs)
        with torch.no_grad():
            self.classifier.weight.copy_(model.final_layer.weight.detach())
            self.classifier.bias.copy_(model.final_layer.bias.detach())
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        torch._assert(x.dim() == 3, "expected input of shape (batch, n_chans, n_times)")
        torch._assert(x.shape[1] == self.n_chans, "input channel count differs from the model's n_chans")
        torch._assert(x.shape[2] == self.n_times, "input length differs from the model's n_times")
        batch = x.shape[0]
        bands = self.bank(x).reshape(batch, -1, self.n_times)  # (B, n_bands * C, T)
        maps = F.conv1d(bands, self.spatial, self.spatial_bias, groups=self.groups)  # (B, G * F, T)
        maps = maps.reshape(batch, self.n_branches, self.n_filters, self.n_times).transpose(1, 2)
        maps = maps.reshape(batch, self.n_filters * self.n_branches, self.n_times)
        summed = F.conv1d(F.pad(maps, (self.origin, self.right)), self.temporal, self.temporal_bias, groups=self.n_filters)
        y = self.activation(summed[:, :, : self.n_times])
        if self.pad_end > 0:
            y = F.pad(y, (0, self.pad_end))
        windows = y.reshape(batch, self.n_filters, self.stride_factor, self.window)
        power = torch.clamp(torch.mean(windows * windows, dim=-1), self.power_min, self.power_max)
        return self.classifier(torch.log(power).flatten(1))


def _affine(bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    return batch_norm_affine(bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps)
