"""EEGConformer against braindecode 1.8.1 (fixtures from fixtures/make_reference_eegconformer.py):
state_dict keys/shapes/dtypes, logits in eval and train mode (fused and plain stems), batch-norm
statistics after a training pass, same-seed initialisation, Hub folder import; argument errors;
the attention and encoder-layer blocks against a direct computation."""

from __future__ import annotations

import hashlib
import json
import math
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from arch_helpers import (
    assert_eval_and_train_logits,
    assert_hub_folder_and_bare_state_dict_import,
    assert_keys_shapes_dtypes,
    assert_other_masks_give_other_logits,
    assert_same_tensors,
    load_reference,
    reference_state,
)
from conftest import FIXTURES, REFERENCE, build_quiet
from eegzoo import create_model
from eegzoo.blocks.multi_head_attention import MultiHeadAttention
from eegzoo.blocks.patch_embedding import PatchEmbedding
from eegzoo.blocks.transformer_encoder_layer import ResidualBranch, TransformerEncoderLayer
from eegzoo.core.errors import SpecError
from eegzoo.models.eegconformer import EEGConformer

TOL = 1e-5
FOLDER = REFERENCE / "eegconformer"
META = json.loads((FOLDER / "configs.json").read_text())
NAMES = sorted(META["configs"])


def reference(name: str, **extra) -> tuple[EEGConformer, dict[str, torch.Tensor]]:
    model, _, tensors = load_reference(EEGConformer, FOLDER, META, name, **extra)
    return model, tensors


# ----------------------------------------------------------------- parity with braindecode
@pytest.mark.parametrize("fused", [True, False], ids=["fused", "plain"])
@pytest.mark.parametrize("name", NAMES)
def test_logits_match_braindecode_in_eval_and_train_mode(name, fused):
    model, t = reference(name, fused=fused)
    assert_eval_and_train_logits(model, t, META["train_seed"], TOL)
    bn = model.patch_embedding.shallownet[2]
    torch.testing.assert_close(bn.running_mean, t["bn_mean_train"], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(bn.running_var, t["bn_var_train"], rtol=1e-5, atol=1e-6)
    assert_other_masks_give_other_logits(model, t, META["train_seed"], TOL)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_is_braindecodes_keys_shapes_dtypes(name):
    state, _ = reference_state(FOLDER, META, name)
    ours = build_quiet(EEGConformer, **META["configs"][name]).state_dict()
    assert_keys_shapes_dtypes(ours, state)


def test_braindecode_key_layout():
    keys = list(build_quiet(EEGConformer, n_chans=3, n_outputs=2, n_times=200, n_filters_time=8,
                            num_heads=2, num_layers=1).state_dict())
    assert keys[:7] == [
        "patch_embedding.shallownet.0.weight", "patch_embedding.shallownet.0.bias",
        "patch_embedding.shallownet.1.weight", "patch_embedding.shallownet.1.bias",
        "patch_embedding.shallownet.2.weight", "patch_embedding.shallownet.2.bias",
        "patch_embedding.shallownet.2.running_mean",
    ]
    assert {
        "transformer.0.0.fn.0.weight", "transformer.0.0.fn.1.queries.weight", "transformer.0.0.fn.1.keys.bias",
        "transformer.0.0.fn.1.values.weight", "transformer.0.0.fn.1.projection.weight",
        "transformer.0.1.fn.0.bias", "transformer.0.1.fn.1.0.weight", "transformer.0.1.fn.1.3.weight",
        "patch_embedding.projection.0.weight", "fc.fc.0.weight", "fc.fc.3.bias", "final_layer.weight",
    } <= set(keys)


def test_same_seed_gives_braindecode_initialisation():
    torch.manual_seed(0)
    model = build_quiet(EEGConformer, **META["configs"]["default"])
    ours = model.state_dict()
    stored = load_file(str(FOLDER / "seed0_init.safetensors"))
    assert_same_tensors(ours, stored)  # includes the batch norm moved by the sizing pass
    for key, digest in META["seed0_init_sha256"].items():
        assert hashlib.sha256(ours[key].contiguous().numpy().tobytes()).hexdigest() == digest, key
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert n_params == META["seed0_n_params"] == 789572
    assert int(ours["patch_embedding.shallownet.2.num_batches_tracked"]) == 1


def test_braindecode_hub_folder_import(tmp_path):
    folder = FIXTURES / "braindecode_hub_eegconformer"
    model, _ = assert_hub_folder_and_bare_state_dict_import(EEGConformer, folder, tmp_path, TOL)
    # eegzoo's own save has braindecode's keys and shapes (the generator checks that
    # braindecode loads it strictly and gives the same logits)
    model.save_pretrained(tmp_path / "m")
    saved = load_file(str(tmp_path / "m" / "model.safetensors"))
    theirs = load_file(str(folder / "model.safetensors"))
    assert {k: v.shape for k, v in saved.items()} == {k: v.shape for k, v in theirs.items()}


def test_fused_and_plain_stems_agree_with_gradients():
    model, t = reference("small_gelu_relu_sfreq128")
    plain, _ = reference("small_gelu_relu_sfreq128", fused=False)
    grads = []
    for m in (model, plain):
        m.train()
        torch.manual_seed(3)
        m(t["x"]).square().sum().backward()
        grads.append({k: p.grad for k, p in m.named_parameters()})
    for key, grad in grads[0].items():
        torch.testing.assert_close(grad, grads[1][key], rtol=1e-4, atol=1e-5, msg=key)


def test_return_features_constructor_switch_returns_tokens():
    kwargs = dict(n_chans=3, n_outputs=2, n_times=200, n_filters_time=8, num_heads=2, num_layers=1)
    torch.manual_seed(0)
    plain = EEGConformer(**kwargs).eval()
    torch.manual_seed(0)
    tokens_model = EEGConformer(**kwargs, return_features=True).eval()
    x = torch.randn(2, 3, 200)
    with torch.no_grad():
        tokens = tokens_model(x)
        assert tokens.shape == (2, plain.n_tokens, 8) == (2, 7, 8)
        torch.testing.assert_close(tokens, plain(x, return_features=True)["features"])
    assert tokens_model.get_config()["return_features"] is True
    # the classifier never runs, so braindecode builds it at any final_fc_length (its own test)
    odd = EEGConformer(**kwargs, return_features=True, final_fc_length=120)
    assert odd.fc.fc[0].in_features == 120 and odd.eval()(x).shape == (2, 7, 8)


def test_registered_paper_configuration():
    model = create_model("eegconformer-bciiv2a")
    assert (model.n_chans, model.n_outputs, model.n_times, model.sfreq) == (22, 4, 1000, 250.0)
    assert (model.n_tokens, model.final_fc_length) == (61, 2440)
    assert model.chs_info[0] == {"ch_name": "Fz"} and len(model.transformer) == 6
    assert model.eval()(torch.randn(2, 22, 1000)).shape == (2, 4)


# ----------------------------------------------------------------- argument errors
@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(num_heads=3), "n_filters_time=40 (the embedding size) must be divisible by num_heads=3: pick num_heads among its divisors."),
        (dict(n_times=90), "n_times=90 is too short for EEGConformer: the temporal convolution (25 samples) and one pooling window (75) need 99 samples."),
        (dict(final_fc_length=100), "final_fc_length=100 does not match the 61 tokens x 40 features = 2440 that n_times=1000 gives: use 'auto' or 2440."),
        (dict(n_times=None), "EEGConformer needs the input length: pass n_times=<samples per trial> or input_window_seconds=<seconds per trial> with sfreq."),
        (dict(drop_prob=1.0), "drop_prob must be a probability in [0, 1), got 1.0."),
        (dict(num_layers=-1), "num_layers must be an int >= 0, got -1."),
        (dict(activation="torch.nn.NoSuch"), "activation='torch.nn.NoSuch' does not name an importable class"),
    ],
)
def test_bad_arguments_name_the_problem_and_the_fix(kwargs, message):
    base = dict(n_chans=22, n_outputs=4, n_times=1000)
    with pytest.raises(ValueError) as info:
        EEGConformer(**{**base, **kwargs})
    assert message in str(info.value)


