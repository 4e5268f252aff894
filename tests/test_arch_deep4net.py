"""Deep4Net against braindecode 1.8.1 (fixtures from fixtures/make_reference_deep4net.py):
state_dict keys/shapes/dtypes, logits in eval and train mode, same-seed initialisation,
Hub folder import, legacy keys; braindecode's short-window scaling; dense (cropped)
predictions; the variants braindecode cannot build or train; argument errors; the
DeepConvPool and DilatedAvgPool2d blocks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from arch_helpers import assert_hub_folder_and_bare_state_dict_import, assert_logits_match_braindecode
from conftest import FIXTURES, REFERENCE, build_quiet
from eegzoo import create_model
from eegzoo.blocks.batch_norm_folding import fold_batch_norm
from eegzoo.blocks.deep_conv_pool import DeepConvPool, pool_commutes
from eegzoo.blocks.dilated_avg_pool import DilatedAvgPool2d
from eegzoo.core.errors import SpecError
from eegzoo.models.deep4net import Deep4Net
from fixtures.make_reference_deep4net import fill_state, sums

TOL = 1e-5
META = json.loads((REFERENCE / "deep4net" / "configs.json").read_text())
NAMES = sorted(META["configs"])


def build(name: str, **extra) -> Deep4Net:
    return build_quiet(Deep4Net, **META["configs"][name], **extra)


def reference(name: str, **extra):
    """eegzoo's model with the weights braindecode's had for ``name`` (checked by their sums)."""
    tensors = load_file(str(REFERENCE / "deep4net" / f"{name}.safetensors"))
    model = build(name, **extra)
    fill_state(model, META["weights_seed"][name])
    for key, value in model.state_dict().items():
        torch.testing.assert_close(sums(value), tensors[f"sum.{key}"], rtol=1e-6, atol=1e-6, msg=key)
    return model, tensors


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("name", NAMES)
def test_logits_match_braindecode_in_eval_and_train_mode(name, fused):
    model, t = reference(name, fused=fused)
    assert_logits_match_braindecode(model, t, META["train_seed"], TOL)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_is_braindecodes_keys_order_shapes_dtypes(name):
    ours = build(name).state_dict()
    assert [(k, [list(v.shape), str(v.dtype)]) for k, v in ours.items()] == list(META["state_dict"][name].items())


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_gives_braindecode_initialisation(name):
    torch.manual_seed(0)
    model = build(name)
    init = load_file(str(REFERENCE / "deep4net" / "seed0_init.safetensors"))
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value.flatten()[:16], init[f"{name}.head.{key}"], rtol=0, atol=0, msg=key)
        torch.testing.assert_close(sums(value), init[f"{name}.sum.{key}"], rtol=1e-9, atol=1e-9, msg=key)


def test_default_layout_and_parameter_count():
    model = build("default")
    assert [name for name, _ in model.named_children()] == [
        "conv_time_spat", "bnorm", "conv_nonlin", "pool", "pool_nonlin",
        "drop_2", "conv_2", "bnorm_2", "nonlin_2", "pool_2", "pool_nonlin_2",
        "drop_3", "conv_3", "bnorm_3", "nonlin_3", "pool_3", "pool_nonlin_3",
        "drop_4", "conv_4", "bnorm_4", "nonlin_4", "pool_4", "pool_nonlin_4", "final_layer",
    ]
    assert sum(p.numel() for p in model.parameters()) == 282879  # braindecode: 282,879
    assert (model.final_conv_length, model.n_times_out) == (7, 7)
    assert model.pool_2.stride == (3, 1) and model.conv_2.stride == (1, 1)
    plain = build("not_split_no_bn_stride")
    assert not any(isinstance(m, nn.BatchNorm2d) for m in plain.modules())
    assert plain.conv_time.stride == (3, 1) and plain.pool.stride == (1, 1) and plain.conv_2.bias is not None


def test_braindecode_hub_folder_import(tmp_path):
    folder = FIXTURES / "braindecode_hub_deep4net"
    model, _ = assert_hub_folder_and_bare_state_dict_import(Deep4Net, folder, tmp_path, TOL)
    # eegzoo's own save holds braindecode's keys, which braindecode loads strictly
    model.save_pretrained(tmp_path / "m")
    assert set(load_file(str(tmp_path / "m" / "model.safetensors"))) == set(load_file(str(folder / "model.safetensors")))


def test_legacy_keys_load_as_in_braindecode():
    model = build("default")
    state = model.state_dict()
    fill_state(model, 11)
    legacy = {}
    for key, value in model.state_dict().items():
        for old, new in (("conv_time_spat.", ""), ("final_layer.", "")):
            if key.startswith(old):
                key = new + key[len(old):]
        legacy[key] = value.clone()
    assert "conv_time.weight" in legacy and "conv_classifier.weight" in legacy
    fresh = build("default")
    fresh.load_state_dict(legacy, strict=True)
    for key, value in fresh.state_dict().items():
        assert torch.equal(value, model.state_dict()[key]), key
    assert set(state) == set(fresh.state_dict())
    # without split_first_layer conv_time.* is the layer's own key, not a legacy one
    plain = build("not_split_relu")
    plain.load_state_dict(build("not_split_relu").state_dict(), strict=True)


def test_short_window_scales_lengths_as_braindecode():
    with pytest.warns(UserWarning, match=r"n_times \(400\) is smaller than the minimum required \(441\).*Scaling factor: 0.91"):
        model = Deep4Net(n_chans=8, n_outputs=2, n_times=400)
    assert (model.filter_time_length, model.pool_time_length, model.pool_time_stride) == (9, 2, 2)
    assert (model.filter_length_2, model.filter_length_3, model.filter_length_4) == (9, 9, 9)
    assert model.conv_time_spat.conv_time.weight.shape == (25, 1, 10, 1)  # braindecode: unscaled
    assert model.conv_2.weight.shape == (50, 25, 9, 1)
    # the config keeps the arguments, so the same model is rebuilt (and warns again)
    config = model.get_config()
    assert (config["filter_time_length"], config["filter_length_2"], config["pool_time_length"]) == (10, 10, 3)
    with pytest.warns(UserWarning):
        again = Deep4Net.from_config(config)
    assert {k: v.shape for k, v in again.state_dict().items()} == {k: v.shape for k, v in model.state_dict().items()}


@pytest.mark.parametrize("pool_mode", ["max", "mean"])
@pytest.mark.parametrize("fused", [True, False])
def test_dense_predictions_equal_the_model_on_each_crop(pool_mode, fused):
    """Cropped decoding: after the dense conversion, prediction j is the trial-wise model's
    output on the crop starting at sample j."""
    kwargs = dict(n_chans=3, n_outputs=2, final_conv_length=2, first_pool_mode=pool_mode,
                  later_pool_mode=pool_mode, fused=fused)
    crop = Deep4Net(n_times=522, **kwargs)  # the receptive field: exactly one prediction
    assert crop.n_times_out == 2
    fill_state(crop, 5)
    dense = Deep4Net(n_times=600, **kwargs)
    dense.load_state_dict(crop.state_dict())
    dense.to_dense_prediction_model()
    assert dense.get_output_shape() == (1, 2, 600 - 522 + 1)
    x = torch.randn(2, 3, 600)
    with torch.no_grad():
        out = dense.eval()(x)
        assert out.shape == (2, 2, 600 - 522 + 1)
        for j in (0, 1, 2, 3, 40, 78):
            torch.testing.assert_close(out[:, :, j], crop.eval()(x[:, :, j:j + 522]), rtol=0, atol=TOL)
        scripted = torch.jit.script(dense)
        torch.testing.assert_close(scripted(x), out, rtol=0, atol=TOL)


@pytest.mark.parametrize("name", ["not_split_relu", "not_split_no_bn_stride", "mean_pool_no_bn", "stride_before_pool_gelu_dense"])
def test_scripted_equals_eager_for_variants(name):
    model, t = reference(name)
    scripted = torch.jit.script(model)
    with torch.no_grad():
        torch.testing.assert_close(scripted.eval()(t["x"]), t["logits_eval"], rtol=0, atol=TOL)
        scripted.train()
        torch.manual_seed(META["train_seed"])
        torch.testing.assert_close(scripted(t["x"]), t["logits_train"], rtol=0, atol=TOL)


@pytest.mark.parametrize("name", ["mean_pool_no_bn", "not_split_relu"])
def test_variants_braindecode_cannot_train_train(name):
    """braindecode 1.8.1 fails to build split_first_layer=False and fails the first training
    step with mean pooling (its pool weights are cached as inference tensors at construction);
    here one step of training runs and changes the weights."""
    model = build(name).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(4, model.n_chans, model.n_times)
    F.cross_entropy(model(x), torch.tensor([0, 1, 0, 1])).backward()
    optimizer.step()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())
    assert not torch.equal(before["conv_4.weight"], model.state_dict()["conv_4.weight"])


def test_fused_training_has_braindecodes_gradients_and_statistics():
    """Pooling before the ELU (training too) gives the same gradients and running statistics."""
    a, b = build("default", fused=True), build("default", fused=False)
    fill_state(a, 3), fill_state(b, 3)
    x = torch.randn(3, 22, 1000)
    for model in (a, b):
        torch.manual_seed(1)
        F.cross_entropy(model.train()(x), torch.tensor([0, 1, 2])).backward()
    for (key, p), q in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-5, msg=key)
    for key, value in a.state_dict().items():
        torch.testing.assert_close(value, b.state_dict()[key], rtol=0, atol=1e-6, msg=key)


def test_errors_name_the_fix():
    with pytest.raises(ValueError, match=r"n_times=8 is too short for Deep4Net: the first convolution \(10 samples\) and its pooling \(1 samples\) do not fit the 8 time steps"):
        build_quiet(Deep4Net, n_chans=3, n_outputs=2, n_times=8)  # lengths scaled to 1 but the merged layer's
    with pytest.raises(ValueError, match=r"final_conv_length=8 exceeds the 7 time steps the last block gives for n_times=1000"):
        Deep4Net(n_chans=3, n_outputs=2, n_times=1000, final_conv_length=8)
    with pytest.raises(ValueError, match="later_pool_mode must be 'max' or 'mean', got 'median'"):
        Deep4Net(n_chans=3, n_outputs=2, n_times=1000, later_pool_mode="median")
    with pytest.raises(ValueError, match="drop_prob must be a probability in"):
        Deep4Net(n_chans=3, n_outputs=2, n_times=1000, drop_prob=1.5)
    with pytest.raises(ValueError, match="n_filters_3 must be an int >= 1, got 0"):
        Deep4Net(n_chans=3, n_outputs=2, n_times=1000, n_filters_3=0)
    with pytest.raises(ValueError, match="Deep4Net needs n_outputs"):
        Deep4Net(n_chans=3, n_times=1000)
    with pytest.raises(SpecError, match="n_times=8 is too short for Deep4Net"):
        create_model("deep4net", n_times=8)
    with pytest.raises(SpecError, match=r"field 'later_pool_mode': Input should be 'max' or 'mean'"):
        create_model("deep4net", later_pool_mode="median")
    model = Deep4Net(n_chans=3, n_outputs=2, n_times=500)
    with pytest.raises(ValueError, match="Input has 4 channels but the model was built for n_chans=3."):
        model(torch.randn(2, 4, 500))
    with pytest.raises(ValueError, match="Input has 499 samples, fewer than the 500 the model needs"):
        model(torch.randn(2, 3, 499))


def test_longer_input_gives_dense_predictions_and_numpy_sizes_count():
    model = Deep4Net(n_chans=np.int64(3), n_outputs=2, n_times=np.int64(500), n_filters_2=np.int32(12)).eval()
    assert model(torch.randn(2, 3, 500)).shape == (2, 2)
    assert model(torch.randn(2, 3, 800)).shape == (2, 2, 5)  # braindecode: the same
    assert model(torch.randn(2, 3, 500, 1)).shape == (2, 2)


def test_registry_variants():
    paper = create_model("deep4net-bciiv2a")
    assert (paper.n_chans, paper.n_outputs, paper.n_times, paper.sfreq) == (22, 4, 1125, 250.0)
    assert paper.final_conv_length == 9
    assert paper.get_config()["n_filters_4"] == 200


# --------------------------------------------------------------------------- blocks
@pytest.mark.parametrize("batch_norm", [True, False])
@pytest.mark.parametrize("training", [True, False])
def test_deep_conv_pool_is_braindecodes_layer_sequence(batch_norm, training):
    block = DeepConvPool(6, 8, filter_length=5, pool_length=3, pool_stride=2, batch_norm=batch_norm, drop_prob=0.3)
    fill_state(block, 9)
    plain = DeepConvPool(6, 8, filter_length=5, pool_length=3, pool_stride=2, batch_norm=batch_norm,
                         drop_prob=0.3, fused=False)
    plain.load_state_dict(block.state_dict())
    block.train(training), plain.train(training)
    x = torch.randn(4, 6, 60)
    torch.manual_seed(2)
    out = block(x)
    torch.manual_seed(2)
    h = F.conv2d(F.dropout(x, 0.3, training).unsqueeze(3), plain.conv.weight, plain.conv.bias)
    if batch_norm:
        h = plain.bnorm(h)
    expected = F.max_pool2d(F.elu(h), (3, 1), (2, 1)).squeeze(3)
    assert out.shape == (4, 8, 27)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-5)
    if batch_norm:
        torch.testing.assert_close(block.bnorm.running_var, plain.bnorm.running_var, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match=r"DeepConvPool expects \(batch, in_filters, n_times\) = \(B, 6, T\), got \(4, 5, 60\)."):
        block(torch.randn(4, 5, 60))


def test_fold_batch_norm_and_pool_commutes():
    conv, bn = nn.Conv1d(4, 5, 3), nn.BatchNorm1d(5)
    fill_state(bn, 1)
    bn.eval()
    weight, bias = fold_batch_norm(conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps)
    x = torch.randn(2, 4, 20)
    with torch.no_grad():
        torch.testing.assert_close(F.conv1d(x, weight, bias), bn(conv(x)), rtol=0, atol=1e-5)
    assert pool_commutes(nn.ELU, "max") and pool_commutes(nn.Identity, "max")
    assert not pool_commutes(nn.GELU, "max") and not pool_commutes(nn.ELU, "mean")
    assert not pool_commutes(nn.LeakyReLU(-0.5), "max") and pool_commutes(nn.LeakyReLU(0.2), "max")


def test_dilated_avg_pool():
    x = torch.randn(2, 3, 40, 1)
    pool = DilatedAvgPool2d((4, 1), (2, 1))
    torch.testing.assert_close(pool(x), F.avg_pool2d(x, (4, 1), (2, 1)))
    pool.dilation, pool.stride = (3, 1), (1, 1)
    expected = torch.stack([x[:, :, i:i + 10:3].mean(2) for i in range(40 - 9)], dim=2)
    torch.testing.assert_close(pool(x), expected, rtol=0, atol=1e-6)
    assert torch.jit.script(pool)(x).shape == (2, 3, 31, 1)
    with pytest.raises(ValueError, match=r"DilatedAvgPool2d: stride must be an int or a pair of ints >= 0, got \(1, 2, 3\)."):
        DilatedAvgPool2d(3, (1, 2, 3))


@pytest.mark.parametrize("kwargs", [dict(n_chans=1), dict(n_chans=3, n_filters_spat=1)])
def test_single_channel_or_spatial_filter_builds(kwargs):
    """braindecode 1.8.1 raises 'self must be a matrix' here (its merged layer squeezes the
    spatial weight); the merged convolution equals the two convolutions in sequence."""
    model = Deep4Net(n_outputs=2, n_times=500, **kwargs).eval()
    x = torch.randn(2, model.n_chans, 500)
    layer = model.conv_time_spat
    two_step = layer.conv_spat(layer.conv_time(x.transpose(1, 2).unsqueeze(1)))[..., 0]
    torch.testing.assert_close(layer(x), two_step, rtol=0, atol=1e-5)
    assert model(x).shape == (2, 2)
