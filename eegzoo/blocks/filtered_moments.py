"""Batch statistics of filtered signals, computed without filtering them.

A training-mode batch norm after a bank of temporal filters (EEGNet's first block) needs,
per filter, the mean and variance of the filtered signals over batch, electrodes and time.
Both are quadratic in the filter taps: ``mean_f = h_f . s / n`` and
``E[y_f^2] = h_f' G h_f / n``, where ``s`` holds the window sums and ``G`` the window
cross-products of the input, shared by every filter. Building ``s`` and ``G`` costs a few
FFTs and two small matrix products; filtering every electrode with every filter costs
``n_filters * n_taps`` multiply-adds per sample, and is what these statistics let a
model skip (see :class:`eegzoo.models.eegnet.EEGNet`).
"""

from __future__ import annotations

import torch

from eegzoo.blocks.filter_bank import fast_fft_length


def _lagged_products(x: torch.Tensor, start: int, stop: int, padding: int, n_taps: int) -> torch.Tensor:
    """``out[u - start, d] = sum over signals of xp[u] * xp[u + d]`` for ``u`` in
    ``[start, stop)`` and lags ``d`` in ``[0, n_taps)``, where ``xp`` is ``x`` (signals
    ``(N, T)``) zero-padded by ``padding`` on the left and as far as needed on the right."""
    n_times = x.shape[-1]
    out = x.new_zeros(stop - start, n_taps)
    # only samples of x itself (not the zero padding) contribute
    first, last = max(start, padding), min(stop, padding + n_times)
    if first >= last:
        return out
    left = x[:, first - padding : last - padding]  # (N, R)
    right = x[:, first - padding : min(last - padding + n_taps - 1, n_times)]  # clipped at x's end
    right = torch.nn.functional.pad(right, (0, last - first + n_taps - 1 - right.shape[1]))  # (N, R + K - 1)
    products = left.T @ right  # products[i, j] = sum xp[first + i] * xp[first + j]
    index = torch.arange(last - first, device=x.device)[:, None] + torch.arange(n_taps, device=x.device)[None, :]
    out[first - start : last - start] = products.gather(1, index)
    return out


def filtered_moments(x: torch.Tensor, kernels: torch.Tensor, padding: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and biased variance, per kernel, of ``fft_correlate(x, kernels, padding)``
    (``x`` ``(..., T)``, ``kernels`` ``(F, K)``) over every leading index of ``x`` and every
    output sample: what a training-mode batch norm over the filtered maps computes.

    The statistics are accumulated in float64 (EEG often rides on offsets far larger than
    its variance, where ``E[y^2] - mean^2`` in float32 would cancel to noise) and returned
    in ``kernels``' dtype; autograd differentiates them with respect to the kernels (and
    ``x``, if it requires gradients).
    """
    n_times, n_taps = x.shape[-1], kernels.shape[-1]
    n_out = n_times + 2 * padding - n_taps + 1
    signals = x.reshape(-1, n_times)
    h = kernels.double()
    count = signals.shape[0] * n_out
    k = torch.arange(n_taps, device=x.device)

    # first moment: window sums of the summed signal, S1[k] = sum_{t < n_out} s[t + k - padding]
    exact = signals.double()
    summed = torch.nn.functional.pad(exact.sum(0), (padding, n_taps))
    cumulative = torch.nn.functional.pad(summed.cumsum(0), (1, 0))
    mean = h @ (cumulative[k + n_out] - cumulative[k]) / count

    # second moment: G[k, k + d] = sum_{t < n_out} R_d[t + k] with R_d[u] = sum xp[u] xp[u + d]
    # = (autocorrelation at lag d) - (R_d before the window) - (R_d after it)
    head = _lagged_products(exact, 0, n_taps - 1, padding, n_taps)  # u in [0, K-1)
    tail = _lagged_products(exact, n_out, n_out + n_taps - 1, padding, n_taps)  # u in [n_out, n_out + K - 1)
    head_before = torch.nn.functional.pad(head.cumsum(0), (0, 0, 1, 0))  # [k] = sum_{u < k}
    tail_from = torch.nn.functional.pad(tail.flip(0).cumsum(0).flip(0), (0, 0, 0, 1))  # [k] = sum_{u >= n_out + k}
    d = (k[None, :] - k[:, None]).abs()  # G[k, l] has lag |l - k|, its window starts at min(k, l)
    low = torch.minimum(k[:, None], k[None, :])
    upper = _autocorrelation(signals, exact, n_taps)[d] - head_before[low, d] - tail_from[low, d]
    second = torch.einsum("fk,kl,fl->f", h, upper, h) / count
    variance = (second - mean.square()).clamp_min(0)
    return mean.to(kernels.dtype), variance.to(kernels.dtype)


def _autocorrelation(signals: torch.Tensor, exact: torch.Tensor, n_lags: int) -> torch.Tensor:
    """``r[d] = sum over signals and i of x[i] x[i + d]`` for ``d < n_lags``, in float64
    (``exact``: the signals in float64).

    Each signal is split into its mean ``m`` and the rest ``z``: the FFT, in the input's
    precision, sees only ``z`` (an offset would swamp it), and the terms with ``m`` are
    exact sums: ``r[d] = r_z[d] + m (Z[T - d] - Z[d]) + (T - d) m^2`` with ``Z`` the
    prefix sums of ``z`` (``Z[T] = 0``)."""
    n_times = signals.shape[-1]
    n_in = min(n_lags, n_times)  # lags past the signal's end give 0
    means = exact.mean(-1, keepdim=True)  # (N, 1)
    n_fft = fast_fft_length(n_times + n_in)
    spectrum = torch.view_as_real(torch.fft.rfft(signals - means.to(signals.dtype), n=n_fft))  # (N, F, 2)
    power = spectrum.square().flatten(1).sum(0).view(-1, 2).sum(-1)
    r_rest = torch.fft.irfft(power, n=n_fft)[:n_in].double()
    # prefix sums Z[d] and Z[T - d] of z for d < n_in (exact, float64)
    z_start = torch.nn.functional.pad((exact[:, : n_in - 1] - means).cumsum(-1), (1, 0))
    z_end = -(exact[:, n_times - n_in :] - means).flip(-1).cumsum(-1)  # Z[T - d] = -sum_{i >= T - d} z[i], d >= 1
    z_end = torch.nn.functional.pad(z_end[:, :-1], (1, 0))  # d = 0: Z[T] = 0
    cross = means[:, 0] @ (z_end - z_start)
    lags = torch.arange(n_in, device=signals.device)
    offset = (n_times - lags) * means.square().sum()
    return torch.nn.functional.pad(r_rest + cross + offset, (0, n_lags - n_in))
