"""Model cards: Hub metadata (model-index with measured results) read back with ModelCard.load."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import EvalResult, ModelCard, constants

import eegzoo
from eegzoo import MeasuredResult, create_model, measured_results
from eegzoo.io.cards import generate_model_card
from eegzoo.io.hub import push_to_hub, save_pretrained
from test_weights_hub import SMALL, LocalHubStandIn, small_model

CARDS = Path(__file__).resolve().parents[1] / "model_cards"
SIMULATED = dict(dataset="simulated-motor-imagery", dataset_name="SIMULATED motor imagery", split="session E", config="subject 1")


@pytest.mark.parametrize("name", eegzoo.list_models())
def test_model_cards_are_up_to_date(name):
    assert (CARDS / f"{name}.md").read_text() == generate_model_card(name), (
        "model_cards/ is stale: run `eegzoo card --all`"
    )


@pytest.mark.parametrize("name", [n for n in eegzoo.list_models() if eegzoo.model_spec(n).pretrained is None])
def test_registry_cards_load_and_say_they_are_untrained(name):  # pretrained variants: tests/test_pretrained.py
    card = ModelCard.load(CARDS / f"{name}.md")
    spec = eegzoo.model_spec(name)
    data = card.data.to_dict()
    assert data["library_name"] == "eegzoo" and data["license"] == "bsd-3-clause" and data["model_name"] == name
    assert data["tags"][:3] == ["eeg", "eegzoo", spec.architecture] and set(spec.tags) <= set(data["tags"])
    assert data["eegzoo"] == {
        "version": eegzoo.__version__, "model": name, "architecture": spec.architecture,
        "spec_sha256": spec.sha256(), "weights": "untrained",
    }
    assert card.data.eval_results is None and "model-index" not in card.content and "datasets" not in data
    assert f"**Untrained.** This card describes the registered variant `{name}`" in card.text
    assert "## Architecture" in card.text and "## Input expectations" in card.text and "## Intended use" in card.text
    assert "@article{schirrmeister2017deep" in card.text and card.text.rstrip().endswith("BSD-3-Clause.")


def test_saved_folder_card_carries_measured_results_as_model_index(tmp_path):
    model = small_model()
    metrics = {"accuracy": 0.75, "kappa": 0.6667, "loss": 0.61, "confusion_matrix": [[3, 1], [1, 3]], "classes": ["a", "b"]}
    results = measured_results(metrics, **SIMULATED)
    save_pretrained(model, tmp_path / "m", results=results, details={"best epoch": 7, "seed": 0})
    card = ModelCard.load(tmp_path / "m" / "README.md")
    data = card.data
    assert data.model_name == "fblightconvnet" and data.datasets == ["simulated-motor-imagery"]
    assert data.metrics == ["accuracy", "cohen_kappa", "cross_entropy"]
    assert data.eegzoo["weights"] == "model.safetensors" and data.eegzoo["spec_sha256"] == eegzoo.model_spec("fblightconvnet").sha256()
    loaded = [(r.task_type, r.dataset_type, r.dataset_name, r.dataset_config, r.dataset_split, r.metric_type, r.metric_name, r.metric_value)
              for r in data.eval_results]
    assert loaded == [
        ("eeg-classification", "simulated-motor-imagery", "SIMULATED motor imagery", "subject 1", "session E", "accuracy", "Accuracy", 0.75),
        ("eeg-classification", "simulated-motor-imagery", "SIMULATED motor imagery", "subject 1", "session E", "cohen_kappa", "Cohen's kappa", 0.6667),
        ("eeg-classification", "simulated-motor-imagery", "SIMULATED motor imagery", "subject 1", "session E", "cross_entropy", "Cross-entropy loss", 0.61),
    ]
    assert data.eval_results[0].task_name == "EEG classification"
    assert "| SIMULATED motor imagery (subject 1) | session E | Accuracy | 0.7500 |" in card.text
    assert "| best epoch | 7 |" in card.text and "Trainable parameters: **" in card.text and "| sampling rate | 250 Hz |" in card.text
    assert f'eegzoo.from_pretrained("{tmp_path / "m"}")' in card.text and "Untrained" not in card.text


def test_results_accept_huggingface_eval_results_and_mappings():
    hub = EvalResult(task_type="eeg-classification", dataset_type="BNCI2014_001", dataset_name="BCI IV 2a",
                     dataset_split="session E", metric_type="accuracy", metric_value=0.81)
    plain = {"metric": "cohen_kappa", "value": 0.74, "dataset": "BNCI2014_001", "split": "session E"}
    card = ModelCard(generate_model_card(small_model(), results=[hub, plain]))
    assert [(r.dataset_type, r.metric_type, r.metric_value) for r in card.data.eval_results] == [
        ("BNCI2014_001", "accuracy", 0.81), ("BNCI2014_001", "cohen_kappa", 0.74)]


def test_bad_results_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"results\[0\]:\n  field 'split': Field required"):
        generate_model_card(small_model(), results=[{"metric": "accuracy", "value": 0.8, "dataset": "x"}])
    with pytest.raises(ValueError, match=r"field 'value': Value error, a measured value must be finite, got nan|a measured value must be finite"):
        MeasuredResult(metric="accuracy", value=float("nan"), dataset="x", split="test")
    with pytest.raises(ValueError, match="source_name needs source_url"):
        MeasuredResult(metric="accuracy", value=0.5, dataset="x", split="test", source_name="a benchmark")
    with pytest.raises(TypeError, match=r"results\[0\] is a float; pass eegzoo.MeasuredResult"):
        generate_model_card(small_model(), results=[0.8])
    with pytest.raises(ValueError, match=r"no numeric metric in \['classes'\]"):
        measured_results({"classes": ["a"]}, dataset="x", split="test")
    with pytest.raises(ValueError, match="'fblightconvnet' has no pretrained weights, so its registry card cannot carry results"):
        generate_model_card("fblightconvnet", results=measured_results({"accuracy": 0.5}, dataset="x", split="test"))


def test_pretrained_variant_card_carries_the_specs_held_out_results():
    spec = eegzoo.model_spec("fblightconvnet").model_dump()
    pinned = {"repo_id": "eegzoo-test/tiny", "sha256": "a" * 64, "revision": "v1",
              "results": [{"metric": "accuracy", "value": 0.7, "dataset": "BNCI2014_001", "split": "session E", "config": "subject 3"}]}
    try:
        eegzoo.register_spec({**spec, "name": "tiny-pinned", "pretrained": pinned})
        card = ModelCard(generate_model_card("tiny-pinned"))
    finally:
        eegzoo.reload_registry()
    assert card.data.eegzoo["weights"] == "eegzoo-test/tiny" and card.data.datasets == ["BNCI2014_001"]
    assert [(r.dataset_config, r.metric_value) for r in card.data.eval_results] == [("subject 3", 0.7)]
    assert "Pretrained weights: `eegzoo-test/tiny`, file `model.safetensors`, revision `v1`" in card.text
    assert 'eegzoo.create_model("tiny-pinned", pretrained=True)' in card.text and "Untrained" not in card.text


def test_push_to_hub_puts_results_on_the_hub_card(tmp_path, monkeypatch):
    cache = tmp_path / "hub-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    push_to_hub(small_model(), "eegzoo-test/with-results", api=LocalHubStandIn(cache),
                results=measured_results({"accuracy": 0.9}, dataset="BNCI2014_004", split="test"))
    card_path = next(cache.glob("models--eegzoo-test--with-results/snapshots/*/README.md"))
    assert [(r.dataset_type, r.metric_value) for r in ModelCard.load(card_path).data.eval_results] == [("BNCI2014_004", 0.9)]


def test_spec_hash_is_stable_and_content_addressed():
    spec = eegzoo.model_spec("fblightconvnet")
    assert spec.sha256() == eegzoo.ModelSpec.model_validate(spec.model_dump()).sha256()
    assert spec.sha256() != spec.model_copy(update={"params": {"heads": 4}}).sha256()
    assert len(spec.sha256()) == 64


def test_card_of_a_built_model_without_results_says_so():
    text = generate_model_card(create_model("fblightconvnet", **SMALL))
    assert "No measured results were recorded with these weights." in text
