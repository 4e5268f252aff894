"""ATCNet against braindecode 1.8.1 (fixtures from fixtures/make_reference_atcnet.py):
state_dict keys/shapes/dtypes, logits in eval and train mode on the fused and the plain
path, same-seed initialisation, Hub folder import; braindecode's down-scaling for short
windows; concat=True (which braindecode 1.8.1 cannot run); the fused path's gradients and
running statistics; argument errors; the optimizer groups; the sliding windows."""

from __future__ import annotations

import json
import warnings

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
from eegzoo.blocks.sliding_windows import SlidingWindows
from eegzoo.core.errors import SpecError
from eegzoo.models.atcnet import ATCNet

TOL = 1e-5
META = json.loads((REFERENCE / "atcnet" / "configs.json").read_text())
NAMES = sorted(META["configs"])


def reference(name: str, **extra):
    return load_reference(ATCNet, REFERENCE / "atcnet", META, name, **extra)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("name", NAMES)
def test_logits_match_braindecode_in_eval_and_train_mode(name, fused):
    model, _, t = reference(name, fused=fused)
    assert_logits_match_braindecode(model, t, META["train_seed"], TOL)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_keys_shapes_dtypes_match_braindecode(name):
    _, state, _ = reference(name)
    ours = build_quiet(ATCNet, **META["configs"][name]).state_dict()
    assert_keys_shapes_dtypes(ours, state)


def test_same_seed_gives_braindecode_initialisation():
    torch.manual_seed(0)
    model = build_quiet(ATCNet, **META["configs"]["default"])
    reference_init = load_file(str(REFERENCE / "atcnet" / "seed0_init.safetensors"))
    ours = model.state_dict()
    assert set(ours) == set(reference_init)
    assert_same_tensors(ours, reference_init)
    # the official code's 113,732 trainable parameters (braindecode's test)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 113_732


def test_braindecode_hub_folder_and_bare_state_dict_import(tmp_path):
    folder = FIXTURES / "braindecode_hub_atcnet"
    assert_hub_folder_and_bare_state_dict_import(ATCNet, folder, tmp_path, TOL)


def test_short_windows_are_scaled_down_as_braindecode_does():
    with pytest.warns(UserWarning, match=r"n_times=400 is shorter than the 616 samples ATCNet's configuration needs: kernels, pools, windows and the TCN kernel are scaled down by 0.65, as braindecode does"):
        model = ATCNet(n_chans=3, n_outputs=2, n_times=400)
    assert (model.conv_block_kernel_length_1, model.conv_block_kernel_length_2, model.conv_block_pool_size_1,
            model.conv_block_pool_size_2, model.n_windows, model.tcn_kernel_size, model.Tc, model.Tw) == (41, 10, 5, 4, 3, 2, 20, 18)
    assert model.get_config()["conv_block_kernel_length_1"] == 64  # the arguments, so the rebuild scales the same way
    # scaling always leaves a window: even 20 samples for 40 windows build (pools 1, one window)
    tiny = build_quiet(ATCNet, n_chans=3, n_outputs=2, n_times=20, n_windows=40)
    assert (tiny.conv_block_pool_size_1, tiny.n_windows, tiny.Tw) == (1, 1, 20)
    assert tiny.eval()(torch.randn(2, 3, 20)).shape == (2, 2)


def test_concat_classifies_all_windows_together():
    """braindecode 1.8.1 raises on concat=True (its window loop zips over the single
    classifier); the fixture is braindecode's operations over every window."""
    model, state, t = reference("concat")
    assert state["final_layer.0.parametrizations.weight.original"].shape == (3, 4 * 12)
    features = model.eval()(t["x"], return_features=True)["features"]
    assert features.shape == (2, 4, 12)
    with torch.no_grad():
        first_only = model.final_layer[0](torch.cat([features[:, 0], torch.zeros(2, 3 * 12)], 1))
    assert (first_only - t["logits_eval"]).abs().max() > 10 * TOL


