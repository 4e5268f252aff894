"""`eegzoo pretrain` on a lab's own recordings: a local dataset spec (BrainVision + EEGLAB,
two event names for one class) becomes a model folder and a variant spec pinning its
weights; the folder predicts a recording by the recordings' own event names."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import eegzoo
from eegzoo.apps.cli import main as cli_main
from eegzoo.apps.pretrain import pretrain
from eegzoo.core.files import file_sha256
from eegzoo.registry import reload_registry
from eegzoo.registry.datasets import reload_datasets
from own_recordings import lab_folder, write_spec


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    folder = lab_folder(root / "recordings")
    return folder, write_spec(root, "facelab", str(folder))


@pytest.fixture(autouse=True)
def clean_registries():
    yield
    reload_registry()
    reload_datasets()


def test_cli_pretrain_writes_a_model_folder_and_a_pinned_variant(lab, tmp_path, capsys):
    folder, spec_file = lab
    out = tmp_path / "facelab-eegnet"
    assert cli_main(["pretrain", "eegnet", "--dataset", str(spec_file), "--out", str(out), "--seed", "0"]) == 0
    said = capsys.readouterr().out
    assert said.startswith("eegnet.facelab: held-out accuracy ") and "(chance 0.500, binomial p = " in said
    # EEGNet keeps config.json to its braindecode constructor arguments, eegzoo's record beside it
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json", "eegnet.facelab.json", "eegzoo.json", "model.safetensors"]
    variant = json.loads((out / "eegnet.facelab.json").read_text())
    pinned = variant["pretrained"]
    assert pinned["sha256"] == file_sha256(out / "model.safetensors") and pinned["bundled"] == "model.safetensors"
    assert pinned["classes"] == ["face", "house"] and pinned["dataset"] == "facelab"
    assert variant["license"] == "CC-BY-4.0: test data"  # the weights' license follows their data
    assert pinned["details"]["data provenance"].startswith(f"local recordings under `{folder}` (files not pinned by sha256")
    assert pinned["input"]["events"] == {"upright": "face", "inverted": "face", "house": "house"}
    accuracy = pinned["results"][0]["value"]
    assert f"held-out accuracy {accuracy:.3f}" in said
    card = (out / "README.md").read_text()
    assert "license: cc-by-4.0" in card and "upright → face, inverted → face, house → house" in card
    assert f"value: {accuracy}" in card  # the held-out result as Hub model-index metadata

    # the folder is a saved model, and the spec a named pretrained variant with the same weights
    from_folder = eegzoo.from_pretrained(out)
    eegzoo.register_spec(out / "eegnet.facelab.json")
    named = eegzoo.create_model("eegnet.facelab", pretrained=True)
    x = torch.randn(3, 4, from_folder.n_times)
    with torch.no_grad():
        torch.testing.assert_close(named.eval()(x), from_folder.eval()(x), rtol=0, atol=0)

    # predict finds the trials of another recording, in another format, by its own event names
    assert cli_main(["predict", str(out), "--data", str(folder / "sub-02_faces.set"), "--out", str(tmp_path / "p.csv")]) == 0
    said = capsys.readouterr().out
    assert "30 trials of sub-02_faces.set: predicted" in said and "agreement with the event names: " in said
    assert "over 30 trials" in said
    rows = (tmp_path / "p.csv").read_text().splitlines()
    assert rows[0] == "trial,onset_s,event,predicted,p_face,p_house" and rows[1].startswith("0,2.0000,upright,")


def test_pretrain_is_deterministic_for_its_seed(lab, tmp_path):
    _, spec_file = lab
    from eegzoo.registry.datasets import load_dataset_spec, register_dataset

    register_dataset(load_dataset_spec(spec_file), str(spec_file))
    first = pretrain("shallowfbcspnet", "facelab", tmp_path / "a", seed=1, model_folder=False, weights_file="w.safetensors")
    second = pretrain("shallowfbcspnet", "facelab", tmp_path / "b", seed=1, model_folder=False, weights_file="w.safetensors")
    assert file_sha256(first.weights_file) == file_sha256(second.weights_file)
    assert (first.accuracy, first.n_train, first.n_test) == (second.accuracy, second.n_train, second.n_test)
    assert 0 <= first.p_value <= 1 and first.chance == pytest.approx(0.5)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["shallowfbcspnet.facelab.json", "w.safetensors"]


def test_pretrain_refuses_a_subject_the_dataset_lacks(lab, tmp_path, capsys):
    _, spec_file = lab
    assert cli_main(["pretrain", "eegnet", "--dataset", str(spec_file), "--out", str(tmp_path / "x"), "--subject", "9"]) == 2
    assert "dataset 'facelab' has no subject 9; its subjects: [1, 2]." in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
