"""Bundled pretrained variants: they load offline from a fresh install, their cards state how
they were made, and re-evaluating them on their held-out split gives their cards' accuracy."""

from __future__ import annotations

import json
import shutil
import warnings

import mne
import numpy as np
import pytest
import torch
from huggingface_hub import ModelCard

import eegzoo
from eegzoo.benchmark.protocol import subject_data
from eegzoo.data.datasets import load_dataset
from eegzoo.io.cards import generate_model_card
from eegzoo.io.hub import load_pretrained_source
from eegzoo.io.weights import WeightsError
from eegzoo.registry import build_from_spec, model_source, model_spec
from eegzoo.registry.datasets import dataset_spec

PRETRAINED = eegzoo.list_models(pretrained=True)


@pytest.fixture(autouse=True)
def offline_empty_hub_cache(tmp_path, monkeypatch):
    """As on a fresh install without network: nothing in the Hub cache, Hub offline."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))


def test_at_least_three_variants_on_two_datasets():
    datasets = {model_spec(n).pretrained.dataset for n in PRETRAINED}
    assert len(PRETRAINED) >= 3 and len(datasets) >= 2, PRETRAINED
    for name in PRETRAINED:
        model, dataset = name.split(".", 1)
        assert model_spec(name).pretrained.dataset == dataset and model_spec(name).architecture == model


@pytest.mark.parametrize("name", PRETRAINED)
def test_bundled_weights_reproduce_the_cards_held_out_accuracy(name):
    source = model_spec(name).pretrained
    model = eegzoo.create_model(name, pretrained=True).eval()
    spec = dataset_spec(source.dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (data,) = subject_data(spec, {1: load_dataset(source.dataset, subjects=[1], progress=False)[1]})
    _, test = data.folds(source.seed)[0]
    assert data.ch_names == [c["ch_name"] for c in model.chs_info]
    with torch.no_grad():
        logits = model(torch.as_tensor(data.X[test] * 1e6, dtype=torch.float32))
    predicted = np.array(model.eegzoo_classes)[logits.argmax(1).numpy()]
    accuracy = float(np.mean(predicted == data.y[test]))
    stated = next(r.value for r in source.results if r.metric == "accuracy")
    assert abs(accuracy - stated) <= 0.01, (name, accuracy, stated)
    # the weights carry their input contract: eegzoo.predict prepares mne Epochs by itself
    assert model.eegzoo_input.unit == "uV" and model.eegzoo_input.tmin == spec.epochs.tmin
    splits = load_dataset(source.dataset, subjects=[1], progress=False)[1]
    if spec.protocol.kind == "train-test":
        held_out = mne.concatenate_epochs([splits[s] for s in spec.protocol.test], verbose="error")
    else:
        held_out = splits[spec.protocol.split][test]
    assert np.mean(eegzoo.predict(model, held_out) == predicted) == 1.0
    card = ModelCard(generate_model_card(name))
    (index,) = card.data.eval_results[:1]
    assert index.metric_type == "accuracy" and abs(index.metric_value - accuracy) <= 0.01
    text = card.text
    for needle in ("data license", "data provenance", "recipe", "held-out data", spec.license.split(":")[0]):
        assert needle in text, needle
    if source.dataset == "graz-sample":
        assert "GPL" in model_spec(name).license and "GPL" in text


def test_hub_cache_is_preferred_and_checked(tmp_path):
    name = PRETRAINED[0]
    spec = model_spec(name)
    repo = tmp_path / "cache" / f"models--{spec.pretrained.repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / spec.pretrained.filename).write_bytes(b"not the pinned weights")
    with pytest.raises(WeightsError, match=f"sha256 .* differs from the {spec.pretrained.sha256}"):
        load_pretrained_source(build_from_spec(spec, {}, "test"), spec, cache_dir=str(tmp_path / "cache"))
    bundled = model_source(name).rsplit("/", 1)[0] + "/" + spec.pretrained.bundled
    shutil.copy(bundled, snapshot / spec.pretrained.filename)
    model = load_pretrained_source(build_from_spec(spec, {}, "test"), spec, cache_dir=str(tmp_path / "cache"))
    assert model.eegzoo_classes == spec.pretrained.classes


def test_corrupt_bundled_file_is_refused(tmp_path):
    name = PRETRAINED[0]
    folder = tmp_path / "specs"
    (folder / "weights").mkdir(parents=True)
    text = json.loads(open(model_source(name)).read())
    text["name"] = "corrupt-copy"
    (folder / "corrupt-copy.json").write_text(json.dumps(text))
    weights = open(model_source(name).rsplit("/", 1)[0] + "/" + text["pretrained"]["bundled"], "rb").read()
    (folder / text["pretrained"]["bundled"]).write_bytes(weights[:-10])  # truncated
    try:
        eegzoo.register_spec(folder / "corrupt-copy.json")
        with pytest.raises(WeightsError, match="sha256"):
            eegzoo.create_model("corrupt-copy", pretrained=True)
    finally:
        eegzoo.reload_registry()