def test_fused_training_step_matches_braindecodes_operations():
    """Logits, gradients and running statistics of the fused path (spatial filters first,
    the first batch norm's statistics from the input's second-order statistics) equal those
    of braindecode's operations, on data with a large offset."""
    torch.manual_seed(0)
    kwargs = dict(n_chans=6, n_outputs=3, n_times=600, conv_block_n_filters=4, conv_max_norm_const=0.6)
    fused = build_quiet(ATCNet, **kwargs)
    plain = build_quiet(ATCNet, **kwargs, fused=False)
    plain.load_state_dict(fused.state_dict())
    x = torch.randn(4, 6, 600, generator=torch.Generator().manual_seed(1)) * 20 + 300
    y = torch.arange(4) % 3
    results = []
    for model in (fused, plain):
        model.train()
        torch.manual_seed(2)
        for _ in range(2):
            model.zero_grad()
            logits = model(x)
            nn.functional.cross_entropy(logits, y).backward()
        results.append((logits.detach(), {n: p.grad for n, p in model.named_parameters()}, dict(model.named_buffers())))
    (logits, grads, buffers), (ref_logits, ref_grads, ref_buffers) = results
    torch.testing.assert_close(logits, ref_logits, rtol=0, atol=1e-5)
    for name, grad in ref_grads.items():
        # ~0 by construction, so rounding only: bn1's (bn2 undoes its per-filter scale and
        # shift, only linear maps between them) and the key bias's (softmax ignores it)
        scale = 1e-4 * float(grad.abs().max()) + 1e-6
        torch.testing.assert_close(grads[name], grad, rtol=0, atol=scale, msg=name)
    for name, buffer in ref_buffers.items():
        torch.testing.assert_close(buffers[name], buffer, rtol=1e-4, atol=1e-5, msg=name)
    assert int(buffers["conv_block.bn1.num_batches_tracked"]) == 2


def test_conv_max_norm_constrains_every_convolution_filter():
    model = build_quiet(ATCNet, n_chans=22, n_outputs=4, n_times=1125, conv_max_norm_const=0.6)
    with torch.no_grad():
        for conv in (model.conv_block.conv1, model.conv_block.conv2, model.conv_block.conv3,
                     model.temporal_conv_nets[0][0].conv1, model.temporal_conv_nets[4][1].conv2):
            conv.parametrizations.weight.original.mul_(10)
            assert conv.weight.flatten(1).norm(dim=1).max() <= 0.6 + 1e-5
    default = build_quiet(ATCNet, n_chans=22, n_outputs=4, n_times=1125)
    assert sum(p.numel() for p in default.parameters()) == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("conv_max_norm", [None, 0.6])
def test_source_optimizer_param_groups_cover_every_parameter_once(conv_max_norm):
    model = build_quiet(ATCNet, n_chans=22, n_outputs=4, n_times=1125, conv_max_norm_const=conv_max_norm)
    groups = model.source_optimizer_param_groups()
    assert [g["weight_decay"] for g in groups] == [0.009, 0.5, 0.0]
    assert [len(g["params"]) for g in groups] == [3 + 5 * 2 * 2, 5, len(list(model.parameters())) - 3 - 20 - 5]
    grouped = [p for g in groups for p in g["params"]]
    assert {id(p) for p in grouped} == {id(p) for p in model.parameters()}
    assert all(p.is_leaf and p.requires_grad for p in grouped)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(n_chans=3, n_outputs=2, n_times=1125, n_windows=0), "n_windows must be an int >= 1, got 0."),
        (dict(n_chans=3, n_outputs=2, n_times=1125, att_drop_prob=1.0), "att_drop_prob must be a probability in [0, 1), got 1.0."),
        (dict(n_chans=3, n_outputs=2, n_times=1125, conv_max_norm_const=-1.0), "conv_max_norm_const must be a positive number, got -1.0."),
        (dict(n_chans=3, n_outputs=2, n_times=1125, tcn_activation="torch.nn.Nope"), "tcn_activation='torch.nn.Nope' does not name an importable class"),
        (dict(n_chans=3, n_times=1125), "ATCNet needs n_outputs: pass n_outputs=<number of classes>."),
    ],
)
def test_bad_arguments_name_the_problem_and_the_fix(kwargs, message):
    with pytest.raises(ValueError) as info:
        ATCNet(**kwargs)
    assert message in str(info.value)


