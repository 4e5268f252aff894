"""CTNet against braindecode 1.8.1 (fixtures from fixtures/make_reference_ctnet.py):
state_dict keys/shapes/dtypes, logits in eval and train mode (fused and plain paths), batch-norm
statistics after a training pass, same-seed initialisation, Hub folder import; argument errors;
what is specific to CTNet (inferred sizes, the positional encoding's length, the unused final
dropout, the fused convolutions' gradients)."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from arch_helpers import (
    assert_keys_shapes_dtypes,
    assert_same_tensors,
    load_reference,
    reference_state,
    squared_loss_gradients,
)
from conftest import FIXTURES, REFERENCE, build_quiet
from eegzoo import create_model, from_pretrained
from eegzoo.core.errors import SpecError
from eegzoo.models.ctnet import CTNet
from eegzoo.specs.ctnet import CTNetParams, ctnet_encoding_length, resolve_ctnet_dims

TOL = 1e-5
FOLDER = REFERENCE / "ctnet"
META = json.loads((FOLDER / "configs.json").read_text())
NAMES = sorted(META["configs"])
BN_INDICES = (1, 3, 8)


def reference(name: str, **extra) -> tuple[CTNet, dict[str, torch.Tensor]]:
    model, _, tensors = load_reference(CTNet, FOLDER, META, name, **extra)
    return model, tensors


# ----------------------------------------------------------------- parity with braindecode
@pytest.mark.parametrize("fused", [True, False], ids=["fused", "plain"])
@pytest.mark.parametrize("name", NAMES)
def test_logits_match_braindecode_in_eval_and_train_mode(name, fused):
    model, t = reference(name, fused=fused)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(t["x"]), t["logits_eval"], rtol=0, atol=TOL)
    with torch.inference_mode():
        torch.testing.assert_close(model(t["x"]), t["logits_eval"], rtol=0, atol=TOL)
    torch.testing.assert_close(model(t["x"]).detach(), t["logits_eval"], rtol=0, atol=TOL)  # with gradients
    model.train()
    torch.manual_seed(META["train_seed"])
    with torch.no_grad():
        torch.testing.assert_close(model(t["x"]), t["logits_train"], rtol=0, atol=TOL)
    for j in BN_INDICES:  # the training pass moved the running statistics as braindecode's did
        bn = model.cnn.eegnet_module[j]
        torch.testing.assert_close(bn.running_mean, t[f"bn_train.{j}.running_mean"], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(bn.running_var, t[f"bn_train.{j}.running_var"], rtol=1e-5, atol=1e-6)
        assert int(bn.num_batches_tracked) == 8


def test_train_mode_parity_depends_on_the_dropout_masks():
    model, t = reference("default")
    model.train()
    torch.manual_seed(META["train_seed"] + 1)
    with torch.no_grad():
        assert (model(t["x"]) - t["logits_train"]).abs().max() > 100 * TOL


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_is_braindecodes_keys_shapes_dtypes(name):
    state, _ = reference_state(FOLDER, META, name)
    ours = build_quiet(CTNet, **META["configs"][name]).state_dict()
    assert_keys_shapes_dtypes(ours, state)


def test_braindecode_key_layout():
    keys = set(build_quiet(CTNet, **META["configs"]["paper_bciiv2a"]).state_dict())
    for key in (
        "cnn.eegnet_module.0.weight", "cnn.eegnet_module.1.running_var", "cnn.eegnet_module.2.weight",
        "cnn.eegnet_module.7.weight", "cnn.eegnet_module.8.num_batches_tracked", "position.encoding",
        "trans.layers.5.attention.module.0.keys.weight", "trans.layers.0.attention.module.0.projection.bias",
        "trans.layers.0.attention.layernorm.weight", "trans.layers.3.feed_forward.module.0.0.weight",
        "trans.layers.3.feed_forward.module.0.3.bias", "trans.layers.3.feed_forward.layernorm.bias",
        "final_layer.weight", "final_layer.bias",
    ):
        assert key in keys, key
    assert len(keys) == 18 + 1 + 6 * 16 + 2


def test_same_seed_gives_braindecode_initialisation():
    torch.manual_seed(0)
    model = build_quiet(CTNet, **META["configs"]["default"])
    state = model.state_dict()
    stored = load_file(str(FOLDER / "seed0_init.safetensors"))
    assert_same_tensors(state, stored)
    for key, digest in META["seed0_init_sha256"].items():
        assert hashlib.sha256(state[key].contiguous().numpy().tobytes()).hexdigest() == digest, key
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == META["seed0_n_params"] == 152684


def test_braindecode_hub_folder_import(tmp_path):
    folder = FIXTURES / "braindecode_hub_ctnet"
    io = load_file(str(folder / "io.safetensors"))
    model = from_pretrained(folder)
    assert isinstance(model, CTNet) and (model.embed_dim, model.n_filters_time, model.num_heads) == (8, 4, 2)
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(io["x"]), io["logits_eval"], rtol=0, atol=TOL)
    copy = tmp_path / "hub"
    shutil.copytree(folder, copy)
    assert isinstance(CTNet.from_pretrained(copy), CTNet)
    # eegzoo's own save keeps braindecode's keys, so braindecode's loader takes its weights
    model.save_pretrained(tmp_path / "ours")
    saved = load_file(str(tmp_path / "ours" / "model.safetensors"))
    assert set(saved) == set(load_file(str(folder / "model.safetensors")))


# ----------------------------------------------------------------- fused path
@pytest.mark.parametrize("name", ["default", "odd_kernel_relu_pools_4_5"])
def test_fused_and_plain_paths_agree_with_gradients(name):
    results = []
    for fused in (True, False):
        model, t = reference(name, fused=fused)
        results.append(squared_loss_gradients(model, t["x"]))
    (l1, gx1, g1), (l2, gx2, g2) = results
    torch.testing.assert_close(l1, l2, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(gx1, gx2, rtol=1e-4, atol=1e-5)
    assert set(g1) == set(g2) and "cnn.eegnet_module.0.weight" in g1 and "cnn.eegnet_module.1.weight" in g1
    # The first batch norm's affine parameters get (mathematically) zero gradient: the second
    # batch norm, in training mode, undoes any per-map scale and shift. Both paths leave only
    # rounding there; everything else agrees to float32 rounding of its own magnitude.
    invariant = {"cnn.eegnet_module.1.weight", "cnn.eegnet_module.1.bias"}
    largest = max(g.abs().max().item() for g in g2.values())
    for k in g1:
        scale = largest if k in invariant else g2[k].abs().max().item()
        assert (g1[k] - g2[k]).abs().max().item() <= 2e-5 * scale + 1e-5, k


# ----------------------------------------------------------------- CTNet specifics
def test_dimensions_are_inferred_from_two_of_three():
    assert resolve_ctnet_dims(2, None, 40) == (2, 20, 40)  # braindecode's defaults
    assert resolve_ctnet_dims(None, 8, 24) == (3, 8, 24)
    assert resolve_ctnet_dims(4, 5, None) == (4, 5, 20)
    assert resolve_ctnet_dims(2, 8, 16) == (2, 8, 16)
    model = build_quiet(CTNet, n_chans=3, n_outputs=2, n_times=256, embed_dim=None, n_filters_time=6, depth_multiplier=2,
                        num_heads=3)
    assert model.embed_dim == 12 and model.cnn.eegnet_module[2].weight.shape == (12, 1, 3, 1)


def test_encoding_rows_follow_braindecode_and_fit_every_sequence():
    assert ctnet_encoding_length(1000, 8, 15) == 100
    assert ctnet_encoding_length(8000, 8, 125) == 125  # braindecode's widening: n_times / pool_size_1**2
    # pool_size_2 < pool_size_1: 125 tokens; braindecode keeps 100 rows and fails at forward
    model = build_quiet(CTNet, n_chans=2, n_outputs=2, n_times=1000, pool_size_1=4, pool_size_2=2, num_layers=1)
    assert model.sequence_length == 125 and model.position.encoding.shape == (1, 125, 40)
    out = model(torch.randn(2, 2, 1000), return_features=True)
    assert out["features"].shape == (2, 125, 40) and out["logits"].shape == (2, 2)


def test_final_drop_prob_is_accepted_but_not_applied_as_in_braindecode():
    model, t = reference("paper_bciiv2a")
    other = build_quiet(CTNet, **{**META["configs"]["paper_bciiv2a"], "final_drop_prob": 0.9})
    other.load_state_dict(model.state_dict())
    assert other.get_config()["final_drop_prob"] == 0.9
    other.train()
    torch.manual_seed(META["train_seed"])
    with torch.no_grad():
        torch.testing.assert_close(other(t["x"]), t["logits_train"], rtol=0, atol=TOL)


def test_features_are_tokens_plus_encoder_output():
    model, t = reference("paper_bciiv2a")
    model.eval()
    with torch.no_grad():
        out = model(t["x"], return_features=True)
        maps = model.cnn(t["x"].unsqueeze(1))[:, :, 0, :].transpose(1, 2)
        tokens = maps * 4.0 + model.position.encoding[:, :15]
        expected = tokens + model.trans.layers(tokens)
    assert out["features"].shape == (2, 15, 16)
    torch.testing.assert_close(out["features"], expected, rtol=0, atol=1e-5)
    torch.testing.assert_close(out["logits"], t["logits_eval"], rtol=0, atol=TOL)


def test_registered_paper_configuration():
    model = create_model("ctnet-bciiv2a")
    assert (model.n_chans, model.n_outputs, model.n_times, model.sfreq) == (22, 4, 1000, 250.0)
    assert (model.n_filters_time, model.depth_multiplier, model.embed_dim, model.num_heads, model.num_layers) == (8, 2, 16, 2, 6)
    assert model.cnn_drop_prob == 0.5 and model.sequence_length == 15
    assert sum(p.numel() for p in model.parameters()) == 27284  # braindecode's CTNet with these arguments
    default = create_model("ctnet")
    assert (default.n_filters_time, default.embed_dim, default.num_heads) == (20, 40, 4)
    assert CTNetParams.sized_for_signal(1000, 250.0) == {"kernel_size": 64}
    assert CTNetParams.sized_for_signal(256, 128.0) == {"kernel_size": 33}


def test_activations_as_classes_or_paths():
    model = build_quiet(CTNet, n_chans=3, n_outputs=2, n_times=256, activation_patch="torch.nn.GELU",
                        activation_transformer=torch.nn.ReLU)
    config = model.get_config()
    assert config["activation_patch"] == "torch.nn.modules.activation.GELU"
    assert config["activation_transformer"] == "torch.nn.modules.activation.ReLU"
    assert isinstance(model.cnn.eegnet_module[4], torch.nn.GELU)
    rebuilt = CTNet.from_config(json.loads(json.dumps(config)))
    assert rebuilt.get_config() == config


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(embed_dim=None, depth_multiplier=None),
         "CTNet needs two of depth_multiplier, n_filters_time and embed_dim (the third is inferred from "
         "embed_dim = depth_multiplier * n_filters_time); depth_multiplier, n_filters_time and embed_dim are None."),
        (dict(embed_dim=None, n_filters_time=None),
         "CTNet needs two of depth_multiplier, n_filters_time and embed_dim (the third is inferred from "
         "embed_dim = depth_multiplier * n_filters_time); n_filters_time and embed_dim are None."),
        (dict(embed_dim=40, n_filters_time=8, depth_multiplier=2),
         "embed_dim=40 must equal depth_multiplier * n_filters_time = 2 * 8 = 16: pass embed_dim=16, or leave "
         "one of the three as None to infer it."),
        (dict(embed_dim=30, depth_multiplier=4),
         "embed_dim=30 must be divisible by depth_multiplier=4 (embed_dim = depth_multiplier * n_filters_time): "
         "pass a multiple of it as embed_dim."),
        (dict(embed_dim=30, num_heads=4),
         "embed_dim=30 must be divisible by num_heads=4 (each head gets embed_dim / num_heads dimensions): "
         "change num_heads or embed_dim."),
        (dict(n_times=63),
         "n_times=63 is too short for CTNet with pool_size_1=8 and pool_size_2=8: no token is left after "
         "pooling. Pass at least 64 samples or smaller pools."),
        (dict(depth_multiplier=0), "depth_multiplier must be an int >= 1 or None, got 0."),
        (dict(kernel_size=0), "kernel_size must be an int >= 1, got 0."),
        (dict(cnn_drop_prob=1.0), "cnn_drop_prob must be a probability in [0, 1), got 1.0."),
        (dict(activation_patch="torch.nn.NoSuchLayer"),
         "activation_patch='torch.nn.NoSuchLayer' does not name an importable class; use e.g. 'torch.nn.ELU' "
         "or pass the class itself."),
        (dict(n_outputs=None), "CTNet needs n_outputs: pass n_outputs=<number of classes>."),
    ],
)
def test_bad_arguments_name_the_problem_and_the_fix(kwargs, message):
    with pytest.raises(ValueError) as info:
        build_quiet(CTNet, **{"n_chans": 22, "n_outputs": 4, "n_times": 1000, **kwargs})
    assert str(info.value) == message


def test_spec_validation():
    with pytest.raises(SpecError, match="must be divisible by num_heads=3"):
        create_model("ctnet", num_heads=3)
    with pytest.raises(SpecError, match="n_times=50 is too short for CTNet"):
        create_model("ctnet", n_times=50)
    with pytest.raises(SpecError, match="CTNet needs two of depth_multiplier, n_filters_time and embed_dim"):
        create_model("ctnet", embed_dim=None, depth_multiplier=None)


def test_input_must_be_exactly_n_times():
    model = build_quiet(CTNet, n_chans=3, n_outputs=2, n_times=256)
    with pytest.raises(ValueError, match="takes exactly n_times=256: crop the input to 256 samples"):
        model(torch.randn(1, 3, 300))
    with pytest.raises(ValueError, match="fewer than the 256 the model needs"):
        model(torch.randn(1, 3, 200))
    with pytest.raises(ValueError, match="Input has 4 channels but the model was built for n_chans=3."):
        model(torch.randn(1, 4, 256))


def test_batch_norms_frozen_one_by_one_keep_the_fused_path_exact():
    """Each batch norm follows its own mode (e.g. the first frozen for fine-tuning)."""
    outs = []
    for fused in (True, False):
        model, t = reference("odd_kernel_relu_pools_4_5", fused=fused)
        model.train()
        model.cnn.eegnet_module[1].eval()
        model.cnn.eegnet_module[8].eval()
        torch.manual_seed(5)
        with torch.no_grad():
            outs.append((model(t["x"]), model.cnn.eegnet_module[3].running_mean.clone(),
                         model.cnn.eegnet_module[1].running_mean.clone()))
    torch.testing.assert_close(outs[0][0], outs[1][0], rtol=0, atol=TOL)
    torch.testing.assert_close(outs[0][1], outs[1][1], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(outs[0][2], outs[1][2], rtol=0, atol=0)
