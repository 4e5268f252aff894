"""MOABB both ways, offline, with MOABB's own code: its benchmark() runs the pipelines
eegzoo writes (on MOABB's FakeDataset), and its evaluation runs on an eegzoo dataset."""

from __future__ import annotations

import warnings

import pytest

moabb = pytest.importorskip("moabb")

from eegzoo.moabb import as_moabb_dataset, write_pipelines  # noqa: E402
from eegzoo.registry.datasets import load_dataset_spec, register_dataset  # noqa: E402

from own_recordings import lab_folder, write_spec  # noqa: E402


def test_write_pipelines_names_no_dataset_rate_and_refuses_unknown_models(tmp_path):
    files = write_pipelines(tmp_path, ["eegnet", "fblightconvnet"], sfreq=128, epochs=2)
    assert [f.name for f in files] == ["eegzoo-eegnet.yml", "eegzoo-fblightconvnet.yml", "contexts.yaml"]
    import yaml

    config = yaml.safe_load(files[0].read_text())
    assert config["pipeline"] == [{"name": "EEGZooClassifier", "from": "eegzoo.sklearn", "parameters": {
        "model": "eegnet", "recipe": "benchmark", "sfreq": 128.0, "scale": 1.0, "seed": 0, "epochs": 2}}]
    assert yaml.safe_load(files[2].read_text()) == {"LeftRightImagery": {"resample": 128.0}, "MotorImagery": {"resample": 128.0}}
    from moabb.pipelines.utils import parse_pipelines_from_directory

    parsed = parse_pipelines_from_directory(str(tmp_path))
    assert sorted(p["name"] for p in parsed) == ["eegzoo-eegnet", "eegzoo-fblightconvnet"]
    with pytest.raises(Exception, match="eegnett"):
        write_pipelines(tmp_path / "x", ["eegnett"])


def test_moabb_benchmark_runs_written_pipelines_on_a_fake_dataset_at_another_rate(tmp_path):
    from moabb import benchmark
    from moabb.datasets.fake import FakeDataset

    write_pipelines(tmp_path / "pipelines", ["eegnet"], epochs=2)
    fake = FakeDataset(event_list=["left_hand", "right_hand"], n_sessions=1, n_runs=1, n_subjects=1, n_events=20,
                       duration=60, sfreq=256, seed=1)  # 256 Hz: MOABB resamples it to the pipelines' 128 Hz
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = benchmark(pipelines=str(tmp_path / "pipelines"), contexts=str(tmp_path / "pipelines" / "contexts.yaml"),
                            evaluations=["WithinSession"], paradigms=["LeftRightImagery"], include_datasets=[fake],
                            results=str(tmp_path / "results"), output=str(tmp_path / "out"), n_jobs=1, plot=False,
                            overwrite=True)
    assert list(results["pipeline"]) == ["eegzoo-eegnet"]
    assert 0.0 <= float(results["score"].iloc[0]) <= 1.0 and float(results["samples"].iloc[0]) == 20


def test_moabb_evaluation_runs_on_an_eegzoo_dataset(tmp_path):
    from moabb.evaluations import WithinSessionEvaluation
    from moabb.paradigms import MotorImagery
    from pyriemann.estimation import Covariances
    from pyriemann.tangentspace import TangentSpace
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    folder = lab_folder(tmp_path / "recordings")
    spec = register_dataset(load_dataset_spec(write_spec(tmp_path, "moabbfaces", str(folder))), "test")
    dataset = as_moabb_dataset(spec.name)
    assert dataset.subject_list == [1, 2] and dataset.event_id == {"face": 1, "house": 2}
    assert dataset.interval == [0.0, 0.5]
    paradigm = MotorImagery(n_classes=2, fmin=5, fmax=20, events=["face", "house"])
    X, y, meta = paradigm.get_data(dataset, subjects=[1])
    assert X.shape[0] == 30 and sorted(set(y)) == ["face", "house"] and set(meta["session"]) == {"0all"}
    evaluation = WithinSessionEvaluation(paradigm=paradigm, datasets=[dataset], overwrite=True,
                                         hdf5_path=str(tmp_path / "res"), n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = evaluation.process({"TS+LR": make_pipeline(Covariances("oas"), TangentSpace(), LogisticRegression())})
    assert sorted(results["subject"].astype(str)) == ["1", "2"]
    assert (results["score"] > 0.8).all()  # the 10 Hz bursts on C3 vs C4 separate the classes
