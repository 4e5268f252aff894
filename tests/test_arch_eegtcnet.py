"""EEGTCNet against braindecode 1.8.1 (fixtures from fixtures/make_reference_eegtcnet.py):
state_dict keys/shapes/dtypes in braindecode's layout, logits in eval and train mode,
same-seed initialisation, Hub folder import; argument errors; the TCN block's causality
and receptive field; the column max-norm classifier."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from arch_helpers import (
    assert_hub_folder_and_bare_state_dict_import,
    assert_keys_shapes_dtypes,
    assert_logits_match_braindecode,
    assert_same_tensors,
    load_reference,
)
from conftest import FIXTURES, REFERENCE, build_quiet
from eegzoo import create_model
from eegzoo.blocks.column_max_norm import ColumnMaxNorm, ColumnMaxNormLinear
from eegzoo.blocks.tcn_residual_block import TCNResidualBlock
from eegzoo.core.errors import SpecError
from eegzoo.models.eegtcnet import EEGTCNet

TOL = 1e-5
META = json.loads((REFERENCE / "eegtcnet" / "configs.json").read_text())
NAMES = sorted(META["configs"])


def reference(name: str, **extra):
    return load_reference(EEGTCNet, REFERENCE / "eegtcnet", META, name, **extra)


@pytest.mark.parametrize("name", NAMES)
def test_logits_match_braindecode_in_eval_and_train_mode(name):
    model, _, t = reference(name)
    assert_logits_match_braindecode(model, t, META["train_seed"], TOL)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_is_braindecodes_keys_shapes_dtypes(name):
    _, state, _ = reference(name)
    ours = build_quiet(EEGTCNet, **META["configs"][name]).state_dict()
    assert_keys_shapes_dtypes(ours, state)


def test_braindecode_layout_keys_and_legacy_layout():
    default = build_quiet(EEGTCNet, **META["configs"]["default"])
    keys = list(default.state_dict())
    assert [k for k in keys if k.startswith("tcn_block.")][:8] == [
        "tcn_block.downsample.weight", "tcn_block.downsample.bias", "tcn_block.layers.0.0.weight",
        "tcn_block.layers.0.2.weight", "tcn_block.layers.0.2.bias", "tcn_block.layers.0.2.running_mean",
        "tcn_block.layers.0.2.running_var", "tcn_block.layers.0.2.num_batches_tracked",
    ]
    assert default.tcn_block.downsample is default.tcn_block.layers[0].reshaping_conv
    legacy = build_quiet(EEGTCNet, **META["configs"]["legacy_no_bn_identity_skip"])
    assert legacy.tcn_block.downsample is None  # filters == F2: identity skip path
    assert {k for k in legacy.state_dict() if k.startswith("tcn_block.layers.0.")} == {
        "tcn_block.layers.0.0.weight", "tcn_block.layers.0.4.weight",
    }
    assert not any(isinstance(m, nn.BatchNorm1d) for m in legacy.tcn_block.modules())


def test_same_seed_gives_braindecode_initialisation():
    torch.manual_seed(0)
    model = build_quiet(EEGTCNet, **META["configs"]["default"])
    reference_init = load_file(str(REFERENCE / "eegtcnet" / "seed0_init.safetensors"))
    ours = model.state_dict()
    assert_same_tensors(ours, reference_init)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 4304  # braindecode: 4.3 K


def test_braindecode_hub_folder_and_bare_state_dict_import(tmp_path):
    folder = FIXTURES / "braindecode_hub_eegtcnet"
    model, _ = assert_hub_folder_and_bare_state_dict_import(EEGTCNet, folder, tmp_path, TOL)
    # eegzoo's own save loads back with braindecode's keys in the file
    model.save_pretrained(tmp_path / "m")
    saved = load_file(str(tmp_path / "m" / "model.safetensors"))
    assert set(saved) == set(load_file(str(folder / "model.safetensors")))


def test_batch_of_one_in_training_mode_uses_running_statistics():
    """braindecode's rule: a single trial has no batch statistics, so the batch norms run
    on their running statistics (dropout stays on) and are left untouched."""
    model, _, t = reference("one_step")
    x = t["x"][:1]
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(0)
    with torch.no_grad():
        out = model(x)
    assert out.shape == (1, 2)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(m.training for m in model.modules())
    with torch.no_grad():
        model.eval()
        for m in model.modules():
            if isinstance(m, nn.Dropout):
                m.p = 0.0
        model.train()
        torch.testing.assert_close(model(x), model.eval()(x), rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(n_chans=3, n_outputs=2, n_times=54), "n_times=54 is too short for EEGTCNet: pooling by 8 and then by filter_1=8 leaves no time step. Pass at least 55 samples or a smaller filter_1."),
        (dict(n_chans=3, n_outputs=2, n_times=23, filter_1=4, kern_length=31), "n_times=23 is too short for EEGTCNet: pooling by 8 and then by filter_1=4 leaves no time step. Pass at least 24 samples or a smaller filter_1."),
        (dict(n_chans=3, n_outputs=2, n_times=500, drop_prob_tcn=1.0), "drop_prob_tcn must be a probability in [0, 1), got 1.0."),
        (dict(n_chans=3, n_outputs=2, n_times=500, filters=0), "filters must be an int >= 1, got 0."),
        (dict(n_chans=3, n_outputs=2, n_times=500, max_norm_const=0), "max_norm_const must be a positive number, got 0."),
        (dict(n_chans=3, n_times=500), "EEGTCNet needs n_outputs: pass n_outputs=<number of classes>."),
        (dict(n_chans=3, n_outputs=2, n_times=500, activation="torch.nn.Nope"), "activation='torch.nn.Nope' does not name an importable class"),
    ],
)
def test_bad_arguments_name_the_problem_and_the_fix(kwargs, message):
    with pytest.raises(ValueError) as info:
        EEGTCNet(**kwargs)
    assert message in str(info.value)


def test_spec_validates_and_inputs_are_checked():
    with pytest.raises(SpecError, match="n_times=40 is too short for EEGTCNet"):
        create_model("eegtcnet", n_times=40)
    with pytest.raises(SpecError, match=r"field 'kernel_size': Input should be greater than or equal to 1"):
        create_model("eegtcnet", kernel_size=0)
    model = EEGTCNet(n_chans=3, n_outputs=2, n_times=200)
    with pytest.raises(ValueError, match="Input has 210 samples but EEGTCNet takes exactly n_times=200: crop the input"):
        model(torch.randn(2, 3, 210))
    with pytest.raises(ValueError, match="Input has 4 channels but the model was built for n_chans=3."):
        model(torch.randn(2, 4, 200))


def test_paper_variant():
    model = create_model("eegtcnet-bciiv2a")
    assert (model.n_chans, model.n_outputs, model.n_times, model.sfreq) == (22, 4, 1125, 250.0)
    assert (model.kern_length, model.drop_prob_eeg, model.drop_prob_tcn, model.filters, model.kernel_size) == (32, 0.2, 0.3, 12, 4)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 4048
    assert model.n_steps == 17  # 1125 samples -> 17 TCN steps (receptive field 19)


# ----------------------------------------------------------------- the TCN block
@pytest.mark.parametrize("batch_norm", [True, False])
def test_tcn_block_is_causal_and_its_receptive_field_is_one_plus_two_k_minus_one_times_dilation(batch_norm):
    torch.manual_seed(0)
    block = TCNResidualBlock(4, 6, kernel_size=3, dilation=2, batch_norm=batch_norm).eval()
    x = torch.randn(2, 4, 40)
    changed = x.clone()
    changed[..., 20] += 1.0
    with torch.no_grad():
        diff = (block(changed) - block(x)).abs().amax(dim=(0, 1))
    # the past does not see the future; the reach is (k - 1) * dilation per convolution,
    # 2 * 2 * 2 = 8 samples after two, on the dilation's grid
    assert torch.nonzero(diff).flatten().tolist() == [20, 22, 24, 26, 28]


def test_tcn_block_arguments():
    with pytest.raises(ValueError, match="TCNResidualBlock: groups=4 must divide in_channels=6 and out_channels=8."):
        TCNResidualBlock(6, 8, 3, groups=4)
    with pytest.raises(ValueError, match="TCNResidualBlock: kernel_size must be a positive int, got 0."):
        TCNResidualBlock(6, 8, 0)
    block = TCNResidualBlock(8, 8, 3, max_norm=0.5, groups=2)
    assert isinstance(block.reshaping_conv, nn.Identity)
    assert {"conv1.parametrizations.weight.original", "conv2.parametrizations.weight.original"} <= set(block.state_dict())
    assert block.conv1.weight.flatten(1).norm(dim=1).max() <= 0.5 + 1e-6
    assert torch.jit.script(block.eval().conv1) is not None


# ----------------------------------------------------------------- the classifier's constraint
def test_column_max_norm_clamps_column_norms_into_half_to_full_limit():
    weight = torch.zeros(3, 4)
    weight[:, 0], weight[:, 1], weight[:, 2], weight[:, 3] = 0.1, 0.3, 0.5, 3.0  # column norms 0.17, 0.52, 0.87, 5.2
    out = ColumnMaxNorm(max_norm=1.0, eps=0.0)(weight)
    norms = out.norm(dim=0)
    torch.testing.assert_close(norms, torch.tensor([0.1 * 3**0.5, 0.3 * 3**0.5, 0.5 * 3**0.5, 1.0]))
    layer = ColumnMaxNormLinear(4, 3, max_norm=0.25)
    torch.testing.assert_close(layer.weight, layer.parametrizations.weight[0](layer.parametrizations.weight.original))


def test_grouped_spatial_product_is_the_depthwise_convolution_forward_and_backward():
    from eegzoo.models.eegtcnet import grouped_spatial_product

    torch.manual_seed(0)
    x = torch.randn(3, 4, 50, 7).contiguous(memory_format=torch.channels_last).requires_grad_()
    weight = torch.randn(8, 1, 1, 7, requires_grad=True)
    bias = torch.randn(8, requires_grad=True)
    ours = grouped_spatial_product(x, weight, bias)
    plain = nn.functional.conv2d(x, weight, bias, groups=4).transpose(2, 3)
    torch.testing.assert_close(ours, plain, rtol=0, atol=1e-5)
    assert ours.is_contiguous()  # time-last memory: dropout masks as braindecode's
    g = torch.randn_like(plain)
    grads = torch.autograd.grad((ours * g).sum(), (x, weight, bias))
    expected = torch.autograd.grad((plain * g).sum(), (x, weight, bias))
    for a, b in zip(grads, expected):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-4)
    # NCHW input gives the same (the product copies it into rows)
    torch.testing.assert_close(grouped_spatial_product(x.detach().contiguous(), weight, bias), ours, rtol=0, atol=0)


def test_temporal_input_is_channels_last_and_every_parameter_gets_a_gradient():
    model = build_quiet(EEGTCNet, **META["configs"]["default"])
    x = torch.randn(2, model.n_chans, model.n_times)
    assert model.eegnet_tc.temporal_input(x).is_contiguous(memory_format=torch.channels_last)
    # the training path (batch norms, in-place ELU, the spatial product) runs end to end
    model.train()
    loss = model(x).sum()
    loss.backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
