"""FBCNet (Mane et al. 2021), weight-compatible with braindecode 1.8.x's ``FBCNet``."""

from __future__ import annotations

import warnings

from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from eegzoo.blocks.bandwise_batch_norm import bandwise_filter_batch_norm
from eegzoo.blocks.batch_norm_folding import batch_norm_affine
from eegzoo.blocks.depthwise_spatial_conv import DepthwiseSpatialConv
from eegzoo.blocks.filter_bank import _FILTER_KWARGS, BandsArg, FilterBank
from eegzoo.blocks.max_norm import MaxNormLinear
from eegzoo.blocks.spectral_spatial import spectral_bandwise_filter
from eegzoo.blocks.var_pool import VarPool
from eegzoo.core.errors import UnsupportedOptionError
from eegzoo.core.jsonsafe import json_safe
from eegzoo.core.signal import PaddingWarning, resolve_signal_params
from eegzoo.models.arguments import activation_path, positive_int, positive_number, resolve_activation
from eegzoo.models.signal_model import SignalModel
from eegzoo.specs.fbcnet import TEMPORAL_LAYERS, FBCNetParams, check_fbcnet_window


#: Activation bytes per eval-mode chunk (see :meth:`FBCNet._chunk_size`).
_CHUNK_BYTES = 4 * 2**20


def temporal_statistic(name: str, window: int) -> nn.Module:
    """braindecode's ``temporal_layer`` by name, over non-overlapping windows of ``window``
    samples: ``(..., stride * window) -> (..., stride)``."""
    if name == "LogVarLayer":
        return VarPool(window, log=True, unbiased=True, clamp=(1e-6, 1e6))
    if name == "VarLayer":
        return VarPool(window, log=False, clamp=None)
    if name == "StdLayer":
        return VarPool(window, log=False, clamp=None, std=True)
    if name == "MeanLayer":
        return nn.AvgPool1d(window)
    if name == "MaxLayer":
        return nn.MaxPool1d(window)
    raise ValueError(f"temporal_layer must be one of {', '.join(TEMPORAL_LAYERS)}, got {name!r}.")