def test_signal_defaults_spec_and_input_checks():
    model = ATCNet(n_chans=3, n_outputs=2, input_window_seconds=4.5)  # sfreq defaults to 250 Hz
    assert (model.n_times, model.sfreq) == (1125, 250.0)
    with pytest.raises(SpecError, match=r"field 'num_heads': Input should be greater than or equal to 1"):
        create_model("atcnet", num_heads=0)
    with pytest.raises(ValueError, match="Input has 1130 samples but ATCNet takes exactly n_times=1125: crop the input"):
        model(torch.randn(2, 3, 1130))


def test_paper_variant():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = create_model("atcnet-bciiv2a")
    assert (model.n_chans, model.n_outputs, model.n_times, model.sfreq) == (22, 4, 1125, 250.0)
    assert (model.conv_max_norm_const, model.n_windows, model.Tc, model.Tw, model.concat) == (0.6, 5, 20, 16, False)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 113_732


def test_sliding_windows_are_views_of_the_sequence():
    x = torch.arange(40.0).view(2, 1, 20)
    windows = SlidingWindows(5)(x)
    assert windows.shape == (2, 1, 5, 16)
    assert torch.equal(windows[1, 0, 3], x[1, 0, 3:19])
    assert windows.data_ptr() == x.data_ptr()
    assert torch.equal(SlidingWindows(3, stride=4)(x)[0, 0, 2], x[0, 0, 8:20])
    with pytest.raises(ValueError, match=r"SlidingWindows: 5 windows 1 samples apart need more than 4 samples, got \(2, 1, 4\)."):
        SlidingWindows(5)(torch.zeros(2, 1, 4))


def _window_loop(model, x):
    """The per-window branches one by one (what the batched eval path must equal)."""
    windows = model.sliding_windows(model.conv_block.forward_fused(x))
    return torch.stack([tcn(att(windows[:, :, w]))[:, :, -1]
                        for w, (att, tcn) in enumerate(zip(model.attention_blocks, model.temporal_conv_nets))], 1)


@pytest.mark.parametrize("kwargs", [{}, {"conv_max_norm_const": 0.6, "tcn_depth": 3, "n_windows": 3}])
def test_batched_windows_equal_the_loop_and_the_cache_follows_the_weights(kwargs):
    torch.manual_seed(0)
    model = build_quiet(ATCNet, n_chans=5, n_outputs=3, n_times=700, **kwargs).eval()
    with torch.no_grad():  # non-trivial statistics and affine parameters
        for t in [*model.parameters(), *(b for b in model.buffers() if b.is_floating_point())]:
            t.add_(torch.rand_like(t) * 0.1)
    x = torch.randn(4, 5, 700)
    with torch.no_grad():
        features = model.forward_features(x)
        torch.testing.assert_close(features, _window_loop(model, x), rtol=1e-5, atol=TOL)
        assert model.window_weights_cache is not None
        # an in-place update of one window's weights (an optimiser step) invalidates the cache
        model.temporal_conv_nets[1][0].bn2.running_var.mul_(3.0)
        model.attention_blocks[0].mha.fc_v.weight.add_(0.5)
        changed = model.forward_features(x)
        assert (changed - features).abs().max() > 1e-3
        torch.testing.assert_close(changed, _window_loop(model, x), rtol=1e-5, atol=TOL)
    # with gradients flowing, nothing is cached and the batched path is differentiable
    model.window_weights_cache = None
    model.forward_features(x).sum().backward()
    assert model.window_weights_cache is None
    assert model.attention_blocks[-1].mha.fc_q.weight.grad is not None


def test_parametric_tcn_activation_keeps_the_window_loop():
    model = build_quiet(ATCNet, n_chans=5, n_outputs=3, n_times=700, tcn_activation=nn.PReLU).eval()
    assert not model.windows_batchable()
    with torch.no_grad():
        x = torch.randn(2, 5, 700)
        torch.testing.assert_close(model.forward_features(x), _window_loop(model, x), rtol=0, atol=0)
