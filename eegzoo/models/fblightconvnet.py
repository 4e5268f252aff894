"""FBLightConvNet (LightConvNet, Ma et al. 2023), weight-compatible with braindecode 1.8.x."""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Dict, Mapping, Tuple, Union

import torch
from torch import nn

from eegzoo.blocks.filter_bank import _FILTER_KWARGS, BandsArg, FilterBank
from eegzoo.blocks.lightweight_attention import LightweightAttention
from eegzoo.blocks.shapes import shape_text
from eegzoo.blocks.spatial_conv import SpatialConv
from eegzoo.blocks.spectral_spatial import apply_spectral_mixing, mixing_from_spectra
from eegzoo.blocks.var_pool import VarPool
from eegzoo.core.jsonsafe import json_safe, plain_scalars
from eegzoo.models.arguments import activation_path, resolve_activation
from eegzoo.models.base import ZooModel
from eegzoo.specs.fblightconvnet import FBLightConvNetParams
from eegzoo.core.signal import TruncationWarning, resolve_signal_params


class FBLightConvNet(ZooModel, nn.Module):
    """LightConvNet: filter bank -> spatial conv -> log-variance windows -> attention -> linear.

    Accepts every constructor argument of braindecode 1.8.x's ``FBLightConvNet`` with the
    same meaning and defaults, and has the same ``state_dict`` keys and shapes, so
    braindecode weights load strictly and give the same logits.

    Args:
        n_chans, chs_info, n_times, input_window_seconds, sfreq: signal parameters
            (see :func:`eegzoo.signal.resolve_signal_params`); ``sfreq`` is required, as the
            filters are designed for it.
        n_outputs: number of classes (raw logits are returned).
        n_bands: int N (N equal bands over 4-40 Hz), ``None`` (nine 4 Hz bands) or a list
            of ``(low, high)`` Hz pairs.
        n_filters_spat: number of spatial filters.
        n_dim: axis of the variance in the (B, F, windows, win_len) tensor; only 3 (the
            window axis) gives a working model, as in braindecode.
        stride_factor: deprecated and ignored (warns), kept for compatibility.
        win_len: samples per non-overlapping window; ``n_times // win_len`` windows, the
            remainder is dropped from the end after filtering (with a warning).
        heads: attention heads; must divide ``n_filters_spat``.
        weight_softmax: softmax-normalise the attention weights over windows.
        bias: per-filter bias of the attention (the spatial conv always has a bias).
        activation: activation class after the spatial conv's batch norm.
        verbose: let mne log the filter design.
        filter_parameters: keyword arguments of :class:`eegzoo.blocks.FilterBank`
            (``method``, ``phase``, ``filter_length``, ``l_trans_bandwidth``,
            ``h_trans_bandwidth``, ``iir_params``, ``fir_window``, ``fir_design``).
        fused: compute filter bank + spatial conv as one spectral-spatial operator
            (same numbers, much faster; only used for FIR banks).

    ``model(x)`` returns raw logits ``(B, n_outputs)``; ``model(x, return_features=True)``
    returns ``{"features": (B, n_filters_spat), "logits": (B, n_outputs)}`` where the
    features are the attention-pooled log-variances that feed the final linear layer.
    """

    architecture_name = "fblightconvnet"
    params_model = FBLightConvNetParams
    #: Left out of torch.jit.script: Python-side caches and descriptions (channel dicts,
    #: specs, classes) that have no TorchScript type and that forward does not use.
    __jit_unused_properties__ = ["chs_info"]
    __jit_ignored_attributes__ = [
        "_mixing_cache", "_chs_info", "_n_bands_arg", "activation", "filter_parameters",
        "eegzoo_spec", "eegzoo_params", "eegzoo_classes",
    ]
    #: Reject NaN/Inf inputs at forward. Off by default: it is a full pass over the input
    #: and a graph break under torch.compile; turn it on where inputs are untrusted.
    check_finite = False

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
        n_dim: int = 3,
        stride_factor: int | None = None,
        win_len: int = 250,
        heads: int = 8,
        weight_softmax: bool = True,
        bias: bool = False,
        activation: type[nn.Module] | str = nn.ELU,
        verbose: bool = False,
        filter_parameters: Mapping[str, Any] | None = None,
        fused: bool = True,
    ) -> None:
        super().__init__()
        n_chans, n_outputs, n_times, input_window_seconds, sfreq, n_filters_spat, win_len, heads = plain_scalars(
            (n_chans, n_outputs, n_times, input_window_seconds, sfreq, n_filters_spat, win_len, heads)
        )
        signal = resolve_signal_params(
            n_chans, chs_info, n_times, input_window_seconds, sfreq, "FBLightConvNet"
        )
        if n_outputs is None:
            raise ValueError("FBLightConvNet needs n_outputs: pass n_outputs=<number of classes>.")
        if isinstance(n_outputs, bool) or not isinstance(n_outputs, numbers.Integral) or n_outputs < 1:
            raise ValueError(f"n_outputs must be a positive int, got {n_outputs!r}.")
        n_outputs = int(n_outputs)
        if isinstance(n_filters_spat, bool) or not isinstance(n_filters_spat, int) or n_filters_spat < 1:
            raise ValueError(f"n_filters_spat must be a positive int, got {n_filters_spat!r}.")
        if isinstance(win_len, bool) or not isinstance(win_len, int) or win_len < 2:
            raise ValueError(f"win_len must be an int >= 2 samples, got {win_len!r}.")
        if n_dim not in (3, -1):
            raise ValueError(
                f"n_dim={n_dim!r}: the variance must be taken over the window axis, n_dim=3 "
                "(the only value with which the model works, in braindecode too)."
            )
        if stride_factor is not None:
            warnings.warn(
                "stride_factor is deprecated and ignored; the temporal segmentation of "
                "FBLightConvNet is set by win_len.",
                DeprecationWarning,  # braindecode's category, so its users' filters keep working
                stacklevel=2,
            )
        if signal.n_times < win_len:
            raise ValueError(
                f"n_times={signal.n_times} is shorter than win_len={win_len}, so not a single "
                "temporal window fits: pass a longer input (n_times) or a smaller win_len."
            )
        filter_parameters = dict(filter_parameters or {})
        unknown = sorted(set(filter_parameters) - set(_FILTER_KWARGS))
        if unknown:
            raise ValueError(
                f"Unknown filter_parameters {unknown}; valid keys are {list(_FILTER_KWARGS)}."
            )
        activation = resolve_activation(activation)

        self.check_finite = type(self).check_finite  # an instance attribute, so TorchScript sees it
        self._n_outputs = n_outputs
        self._n_chans = signal.n_chans
        self._chs_info = signal.chs_info
        self._n_times = signal.n_times
        self._sfreq = signal.sfreq
        self._input_window_seconds = signal.input_window_seconds
        self.n_filters_spat = n_filters_spat
        self.n_dim = n_dim
        self.stride_factor = stride_factor
        self.win_len = win_len
        self.heads = heads
        self.weight_softmax = weight_softmax
        self.bias = bias
        self.activation = activation
        self.verbose = verbose
        self.filter_parameters = filter_parameters
        self.fused = fused
        self._n_bands_arg = n_bands
        self.n_windows = signal.n_times // win_len
        self.n_times_truncated = self.n_windows * win_len
        if self.n_times_truncated != signal.n_times:
            warnings.warn(
                f"n_times={signal.n_times} is not a multiple of win_len={win_len}: the last "
                f"{signal.n_times - self.n_times_truncated} samples are dropped after filtering.",
                TruncationWarning,
                stacklevel=2,
            )

        # Submodule names (and creation order, for same-seed initialisation) follow
        # braindecode so that state_dicts are interchangeable.
        self.spectral_filtering = FilterBank(
            sfreq=signal.sfreq, bands=n_bands, verbose=verbose, **filter_parameters
        )
        self.n_bands = self.spectral_filtering.n_bands
        self.bands = self.spectral_filtering.bands
        self.spatial_conv = nn.Sequential(
            SpatialConv(self.n_bands, signal.n_chans, n_filters_spat),
            nn.BatchNorm1d(n_filters_spat),
            activation(),
        )
        self.temporal_layer = VarPool(win_len, log=True, unbiased=True, clamp=(1e-6, 1e6))
        self.attn_conv = LightweightAttention(
            n_filters_spat, self.n_windows, heads=heads, weight_softmax=weight_softmax, bias=bias
        )
        self.final_layer = nn.Linear(n_filters_spat, n_outputs)
        self._mixing_cache: tuple[tuple, tuple[torch.Tensor, torch.Tensor]] | None = None

    # ------------------------------------------------------------ signal properties
    @property
    def n_outputs(self) -> int:
        return self._n_outputs

    @property
    def n_chans(self) -> int:
        return self._n_chans

    @property
    def n_times(self) -> int:
        return self._n_times

    @property
    def sfreq(self) -> float:
        return self._sfreq

    @property
    def input_window_seconds(self) -> float:
        return self._input_window_seconds

    @property
    def chs_info(self) -> list[dict] | None:
        """Channel descriptions given at construction (``None`` when only ``n_chans`` was)."""
        return self._chs_info

    # ------------------------------------------------------------------ forward
    # Written for TorchScript too (torch.jit.script(model) compiles it): Python-side caches
    # live in methods marked @torch.jit.unused and are used only in eager mode.
    def filter_and_mix(self, x: torch.Tensor) -> torch.Tensor:
        """Filter bank + spatial conv: ``(B, C, T) -> (B, n_filters_spat, T)``, fused in the
        frequency domain when possible, else the plain two-step path."""
        conv = self.spatial_conv[0]
        bank = self.spectral_filtering
        if self.fused and bank.is_fir:
            n_fft = bank.fft_length_for(x)
            mixing = mixing_from_spectra(bank.spectra(n_fft, x.dtype), conv.weight, x.dtype)
            return apply_spectral_mixing(x, mixing, n_fft, conv.bias)
        return conv(bank(x))

    @torch.jit.unused
    def _folded_spatial(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """Eval-mode batch norm is affine, so it folds into the spatial weights and bias."""
        conv, bn = self.spatial_conv[0], self.spatial_conv[1]
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        weight = conv.weight.squeeze(-1) * scale[:, None, None]
        bias = (conv.bias - bn.running_mean) * scale + bn.bias
        return weight, bias

    @torch.jit.unused
    def _eval_mixing(self, n_fft: int, dtype: torch.dtype) -> Tuple[torch.Tensor, torch.Tensor]:
        """(mixing matrix, folded bias) for the eval-mode fused path. The mixing matrix is
        cached while the parameters it depends on are unchanged (in-place updates bump
        ``_version``; ``.to()`` changes ``data_ptr``), and only when no gradient flows to them
        and no graph is being traced or compiled."""
        conv, bn = self.spatial_conv[0], self.spatial_conv[1]
        sources = (conv.weight, conv.bias, bn.weight, bn.bias, bn.running_mean, bn.running_var)
        cacheable = not (torch.is_grad_enabled() and any(t.requires_grad for t in sources))
        if not cacheable or torch.jit.is_tracing() or torch.compiler.is_compiling():
            weight, bias = self._folded_spatial()
            return mixing_from_spectra(self.spectral_filtering.spectra(n_fft, dtype), weight, dtype), bias
        key = (n_fft, dtype) + tuple((t.data_ptr(), t._version) for t in sources)
        if self._mixing_cache is None or self._mixing_cache[0] != key:
            with torch.inference_mode(False), torch.no_grad():
                weight, bias = self._folded_spatial()
                mixing = mixing_from_spectra(self.spectral_filtering.spectra(n_fft, dtype), weight, dtype)
            self._mixing_cache = (key, (mixing, bias))
        return self._mixing_cache[1]

    def filter_mix_normalise(self, x: torch.Tensor) -> torch.Tensor:
        """Filter bank + spatial conv + batch norm: ``(B, C, T) -> (B, n_filters_spat, T)``.
        Fused in the frequency domain for FIR banks, with eval-mode batch norm folded in
        (eager mode; a scripted model applies the batch norm after the fused operator)."""
        bn = self.spatial_conv[1]
        if torch.jit.is_scripting():
            return bn(self.filter_and_mix(x))
        return self._filter_mix_normalise_eager(x)

    @torch.jit.unused
    def _filter_mix_normalise_eager(self, x: torch.Tensor) -> torch.Tensor:
        bn = self.spatial_conv[1]
        if not (self.fused and self.spectral_filtering.is_fir) or bn.training or not bn.track_running_stats:
            return bn(self.filter_and_mix(x))
        n_fft = self.spectral_filtering.fft_length_for(x)
        mixing, bias = self._eval_mixing(n_fft, x.dtype)
        return apply_spectral_mixing(x, mixing, n_fft, bias)

    def _check_input(self, x: torch.Tensor) -> torch.Tensor:
        """Shape checks with expected vs got, and the input in the model's dtype (float64
        from ``torch.from_numpy(epochs.get_data())`` is cast, not refused)."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f"FBLightConvNet takes a torch.Tensor of shape (batch, {self.n_chans}, {self.n_times}), "
                f"got {type(x).__module__}.{type(x).__name__}: convert it with "
                "torch.as_tensor(x, dtype=torch.float32), or use eegzoo.predict(model, data), "
                "which takes arrays and mne objects."
            )
        if x.dim() == 4 and x.shape[3] == 1:  # (batch, n_chans, n_times, 1), as braindecode accepts
            x = x.squeeze(3)
        if not torch.jit.is_tracing():  # a trace records tensors, not these Python-level checks
            self._check_shape(x)
        dtype = self.final_layer.weight.dtype
        return x if x.dtype == dtype else x.to(dtype)

    def _check_shape(self, x: torch.Tensor) -> None:
        """Rank, batch, channels, length and dtype, each with expected vs got."""
        if x.dim() != 3:
            raise ValueError(
                f"FBLightConvNet expects input of shape (batch, n_chans, n_times) = "
                f"(B, {self.n_chans}, {self.n_times}), got {shape_text(x)}."
            )
        if x.shape[0] == 0:
            raise ValueError(
                f"Input has no trials (shape {shape_text(x)}): pass at least one trial of "
                f"shape ({self.n_chans}, {self.n_times})."
            )
        if x.shape[1] != self.n_chans:
            raise ValueError(
                f"Input has {x.shape[1]} channels but the model was built for "
                f"n_chans={self.n_chans}."
            )
        if x.shape[2] < self.n_times_truncated:
            raise ValueError(
                f"Input has {x.shape[2]} samples, fewer than the {self.n_times_truncated} "
                f"the model needs (n_times={self.n_times}, win_len={self.win_len})."
            )
        if not x.is_floating_point():
            raise ValueError(f"Input must be a floating-point tensor, got dtype {x.dtype}.")
        if self.check_finite and not bool(torch.isfinite(x).all()):
            bad = (~torch.isfinite(x)).nonzero()[0]
            raise ValueError(
                f"Input contains NaN or Inf (first at batch {int(bad[0])}, channel {int(bad[1])}, "
                f"sample {int(bad[2])}); clean or interpolate bad samples before calling the model."
            )
        if x.shape[2] > self.n_times and not torch.jit.is_scripting():
            self._warn_longer_input(x.shape[2])

    @torch.jit.unused
    def _warn_longer_input(self, n_samples: int) -> None:
        warnings.warn(
            f"Input has {n_samples} samples, more than n_times={self.n_times}: after "
            f"filtering only the first {self.n_times_truncated} are used.",
            TruncationWarning,
            stacklevel=4,
        )

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the final linear layer: ``(B, C, T) -> (B, n_filters_spat)``."""
        x = self._check_input(x)
        x = self.filter_mix_normalise(x)[:, :, : self.n_times_truncated]
        x = self.spatial_conv[2](x)
        x = self.temporal_layer(x)
        return self.attn_conv(x)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """The final linear layer: ``(B, n_filters_spat) -> (B, n_outputs)`` raw logits."""
        return self.final_layer(features)

    def forward(self, x: torch.Tensor, return_features: bool = False) -> Union[torch.Tensor, Dict[str, torch.Tensor]]:
        if return_features:
            return self._features_and_logits(x)
        return self.forward_head(self.forward_features(x))

    def inference_module(self) -> nn.Module:
        """The frozen export form (:class:`eegzoo.models.inference.InferenceFBLightConvNet`)."""
        from eegzoo.models.inference import InferenceFBLightConvNet

        return InferenceFBLightConvNet(self)

    def describe(self) -> list[str]:
        bank = self.spectral_filtering
        bands = ", ".join(f"{lo:g}-{hi:g}" for lo, hi in bank.bands)
        return [
            f"1. **Filter bank** ({bank.method.upper()}, {bank.phase} phase, fixed): {bank.n_bands} bands [{bands}] Hz.",
            f"2. **Spatial convolution** over all bands and {self.n_chans} electrodes -> {self.n_filters_spat} spatial filters, batch norm, {self.activation.__name__}.",
            f"3. **Variance pooling**: log-variance over {self.n_windows} non-overlapping windows of {self.win_len} samples ({self.win_len / self.sfreq:g} s).",
            f"4. **Lightweight attention**: {self.heads} heads weigh the windows (softmax={self.weight_softmax}), channel c uses head c % {self.heads}.",
            f"5. **Linear head**: {self.n_filters_spat} -> {self.n_outputs} logits.",
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
                "n_dim": self.n_dim,
                "stride_factor": None,
                "win_len": self.win_len,
                "heads": self.heads,
                "weight_softmax": self.weight_softmax,
                "bias": self.bias,
                "activation": activation_path(self.activation),
                "verbose": self.verbose,
                "filter_parameters": self.filter_parameters or None,
                "fused": self.fused,
            }
        )
