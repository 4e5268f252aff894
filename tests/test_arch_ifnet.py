"""IFNet against braindecode 1.8.1 (fixtures from fixtures/make_reference_ifnet.py):
state_dict keys/shapes/dtypes and bit-identical filter taps, logits in eval and train mode on
the fused and the plain path, same-seed initialisation, Hub folder import; the interactive
band mixing block (FFT form = convolutions, gradients included); argument errors; the
configurations braindecode cannot run (even kernels)."""

from __future__ import annotations

import json
import warnings

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from arch_helpers import assert_logits_match_braindecode, assert_same_tensors, load_reference
from conftest import FIXTURES, REFERENCE, build_quiet
from eegzoo import create_model
from eegzoo.blocks.interactive_band_mixing import InteractiveBandMixing
from eegzoo.core.errors import SpecError
from eegzoo.io.export import inference_module
from eegzoo.models.ifnet import IFNet
from eegzoo.specs.ifnet import IFNetParams

TOL = 1e-5
META = json.loads((REFERENCE / "ifnet" / "configs.json").read_text())
NAMES = sorted(META["configs"])


def reference(name: str, **extra):
    return load_reference(IFNet, REFERENCE / "ifnet", META, name, **extra)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "plain"])
@pytest.mark.parametrize("name", NAMES)
def test_logits_match_braindecode_in_eval_and_train_mode(name, fused):
    model, _, t = reference(name, fused=fused)
    assert_logits_match_braindecode(model, t, META["train_seed"], TOL)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_is_braindecodes_and_filter_taps_are_bit_identical(name):
    _, state, _ = reference(name)
    ours = build_quiet(IFNet, **META["configs"][name]).state_dict()
    assert set(ours) == set(state)
    for key, value in state.items():
        assert (ours[key].shape, ours[key].dtype) == (value.shape, value.dtype), key
        if key.startswith("spectral_filtering."):
            torch.testing.assert_close(ours[key], value, rtol=0, atol=0, msg=key)


