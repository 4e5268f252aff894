"""``torch.compile`` (inductor) training gradients against eager ones.

torch 2.13's inductor drops the conjugate bit of a complex tensor that autograd saves for
the backward of a complex product (``conj(a)`` for ``b``'s gradient in ``a * b``) when it
lays that tensor out in another memory order (e.g. channels-last, wanted by a convolution
further on): the copy it generates ignores the bit and ``b``'s gradient comes out silently
wrong. EEGNet's fused separable convolution (:func:`eegzoo.blocks.fft_correlate.fft_correlate`
followed by the 1x1 pointwise convolution) hit it: ``conv_separable_depth.weight``'s gradient
was off by more than its own size. Eval outputs were right all along, so only training
gradients are compared here, with every dropout off.
"""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F

import eegzoo
from eegzoo.blocks.fft_correlate import fft_correlate

if not hasattr(torch, "compile"):
    pytest.skip("torch.compile is not available in this torch", allow_module_level=True)


def _inductor_available() -> str | None:
    try:
        torch.compile(lambda t: t * 2)(torch.ones(2))
    except Exception as error:  # no C++ compiler, unsupported platform
        return f"torch.compile (inductor) does not run here: {type(error).__name__}: {error}"
    return None


@pytest.fixture(scope="module")
def inductor() -> None:
    reason = _inductor_available()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def _gradients(fn, params: list[torch.Tensor]) -> list[torch.Tensor]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # inductor's complex-operator notices
        return list(torch.autograd.grad(fn(), params))


def _assert_gradients_match(names, eager, compiled) -> None:
    """Each parameter's compiled gradient within 1e-4 of its eager gradient's norm, plus a
    floor of 1e-6 of the model's gradient norm for gradients that are ~0 (biases before a
    batch norm: float rounding, summed in another order, is all they hold)."""
    total = torch.sqrt(sum(g.double().square().sum() for g in eager)).item()
    for name, e, c in zip(names, eager, compiled):
        atol = 1e-4 * e.norm().item() + 1e-6 * total
        err = (c - e).abs().max().item()
        assert err <= atol, f"{name}: compiled gradient off by {err:.3g} (tolerance {atol:.3g}, |grad| {e.norm().item():.3g})"


@pytest.mark.parametrize("fused", [True, False])
def test_eegnet_compiled_training_gradients_equal_eager(inductor, fused):
    torch.manual_seed(0)
    model = eegzoo.create_model(
        "eegnet", n_chans=4, n_outputs=2, n_times=128, sfreq=128, drop_prob=0.0, fused=fused
    ).train()
    x = torch.randn(8, 4, 128)
    y = torch.randint(0, 2, (8,))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    names, params = zip(*model.named_parameters())

    def loss(net):
        def run():
            model.load_state_dict(state)  # the same batch-norm buffers for both runs
            return F.cross_entropy(net(x), y)
        return run

    eager = _gradients(loss(model), list(params))
    compiled = _gradients(loss(torch.compile(model)), list(params))
    _assert_gradients_match(names, eager, compiled)


def test_fft_correlate_before_a_pointwise_convolution_compiles_to_the_eager_gradients(inductor):
    """The pattern EEGNet's separable convolution is made of, in isolation: inductor lays
    the saved spectra out channels-last for the 1x1 convolution's backward."""
    torch.manual_seed(0)
    x = torch.randn(4, 6, 1, 40, requires_grad=True)
    kernels = torch.randn(6, 1, 8, requires_grad=True)
    pointwise = torch.randn(6, 6, 1, 1, requires_grad=True)

    def run(fn):
        return lambda: fn(x, kernels, pointwise)

    def f(x, kernels, pointwise):
        return F.conv2d(fft_correlate(x, kernels, 4), pointwise).square().sum()

    params = [x, kernels, pointwise]
    eager = _gradients(run(f), params)
    compiled = _gradients(run(torch.compile(f)), params)
    _assert_gradients_match(["x", "kernels", "pointwise"], eager, compiled)
