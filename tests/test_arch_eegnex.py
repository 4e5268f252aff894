"""EEGNeX against braindecode 1.8.1 (fixtures from fixtures/make_reference_eegnex.py):
state_dict keys/shapes/dtypes, logits in eval and train mode on the fused and the plain
path, same-seed initialisation, Hub folder import; argument errors; the fused path's
training step (gradients, running statistics, large offsets) against braindecode's
operations."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from arch_helpers import (
    assert_hub_folder_and_bare_state_dict_import,
    assert_keys_shapes_dtypes,
    assert_logits_match_braindecode,
    assert_same_tensors,
    load_reference,
)
from conftest import FIXTURES, REFERENCE, build_quiet
from eegzoo import create_model, from_pretrained
from eegzoo.core.errors import SpecError
from eegzoo.models.eegnex import EEGNeX

TOL = 1e-5
META = json.loads((REFERENCE / "eegnex" / "configs.json").read_text())
NAMES = sorted(META["configs"])


def reference(name: str, **extra):
    return load_reference(EEGNeX, REFERENCE / "eegnex", META, name, **extra)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "plain"])
@pytest.mark.parametrize("name", NAMES)
def test_logits_match_braindecode_in_eval_and_train_mode(name, fused):
    model, _, t = reference(name, fused=fused)
    assert_logits_match_braindecode(model, t, META["train_seed"], TOL)


def test_fused_path_runs_where_it_applies():
    long, _, _ = reference("default")
    short, _, _ = reference("short_window")
    x = torch.randn(2, 22, 1000)
    assert long._fusable(x) and not short._fusable(torch.randn(2, 3, 100))  # 100 < 2 * 64 samples
    assert not build_quiet(EEGNeX, n_chans=3, n_outputs=2, n_times=300, fused=False)._fusable(torch.randn(1, 3, 300))


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_is_braindecodes_keys_shapes_dtypes(name):
    _, state, _ = reference(name)
    ours = build_quiet(EEGNeX, **META["configs"][name]).state_dict()
    assert_keys_shapes_dtypes(ours, state)


def test_braindecode_layout_keys():
    keys = list(build_quiet(EEGNeX, **META["configs"]["default"]).state_dict())
    assert [k for k in keys if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))] == [
        "block_1.1.weight", "block_1.2.weight", "block_1.2.bias",
        "block_2.0.weight", "block_2.1.weight", "block_2.1.bias",
        "block_3.0.parametrizations.weight.original", "block_3.1.weight", "block_3.1.bias",
        "block_4.0.weight", "block_4.1.weight", "block_4.1.bias",
        "block_5.0.weight", "block_5.1.weight", "block_5.1.bias",
        "final_layer.bias", "final_layer.parametrizations.weight.original",
    ]


def test_same_seed_gives_braindecode_initialisation():
    torch.manual_seed(0)
    model = build_quiet(EEGNeX, **META["configs"]["default"])
    reference_init = load_file(str(REFERENCE / "eegnex" / "seed0_init.safetensors"))
    ours = model.state_dict()
    assert set(ours) == set(reference_init)
    assert_same_tensors(ours, reference_init)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 56452


def test_parity_is_sensitive_to_the_max_norm_constraints():
    from torch.nn.utils import parametrize

    for module in ("block_3.0", "final_layer"):
        model, _, t = reference("odd_kernels_gelu")
        parametrize.remove_parametrizations(model.get_submodule(module), "weight", leave_parametrized=False)
        with torch.no_grad():
            assert (model.eval()(t["x"]) - t["logits_eval"]).abs().max() > 10 * TOL, module


def test_braindecode_hub_folder_and_bare_state_dict_import(tmp_path):
    folder = FIXTURES / "braindecode_hub_eegnex"
    model, io = assert_hub_folder_and_bare_state_dict_import(EEGNeX, folder, tmp_path, TOL)
    kwargs = {k: v for k, v in json.loads((folder / "config.json").read_text()).items() if v is not None}
    kwargs.pop("braindecode_version")
    model = from_pretrained(folder / "pytorch_model.bin", architecture="eegnex", **kwargs).eval()
    assert isinstance(model, EEGNeX)
    with torch.no_grad():
        torch.testing.assert_close(model(io["x"]), io["logits_eval"], rtol=0, atol=TOL)
    assert from_pretrained(folder, n_outputs=5)(io["x"]).shape == (2, 5)


def test_saved_weights_have_braindecodes_keys_and_config(tmp_path):
    """What braindecode's loader needs (the generator checks braindecode itself loads them)."""
    model, state, _ = reference("default")
    model.save_pretrained(tmp_path / "m")
    saved = load_file(str(tmp_path / "m" / "model.safetensors"))
    assert set(saved) == set(state)
    assert all(saved[k].shape == v.shape and saved[k].dtype == v.dtype for k, v in state.items())
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["kernel_block_1_2"] == 64 and config["activation"] == "torch.nn.modules.activation.ELU"


