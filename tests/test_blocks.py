"""Each block alone on tensors: shapes and numbers against independent numpy/scipy references."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import torch

from eegzoo.blocks import DEFAULT_BANDS, FilterBank, LightweightAttention, SpatialConv, VarPool, resolve_bands


def test_resolve_bands_forms():
    assert resolve_bands(None) == list(DEFAULT_BANDS)
    assert resolve_bands(None)[0] == (4.0, 8.0) and resolve_bands(None)[-1] == (36.0, 40.0)
    six = resolve_bands(6)
    assert len(six) == 6 and six[0] == (4.0, 10.0) and six[-1] == (34.0, 40.0)
    assert resolve_bands([(8, 12), [13, 30]]) == [(8.0, 12.0), (13.0, 30.0)]


def test_filter_bank_shape_and_tap_counts():
    bank = FilterBank(sfreq=250)
    x = torch.randn(2, 3, 1000)
    assert bank(x).shape == (2, 9, 3, 1000)
    assert [t.numel() for t in bank.taps()] == [413, 413, 275, 207, 165, 139, 119, 105, 93]


def test_filter_bank_fir_zero_phase_is_zero_padded_same_convolution():
    bank = FilterBank(sfreq=250, bands=[(8, 12), (20, 30)])
    x = torch.randn(2, 3, 700, dtype=torch.float64)
    y = bank(x).numpy()
    for b, taps in enumerate(bank.taps()):
        ref = scipy.signal.convolve(x.numpy(), taps.double().numpy()[None, None], mode="same")
        np.testing.assert_allclose(y[:, b], ref, atol=1e-10)
    # Reflect padding (mne.filter.filter_data) gives a different edge: make sure we are not that.
    import mne

    reflect = mne.filter.filter_data(x.numpy(), 250.0, 8, 12, method="fir", verbose=False)
    assert np.abs(reflect[..., :50] - y[:, 0, :, :50]).max() > 1e-3


def test_filter_bank_fir_causal_is_lfilter():
    bank = FilterBank(sfreq=250, bands=[(8, 12)], phase="forward")
    x = torch.randn(1, 2, 500, dtype=torch.float64)
    ref = scipy.signal.lfilter(bank.taps()[0].double().numpy(), [1.0], x.numpy(), axis=-1)
    np.testing.assert_allclose(bank(x)[:, 0].numpy(), ref, atol=1e-10)


@pytest.mark.parametrize("phase", ["zero", "forward"])
def test_filter_bank_iir_matches_recursive_filtering(phase):
    bank = FilterBank(sfreq=250, bands=[(4, 8), (30, 40)], method="iir", phase=phase)
    x = torch.randn(2, 2, 600, dtype=torch.float64)
    y = bank(x).numpy()
    for i in range(2):
        b = getattr(bank.b_list, str(i)).numpy()
        a = getattr(bank.a_list, str(i)).numpy()
        ref = scipy.signal.lfilter(b, a, x.numpy(), axis=-1)
        if phase == "zero":  # unpadded forward-backward, zero initial state
            ref = scipy.signal.lfilter(b, a, ref[..., ::-1], axis=-1)[..., ::-1]
        # (b, a) band-passes are ill-conditioned: the recursion itself amplifies float64
        # rounding to ~1e-7 of the signal, far below float32 resolution.
        np.testing.assert_allclose(y[:, i], ref, atol=1e-6 * np.abs(ref).max())


def test_filter_bank_iir_keeps_float32_in_float32_out():
    bank = FilterBank(sfreq=250, bands=[(4, 8)], method="iir")
    assert bank(torch.randn(1, 2, 300)).dtype == torch.float32


def test_filter_bank_loaded_taps_replace_cached_spectra():
    bank = FilterBank(sfreq=250, bands=[(8, 12)])
    x = torch.randn(1, 1, 400)
    before = bank(x)
    state = bank.state_dict()
    state["fir_list.0"] = state["fir_list.0"] * 2
    bank.load_state_dict(state)
    torch.testing.assert_close(bank(x), before * 2, rtol=1e-5, atol=1e-5)


def test_spatial_conv_is_a_band_and_channel_mixing():
    conv = SpatialConv(n_bands=3, n_chans=4, n_filters=5)
    x = torch.randn(2, 3, 4, 50)
    ref = torch.einsum("fbc,nbct->nft", conv.weight.squeeze(-1), x) + conv.bias[:, None]
    torch.testing.assert_close(conv(x), ref)
    assert conv.weight.shape == (5, 3, 4, 1)


def test_var_pool_log_unbiased_windows():
    x = torch.randn(2, 3, 1010, dtype=torch.float64)
    out = VarPool(250)(x)
    assert out.shape == (2, 3, 4)
    ref = np.log(np.var(x[..., :1000].reshape(2, 3, 4, 250).numpy(), axis=-1, ddof=1))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
    plain = VarPool(250, log=False, unbiased=False, clamp=None)(x)
    np.testing.assert_allclose(plain.numpy(), np.var(x[..., :1000].reshape(2, 3, 4, 250).numpy(), axis=-1))


def test_var_pool_clamps_before_log():
    out = VarPool(10)(torch.zeros(1, 1, 20))
    torch.testing.assert_close(out, torch.full((1, 1, 2), float(np.log(1e-6))))
    big = VarPool(10)(torch.randn(1, 1, 20) * 1e5)
    assert torch.all(big <= np.log(1e6) + 1e-5)


def test_lightweight_attention_interleaves_heads():
    attn = LightweightAttention(n_channels=6, n_windows=4, heads=3, weight_softmax=True, bias=True)
    with torch.no_grad():
        attn.bias.copy_(torch.randn(6))
    x = torch.randn(2, 6, 4)
    w = torch.softmax(attn.weight.squeeze(1), dim=-1)
    ref = torch.stack([(x[:, c] * w[c % 3]).sum(-1) for c in range(6)], dim=1) + attn.bias
    torch.testing.assert_close(attn(x), ref)
    blocked = torch.stack([(x[:, c] * w[c // 2]).sum(-1) for c in range(6)], dim=1) + attn.bias
    assert (attn(x) - blocked).abs().max() > 1e-3


def test_lightweight_attention_without_softmax_uses_raw_weights():
    attn = LightweightAttention(n_channels=2, n_windows=3, heads=1, weight_softmax=False)
    x = torch.randn(1, 2, 3)
    torch.testing.assert_close(attn(x), (x * attn.weight.squeeze(1)).sum(-1))


def test_blocks_reject_wrong_shapes():
    with pytest.raises(ValueError, match=r"\(batch, n_chans, n_times\)"):
        FilterBank(sfreq=250)(torch.randn(3, 100))
    with pytest.raises(ValueError, match="expects"):
        SpatialConv(3, 4, 5)(torch.randn(1, 3, 5, 10))
    with pytest.raises(ValueError, match="at least win_len=250"):
        VarPool(250)(torch.randn(1, 1, 100))
    with pytest.raises(ValueError, match=r"\(B, 8, 4\)"):
        LightweightAttention(8, 4)(torch.randn(1, 8, 3))


@pytest.mark.parametrize("method", ["fir", "iir"])
def test_filter_bank_cache_filled_in_inference_mode_still_trains(method):
    bank = FilterBank(sfreq=250, bands=[(8, 12)], method=method)
    x = torch.randn(1, 2, 300)
    with torch.inference_mode():
        bank(x)
    x.requires_grad_(True)
    bank(x).square().sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