def test_default_keys_and_parameter_count():
    model = build_quiet(IFNet, **META["configs"]["default"])
    assert [k for k in model.state_dict() if not k.startswith("spectral_filtering.")] == [
        "feature_block.spatial_conv.weight",
        *[f"feature_block.spatial_bn.{s}" for s in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")],
        "feature_block.temporal_convs.0.0.weight",
        *[f"feature_block.temporal_convs.0.1.{s}" for s in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")],
        "feature_block.temporal_convs.1.0.weight",
        *[f"feature_block.temporal_convs.1.1.{s}" for s in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")],
        "final_layer.bias",
        "final_layer.parametrizations.weight.original",
    ]
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 11396
    assert model.spectral_filtering.bands == [(4.0, 16.0), (16.0, 40.0)]
    assert [t.numel() for t in model.spectral_filtering.taps()] == [413, 207]
    assert model.feature_block.spatial_conv.groups == 2


def test_same_seed_gives_braindecode_initialisation():
    torch.manual_seed(0)
    model = build_quiet(IFNet, **META["configs"]["default"])
    ours = model.state_dict()
    assert_same_tensors(ours, load_file(str(REFERENCE / "ifnet" / "seed0_init.safetensors")))


def test_braindecode_hub_folder_loads_with_the_same_logits():
    folder = FIXTURES / "braindecode_hub_ifnet"
    io = load_file(str(folder / "io.safetensors"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = IFNet.from_pretrained(folder).eval()
    assert model.get_config()["bands"] == [[4.0, 16.0], [16.0, 40.0]]  # braindecode wrote [16, 40]
    with torch.no_grad():
        torch.testing.assert_close(model(io["x"]), io["logits_eval"], rtol=0, atol=TOL)
    # braindecode loads eegzoo's weights: same keys, shapes and dtypes (checked by loading
    # into braindecode in make_reference_ifnet.py)
    state = load_file(str(folder / "model.safetensors"))
    assert {k: (v.shape, v.dtype) for k, v in model.state_dict().items()} == {k: (v.shape, v.dtype) for k, v in state.items()}


def test_parity_depends_on_padding_clamp_and_max_norm():
    model, _, t = reference("sfreq200_stride6_pad")
    assert model.n_times_padded - model.n_times == 1  # 503 samples -> 504
    with torch.no_grad():
        maps = model.feature_block.inter_frequency(model.eval().band_sum(t["x"]))
        windows = torch.cat([maps, maps[..., -1:]], -1).view(3, 8, 6, 84)  # repeat the edge, not zeros
        wrong = model.final_layer(windows.square().mean(-1).clamp(1e-4, 1e4).log().flatten(1))
    assert (wrong - t["logits_eval"]).abs().max() > 10 * TOL
    model, _, t = reference("default")
    torch.nn.utils.parametrize.remove_parametrizations(model.final_layer, "weight", leave_parametrized=False)
    with torch.no_grad():
        assert (model.eval()(t["x"]) - t["logits_eval"]).abs().max() > 10 * TOL


# ----------------------------------------------------------------- the block
def test_band_mixing_fft_form_equals_convolutions_with_gradients():
    # float64: the two forms are the same function (float32 differs by rounding only, and
    # train-mode batch norm makes some gradients differences of large, nearly equal sums)
    torch.manual_seed(3)
    block = InteractiveBandMixing(12, 5, [15, 8, 7]).double()  # an even kernel: output cropped to T
    for bn in [block.spatial_bn] + [b[1] for b in block.temporal_convs]:
        nn.init.uniform_(bn.weight, 0.5, 1.5)
        nn.init.normal_(bn.bias, 0, 0.1)
    x = torch.randn(4, 12, 97, dtype=torch.float64)
    results = []
    for fast in (True, False):
        block.zero_grad()
        xi = x.clone().requires_grad_(True)
        maps = block.spatial(xi)
        out = block.mix(maps) if fast else block.temporal(maps)
        assert out.shape == (4, 5, 97)
        out.square().sum().backward()
        results.append((out.detach(), xi.grad, [p.grad.clone() for p in block.parameters()]))
    torch.testing.assert_close(results[0][0], results[1][0], rtol=0, atol=1e-10)
    torch.testing.assert_close(results[0][1], results[1][1], rtol=0, atol=1e-10)
    for a, b in zip(results[0][2], results[1][2]):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-9)
    block.eval()
    with torch.no_grad():
        maps = block.spatial(x)
        torch.testing.assert_close(block.mix(maps), block.temporal(maps), rtol=0, atol=1e-10)


def test_band_mixing_sums_bands_before_the_activation():
    block = InteractiveBandMixing(4, 1, [1, 1], activation=nn.ReLU).eval()
    with torch.no_grad():
        block.spatial_conv.weight.copy_(torch.tensor([[[1.0], [0.0]], [[1.0], [0.0]]]))
        for branch in block.temporal_convs:
            branch[0].weight.fill_(1.0)
    x = torch.tensor([[[2.0, -1.0], [0.0, 0.0], [-3.0, 2.5], [0.0, 0.0]]])  # band 0: ch 0, band 1: ch 2
    scale = 1 / (1 + 1e-5)  # two unit batch norms in a row
    expected = torch.tensor([[[0.0, 1.5]]]) * scale  # relu(2 - 3), relu(-1 + 2.5), not relu(2) + relu(-3), ...
    torch.testing.assert_close(block(x), expected)
    torch.testing.assert_close(block.inter_frequency(block.mix(block.spatial(x))), expected)


def test_band_mixing_refuses_signals_it_cannot_split():
    with pytest.raises(ValueError, match="7 input signals cannot be split into 2 branches"):
        InteractiveBandMixing(7, 4, [9, 5])


# ----------------------------------------------------------------- where eegzoo differs
@pytest.mark.parametrize("kernel_sizes", [[8, 4], [9, 4]])
def test_even_kernel_sizes_work_braindecode_raises(kernel_sizes):
    model = build_quiet(IFNet, n_chans=3, n_outputs=2, n_times=200, sfreq=100, n_filters_spat=4, kernel_sizes=kernel_sizes)
    plain = build_quiet(IFNet, n_chans=3, n_outputs=2, n_times=200, sfreq=100, n_filters_spat=4, kernel_sizes=kernel_sizes, fused=False)
    plain.load_state_dict(model.state_dict())
    x = torch.randn(2, 3, 200)
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(x), plain.eval()(x), rtol=0, atol=TOL)


def test_band_kernel_count_mismatch_warns_like_braindecode():
    with pytest.warns(UserWarning, match="Got 9 bands and 2 kernel sizes: IFNet builds 2 branches"):
        model = IFNet(n_chans=4, n_outputs=2, n_times=504, sfreq=250, bands=None, n_filters_spat=4)
    assert not model.can_fuse and model.feature_block.spatial_conv.weight.shape == (8, 18, 1)
    with pytest.warns(UserWarning, match="Got 1 bands and 2 kernel sizes: IFNet builds 1 branches"):
        model = IFNet(n_chans=4, n_outputs=2, n_times=504, sfreq=250, bands=[(8.0, 30.0)], n_filters_spat=4)
    assert model.feature_block.kernel_sizes == [63] and model.can_fuse


def test_padding_warning():
    with pytest.warns(UserWarning, match="n_times=500 is not divisible by stride_factor=8: the maps are zero-padded to 504"):
        IFNet(n_chans=3, n_outputs=2, n_times=500, sfreq=250, n_filters_spat=4)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(n_outputs=None), "IFNet needs n_outputs: pass n_outputs=<number of classes>."),
        (dict(sfreq=None), "sfreq"),
        (dict(n_filters_spat=0), "n_filters_spat must be an int >= 1, got 0."),
        (dict(stride_factor=0), "stride_factor must be an int >= 1, got 0."),
        (dict(drop_prob=1.0), r"drop_prob must be a probability in \[0, 1\), got 1.0."),
        (dict(linear_max_norm=0), "linear_max_norm must be a positive number, got 0."),
        (dict(kernel_sizes=[]), r"kernel_sizes must be a non-empty sequence of ints >= 1, got \[\]."),
        (dict(kernel_sizes=[63, 0]), r"kernel_sizes\[\] must be an int >= 1, got 0."),
        (dict(bands=[(4.0, 16.0), (16.0, 130.0)]), r"Band 1 \(16, 130\) Hz reaches the Nyquist frequency"),
        (dict(n_chans=3, bands=None), "9 bands x 3 electrodes = 27 signals cannot be split into 2 branches"),
        (dict(activation="torch.nn.Nope"), "activation='torch.nn.Nope' does not name an importable class"),
        (dict(filter_parameters={"order": 4}), r"Unknown filter_parameters \['order'\]"),
    ],
)
def test_argument_errors(kwargs, message):
    base = dict(n_chans=4, n_outputs=2, n_times=512, sfreq=250.0)
    with pytest.raises(ValueError, match=message):
        build_quiet(IFNet, **{**base, **kwargs})