# ----------------------------------------------------------------- argument errors
@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(n_chans=3, n_outputs=2, n_times=20), "n_times=20 is too short for EEGNeX with pools 4 and 8: nothing is left after pooling. Pass at least 22 samples or smaller pools."),
        (dict(n_chans=3, n_outputs=2, n_times=256, avg_pool_block4=1), "avg_pool_block4=1: the pooling pads one sample per side, which needs a window of at least 2 samples; pass 2 or more."),
        (dict(n_chans=3, n_outputs=2, n_times=256, filter_2=0), "filter_2 must be an int >= 1, got 0."),
        (dict(n_chans=3, n_outputs=2, n_times=256, drop_prob=1.0), "drop_prob must be a probability in [0, 1), got 1.0."),
        (dict(n_chans=3, n_outputs=2, n_times=256, max_norm_conv=0), "max_norm_conv must be a positive number, got 0."),
        (dict(n_chans=3, n_outputs=2), "EEGNeX needs the input length: pass n_times=<samples per trial> or input_window_seconds=<seconds per trial> with sfreq."),
        (dict(n_chans=3, n_times=256), "EEGNeX needs n_outputs: pass n_outputs=<number of classes>."),
        (dict(n_chans=3, n_outputs=2, n_times=256, activation="torch.nn.Nope"), "activation='torch.nn.Nope' does not name an importable class"),
    ],
)
def test_bad_arguments_name_the_problem_and_the_fix(kwargs, message):
    with pytest.raises(ValueError) as info:
        EEGNeX(**kwargs)
    assert message in str(info.value)


def test_specs_validate_before_building_and_the_paper_variant():
    with pytest.raises(SpecError, match="n_times=20 is too short for EEGNeX"):
        create_model("eegnex", n_times=20)
    with pytest.raises(SpecError, match=r"field 'avg_pool_block5': Input should be greater than or equal to 2"):
        create_model("eegnex", avg_pool_block5=1)
    paper = create_model("eegnex-8-32")
    assert (paper.kernel_block_1_2, paper.n_chans, paper.n_times, paper.in_features) == (32, 22, 1000, 8 * 31)
    assert sum(p.numel() for p in paper.parameters() if p.requires_grad) == 48004


def test_input_must_be_exactly_n_times_long():
    model = build_quiet(EEGNeX, n_chans=3, n_outputs=2, n_times=256)
    with pytest.raises(ValueError, match="takes exactly n_times=256: crop the input to 256 samples"):
        model(torch.randn(2, 3, 300))


# ----------------------------------------------------------------- the fused training path
@pytest.mark.parametrize(
    "kwargs, offset",
    [
        (dict(n_chans=22, n_times=500), 0.0),
        (dict(n_chans=4, n_times=256, kernel_block_1_2=33, filter_1=4, filter_2=8), 300.0),
        (dict(n_chans=6, n_times=200, kernel_block_1_2=10, depth_multiplier=3), 0.0),
    ],
    ids=["default-kernel", "odd-kernel-offset", "short-kernel"],
)
def test_fused_training_steps_match_braindecodes_operations(kwargs, offset):
    """Spatial filters first, composite filter with exact edges, batch statistics from the
    input's second-order statistics: braindecode's logits, gradients and running statistics."""
    torch.manual_seed(0)
    fused = EEGNeX(n_outputs=3, **kwargs)
    direct = EEGNeX(n_outputs=3, fused=False, **kwargs)
    direct.load_state_dict(fused.state_dict())
    x = torch.randn(6, fused.n_chans, fused.n_times, generator=torch.Generator().manual_seed(1)) * 20 + offset
    y = torch.arange(6) % 3
    results = []
    for model in (fused, direct):
        model.train()
        torch.manual_seed(2)
        for _ in range(2):  # the second step sees the running statistics the first one moved
            model.zero_grad()
            logits = model(x)
            torch.nn.functional.cross_entropy(logits, y).backward()
        results.append((logits.detach(), {n: p.grad for n, p in model.named_parameters()}, dict(model.named_buffers())))
    (logits, grads, buffers), (ref_logits, ref_grads, ref_buffers) = results
    torch.testing.assert_close(logits, ref_logits, rtol=0, atol=1e-5)
    for name, grad in ref_grads.items():
        # block 3's batch norm undoes blocks 1-2's per-map scale and shift: their gradients are ~0
        scale = 1e-5 if name.startswith(("block_1.2.", "block_2.1.")) else 1e-4 * float(grad.abs().max())
        torch.testing.assert_close(grads[name], grad, rtol=0, atol=scale, msg=name)
    for name, buffer in ref_buffers.items():
        torch.testing.assert_close(buffers[name], buffer, rtol=1e-4, atol=1e-5, msg=name)
    assert int(buffers["block_2.1.num_batches_tracked"]) == 2
    with torch.no_grad():
        torch.testing.assert_close(fused.eval()(x), direct.eval()(x), rtol=0, atol=1e-5)


