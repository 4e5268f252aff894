"""The blocks EEGNet, ShallowFBCSPNet and FBCNet are built from, against direct references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from eegzoo.blocks import (
    DepthwiseSpatialConv,
    DepthwiseTemporalConv,
    FilterBank,
    MaxNorm,
    MaxNormLinear,
    SafeLog,
    Square,
    TemporalSpatialConv,
    VarPool,
    bandwise_filter_batch_norm,
    constrain_max_norm,
    spectral_bandwise_filter,
)
from eegzoo.blocks.fft_correlate import fft_correlate
from eegzoo.blocks.filtered_moments import filtered_moments
from eegzoo.blocks.padded_rfft import padded_rfft
from eegzoo.blocks.spectral_product import real_arithmetic_product, spectral_product


def test_max_norm_rescales_only_rows_above_the_limit():
    weight = torch.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, 2.0]])  # row norms 5, 0.5, 2
    out = MaxNorm(1.0)(weight).numpy()
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), [1.0, 0.5, 1.0], rtol=1e-6)
    np.testing.assert_allclose(out[1], [0.3, 0.4])
    np.testing.assert_allclose(out[0], np.array([3.0, 4.0]) / 5.0, rtol=1e-6)
    with pytest.raises(ValueError, match="max_norm must be a positive number, got 0"):
        MaxNorm(0)


def test_max_norm_parametrization_keys_and_gradient():
    layer = MaxNormLinear(4, 3, max_norm=0.1)
    assert set(layer.state_dict()) == {"bias", "parametrizations.weight.original"}
    with torch.no_grad():
        layer.parametrizations.weight.original.fill_(1.0)  # every row has norm 2 > 0.1
    assert torch.allclose(layer.weight.norm(dim=1), torch.full((3,), 0.1), atol=1e-6)
    layer(torch.randn(5, 4)).sum().backward()
    assert layer.parametrizations.weight.original.grad is not None
    conv = constrain_max_norm(torch.nn.Conv1d(2, 2, 3), 0.5)
    assert conv.weight.flatten(1).norm(dim=1).max() <= 0.5 + 1e-6


def test_depthwise_spatial_conv_filters_each_map_separately():
    conv = DepthwiseSpatialConv(n_maps=3, n_chans=4, depth=2, bias=True)
    x = torch.randn(2, 3, 4, 50)
    out = conv(x)
    assert out.shape == (2, 6, 1, 50)
    w, b = conv.filters(), conv.bias.view(3, 2)
    expected = torch.einsum("bmct,mdc->bmdt", x, w) + b[None, :, :, None]
    torch.testing.assert_close(out[:, :, 0], expected.reshape(2, 6, 50), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"expects \(batch, n_maps, n_chans, n_times\) = \(B, 3, 4, T\), got \(2, 3, 5, 50\)"):
        conv(torch.randn(2, 3, 5, 50))


@pytest.mark.parametrize("kernel", [16, 15])
def test_depthwise_temporal_conv_is_per_map_same_padded_correlation(kernel):
    conv = DepthwiseTemporalConv(3, kernel)
    x = torch.randn(2, 3, 1, 40)
    out = conv(x).detach().numpy()
    assert out.shape[-1] == 40 + (kernel % 2 == 0)
    xp = np.pad(x.numpy(), ((0, 0), (0, 0), (0, 0), (kernel // 2, kernel // 2)))
    w = conv.weight.detach().numpy()[:, 0, 0]
    for m in range(3):
        ref = np.correlate(xp[1, m, 0], w[m], mode="valid")
        np.testing.assert_allclose(out[1, m, 0], ref, rtol=1e-5, atol=1e-5)


def test_temporal_spatial_conv_equals_the_two_step_convolution():
    block = TemporalSpatialConv(n_chans=5, n_filters_time=6, n_filters_spat=4, filter_time_length=7)
    with torch.no_grad():
        block.conv_time.bias.normal_()
        block.conv_spat.bias.normal_()
    x = torch.randn(3, 5, 60)
    two_step = block.conv_spat(block.conv_time(x.transpose(1, 2).unsqueeze(1)))  # braindecode's layout
    torch.testing.assert_close(block(x), two_step[..., 0], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="needs at least filter_time_length=7 samples, got 5"):
        block(torch.randn(1, 5, 5))


def test_square_and_safe_log():
    x = torch.tensor([-2.0, 0.0, 3.0])
    assert torch.equal(Square()(x), torch.tensor([4.0, 0.0, 9.0]))
    torch.testing.assert_close(SafeLog(1e-6)(x), torch.log(torch.tensor([1e-6, 1e-6, 3.0])))
    with pytest.raises(ValueError, match="eps must be a positive number"):
        SafeLog(-1.0)


def test_var_pool_standard_deviation():
    x = torch.randn(2, 3, 100)
    torch.testing.assert_close(VarPool(25, log=False, clamp=None, std=True)(x), x.unflatten(-1, (4, 25)).std(-1))
    with pytest.raises(ValueError, match="choose log=True .* or std=True, not both"):
        VarPool(25, log=True, std=True)


@pytest.mark.parametrize("depth,phase", [(2, "zero"), (8, "zero"), (3, "forward")])
def test_spectral_bandwise_filter_equals_filter_bank_then_grouped_conv(depth, phase):
    bank = FilterBank(250.0, 4, phase=phase)
    conv = DepthwiseSpatialConv(bank.n_bands, 5, depth, bias=True)
    x = torch.randn(2, 5, 300) * 3
    two_step = conv(bank(x))[:, :, 0]
    torch.testing.assert_close(spectral_bandwise_filter(x, bank, conv.weight, conv.bias), two_step, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="needs a FIR filter bank"):
        spectral_bandwise_filter(x, FilterBank(250.0, 4, method="iir"), conv.weight)


def test_gradients_of_the_fused_bandwise_filter_match_the_two_step_path():
    bank = FilterBank(250.0, 3)
    conv = DepthwiseSpatialConv(3, 4, 2, bias=True)
    x = torch.randn(2, 4, 200)
    fused = spectral_bandwise_filter(x, bank, conv.weight, conv.bias).square().sum()
    (gw_fused,) = torch.autograd.grad(fused, conv.weight)
    plain = conv(bank(x)).square().sum()
    (gw_plain,) = torch.autograd.grad(plain, conv.weight)
    torch.testing.assert_close(gw_fused, gw_plain, rtol=1e-4, atol=1e-4)
    assert F.cosine_similarity(gw_fused.flatten(), gw_plain.flatten(), dim=0) > 0.9999


@pytest.mark.parametrize("momentum,affine,offset", [(0.1, True, 0.0), (None, True, 50.0), (0.01, False, 5.0)])
def test_bandwise_filter_batch_norm_equals_batch_norm_of_the_filtered_maps(momentum, affine, offset):
    """Output, gradients and running statistics of the folded training-mode batch norm equal
    ``BatchNorm1d`` on the two-step maps, DC offsets included; two steps move the running
    statistics alike."""
    torch.manual_seed(0)
    bank = FilterBank(250.0, 3)
    conv = DepthwiseSpatialConv(3, 4, 6, bias=True, max_norm=0.5)
    bns = [torch.nn.BatchNorm1d(18, momentum=momentum, affine=affine) for _ in range(2)]
    if affine:
        with torch.no_grad():
            for bn in bns:
                bn.weight.copy_(torch.linspace(0.5, 2.0, 18))
                bn.bias.copy_(torch.linspace(-1.0, 1.0, 18))
    for _ in range(2):
        x = torch.randn(3, 4, 250) * 4 + offset
        folded = bandwise_filter_batch_norm(x, bank, conv.weight, conv.bias, bns[0])
        plain = bns[1](conv(bank(x))[:, :, 0])
        torch.testing.assert_close(folded, plain, rtol=1e-4, atol=1e-4)
        g = torch.randn_like(plain)
        params = [conv.parametrizations.weight.original] + ([bns[0].weight, bns[0].bias] if affine else [])
        ref_params = [conv.parametrizations.weight.original] + ([bns[1].weight, bns[1].bias] if affine else [])
        grads = torch.autograd.grad((folded * g).sum(), params)
        expected = torch.autograd.grad((plain * g).sum(), ref_params)
        for a, b in zip(grads, expected):
            torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        torch.testing.assert_close(getattr(bns[0], name), getattr(bns[1], name), rtol=1e-5, atol=1e-5)


def test_var_pool_gradient_matches_torch_var_even_on_constant_windows():
    x = torch.randn(2, 3, 100, dtype=torch.float64)
    x[0, 1, :25] = 4.0  # a flat window: zero variance, gradient must stay finite (zero)
    x.requires_grad_(True)
    for unbiased in (True, False):
        ours = VarPool(25, log=False, clamp=None, unbiased=unbiased)(x)
        reference = x.unflatten(-1, (4, 25)).var(-1, correction=int(unbiased))
        torch.testing.assert_close(ours, reference)
        weights = torch.randn_like(ours)
        (g_ours,) = torch.autograd.grad((ours * weights).sum(), x)
        (g_ref,) = torch.autograd.grad((reference * weights).sum(), x)
        torch.testing.assert_close(g_ours, g_ref)
        assert torch.isfinite(g_ours).all() and g_ours[0, 1, :25].abs().max() == 0


@pytest.mark.parametrize(
    "n_times, n_taps, padding",
    [(256, 64, 32), (50, 7, 3), (40, 8, 0), (10, 16, 8), (5, 16, 15), (3, 4, 1)],
    ids=["eegnet", "odd-kernel", "no-padding", "kernel-longer-than-signal", "few-samples", "tiny"],
)
def test_filtered_moments_equal_the_moments_of_the_filtered_signals(n_times, n_taps, padding):
    """Mean and variance over (batch, electrodes, time) of every filtered map, as a
    training-mode batch norm sees them, from the input's statistics alone (float64)."""
    generator = torch.Generator().manual_seed(n_times)
    x = torch.randn(3, 5, n_times, dtype=torch.float64, generator=generator)
    kernels = torch.randn(4, n_taps, dtype=torch.float64, generator=generator)
    filtered = fft_correlate(x.unsqueeze(1), kernels[:, None], padding)  # (3, 4, 5, T')
    mean, variance = filtered_moments(x, kernels, padding)
    torch.testing.assert_close(mean, filtered.mean((0, 2, 3)), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(variance, filtered.var((0, 2, 3), unbiased=False), rtol=1e-12, atol=1e-12)


def test_filtered_moments_survive_large_offsets_in_float32():
    """EEG in microvolts may ride on offsets of tens of millivolts, which the filters pass
    on as a large mean over a small variance: E[y^2] - mean^2 in float32 cancels to noise
    there, the float64 statistics match the float64 truth."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(8, 16, 256, dtype=torch.float64, generator=generator) * 10 + 30_000
    x = x.float().double()  # the values a float32 input holds
    kernels = torch.randn(4, 64, dtype=torch.float64, generator=generator)
    filtered = fft_correlate(x.unsqueeze(1), kernels[:, None], 0)  # no padding: no edges, a pure offset
    truth = filtered.var((0, 2, 3), unbiased=False)
    mean, variance = filtered_moments(x.float(), kernels.float(), 0)
    assert mean.dtype == variance.dtype == torch.float32
    torch.testing.assert_close(mean.double(), filtered.mean((0, 2, 3)), rtol=1e-6, atol=0)
    torch.testing.assert_close(variance.double(), truth, rtol=1e-5, atol=0)
    naive = filtered.float().square().mean((0, 2, 3)) - filtered.float().mean((0, 2, 3)).square()
    assert ((naive.double() - truth).abs() > truth).any()  # what the float64 accumulation avoids


def test_filtered_moments_are_differentiable_in_the_kernels():
    x = torch.randn(2, 3, 30, dtype=torch.float64)
    kernels = torch.randn(2, 9, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda k: filtered_moments(x, k, 4), (kernels,))


@pytest.mark.parametrize("n_times, n_fft", [(1000, 1080), (1000, 1001), (7, 7), (7, 8), (5, 16)])
def test_padded_rfft_gradient_equals_torchs(n_times, n_fft):
    """The one-inverse-FFT backward gives torch's gradient, odd and even lengths, DC and
    Nyquist bins included (they count once, the interior bins twice)."""
    generator = torch.Generator().manual_seed(n_times + n_fft)
    x = torch.randn(3, 4, n_times, dtype=torch.float64, generator=generator, requires_grad=True)
    weight = torch.randn(3, 4, n_fft // 2 + 1, dtype=torch.complex128, generator=generator)

    def loss(spectrum: torch.Tensor) -> torch.Tensor:
        mixed = spectrum * weight
        return mixed.real.sum() + mixed.imag.square().sum()

    ours = padded_rfft(x, n_fft)
    torch.testing.assert_close(ours, torch.fft.rfft(x, n=n_fft), rtol=0, atol=0)
    (expected,) = torch.autograd.grad(loss(torch.fft.rfft(x, n=n_fft)), x)
    (got,) = torch.autograd.grad(loss(ours), x)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-10)
    assert torch.autograd.gradcheck(lambda s: padded_rfft(s, n_fft), x.detach()[:1, :1].requires_grad_())
    with pytest.raises(ValueError, match=f"n_fft={n_times - 1} is shorter than the signals"):
        padded_rfft(x, n_times - 1)


def test_the_real_arithmetic_spectral_product_equals_the_complex_one_with_gradients():
    """What ``spectral_product`` computes under ``torch.compile``: the same values and
    gradients as the complex product eager autograd differentiates (broadcast included)."""
    generator = torch.Generator().manual_seed(3)
    a = torch.randn(4, 3, 9, dtype=torch.complex128, generator=generator).requires_grad_()
    b = torch.randn(3, 9, dtype=torch.complex128, generator=generator).requires_grad_()
    weight = torch.randn(4, 3, 9, dtype=torch.complex128, generator=generator)
    results = []
    for product in (lambda p, q: p * q, real_arithmetic_product, spectral_product):
        out = product(a, b)
        results.append((out.detach(), *torch.autograd.grad((out * weight).real.sum(), (a, b))))
    for got in results[1:]:
        for x, y in zip(got, results[0]):
            torch.testing.assert_close(x, y, rtol=1e-12, atol=1e-12)
