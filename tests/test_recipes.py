"""Training recipes: the paper's procedure as data, and fit following it step by step."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from eegzoo.core.errors import RegistryError, SpecError
from eegzoo.data.epochs import EEGDataset
from eegzoo.training import fit, get_recipe, list_recipes


class Recorder(nn.Module):
    """A linear classifier that remembers the batch sizes it trained on."""

    def __init__(self, n_chans: int = 2, n_times: int = 8, n_outputs: int = 2):
        super().__init__()
        self.linear = nn.Linear(n_chans * n_times, n_outputs)
        self.seen: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.seen.append(len(x))
        return self.linear(x.flatten(1))


def _data(n: int, seed: int) -> EEGDataset:
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    X = torch.randn(n, 2, 8, generator=g) + y[:, None, None].float()
    return EEGDataset(X, y, ["a", "b"], ["C3", "C4"], 100.0)


def test_lightconvnet_recipe_is_the_original_configuration():
    # config/bciiv2a_config.yaml and train_test_bciiv2a.py of Ma-Xinzhi/LightConvNet
    r = get_recipe("lightconvnet")
    assert (r.optimizer, r.lr, r.weight_decay, r.batch_size) == ("adam", 1e-3, 0.0, 150)
    assert (r.schedule, r.plateau.factor, r.plateau.patience, r.plateau.min_lr) == ("plateau", 0.6, 20, 1e-4)
    assert (r.monitor, r.ties_improve, r.patience, r.epochs) == ("valid_accuracy", True, 50, 500)
    assert (r.valid_fraction, r.refit_epochs) == (0.2, 200)
    assert list_recipes() == ["benchmark", "benchmark-cropped", "default", "lightconvnet"]


def test_unknown_recipe_and_bad_fields_are_named():
    with pytest.raises(RegistryError, match=r"Unknown recipe 'lightconv' \(did you mean 'lightconvnet'\?\)"):
        get_recipe("lightconv")
    with pytest.raises(SpecError, match="field 'epochs': Input should be greater than or equal to 1"):
        get_recipe("default").replace(epochs=0)
    with pytest.raises(TypeError, match="did you mean 'patience'"):
        get_recipe("default").replace(patiense=3)
    with pytest.raises(SpecError, match="schedule 'plateau' needs a \\[plateau\\] table"):
        get_recipe({**get_recipe("default").model_dump(), "schedule": "plateau"})


def test_default_recipe_follows_a_cosine_schedule():
    model = Recorder()
    history = fit(model, _data(40, 0), epochs=5, lr=1e-2, progress=False)
    expected = [1e-2 * (1 + math.cos(math.pi * k / 5)) / 2 for k in range(1, 6)]
    assert history.column("lr") == pytest.approx(expected)
    assert isinstance(model, nn.Module) and history.column("stage") == [1] * 5


def test_lightconvnet_recipe_refits_on_train_plus_valid():
    train, valid = _data(40, 1), _data(10, 2)
    model = Recorder()
    history = fit(model, train, valid, "lightconvnet", epochs=6, patience=3, progress=False)
    stages = history.column("stage")
    n_stage1 = stages.count(1)
    assert stages == [1] * n_stage1 + [2] * 200
    assert sum(model.seen[: len(model.seen) // len(stages)]) == 40  # batch 150 > 40: one batch per epoch
    assert model.seen[-1] == 50  # stage 2 trains on all 40 + 10 trials
    assert "valid_accuracy" not in history.epochs[-1]
    assert all(lr >= 1e-4 for lr in history.column("lr"))


def test_lightconvnet_recipe_holds_out_a_validation_fifth_itself():
    model = Recorder()
    history = fit(model, _data(50, 3), recipe="lightconvnet", epochs=2, patience=1, progress=False)
    assert model.seen[0] == 40 and model.seen[-1] == 50
    assert "valid_accuracy" in history.epochs[0]


@pytest.mark.parametrize("ties_improve", [True, False])
def test_early_stopping_on_validation_accuracy_and_ties(ties_improve):
    # lr so small that predictions never change: the validation accuracy is constant
    recipe = get_recipe("lightconvnet").replace(lr=1e-12, epochs=12, patience=4, refit_epochs=0, ties_improve=ties_improve)
    history = fit(Recorder(), _data(40, 4), _data(10, 5), recipe, progress=False)
    if ties_improve:  # the original code's `bestValAcc <= valAcc`: the later epoch wins, no stop
        assert (history.best_epoch, len(history.epochs), history.stopped_early) == (12, 12, False)
    else:
        assert (history.best_epoch, len(history.epochs), history.stopped_early) == (1, 5, True)