class FBCNet(SignalModel, nn.Module):
    """FBCNet: filter bank -> band-wise spatial filters -> temporal statistic -> max-norm linear.

    Each of the ``n_bands`` bands gets ``n_filters_spat`` spatial filters of its own (a
    depthwise convolution with a max-norm constraint, batch norm, SiLU); the log-variance
    (by default) of every filtered signal in ``stride_factor`` windows is classified by a
    max-norm linear layer. Accepts braindecode 1.8.x's ``FBCNet`` constructor arguments with
    the same meaning and defaults, has the same ``state_dict`` keys and shapes
    (``spectral_filtering.fir_list.i``, ``spatial_conv.0.parametrizations.weight.original``,
    ``final_layer.parametrizations.weight.original``, ...) and, under the same seed, the same
    initialisation.

    Args:
        n_chans, chs_info, n_times, input_window_seconds, sfreq: signal parameters; ``sfreq``
            is required (the filters are designed for it).
        n_outputs: number of classes (raw logits are returned).
        n_bands: int N (N equal bands over 4-40 Hz), ``None`` (nine 4 Hz bands) or a list
            of ``(low, high)`` Hz pairs.
        n_filters_spat: spatial filters per band.
        temporal_layer: ``"LogVarLayer"``, ``"VarLayer"``, ``"StdLayer"``, ``"MeanLayer"``
            or ``"MaxLayer"``: the statistic taken over each window.
        n_dim: axis of the statistic in braindecode's (B, maps, windows, samples) layout;
            only 3 (the samples of a window) gives a working model, in braindecode too.
        stride_factor: windows per trial; the input is zero-padded at the end to a multiple.
        activation: activation class after the batch norm (SiLU).
        linear_max_norm, cnn_max_norm: max L2 norms of the classifier's rows and of the
            spatial filters.
        filter_parameters: keyword arguments of :class:`eegzoo.blocks.FilterBank`.
        fused: compute filter bank + spatial filters from one rFFT of the input (see
            :func:`eegzoo.blocks.spectral_spatial.spectral_bandwise_filter`), with the
            eval-mode batch norm folded in, and in training (more spatial filters than
            electrodes) the batch statistics from the band signals' covariances, folded in
            too (:func:`eegzoo.blocks.bandwise_batch_norm.bandwise_filter_batch_norm`); same
            numbers, faster (FIR banks only).

    ``model(x)`` returns raw logits ``(B, n_outputs)``; ``return_features=True`` returns
    ``{"features": (B, n_bands * n_filters_spat * stride_factor), "logits": ...}``, the
    statistics the linear layer takes.
    """

    architecture_name = "fbcnet"
    params_model = FBCNetParams

    def __init__(
        self,
        n_chans: int | None = None,
        n_outputs: int | None = None,
        chs_info: Any = None,
        n_times: int | None = None,
        input_window_seconds: float | None = None,
        sfreq: float | None = None,
        n_bands: BandsArg = 9,
        n_filters_spat: int = 32,
        temporal_layer: str = "LogVarLayer",
        n_dim: int = 3,
        stride_factor: int = 4,
        activation: type[nn.Module] | str = nn.SiLU,
        linear_max_norm: float = 0.5,
        cnn_max_norm: float = 2.0,
        filter_parameters: Mapping[str, Any] | None = None,
        fused: bool = True,
    ) -> None:
        super().__init__()
        signal = resolve_signal_params(n_chans, chs_info, n_times, input_window_seconds, sfreq, "FBCNet")
        self._init_signal(signal, n_outputs)
        positive_int("n_filters_spat", n_filters_spat)
        positive_int("stride_factor", stride_factor)
        positive_number("linear_max_norm", linear_max_norm)
        positive_number("cnn_max_norm", cnn_max_norm)
        if temporal_layer not in TEMPORAL_LAYERS:
            raise UnsupportedOptionError(f"temporal_layer must be one of {', '.join(TEMPORAL_LAYERS)}, got {temporal_layer!r}.")
        if n_dim not in (3, -1):
            raise ValueError(
                f"n_dim={n_dim!r}: the statistic must be taken over the samples of each window, "
                "n_dim=3 (the only value with which the model works, in braindecode too)."
            )
        filter_parameters = dict(filter_parameters or {})
        unknown = sorted(set(filter_parameters) - set(_FILTER_KWARGS))
        if unknown:
            raise ValueError(f"Unknown filter_parameters {unknown}; valid keys are {list(_FILTER_KWARGS)}.")
        self.window = check_fbcnet_window(signal.n_times, stride_factor, temporal_layer)
        activation = resolve_activation(activation)

        self._n_bands_arg = n_bands
        self.n_filters_spat = n_filters_spat
        self.temporal_layer_name = temporal_layer
        self.n_dim = n_dim
        self.stride_factor = stride_factor
        self.activation = activation
        self.linear_max_norm = linear_max_norm
        self.cnn_max_norm = cnn_max_norm
        self.filter_parameters = filter_parameters
        self.fused = fused
        self.n_times_padded = self.window * stride_factor
        if self.n_times_padded != signal.n_times:
            warnings.warn(
                f"n_times={signal.n_times} is not a multiple of stride_factor={stride_factor}: "
                f"Input will be padded with {self.n_times_padded - signal.n_times} zeros to "
                f"{self.n_times_padded} samples.",
                PaddingWarning,
                stacklevel=2,
            )

        # Submodule names and creation order follow braindecode (interchangeable
        # state_dicts, same-seed initialisation).
        self.spectral_filtering = FilterBank(
            sfreq=signal.sfreq, bands=n_bands, verbose=False, n_chans=signal.n_chans, **filter_parameters
        )
        self.n_bands = self.spectral_filtering.n_bands
        self.bands = self.spectral_filtering.bands
        self.n_maps = self.n_bands * n_filters_spat
        self.chunk_bytes = _CHUNK_BYTES
        self.spatial_conv = nn.Sequential(
            DepthwiseSpatialConv(self.n_bands, self.n_chans, n_filters_spat, bias=True, max_norm=cnn_max_norm),
            nn.BatchNorm1d(self.n_maps),
            activation(),
        )
        self.temporal_layer = temporal_statistic(temporal_layer, self.window)
        self.final_layer = self.new_head(self.n_outputs)

    def new_head(self, n_outputs: int) -> nn.Module:
        """A fresh max-norm linear classifier (``nn.Linear`` initialisation)."""
        return MaxNormLinear(self.n_maps * self.stride_factor, n_outputs, max_norm=self.linear_max_norm)

    # ------------------------------------------------------------------ forward
    def _folded_spatial(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Eval-mode batch norm is affine per map, so it folds into the spatial filters."""
        conv, bn = self.spatial_conv[0], self.spatial_conv[1]
        scale, shift = batch_norm_affine(bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps)
        weight = conv.weight * scale[:, None, None, None]
        return weight, conv.bias * scale + shift

    def filter_mix_normalise(self, x: torch.Tensor) -> torch.Tensor:
        """Filter bank + band-wise spatial filters + batch norm: ``(B, C, T) -> (B, n_maps, T)``."""
        if torch.jit.is_scripting() or not (self.fused and self.spectral_filtering.is_fir):
            # the layers one by one (TorchScript runs these; the fused paths are eager-only)
            return self.spatial_conv[1](self.spatial_conv[0](self.spectral_filtering(x)).squeeze(2))
        return self._fused_filter_mix_normalise(x)

    @torch.jit.unused
    def _fused_filter_mix_normalise(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`filter_mix_normalise` from one rFFT of the input (FIR banks)."""
        conv, bn = self.spatial_conv[0], self.spatial_conv[1]
        if bn.training and bn.track_running_stats and conv.weight.shape[0] // self.n_bands > self.n_chans:
            # more maps than band signals: the batch statistics from the band signals'
            # covariances, the normalisation folded into the filters (no pass over the maps)
            return bandwise_filter_batch_norm(x, self.spectral_filtering, conv.weight, conv.bias, bn)
        if bn.training or not bn.track_running_stats:
            return bn(spectral_bandwise_filter(x, self.spectral_filtering, conv.weight, conv.bias))
        weight, bias = self._folded_spatial()
        return spectral_bandwise_filter(x, self.spectral_filtering, weight, bias)

    def _statistics(self, maps: torch.Tensor) -> torch.Tensor:
        """Activation, zero padding and the window statistic: ``(B, n_maps, T) -> features``."""
        x = self.spatial_conv[2](maps)
        if self.n_times_padded != self.n_times:
            x = F.pad(x, (0, self.n_times_padded - self.n_times))
        return self.temporal_layer(x).flatten(1)

    def _chunk_size(self, x: torch.Tensor) -> int:
        """Trials per chunk in eval mode: the (n_maps, T) activations of a chunk fit in a few
        MB of cache. Every pass over them (filtering, activation, statistic) then runs from
        cache instead of memory (measured 2-5x faster for the defaults at batch 64). Batch
        norm in training mode needs the whole batch, and graphs keep one chunk."""
        bn = self.spatial_conv[1]
        traced = torch.jit.is_tracing() or torch.jit.is_scripting() or torch.compiler.is_compiling()
        if traced or (bn.training or not bn.track_running_stats):
            return x.shape[0]
        return max(1, self.chunk_bytes // (self.n_maps * x.shape[-1] * x.element_size()))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the linear layer: ``(B, C, T) -> (B, n_maps * stride_factor)``."""
        self.check_input(x, self.n_times, self.n_times)
        step = self._chunk_size(x)
        if step >= x.shape[0]:
            return self._statistics(self.filter_mix_normalise(x))
        return torch.cat([self._statistics(self.filter_mix_normalise(chunk)) for chunk in x.split(step)])

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """The max-norm linear layer: ``(B, n_maps * stride_factor) -> (B, n_outputs)``."""
        return self.final_layer(features)

    def inference_module(self) -> nn.Module:
        """The frozen export-friendly form (:class:`eegzoo.models.inference.InferenceFBCNet`)
        of the current eval-mode weights."""
        from eegzoo.models.inference import InferenceFBCNet

        return InferenceFBCNet(self)

    # ------------------------------------------------------------------ description
    def describe(self) -> list[str]:
        bank = self.spectral_filtering
        bands = ", ".join(f"{lo:g}-{hi:g}" for lo, hi in bank.bands)
        pad = f" (zero-padded to {self.n_times_padded})" if self.n_times_padded != self.n_times else ""
        return [
            f"1. **Filter bank** ({bank.method.upper()}, {bank.phase} phase, fixed): {bank.n_bands} bands [{bands}] Hz.",
            f"2. **Band-wise spatial convolution**: {self.n_filters_spat} spatial filters per band over {self.n_chans} electrodes (max-norm {self.cnn_max_norm:g}) -> {self.n_maps} maps, batch norm, {self.activation.__name__}.",
            f"3. **Temporal statistic** ({self.temporal_layer_name}) over {self.stride_factor} windows of {self.window} samples{pad}.",
            f"4. **Linear head** (max-norm {self.linear_max_norm:g}): {self.n_maps * self.stride_factor} -> {self.n_outputs} logits.",
        ]

    def get_config(self) -> dict[str, Any]:
        bands = self._n_bands_arg
        return json_safe(
            {
                "n_chans": self.n_chans,
                "n_outputs": self.n_outputs,
                "chs_info": self._chs_info,
                "n_times": self.n_times,
                "input_window_seconds": None,
                "sfreq": self.sfreq,
                "n_bands": [list(b) for b in bands] if isinstance(bands, (list, tuple)) else bands,
                "n_filters_spat": self.n_filters_spat,
                "temporal_layer": self.temporal_layer_name,
                "n_dim": self.n_dim,
                "stride_factor": self.stride_factor,
                "activation": activation_path(self.activation),
                "linear_max_norm": self.linear_max_norm,
                "cnn_max_norm": self.cnn_max_norm,
                "filter_parameters": self.filter_parameters or None,
                "fused": self.fused,
            }
        )
