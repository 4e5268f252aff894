"""Bad constructor arguments and inputs give ValueErrors that say what to change."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from eegzoo import FBLightConvNet, TruncationWarning

BASE = dict(n_chans=4, n_outputs=2, n_times=500, sfreq=250)


def build(**overrides):
    return FBLightConvNet(**{**BASE, **overrides})


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(heads=5), r"heads=5 must divide .* \(32\); choose heads among \[1, 2, 4, 8, 16, 32\]"),
        (dict(win_len=600), r"n_times=500 is shorter than win_len=600"),
        (dict(sfreq=64, n_times=256, win_len=64), r"Band 6 \(28, 32\) Hz reaches the Nyquist .* sfreq=64 Hz is too low"),
        (dict(n_bands=[(8, 4)]), r"Band 0 \(8, 4\) Hz: the low edge must be below the high edge; write it as \(4, 8\)"),
        (dict(n_bands=[(8, 12, 16)]), r"n_bands\[0\] = \(8, 12, 16\) is not a \(low, high\) pair"),
        (dict(n_bands=[(0, 4)]), r"low edge must be > 0 Hz"),
        (dict(n_bands=[]), r"empty list"),
        (dict(n_bands=0), r"n_bands must be >= 1"),
        (dict(n_bands="nine"), r"n_bands must be an int, None or a list"),
        (dict(n_chans=None), r"needs n_chans: pass n_chans="),
        (dict(sfreq=None), r"needs sfreq"),
        (dict(n_times=None), r"needs the input length: pass n_times="),
        (dict(n_outputs=None), r"needs n_outputs"),
        (dict(n_outputs=0), r"n_outputs must be a positive int"),
        (dict(n_dim=2), r"n_dim=2: the variance must be taken over the window axis"),
        (dict(activation=nn.ELU()), r"activation must be an nn.Module class"),
        (dict(activation="torch.nn.NotAThing"), r"does not name an importable class"),
        (dict(filter_parameters={"methd": "iir"}), r"Unknown filter_parameters \['methd'\]; valid keys"),
        (dict(filter_parameters={"method": "butter"}), r"filter method must be 'fir' or 'iir'"),
        (dict(filter_parameters={"phase": "minimum"}), r"filter phase must be one of"),
        (dict(chs_info=[{"ch_name": "C3"}]), r"n_chans=4 differs from len\(chs_info\)=1"),
        (dict(input_window_seconds=3.0), r"n_times=500 differs from input_window_seconds \* sfreq"),
        (dict(sfreq=3e10, n_times=500), r"FIR filters would have about .* taps \(sfreq=3e\+10 Hz\): is sfreq in Hz\?"),
    ],
)
def test_bad_arguments_name_the_problem(overrides, message):
    with pytest.raises(ValueError, match=message):
        build(**overrides)


def test_signal_parameters_are_inferred():
    chs = [{"ch_name": n} for n in ("C3", "Cz", "C4")]
    model = FBLightConvNet(chs_info=chs, n_outputs=2, input_window_seconds=2.0, sfreq=250)
    assert (model.n_chans, model.n_times, model.sfreq, model.input_window_seconds) == (3, 500, 250.0, 2.0)
    assert model.chs_info[1]["ch_name"] == "Cz"
    model = FBLightConvNet(n_chans=3, n_outputs=2, n_times=500, input_window_seconds=2.0)
    assert model.sfreq == 250.0
    assert build().chs_info is None


def test_activation_by_name_and_stride_factor_deprecation():
    assert isinstance(build(activation="torch.nn.GELU").spatial_conv[2], nn.GELU)
    with pytest.warns(DeprecationWarning, match="stride_factor is deprecated and ignored") as record:
        model = build(stride_factor=4)
    assert [w.category for w in record] == [DeprecationWarning]  # braindecode's category, not FutureWarning
    assert model.n_windows == 2


def test_truncation_warnings_use_a_filterable_category():
    with pytest.warns(TruncationWarning, match="last 100 samples are dropped"):
        model = build(n_times=600)
    with pytest.warns(TruncationWarning, match="more than n_times=600"):
        model(torch.randn(1, 4, 700))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model(torch.randn(1, 4, 600))


@pytest.mark.parametrize(
    "x, message",
    [
        (torch.randn(4, 500), r"expects input of shape \(batch, n_chans, n_times\) = \(B, 4, 500\), got \(4, 500\)"),
        (torch.randn(1, 5, 500), r"Input has 5 channels but the model was built for n_chans=4"),
        (torch.randn(1, 4, 499), r"Input has 499 samples, fewer than the 500"),
        (torch.ones(1, 4, 500, dtype=torch.int64), r"floating-point tensor, got dtype torch.int64"),
    ],
)
def test_bad_inputs_name_expected_and_got(x, message):
    with pytest.raises(ValueError, match=message):
        build()(x)


def test_non_finite_input_is_rejected_when_checking_is_on():
    model = build()
    x = torch.randn(2, 4, 500)
    x[1, 2, 17] = float("nan")
    assert model(x).isnan().any()  # off by default: no cost on the hot path
    model.check_finite = True
    with pytest.raises(ValueError, match=r"NaN or Inf \(first at batch 1, channel 2, sample 17\)"):
        model(x)
    x[1, 2, 17] = float("inf")
    with pytest.raises(ValueError, match="NaN or Inf"):
        model(x)


def test_float64_input_is_cast_to_the_model_dtype():
    """What torch.from_numpy(epochs.get_data()) gives: accepted, computed in the model's dtype."""
    model = build().eval()
    x = torch.randn(2, 4, 500, dtype=torch.float64)
    with torch.no_grad():
        out = model(x)
        assert out.dtype == torch.float32
        torch.testing.assert_close(out, model(x.float()), rtol=0, atol=0)
        double = build().double().eval()
        double.load_state_dict(model.state_dict())
        assert double(x.float()).dtype == torch.float64  # and the other way round


def test_numpy_arrays_are_refused_with_the_fix():
    import numpy as np

    with pytest.raises(TypeError, match=r"takes a torch.Tensor of shape \(batch, 4, 500\), got numpy.ndarray: convert it with torch.as_tensor"):
        build()(np.zeros((2, 4, 500), dtype=np.float32))


def test_an_empty_batch_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"Input has no trials \(shape \(0, 4, 500\)\): pass at least one trial of shape \(4, 500\)"):
        build()(torch.zeros(0, 4, 500))


def test_block_sequence_model_names_expected_and_got_length():
    from eegzoo import create_model

    model = create_model("fbcnet-lite")
    with pytest.raises(ValueError, match=r"expects input of shape \(batch, n_chans, n_times\) = \(B, 22, 1000\), got \(2, 22, 900\).*"
                       r"create the model with n_times=900"):
        model(torch.randn(2, 22, 900))
    with pytest.raises(ValueError, match=r"Input has no trials"):
        model(torch.zeros(0, 22, 1000))
    assert model.eval()(torch.randn(2, 22, 1000, dtype=torch.float64)).dtype == torch.float32