def test_spec_validation_and_many_channels_warning():
    with pytest.raises(SpecError, match="must be divisible by num_heads=3"):
        create_model("eegconformer", num_heads=3)
    with pytest.raises(SpecError, match="n_times=90 is too short for EEGConformer"):
        create_model("eegconformer", n_times=90)
    with pytest.warns(UserWarning, match="only been tested on no more than 64 channels"):
        EEGConformer(n_chans=65, n_outputs=2, n_times=200, n_filters_time=8, num_heads=2, num_layers=1)


def test_input_must_be_exactly_n_times():
    model = EEGConformer(n_chans=3, n_outputs=2, n_times=200, n_filters_time=8, num_heads=2, num_layers=1)
    with pytest.raises(ValueError, match="takes exactly n_times=200: crop the input to 200 samples"):
        model(torch.randn(2, 3, 230))


# ----------------------------------------------------------------- blocks
def direct_attention(attn: MultiHeadAttention, x: torch.Tensor) -> torch.Tensor:
    """softmax(q k^T / sqrt(head_dim)) v per head, written out."""
    layers = dict(attn.named_children())
    names = attn.names
    q, k, v = (layers[names[r]](x) for r in ("query", "key", "value"))
    b, s, _ = x.shape
    split = lambda t: t.view(b, s, attn.num_heads, attn.head_dim).transpose(1, 2)  # noqa: E731
    weights = torch.softmax(split(q) @ split(k).transpose(-1, -2) / math.sqrt(attn.head_dim), -1)
    out = (weights @ split(v)).transpose(1, 2).reshape(b, s, -1)
    return layers[names["output"]](out)


