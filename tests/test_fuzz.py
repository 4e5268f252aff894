"""Property-based tests: valid arguments build working models; invalid ones fail with a
ValueError that has a message, never a crash deep inside torch or mne."""

from __future__ import annotations

import warnings

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eegzoo import FBLightConvNet, SpecError, create_model

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def valid_arguments(draw):
    sfreq = draw(st.sampled_from([100, 128, 160.0, 200, 250, 256.0, 512]))
    win_len = draw(st.integers(16, 300))
    n_windows = draw(st.integers(1, 4))
    n_times = win_len * n_windows + draw(st.integers(0, win_len - 1))
    heads = draw(st.sampled_from([1, 2, 4]))
    n_filters = heads * draw(st.integers(1, 6))
    nyquist = sfreq / 2
    if draw(st.booleans()):
        # int N means N bands over 4-40 Hz: only valid above 80 Hz sampling
        n_bands = draw(st.integers(1, 6)) if nyquist > 40 else [(4.0, min(8.0, nyquist - 1))]
    else:
        count = draw(st.integers(1, 4))
        n_bands = []
        for _ in range(count):
            low = draw(st.floats(2.0, nyquist - 6))
            high = draw(st.floats(low + 1.0, nyquist - 2))
            n_bands.append((low, high))
    return dict(
        n_chans=draw(st.integers(1, 6)), n_outputs=draw(st.integers(1, 5)), n_times=n_times,
        sfreq=sfreq, win_len=win_len, heads=heads, n_filters_spat=n_filters, n_bands=n_bands,
        weight_softmax=draw(st.booleans()), bias=draw(st.booleans()),
        filter_parameters={"phase": draw(st.sampled_from(["zero", "forward"]))},
    )


@FUZZ
@given(valid_arguments(), st.booleans())
def test_valid_arguments_give_finite_logits(kwargs, through_registry):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = create_model("fblightconvnet", **kwargs) if through_registry else FBLightConvNet(**kwargs)
        x = torch.randn(2, kwargs["n_chans"], kwargs["n_times"])
        for mode in (model.eval, model.train):
            mode()
            out = model(x)
            assert out.shape == (2, kwargs["n_outputs"])
            assert torch.isfinite(out).all()


ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 2000), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5), st.lists(st.integers(-5, 60), max_size=3),
    st.lists(st.tuples(st.floats(-10, 200), st.floats(-10, 200)), max_size=3),
)
FIELDS = ["n_chans", "n_outputs", "n_times", "sfreq", "win_len", "heads", "n_filters_spat", "n_bands", "n_dim", "weight_softmax"]


@FUZZ
@given(st.dictionaries(st.sampled_from(FIELDS), ANYTHING, min_size=1, max_size=3), st.booleans())
def test_arbitrary_arguments_never_crash(overrides, through_registry):
    base = dict(n_chans=3, n_outputs=2, n_times=500, sfreq=250)
    kwargs = {**base, **overrides}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = create_model("fblightconvnet", **kwargs) if through_registry else FBLightConvNet(**kwargs)
    except (ValueError, SpecError) as err:  # pydantic's ValidationError is a ValueError too
        assert str(err).strip(), "errors must explain themselves"
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = model.eval()(torch.randn(1, model.n_chans, model.n_times))
    assert out.shape == (1, model.n_outputs) and torch.isfinite(out).all()
