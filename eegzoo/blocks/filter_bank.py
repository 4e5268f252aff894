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
from typing import Any, List, Literal, Optional, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from eegzoo.blocks.shapes import shape_text
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
        ratio = 3.3 * sfreq / narrowest  # mne's rule for firwin + hamming
        taps = math.ceil(ratio) if math.isfinite(ratio) else MAX_FIR_TAPS + 1  # a ~0 Hz edge: endless filters
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
    CPU rFFT is up to 3x faster there than at other 5-smooth lengths (e.g. 1280 vs 1215).
    Written with plain loops so that TorchScript compiles it."""
    n = max(n, 1)
    best = -1
    for m in [1, 3, 5]:
        length = m
        while length < n:
            length *= 2
        if best < 0 or length < best:
            best = length
    return best


def real_dtype(dtype: torch.dtype) -> torch.dtype:
    """The real dtype of a complex one (and real dtypes unchanged)."""
    if dtype == torch.complex128:
        return torch.float64
    if dtype == torch.complex64:
        return torch.float32
    return dtype


def _graph_mode() -> bool:
    """Tracing or compiling (torch.jit.trace, torch.export, torch.compile): Python-side
    caches must not be read or filled, or the graph would bake in (or assign) them."""
    return torch.jit.is_tracing() or torch.compiler.is_compiling()


class FilterBank(nn.Module):
    """Band-pass every channel into ``n_bands`` bands: ``(B, C, T) -> (B, n_bands, C, T)``.

    Args:
        sfreq: sampling frequency in Hz the filters are designed for.
        bands: ``None`` (nine 4 Hz bands over 4-40 Hz), an int N (N equal bands over
            4-40 Hz) or a list of ``(low, high)`` Hz pairs.
        method: ``"fir"`` (default) or ``"iir"`` (mne's 4th-order Butterworth unless
            ``iir_params`` says otherwise; always in "ba" form).
        phase: ``"zero"`` (non-causal, default) or ``"forward"``/``"causal"``.
        filter_length, l_trans_bandwidth, h_trans_bandwidth, iir_params, fir_window, fir_design: passed to
            ``mne.filter.create_filter``.
        verbose: let mne log the filter design.
    """

    #: Python-side caches, not part of a scripted module.
    __jit_ignored_attributes__ = ["_spectra_cache", "_impulse_cache"]

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
        n_chans: int | None = None,
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
        self.is_fir: bool = method == "fir"
        self.bands: list[Band] = resolve_bands(bands)
        check_bands(self.bands, self.sfreq)
        self.n_bands = len(self.bands)
        self.method = method
        self.method_iir = method == "iir"  # braindecode's FilterBankLayer attributes
        self.n_chans = n_chans  # informative: the bank filters any number of channels
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
            offsets = [0 if self.causal else (t.numel() - 1) // 2 for t in taps]
            #: Every band's kernel in one frame: column ``kernel_origin + j`` holds the tap
            #: applied to ``x[t - j]`` (negative ``j``: samples ahead, zero phase). Derived
            #: from ``fir_list`` (not saved), so a scripted or traced forward can build the
            #: kernels' spectra from tensors alone.
            self.kernel_origin: int = max(offsets)
            width = self.kernel_origin + max(t.numel() - s for t, s in zip(taps, offsets))
            self.kernel_width: int = width
            self.register_buffer("kernel", torch.zeros(self.n_bands, width), persistent=False)
            self._fill_kernel()
        else:
            self.b_list = _buffer_list(
                [torch.as_tensor(np.asarray(d["b"]), dtype=torch.float64) for d in designs]
            )
            self.a_list = _buffer_list(
                [torch.as_tensor(np.asarray(d["a"]), dtype=torch.float64) for d in designs]
            )
            self.kernel_origin = 0
            self.kernel_width = 1
            self.register_buffer("kernel", torch.zeros(self.n_bands, 1), persistent=False)
        self._spectra_cache: dict[tuple, torch.Tensor] = {}
        self._fft_lengths: dict[int, int] = {}
        self._impulse_cache: dict[tuple, torch.Tensor] = {}
        self.register_load_state_dict_post_hook(self._forget_cached_spectra)

    # ------------------------------------------------------------------ helpers
    def _forget_cached_spectra(self, *args: Any, **kwargs: Any) -> None:
        """Loaded taps replace the designed ones: the kernel frame is refilled and cached
        spectra are recomputed."""
        self._spectra_cache.clear()
        self._impulse_cache.clear()
        if self.is_fir:
            self._fill_kernel()

    @torch.jit.unused
    def _fill_kernel(self) -> None:
        with torch.no_grad():
            self.kernel.zero_()
            for b, (t, s) in enumerate(zip(self.taps(), self._fir_offsets())):
                start = self.kernel_origin - s
                self.kernel[b, start : start + t.numel()] = t.to(self.kernel.dtype)

    def _apply(self, fn: Any, recurse: bool = True) -> "FilterBank":
        # .to()/.cuda()/.double() move the buffers; cached spectra follow on next use.
        self._spectra_cache.clear()
        self._impulse_cache.clear()
        return super()._apply(fn, recurse)

    @torch.jit.unused
    def taps(self) -> List[torch.Tensor]:
        """FIR taps of every band (float32, designed or loaded)."""
        if not self.is_fir:
            raise AttributeError("An IIR filter bank has (b, a) coefficients, not FIR taps.")
        return [getattr(self.fir_list, str(i)) for i in range(self.n_bands)]

    @torch.jit.unused
    def _fir_offsets(self) -> List[int]:
        """Index of the tap aligned with output sample ``t`` ("same" mode or causal)."""
        return [0 if self.causal else (t.numel() - 1) // 2 for t in self.taps()]

    def fft_length(self, n_times: int) -> int:
        """An rFFT length for which circular convolution equals the zero-padded linear one
        over the first ``n_times`` output samples, for every band."""
        reach_ahead = self.kernel_origin
        reach_back = self.kernel_width - 1 - self.kernel_origin
        return fast_fft_length(n_times + max(reach_back, reach_ahead, 1))

    def fft_length_for(self, x: torch.Tensor) -> int:
        """:meth:`fft_length` of ``x``'s last axis. While tracing, sizes are traced tensors
        and the length is a constant of the trace (the traced graph is specialised to the
        example's length), so the tracer's warnings about it are silenced."""
        if torch.jit.is_scripting():
            return self.fft_length(x.shape[-1])
        return self._fft_length_quietly(x.shape[-1])

    @torch.jit.unused
    def _fft_length_quietly(self, n_times: int) -> int:
        if not torch.jit.is_tracing():
            return self.fft_length(n_times)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            return int(self.fft_length(n_times))

    def spectrum_parts(self, n_fft: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Real and imaginary parts of every band's kernel rFFT, aligned so that
        ``irfft(X * H)[:T]`` is the filtered signal: ``(n_bands, n_fft // 2 + 1, 2)`` in the
        real ``dtype``, computed in float64 from the taps (no cache: usable in scripted,
        traced and exported graphs, which cannot hold complex casts or Python caches)."""
        index = torch.remainder(torch.arange(self.kernel_width, device=self.kernel.device) - self.kernel_origin, n_fft)
        kernels = torch.zeros(self.n_bands, n_fft, dtype=torch.float64, device=self.kernel.device)
        # index_add: taps that wrap onto the same bin (n_fft shorter than a kernel) add up,
        # as circular convolution does
        kernels = kernels.index_add(1, index, self.kernel.to(torch.float64))
        return torch.view_as_real(torch.fft.rfft(kernels, n=n_fft)).to(dtype)

    def spectra(self, n_fft: int, dtype: torch.dtype) -> torch.Tensor:
        """:meth:`spectrum_parts` as parts, cached in eager mode (per length, device, dtype)."""
        if torch.jit.is_scripting():
            return self.spectrum_parts(n_fft, real_dtype(dtype))
        return torch.view_as_real(self.kernel_spectra(n_fft, self.kernel.device, _complex_dtype(dtype)))

    @torch.jit.unused
    def kernel_spectra(
        self, n_fft: int, device: Optional[torch.device] = None, dtype: torch.dtype = torch.complex64
    ) -> torch.Tensor:
        """rFFT of every band's kernel, complex ``(n_bands, n_fft // 2 + 1)``, cached per
        length, device and dtype in eager mode (recomputed while tracing or compiling)."""
        device = device if device is not None else self.kernel.device
        if _graph_mode():
            return torch.view_as_complex(self.spectrum_parts(n_fft, real_dtype(dtype)).to(device).contiguous())
        key = (n_fft, str(device), dtype)
        cached = self._spectra_cache.get(key)
        if cached is None:
            # Built outside inference mode: a cache filled under torch.inference_mode() would
            # hold inference tensors that a later training step cannot use.
            with torch.inference_mode(False), torch.no_grad():
                parts = self.spectrum_parts(n_fft, torch.float64).to(device)
                cached = torch.view_as_complex(parts.contiguous()).to(dtype)
            self._spectra_cache[key] = cached
        return cached

    @torch.jit.unused
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
            raise ValueError(f"FilterBank expects (batch, n_chans, n_times), got shape {shape_text(x)}.")
        if self.is_fir:
            return self._forward_fir(x)
        if torch.jit.is_scripting():
            raise RuntimeError("IIR filter banks run in eager mode only (TorchScript cannot compute their impulse responses).")
        return self._forward_iir(x)

    def _forward_fir(self, x: torch.Tensor) -> torch.Tensor:
        n_times = x.shape[-1]
        n_fft = self.fft_length_for(x)
        spectrum = torch.fft.rfft(x, n=n_fft)  # (B, C, K)
        kernels = torch.view_as_complex(self.spectra(n_fft, spectrum.dtype).contiguous())  # (nb, K)
        filtered = torch.fft.irfft(spectrum.unsqueeze(1) * kernels[None, :, None, :], n=n_fft)
        return filtered[..., :n_times].to(x.dtype)

    @torch.jit.unused
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

    def inference_module(self) -> nn.Module:
        """The bank as one fixed ``Conv1d`` over every band's taps in a common frame: what
        the export forms use (no ``torch.fft``, so both ONNX exporters take it)."""
        if not self.is_fir:
            raise ValueError(
                "The export form needs a FIR filter bank; this one uses IIR filters "
                "(filter_parameters={'method': 'iir'}), which only run in eager mode."
            )
        return FrozenFilterBank(self)

    def extra_repr(self) -> str:
        bands = ", ".join(f"({lo:g}, {hi:g})" for lo, hi in self.bands)
        return f"sfreq={self.sfreq:g}, method={self.method!r}, phase={self.phase!r}, bands=[{bands}]"


def _complex_dtype(dtype: torch.dtype) -> torch.dtype:
    if dtype in (torch.float64, torch.complex128):
        return torch.complex128
    return torch.complex64


class FrozenFilterBank(nn.Module):
    """A FIR :class:`FilterBank` as a fixed cross-correlation: ``(B, C, T) -> (B, n_bands, C, T)``.

    Output sample ``t`` of band ``b`` is ``sum_k h_b[k] x[t - k + s_b]``; over ``x`` padded
    by ``(left, right)`` its kernel holds ``h_b[k]`` at index ``left + s_b - k``. Built from
    plain ``conv1d``, it scripts, traces and exports (both ONNX exporters) with a dynamic
    batch, and holds only the taps."""

    def __init__(self, bank: FilterBank) -> None:
        super().__init__()
        self.n_bands: int = bank.n_bands
        frame = bank.kernel.detach().float()  # column origin + j: tap applied to x[t - j]
        self.left: int = frame.shape[1] - 1 - bank.kernel_origin
        self.right: int = bank.kernel_origin
        # conv1d correlates: weight index i multiplies x[t + i - left], i.e. j = left - i
        self.register_buffer("weight", frame.flip(-1)[:, None, :].clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, n_chans, n_times = x.shape[0], x.shape[1], x.shape[2]
        padded = F.pad(x.reshape(-1, 1, n_times), (self.left, self.right))
        bands = F.conv1d(padded, self.weight.to(x.dtype))  # (B * C, nb, T)
        return bands.reshape(batch, n_chans, self.n_bands, n_times).transpose(1, 2)