def test_fused_path_is_exact_at_the_signal_edges():
    """The first (K-1)//2 and last K//2 samples of block 2 see block 1's output cut by the
    zero padding: an impulse there gives braindecode's response, not the composite filter's."""
    torch.manual_seed(0)
    fused = EEGNeX(n_chans=2, n_outputs=2, n_times=300, kernel_block_1_2=16).eval()
    direct = EEGNeX(n_chans=2, n_outputs=2, n_times=300, kernel_block_1_2=16, fused=False).eval()
    direct.load_state_dict(fused.state_dict())
    x = torch.zeros(3, 2, 300)
    x[0, 0, 0], x[1, 1, 299], x[2, 0, 7] = 50.0, 50.0, 50.0
    with torch.no_grad():
        a = fused._blocks_1_to_3_fused(x)
        b = direct.block_3[0](direct.block_2(direct.block_1(x)))
    torch.testing.assert_close(a, b, rtol=0, atol=1e-4)
    assert (a[..., :7] - a[..., 7:8]).abs().max() > 1e-3  # the edges are not flat


def test_scripted_model_equals_eager_in_train_mode():
    torch.manual_seed(0)
    model = EEGNeX(n_chans=3, n_outputs=2, n_times=256).train()
    scripted = torch.jit.script(model)
    x = torch.randn(2, 3, 256)
    torch.manual_seed(1)
    eager = model(x)
    torch.manual_seed(1)
    torch.testing.assert_close(scripted(x), eager, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ["default", "odd_kernels_gelu", "short_window"])
def test_inference_module_and_onnx_match_braindecode(name, tmp_path):
    """The frozen export form (baked composite filter and edges; braindecode's convolutions
    with explicit padding where the fused path does not apply) gives braindecode's logits."""
    import warnings

    from eegzoo import inference_module
    from eegzoo.io.export import export_model

    model, _, t = reference(name)
    form = inference_module(model.eval())
    assert form.baked == (name != "short_window")
    assert not any("parametrizations" in k for k in form.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(form(t["x"]), t["logits_eval"], rtol=0, atol=TOL)
    ort = pytest.importorskip("onnxruntime")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = export_model(model, tmp_path / "m.onnx", "onnx")
    (out,) = ort.InferenceSession(str(path)).run(None, {"eeg": t["x"][:1].numpy()})
    torch.testing.assert_close(torch.from_numpy(out), t["logits_eval"][:1], rtol=0, atol=1e-4)


def test_eval_operators_are_cached_and_follow_the_weights():
    torch.manual_seed(0)
    fused = build_quiet(EEGNeX, n_chans=4, n_outputs=3, n_times=200).eval()
    plain = build_quiet(EEGNeX, n_chans=4, n_outputs=3, n_times=200, fused=False).eval()
    x = torch.randn(2, 4, 200)
    with torch.no_grad():
        for t in [*fused.parameters(), *(b for b in fused.buffers() if b.is_floating_point())]:
            t.add_(torch.rand_like(t) * 0.1)
        plain.load_state_dict(fused.state_dict())
        first = fused(x)
        cached = fused.eval_operators_cache
        assert fused(x) is not None and fused.eval_operators_cache is cached  # reused
        torch.testing.assert_close(first, plain(x), rtol=1e-4, atol=1e-5)
        # in-place updates (an optimiser step, moving statistics) invalidate it
        fused.block_2[1].running_var.mul_(2.0)
        fused.block_1[1].weight.add_(0.05)
        plain.load_state_dict(fused.state_dict())
        changed = fused(x)
        assert fused.eval_operators_cache is not cached
        assert (changed - first).abs().max() > 1e-4
        torch.testing.assert_close(changed, plain(x), rtol=1e-4, atol=1e-5)
    # gradients flowing in eval: built each call, not cached
    fused.eval_operators_cache = None
    fused(x).sum().backward()
    assert fused.eval_operators_cache is None and fused.block_1[1].weight.grad is not None
