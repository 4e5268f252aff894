"""eegzoo benchmark: zoo models and classic baselines under a dataset's protocol, cached cells."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest

from eegzoo.apps.cli import main
from eegzoo.benchmark import BASELINES, run_benchmark
from eegzoo.benchmark.protocol import subject_data
from eegzoo.benchmark.report import summarize
from eegzoo.core.errors import RegistryError
from eegzoo.data.datasets import load_dataset
from eegzoo.registry.datasets import dataset_spec

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def graz():
    return load_dataset("graz-sample", progress=False)  # 40 trials, 4 channels: fetched once (Debian archive)


def test_protocol_folds(graz):
    (data,) = subject_data(dataset_spec("graz-sample"), graz)
    assert data.X.shape == (40, 4, 1024) and data.X.dtype == np.float32 and data.sfreq == 256.0
    folds = data.folds(seed=0)
    assert len(folds) == 5 and sorted(np.concatenate([t for _, t in folds]).tolist()) == list(range(40))
    for train, test in folds:  # stratified: 4 + 4 per test fold
        assert not set(train) & set(test) and sorted(np.unique(data.y[test], return_counts=True)[1]) == [4, 4]
    assert [t.tolist() for _, t in data.folds(0)] != [t.tolist() for _, t in data.folds(1)]


def test_baselines_beat_chance_on_the_graz_recording(graz):
    (data,) = subject_data(dataset_spec("graz-sample"), graz)
    for name in ("csp-lda", "ts-lr"):
        pipeline = BASELINES[name].make(data.sfreq)
        train, test = data.folds(0)[0]
        assert pipeline.fit(data.X[train], data.y[train]).score(data.X[test], data.y[test]) >= 0.75, name


def test_benchmark_table_cache_and_resume(tmp_path, graz, monkeypatch):
    out = tmp_path / "bench"
    first = run_benchmark(["fblightconvnet"], ["graz-sample"], seeds=1, out=out, baselines=["csp-lda"], epochs=2, n_jobs=2)
    assert [(r["dataset"], r["method"], r["kind"]) for r in first.rows] == [
        ("graz-sample", "fblightconvnet", "zoo"), ("graz-sample", "csp-lda", "baseline")]
    csp = first.rows[1]
    assert csp["chance"] == 0.5 and csp["accuracy_mean"] >= 0.75 and csp["significant"] and csp["p_value"] < 1e-3
    for key in ("csv", "markdown", "plot", "cells", "run"):
        assert first.files[key].exists()
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    with open(first.files["csv"]) as fh:
        assert [r["method"] for r in csv.DictReader(fh)] == ["fblightconvnet", "csp-lda"]
    assert "| graz-sample | csp-lda (baseline) |" in first.markdown
    cell = out / "cells" / "graz-sample" / "csp-lda" / "subject1-seed0.json"
    stored = json.loads(cell.read_text())
    assert len(stored["y_true"]) == 40 and stored["config"]["method"]["kind"] == "baseline"

    # a second run with one more seed reuses the finished cells and runs only the new ones
    ran = []
    import eegzoo.benchmark.runner as runner

    real = runner.run_cell
    monkeypatch.setattr(runner, "run_cell", lambda cell, threads=1: ran.append((cell.method.name, cell.seed)) or real(cell, threads))
    second = run_benchmark(["fblightconvnet"], ["graz-sample"], seeds=2, out=out, baselines=["csp-lda"], epochs=2, n_jobs=1)
    assert sorted(ran) == [("csp-lda", 1), ("fblightconvnet", 1)]
    assert second.rows[1]["seeds"] == 2
    # a changed setting is a different cell: recomputed, not read back
    ran.clear()
    run_benchmark(["fblightconvnet"], ["graz-sample"], seeds=1, out=out, baselines=[], epochs=3, n_jobs=1)
    assert ran == [("fblightconvnet", 0)]


def test_deterministic_baselines_run_once_on_seed_independent_folds(tmp_path):
    result = run_benchmark([], ["eyesopenshut"], seeds=3, out=tmp_path, baselines=["csp-lda"], n_jobs=1)
    (row,) = result.rows
    assert row["seeds"] == 1 and row["test_trials_per_seed"] == 42 and row["accuracy_mean"] > 0.6


def test_summary_statistics_by_hand():
    def cell(seed, subject, y_true, y_pred):
        return {"config": {"dataset": "d", "method": {"name": "m", "kind": "zoo"}, "seed": seed, "subject": subject},
                "y_true": y_true, "y_pred": y_pred, "fit_seconds": [1.0, 3.0]}

    results = [cell(0, 1, ["a"] * 6 + ["b"] * 4, ["a"] * 10), cell(1, 1, ["a"] * 6 + ["b"] * 4, ["a"] * 6 + ["b"] * 4)]
    (row,) = summarize(results)
    assert row["chance"] == 0.6
    assert row["accuracy_mean"] == pytest.approx(0.8) and row["accuracy_sd"] == pytest.approx(np.std([0.6, 1.0], ddof=1))
    assert row["kappa_mean"] == pytest.approx(0.5)
    from scipy.stats import binomtest

    assert row["p_value"] == pytest.approx(binomtest(6, 10, 0.6, alternative="greater").pvalue)  # worst seed
    assert row["fit_seconds_per_fold"] == 2.0 and not row["significant"]


def test_unknown_names_and_cli(tmp_path, capsys):
    with pytest.raises(RegistryError, match="did you mean 'fblightconvnet'"):
        run_benchmark(["fblightconvnt"], ["graz-sample"], out=tmp_path)
    with pytest.raises(RegistryError, match="Unknown baseline 'csp' .*csp-lda"):
        run_benchmark([], ["graz-sample"], out=tmp_path, baselines=["csp"])
    assert main(["benchmark", "--models", "fblightconvnt", "--datasets", "graz-sample", "--out", str(tmp_path)]) == 2
    assert "did you mean 'fblightconvnet'" in capsys.readouterr().err
    assert main(["benchmark", "--models", "", "--datasets", "graz-sample", "--baselines", "csp-lda,ts-lr",
                 "--seeds", "1", "--out", str(tmp_path / "cli"), "--n-jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "[2/2]" in out and "| graz-sample | ts-lr (baseline) |" in out
    assert (tmp_path / "cli" / "results.png").stat().st_size > 1000


def test_demo_compares_the_zoo_model_with_a_baseline_on_the_real_recording(tmp_path, capsys):
    from eegzoo.apps.demo import run_demo

    assert run_demo(tmp_path / "demo", quick=True) == 0
    out = capsys.readouterr().out
    assert "real recording 'graz-sample'" in out and "SIMULATED" not in out
    assert "fblightconvnet (eegzoo)" in out and "csp-lda (baseline)" in out
    assert "reloaded model gives identical logits: True" in out
    assert (tmp_path / "demo" / "model" / "model.safetensors").exists()


def test_demo_falls_back_to_simulated_data_offline(tmp_path, capsys, monkeypatch):
    import eegzoo.apps.demo as demo
    from eegzoo.core.errors import DatasetError

    def unreachable():
        raise DatasetError("apt-get download failed: Temporary failure resolving 'deb.debian.org'\nmore")

    monkeypatch.setattr(demo, "_real_recording", unreachable)
    assert demo.run_demo(tmp_path / "demo", quick=True) == 0
    out = capsys.readouterr().out
    assert "could not fetch the real recording 'graz-sample' (apt-get download failed" in out
    assert "falling back to SIMULATED data" in out and "reloaded model gives identical logits: True" in out


def test_the_cli_and_the_benchmark_hold_out_the_same_trials(graz):
    from eegzoo.data.protocol import protocol_folds

    (data,) = subject_data(dataset_spec("graz-sample"), graz)
    for seed in (0, 1):
        cli = protocol_folds("graz-sample", graz, seed=seed)
        assert [f.test_index.tolist() for f in cli] == [test.tolist() for _, test in data.folds(seed)]


def test_default_run_is_the_readme_table(monkeypatch):
    """`eegzoo benchmark` with no arguments runs the README's table: the four zoo
    architectures and three baselines on every offline dataset, 3 seeds."""
    import eegzoo.benchmark as benchmark

    calls = []

    def record_and_stop(*args, **kwargs):
        calls.append(args)
        raise SystemExit(0)

    monkeypatch.setattr(benchmark, "run_benchmark", record_and_stop)
    with pytest.raises(SystemExit):
        main(["benchmark"])
    models, datasets, seeds, out, baselines = calls[0]
    assert models == ("fblightconvnet", "eegnet", "shallowfbcspnet", "fbcnet") == benchmark.DEFAULT_MODELS
    assert baselines == ("csp-lda", "ts-lr", "means-slda") and datasets is None and seeds == 3
    assert benchmark.offline_datasets() == ["eyesopenshut", "fingermovements", "graz-sample", "pylossless-press",
                                            "selfregulationscp1", "selfregulationscp2"]


def test_models_all_is_every_architecture(tmp_path, monkeypatch):
    """`--models all`: the reference variant of every registered architecture, once each."""
    import eegzoo.benchmark as benchmark

    assert benchmark.all_models() == ["atcnet", "ctnet", "deep4net", "eegconformer", "eegnet", "eegnex", "eegtcnet",
                                      "fbcnet", "fblightconvnet", "ifnet", "shallowfbcspnet", "tcformer"]
    planned = []

    def record_and_stop(chosen, *args, **kwargs):
        planned.extend(m.name for m in chosen)
        raise SystemExit(0)

    monkeypatch.setattr("eegzoo.benchmark.plan", record_and_stop)
    with pytest.raises(SystemExit):
        benchmark.run_benchmark(["eegnet", "all"], ["graz-sample"], out=tmp_path, baselines=["csp-lda"])
    assert planned == ["eegnet", *[m for m in benchmark.all_models() if m != "eegnet"], "csp-lda"]


def test_a_model_that_cannot_take_a_datasets_trials_is_not_run_and_said_so(tmp_path, capsys):
    """fingermovements has 50-sample trials: EEGTCNet's pooling needs 55. That pair is left out
    before any cell starts, with the reason, instead of failing the run when its cell starts."""
    said = []
    result = run_benchmark(["eegtcnet", "eegnet"], ["fingermovements"], seeds=1, out=tmp_path / "run", baselines=[],
                           epochs=1, n_jobs=1, skipped=lambda *pair: said.append(pair))
    reason = ("Invalid spec in create_model('eegtcnet'): n_times=50 is too short for EEGTCNet: pooling by 8 and then "
              "by filter_1=8 leaves no time step. Pass at least 55 samples or a smaller filter_1.")
    assert said == [("fingermovements", "eegtcnet", reason)]
    assert result.not_run == {("fingermovements", "eegtcnet"): reason}
    assert [(r["dataset"], r["method"]) for r in result.rows] == [("fingermovements", "eegnet")]
    assert not (tmp_path / "run" / "cells" / "fingermovements" / "eegtcnet").exists()
    assert f"- eegtcnet on fingermovements: {reason}" in result.markdown
    recorded = json.loads((tmp_path / "run" / "benchmark.json").read_text())["not_run"]
    assert recorded == [{"dataset": "fingermovements", "model": "eegtcnet", "reason": reason}]
    with pytest.raises(ValueError, match="Nothing to benchmark: no model fits these datasets' trials:\n  eegtcnet on fingermovements: Invalid spec"):
        run_benchmark(["eegtcnet"], ["fingermovements"], seeds=1, out=tmp_path / "none", baselines=[])
    assert main(["benchmark", "--models", "eegtcnet", "eegnet", "--datasets", "fingermovements", "--baselines", "--seeds", "1",
                 "--epochs", "1", "--n-jobs", "1", "--out", str(tmp_path / "run")]) == 0
    assert f"[not run] eegtcnet on fingermovements: {reason}" in capsys.readouterr().out
