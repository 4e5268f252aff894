"""What every registered architecture offers, checked on each one (the eight added ones
included): a JSON config that rebuilds it, save/from_pretrained, TorchScript, a new head,
features, braindecode's 4-D input, and a card with its paper."""

from __future__ import annotations

import json
import warnings

import pytest
import torch

import eegzoo
from eegzoo.io.cards import generate_model_card
from eegzoo.registry.models import list_architectures

ARCHITECTURES = [a for a in list_architectures() if a != "sequential"]


def build(arch: str) -> torch.nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eegzoo.create_model(arch)


def batch(model: torch.nn.Module, n: int = 3) -> torch.Tensor:
    return torch.randn(n, model.n_chans, model.n_times, generator=torch.Generator().manual_seed(1)) * 5


def test_the_zoo_has_the_twelve_architectures():
    assert {"atcnet", "ctnet", "deep4net", "eegconformer", "eegnet", "eegnex", "eegtcnet", "fbcnet",
            "fblightconvnet", "ifnet", "shallowfbcspnet", "tcformer"} <= set(ARCHITECTURES)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_json_config_rebuilds_the_same_model(arch):
    model = build(arch).eval()
    config = json.loads(json.dumps(model.get_config()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twin = type(model).from_config(config).eval()
    twin.load_state_dict(model.state_dict())
    x = batch(model)
    with torch.no_grad():
        torch.testing.assert_close(twin(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_save_and_from_pretrained_give_the_same_logits(arch, tmp_path):
    model = build(arch).eval()
    model.save_pretrained(tmp_path / arch)
    loaded = type(model).from_pretrained(tmp_path / arch).eval()
    x = batch(model)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize("arch", ARCHITECTURES)
@pytest.mark.parametrize("mode", ["eval", "train"])
def test_torchscript_training_module_matches_eager(arch, mode):
    model = build(arch).train(mode == "train")
    scripted = torch.jit.script(model)
    x = batch(model)
    with torch.no_grad():
        torch.manual_seed(7)
        eager = model(x)
        torch.manual_seed(7)
        script = scripted(x)
    torch.testing.assert_close(script, eager, rtol=0, atol=1e-5)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_reset_head_return_features_and_4d_input(arch):
    model = build(arch).eval()
    x = batch(model)
    with torch.no_grad():
        out = model(x, return_features=True)
        assert set(out) == {"features", "logits"} and out["logits"].shape == (3, model.n_outputs)
        torch.testing.assert_close(model(x.unsqueeze(-1)), out["logits"], rtol=0, atol=0)
        torch.testing.assert_close(model.forward_head(model.forward_features(x)), out["logits"], rtol=0, atol=0)
    model.reset_head(7, classes=[f"c{i}" for i in range(7)])
    assert model.eegzoo_classes == [f"c{i}" for i in range(7)]
    with torch.no_grad():
        assert model(x).shape == (3, 7)
    model.reset_head(2)
    assert model.eegzoo_classes is None and model.n_outputs == 2


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_card_names_the_paper_and_its_citation(arch):
    spec = eegzoo.model_spec(arch)
    card = generate_model_card(arch)
    assert spec.paper and spec.paper in card
    assert spec.citation and spec.citation.strip() in card


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_input_of_the_wrong_channel_count_names_the_fix(arch):
    model = build(arch).eval()
    with pytest.raises(ValueError, match=rf"Input has {model.n_chans + 1} channels but the model was built for n_chans={model.n_chans}"):
        model(torch.randn(2, model.n_chans + 1, model.n_times))
