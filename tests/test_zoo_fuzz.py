"""Property-based tests for EEGNet, ShallowFBCSPNet and FBCNet: arbitrary argument values
either build a model that gives finite logits of the documented shape, or fail with a
ValueError that explains itself, never a crash deep inside torch or mne."""

from __future__ import annotations

import warnings

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eegzoo import EEGNet, FBCNet, ShallowFBCSPNet, SpecError, create_model

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 1200), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5), st.sampled_from(["auto", "mean", "max", "LogVarLayer", "MaxLayer", "torch.nn.ReLU"]),
)
FIELDS = {
    "eegnet": (EEGNet, dict(n_chans=3, n_outputs=2, n_times=256), [
        "n_times", "F1", "D", "F2", "kernel_length", "depthwise_kernel_length", "pool1_kernel_size",
        "pool2_kernel_size", "final_conv_length", "pool_mode", "conv_spatial_max_norm", "drop_prob",
        "final_layer_with_constraint", "norm_rate", "activation",
    ]),
    "shallowfbcspnet": (ShallowFBCSPNet, dict(n_chans=3, n_outputs=2, n_times=300), [
        "n_times", "n_filters_time", "filter_time_length", "n_filters_spat", "pool_time_length",
        "pool_time_stride", "final_conv_length", "pool_mode", "batch_norm", "split_first_layer",
        "conv_nonlin", "drop_prob",
    ]),
    "fbcnet": (FBCNet, dict(n_chans=3, n_outputs=2, n_times=300, sfreq=250), [
        "n_times", "sfreq", "n_bands", "n_filters_spat", "temporal_layer", "n_dim", "stride_factor",
        "linear_max_norm", "cnn_max_norm", "activation",
    ]),
}


@pytest.mark.parametrize("arch", sorted(FIELDS))
def test_arbitrary_arguments_never_crash(arch):
    cls, base, fields = FIELDS[arch]

    @FUZZ
    @given(st.dictionaries(st.sampled_from(fields), ANYTHING, min_size=1, max_size=3), st.booleans())
    def check(overrides, through_registry):
        kwargs = {**base, **overrides}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = create_model(arch, **kwargs) if through_registry else cls(**kwargs)
        except (ValueError, SpecError) as err:  # pydantic's ValidationError is a ValueError too
            assert str(err).strip(), "errors must explain themselves"
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for mode in (model.eval, model.train):
                mode()
                out = model(torch.randn(2, model.n_chans, model.n_times))
                assert out.shape[:2] == (2, model.n_outputs) and torch.isfinite(out).all()

    check()
