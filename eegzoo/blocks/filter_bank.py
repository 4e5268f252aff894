"""Filter bank: split each EEG channel into frequency bands with fixed (not learned) filters.

The filters are designed by mne (``mne.filter.create_filter``) with the same defaults as
braindecode's ``FilterBankLayer``, and the state_dict keys are the same, so braindecode
weights load unchanged. Application differs on purpose in *how*, not *what*:

* FIR, zero phase: "same"-mode linear convolution with ZERO padding (output sample ``t``
  uses taps centred at offset ``(L - 1) // 2``), computed with one rFFT of the input for
  all bands (braindecode recomputes it per band).
* FIR, causal (``phase="forward"``): plain causal convolution ``y[t] = sum_k h[k] x[t-k]``.
* IIR: ``lfilter`` (causal) or the unpadded forward-backward ``filtfilt`` (zero phase), in
  float64. A zero-initial-state ``lfilter`` over ``T`` samples is exactly a causal
  convolution with the first ``T`` samples of the impulse response, so it runs as an
  FFT convolution in float64 rather than a sample-by-sample recursion.

FIR banks expose their kernels' spectra (:meth:`FilterBank.kernel_spectra`) so that the
fused spectral-spatial operator can reuse them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, Literal, Union

import numpy as np
import torch
from torch import nn

from eegzoo.core.bands import DEFAULT_BANDS, Band, BandsArg, check_bands, resolve_bands

_VALID_PHASES = ("zero", "zero-double", "forward", "causal")
_FILTER_KWARGS = (
    "method",
    "filter_length",
    "l_trans_bandwidth",
    "h_trans_bandwidth",
    "phase",
    "iir_params",
    "fir_window",
    "fir_design",
)


#: Longest FIR filter the bank designs (taps); beyond this the sampling rate or the
#: transition bands are almost certainly wrong (e.g. sfreq given in mHz).
MAX_FIR_TAPS = 1 << 20


def _check_fir_length(bands: Sequence[Band], sfreq: float, filter_length: Any, l_trans: Any, h_trans: Any) -> None:
    """Refuse designs whose filters would be absurdly long before mne allocates them."""
    if isinstance(filter_length, int) and not isinstance(filter_length, bool):
        taps = filter_length
    elif filter_length == "auto":
        widths = []
        for low, high in bands:
            widths.append(float(l_trans) if l_trans != "auto" else min(max(low * 0.25, 2.0), low))
            widths.append(float(h_trans) if h_trans != "auto" else min(max(high * 0.25, 2.0), sfreq / 2 - high))
        narrowest = min(widths)
        if not narrowest > 0:
            raise ValueError(f"Transition bandwidths must be > 0 Hz, got {narrowest:g}.")
        taps = math.ceil(3.3 * sfreq / narrowest)  # mne's rule for firwin + hamming
    else:
        return  # a time string: mne validates it
    if taps > MAX_FIR_TAPS:
        raise ValueError(
            f"The FIR filters would have about {taps:,} taps (sfreq={sfreq:g} Hz): is sfreq in "
            f"Hz? EEG is usually sampled at 100-2000 Hz. The limit is {MAX_FIR_TAPS:,} taps."
        )


def _design_band(
    sfreq: float, low: float, high: float, method: str, phase: str, iir_params: dict | None,
    filter_length: Any, l_trans_bandwidth: Any, h_trans_bandwidth: Any, fir_window: str,
    fir_design: str, verbose: bool,
) -> Any:
    """One mne design call; mne designs symmetric FIR taps for every FIR phase we support."""
    design_phase = phase
    if method == "iir" and phase == "causal":
        design_phase = "forward"
    elif method == "fir" and phase in ("forward", "causal"):
        design_phase = "zero"
    import mne  # heavy: imported when a bank is designed, not when eegzoo is imported

    return mne.filter.create_filter(
        data=None, sfreq=sfreq, l_freq=float(low), h_freq=float(high),
        filter_length=filter_length, l_trans_bandwidth=l_trans_bandwidth,
        h_trans_bandwidth=h_trans_bandwidth, method=method, iir_params=iir_params,
        phase=design_phase, fir_window=fir_window, fir_design=fir_design, verbose=verbose,
    )


def _buffer_list(tensors: Sequence[torch.Tensor]) -> nn.Module:
    """A container whose buffers are named "0", "1", ... (state_dict keys ``<name>.<i>``)."""
    holder = nn.Module()
    for i, t in enumerate(tensors):
        holder.register_buffer(str(i), t)
    return holder


def fast_fft_length(n: int) -> int:
    """Smallest length >= ``n`` of the form ``2**a``, ``3 * 2**a`` or ``5 * 2**a``: torch's
    CPU rFFT is up to 3x faster there than at other 5-smooth lengths (e.g. 1280 vs 1215)."""
    n = max(int(n), 1)
    return min(m << max(0, math.ceil(math.log2(n / m))) for m in (1, 3, 5))


class FilterBank(nn.Module):
    """Band-pass every channel into ``n_bands`` bands: ``(B, C, T) -> (B, n_bands, C, T)``.

    Args:
        sfreq: sampling frequency in Hz the filters are designed for.
        bands: ``None`` (nine 4 Hz bands over 4-40 Hz), an int N (N equal bands over
            4-40 Hz) or a list of ``(low, high)`` Hz pairs.
        method: ``"fir"`` (default) or ``"iir"`` (mne's 4th-order Butterworth unless
            ``iir_params`` says otherwise; always in "ba" form).
        phase: ``"zero"`` (non-causal, default) or ``"forward"``/``"causal"``.
        filter_length, l_trans_bandwidth, h_trans_bandwidth, iir_params, fir_window,
        fir_design: passed to ``mne.filter.create_filter``.
        verbose: let mne log the filter design.
    """

    def __init__(
        self,
        sfreq: float,
        bands: BandsArg = None,
        method: Literal["fir", "iir"] = "fir",
        filter_length: str | int = "auto",
        l_trans_bandwidth: str | float = "auto",
        h_trans_bandwidth: str | float = "auto",
        phase: Literal["zero", "zero-double", "forward", "causal"] = "zero",
        iir_params: dict | None = None,
        fir_window: str = "hamming",
        fir_design: str = "firwin",
        verbose: bool = False,
    ) -> None:
        super().__init__()
        if isinstance(sfreq, bool) or not isinstance(sfreq, (int, float)) or not sfreq > 0:
            raise ValueError(f"sfreq must be a positive number of Hz, got {sfreq!r}.")
        if method not in ("fir", "iir"):
            raise ValueError(f"filter method must be 'fir' or 'iir', got {method!r}.")
        if phase not in _VALID_PHASES:
            raise ValueError(
                f"filter phase must be one of {_VALID_PHASES}, got {phase!r} "
                "('minimum' phase FIR is not supported by the filter bank)."
            )
        if method == "fir" and phase == "zero-double":
            raise ValueError("phase='zero-double' is only meaningful with method='iir'.")
        self.sfreq = float(sfreq)
        self.bands: list[Band] = resolve_bands(bands)
        check_bands(self.bands, self.sfreq)
        self.n_bands = len(self.bands)
        self.method = method
        self.phase = phase
        self.causal = phase in ("forward", "causal")
        if method == "iir":
            iir_params = dict(iir_params) if iir_params is not None else {}
            if iir_params.get("output", "ba") != "ba":
                warnings.warn(
                    "The filter bank applies IIR filters as (b, a) coefficients; "
                    f"iir_params['output']={iir_params['output']!r} is changed to 'ba'.",
                    UserWarning,
                    stacklevel=2,
                )
            iir_params["output"] = "ba"

        if method == "fir":
            _check_fir_length(self.bands, self.sfreq, filter_length, l_trans_bandwidth, h_trans_bandwidth)
        designs = [
            _design_band(
                self.sfreq, low, high, method, phase, iir_params, filter_length,
                l_trans_bandwidth, h_trans_bandwidth, fir_window, fir_design, verbose,
            )
            for low, high in self.bands
        ]
        if method == "fir":
            taps = [torch.from_numpy(np.asarray(d, dtype=np.float64)).float() for d in designs]
            # ``fir_a_list`` holds the trivial denominators [1, 0, ..., 0]; it carries no
            # information and exists so that braindecode state_dicts load strictly.
            denominators = [torch.nn.functional.pad(torch.ones(1), (0, t.numel() - 1)) for t in taps]
            self.fir_list = _buffer_list(taps)
            self.fir_a_list = _buffer_list(denominators)
        else:
            self.b_list = _buffer_list(
                [torch.as_tensor(np.asarray(d["b"]), dtype=torch.float64) for d in designs]
            )
            self.a_list = _buffer_list(
                [torch.as_tensor(np.asarray(d["a"]), dtype=torch.float64) for d in designs]
            )
        self._spectra_cache: dict[tuple, torch.Tensor] = {}
        self._fft_lengths: dict[int, int] = {}
        self._impulse_cache: dict[tuple, torch.Tensor] = {}
        self.register_load_state_dict_post_hook(self._forget_cached_spectra)

    # ------------------------------------------------------------------ helpers
    def _forget_cached_spectra(self, *args: Any, **kwargs: Any) -> None:
        """Loaded taps replace the designed ones: cached spectra must be recomputed."""
        self._spectra_cache.clear()
        self._impulse_cache.clear()

    def _apply(self, fn: Any, recurse: bool = True) -> "FilterBank":
        # .to()/.cuda()/.double() move the buffers; cached spectra follow on next use.
        self._spectra_cache.clear()
        self._impulse_cache.clear()
        return super()._apply(fn, recurse)

    @property
    def is_fir(self) -> bool:
        return self.method == "fir"

    def taps(self) -> list[torch.Tensor]:
        """FIR taps of every band (float32, designed or loaded)."""
        if not self.is_fir:
            raise AttributeError("An IIR filter bank has (b, a) coefficients, not FIR taps.")
        return [getattr(self.fir_list, str(i)) for i in range(self.n_bands)]

    def _fir_offsets(self) -> list[int]:
        """Index of the tap aligned with output sample ``t`` ("same" mode or causal)."""
        return [0 if self.causal else (t.numel() - 1) // 2 for t in self.taps()]

    def fft_length(self, n_times: int) -> int:
        """An rFFT length for which circular convolution equals the zero-padded linear one
        over the first ``n_times`` output samples, for every band (tap counts are fixed by
        the design, so this is computed once per ``n_times``)."""
        n_fft = self._fft_lengths.get(n_times)
        if n_fft is None:
            taps = self.taps()
            reach_back = max(t.numel() - 1 - s for t, s in zip(taps, self._fir_offsets()))
            reach_ahead = max(self._fir_offsets())
            n_fft = fast_fft_length(n_times + max(reach_back, reach_ahead, 1))
            self._fft_lengths[n_times] = n_fft
        return n_fft

    def kernel_spectra(
        self, n_fft: int, device: torch.device | None = None, dtype: torch.dtype = torch.complex64
    ) -> torch.Tensor:
        """rFFT of every band's kernel, aligned so that ``irfft(X * H)[:T]`` is the filtered
        signal: complex ``(n_bands, n_fft // 2 + 1)``, cached per length, device and dtype."""
        taps = self.taps()
        device = device if device is not None else taps[0].device
        key = (n_fft, str(device), dtype)
        cached = self._spectra_cache.get(key)
        if cached is None:
            # Built outside inference mode: a cache filled under torch.inference_mode() would
            # hold inference tensors that a later training step cannot use.
            with torch.inference_mode(False), torch.no_grad():
                kernels = torch.zeros(self.n_bands, n_fft, dtype=torch.float64, device=device)
                for b, (t, s) in enumerate(zip(taps, self._fir_offsets())):
                    # Kernel index j = k - s for tap k: negative indices wrap to the end.
                    idx = (torch.arange(t.numel(), device=device) - s) % n_fft
                    kernels[b, idx] = t.to(device=device, dtype=torch.float64)
                cached = torch.fft.rfft(kernels, n=n_fft).to(dtype)
            self._spectra_cache[key] = cached
        return cached

    def impulse_responses(self, n_times: int, device: torch.device) -> torch.Tensor:
        """First ``n_times`` samples of every IIR band's impulse response (float64)."""
        key = (n_times, str(device))
        cached = self._impulse_cache.get(key)
        if cached is None:
            from scipy.signal import lfilter

            impulse = np.zeros(n_times)
            impulse[0] = 1.0
            rows = []
            for i in range(self.n_bands):
                b = getattr(self.b_list, str(i)).detach().cpu().double().numpy()
                a = getattr(self.a_list, str(i)).detach().cpu().double().numpy()
                rows.append(lfilter(b / a[0], a / a[0], impulse))
            with torch.inference_mode(False):
                cached = torch.as_tensor(np.stack(rows), dtype=torch.float64, device=device)
            self._impulse_cache[key] = cached
        return cached

    # ------------------------------------------------------------------ forward
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3:
            raise ValueError(
                f"FilterBank expects (batch, n_chans, n_times), got shape {tuple(x.shape)}."
            )
        if self.is_fir:
            return self._forward_fir(x)
        return self._forward_iir(x)

    def _forward_fir(self, x: torch.Tensor) -> torch.Tensor:
        n_times = x.shape[-1]
        n_fft = self.fft_length(n_times)
        spectrum = torch.fft.rfft(x, n=n_fft)  # (B, C, K)
        kernels = self.kernel_spectra(n_fft, x.device, spectrum.dtype)  # (nb, K)
        filtered = torch.fft.irfft(spectrum.unsqueeze(1) * kernels[None, :, None, :], n=n_fft)
        return filtered[..., :n_times].to(x.dtype)

    def _forward_iir(self, x: torch.Tensor) -> torch.Tensor:
        # float64 throughout: IIR band-passes with poles near the unit circle lose all
        # precision (or diverge) in float32.
        n_times = x.shape[-1]
        h = self.impulse_responses(n_times, x.device)  # (nb, T)
        n_fft = fast_fft_length(2 * n_times - 1)
        h_spec = torch.fft.rfft(h, n=n_fft)[:, None, :]  # (nb, 1, K)

        def causal(sig: torch.Tensor) -> torch.Tensor:
            return torch.fft.irfft(torch.fft.rfft(sig, n=n_fft) * h_spec, n=n_fft)[..., :n_times]

        y = causal(x.double().unsqueeze(1))  # (B, nb, C, T)
        if not self.causal:
            y = causal(y.flip(-1)).flip(-1)
        return y.to(x.dtype)

    def extra_repr(self) -> str:
        bands = ", ".join(f"({lo:g}, {hi:g})" for lo, hi in self.bands)
        return f"sfreq={self.sfreq:g}, method={self.method!r}, phase={self.phase!r}, bands=[{bands}]"