def test_attention_block_is_scaled_dot_product_attention_with_braindecode_names():
    torch.manual_seed(0)
    attn = MultiHeadAttention(40, 10, dropout=0.5).eval()
    assert [n for n, _ in attn.named_children()] == ["queries", "keys", "values", "projection"]
    x = torch.randn(2, 61, 40)
    with torch.no_grad():
        torch.testing.assert_close(attn(x), direct_attention(attn, x), rtol=0, atol=1e-6)
    # creation order keys, queries, values, projection (braindecode's), so the seed decides the same weights
    torch.manual_seed(0)
    keys_first = nn.Linear(40, 40)
    torch.testing.assert_close(attn.keys.weight, keys_first.weight, rtol=0, atol=0)


def test_attention_block_other_names_head_dim_and_output_dropout():
    names = {"query": "fc_q", "key": "fc_k", "value": "fc_v", "output": "fc_o"}
    attn = MultiHeadAttention(32, 2, head_dim=8, out_size=24, out_dropout=0.5, names=names)
    assert list(attn.state_dict())[0] == "fc_q.weight" and attn.fc_q.weight.shape == (16, 32)
    assert attn.fc_o.weight.shape == (24, 16)
    x = torch.randn(3, 17, 32)
    with torch.no_grad():
        torch.testing.assert_close(attn.eval()(x), direct_attention(attn, x), rtol=0, atol=1e-6)
        attn.train()
        torch.manual_seed(1)
        dropped = attn(x)
        torch.manual_seed(1)
        mask = F.dropout(torch.ones(3, 17, 24), 0.5, True)
        torch.testing.assert_close(dropped, direct_attention(attn, x) * mask, rtol=0, atol=1e-5)
    scripted = torch.jit.script(attn.eval())
    torch.testing.assert_close(scripted(x), attn(x), rtol=0, atol=0)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(emb_size=40, num_heads=3), "emb_size (40) must be divisible by num_heads (3): choose num_heads among its divisors or pass head_dim."),
        (dict(emb_size=40, num_heads=4, dropout=1.5), "MultiHeadAttention: dropout must be a probability in [0, 1), got 1.5."),
        (dict(emb_size=40, num_heads=4, names={"query": "q"}), "MultiHeadAttention: names must map each of ['query', 'key', 'value', 'output']"),
    ],
)
def test_attention_block_errors(kwargs, message):
    with pytest.raises(ValueError) as info:
        MultiHeadAttention(**kwargs)
    assert message in str(info.value)
    with pytest.raises(ValueError, match=r"expects \(batch, tokens, emb_size\) = \(B, S, 8\), got \(2, 5, 6\)"):
        MultiHeadAttention(8, 2)(torch.randn(2, 5, 6))


def test_encoder_layer_pre_and_post_norm_written_out():
    torch.manual_seed(0)
    x = torch.randn(2, 9, 16)
    pre = TransformerEncoderLayer(16, 4, dropout=0.3).eval()
    post = TransformerEncoderLayer(16, 4, dropout=0.3, forward_dropout=0.1, norm_first=False).eval()
    with torch.no_grad():
        a, f = pre[0].fn, pre[1].fn
        h = x + direct_attention(a[1], a[0](x))
        torch.testing.assert_close(pre(x), h + f[1](f[0](h)), rtol=0, atol=1e-6)
        h = post.attention.layernorm(x + direct_attention(post.attention.module[0], x))
        torch.testing.assert_close(post(x), post.feed_forward.layernorm(h + post.feed_forward.module(h)), rtol=0, atol=1e-6)
    assert {"attention.module.0.queries.weight", "attention.layernorm.weight", "feed_forward.module.0.0.weight",
            "feed_forward.module.0.3.bias", "feed_forward.layernorm.bias"} <= set(post.state_dict())
    assert post.feed_forward.module[0][2].p == 0.1 and post.attention.drop.p == 0.3
    for layer in (pre, post):
        torch.testing.assert_close(torch.jit.script(layer)(x), layer(x), rtol=0, atol=0)


def test_residual_branch_applies_post_modules_after_the_sum():
    block = ResidualBranch(OrderedDict(same=nn.Identity()), OrderedDict(neg=nn.Hardtanh(-0.5, 0.5)))
    x = torch.tensor([0.1, 0.4, -1.0])
    torch.testing.assert_close(block(x), torch.tensor([0.2, 0.5, -0.5]))


def test_patch_embedding_merged_conv_and_eval_folding():
    torch.manual_seed(0)
    emb = PatchEmbedding(4, 8, 11, 30, 10, drop_prob=0.0)
    with torch.no_grad():
        bn = emb.shallownet[2]
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 1.5)
    x = torch.randn(2, 4, 100)
    assert emb.n_tokens(100) == 7
    with torch.no_grad():
        fused = emb.eval()(x)
        emb.fused = False
        plain = emb(x)
    assert fused.shape == (2, 7, 8)
    torch.testing.assert_close(fused, plain, rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="needs at least filter_time_length \\+ pool_time_length - 1 = 40 samples, got 39"):
        emb(torch.randn(2, 4, 39))