def test_spec_errors_name_the_fix():
    with pytest.raises(SpecError, match="cannot be split into 2 branches"):
        create_model("ifnet", n_chans=3, bands=None)
    with pytest.raises(Exception, match="kernel_sizes must be ints >= 1"):
        IFNetParams(kernel_sizes=(63, -1))
    params = IFNetParams(bands=[[4, 16], [16.0, 40]], kernel_sizes=[63, 31])  # ints accepted (braindecode's default)
    assert params.constructor_kwargs()["bands"] == [(4, 16), (16.0, 40)]


def test_input_errors():
    model = build_quiet(IFNet, n_chans=4, n_outputs=2, n_times=512, sfreq=250.0, n_filters_spat=4)
    with pytest.raises(ValueError, match="Input has 3 channels but the model was built for n_chans=4."):
        model(torch.randn(2, 3, 512))
    with pytest.raises(ValueError, match="Input has 600 samples but IFNet takes exactly n_times=512"):
        model(torch.randn(2, 4, 600))


# ----------------------------------------------------------------- registry, export, speed paths
def test_registered_variants():
    paper = create_model("ifnet-bciiv2a")
    assert (paper.n_chans, paper.n_times, paper.stride_factor, paper.window) == (22, 750, 6, 125)
    assert sum(p.numel() for p in paper.parameters() if p.requires_grad) == 10884
    assert create_model("ifnet").n_times == 1000


@pytest.mark.parametrize("name", ["default", "sfreq200_stride6_pad", "nine_bands_two_kernels", "fir_causal"])
def test_inference_module_matches_braindecode(name):
    model, _, t = reference(name)
    with torch.no_grad():
        torch.testing.assert_close(inference_module(model.eval())(t["x"]), t["logits_eval"], rtol=0, atol=TOL)


def test_eval_chunks_give_the_unchunked_logits(monkeypatch):
    model, _, t = reference("default")
    x = t["x"].repeat(3, 1, 1)
    with torch.no_grad():
        whole = model.eval()(x)
        monkeypatch.setattr(model, "eval_chunk_size", lambda x: 2)
        torch.testing.assert_close(model(x), whole, rtol=0, atol=1e-6)


def test_fused_and_plain_training_steps_agree():
    grads = []
    for fused in (True, False):
        model, _, t = reference("three_bands_elu", fused=fused)
        model.train()
        torch.manual_seed(0)
        model(t["x"]).square().sum().backward()
        grads.append({k: p.grad for k, p in model.named_parameters()})
    assert set(grads[0]) == set(grads[1])
    for key in grads[0]:
        torch.testing.assert_close(grads[0][key], grads[1][key], rtol=1e-4, atol=1e-5, msg=key)
