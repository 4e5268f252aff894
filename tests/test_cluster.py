"""The benchmark on real cluster engines: dask.distributed (a LocalCluster of 2 workers) and
ray (ray.init(address="local", num_cpus=2)) give loky's table bit for bit; jobs load their own subject."""

from __future__ import annotations

import json

import pytest

from eegzoo.apps.cli import main
from eegzoo.benchmark import ClusterError, run_benchmark
from eegzoo.registry.datasets import register_dataset, reload_datasets
from own_recordings import export, recording, write_spec

pytestmark = pytest.mark.filterwarnings("ignore")

MODELS, BASELINES = ["shallowfbcspnet"], ["csp-lda"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """One subject's FIF recording (36 trials, 4 channels, 100 Hz) as a local-source spec,
    registered in this process only: workers get the spec itself, not its name."""
    folder = tmp_path_factory.mktemp("tiny")
    export(recording(n_trials=36, seed=5), folder / "data" / "sub-01_faces_eeg.fif")
    spec = write_spec(folder, "tinyfaces", str(folder / "data"), **{'include = ["*.vhdr", "*.set"]': 'include = ["*.fif"]',
                                                                   "tmax = 0.5": "tmax = 1.0"})
    register_dataset(spec)
    yield "tinyfaces"
    reload_datasets()


def _run(tmp_path, backend, folder=None, **kwargs):
    starts, ends = [], []
    result = run_benchmark(MODELS, ["tinyfaces"], seeds=[0], out=tmp_path / (folder or backend), baselines=BASELINES, epochs=2,
                           n_jobs=2, backend=backend, started=lambda n, total, cell: starts.append((n, total, cell.method.name)),
                           report=lambda done, total, cell, r, cached: ends.append((done, total, cell.method.name)), **kwargs)
    return result, starts, ends


def _same(result):
    """Everything but the timings: the rows' statistics and every cell's predictions."""
    rows = [{k: v for k, v in r.items() if "seconds" not in k} for r in result.rows]
    cells = [(c["config"], c["y_true"], c["y_pred"]) for c in result.cells]
    return rows, cells


@pytest.fixture(scope="module")
def loky(tiny, tmp_path_factory):
    return _run(tmp_path_factory.mktemp("loky"), "loky")


def test_loky_starts_and_ends_every_cell(loky):
    result, starts, ends = loky
    assert sorted(starts) == [(1, 2, "csp-lda"), (2, 2, "shallowfbcspnet")] or sorted(starts) == [(1, 2, "shallowfbcspnet"), (2, 2, "csp-lda")]
    assert starts[0][2] == "shallowfbcspnet"  # the longest cell first
    assert sorted(e[0] for e in ends) == [1, 2] and len(result.cells) == 2
    assert json.loads(result.files["run"].read_text())["threads_per_job"] == 1


def test_cli_on_a_dask_local_cluster_gives_lokys_table_bit_for_bit(loky, tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    out = tmp_path / "cli-dask"
    assert main(["benchmark", "--models", *MODELS, "--datasets", "tinyfaces", "--baselines", *BASELINES, "--seeds", "1",
                 "--epochs", "2", "--n-jobs", "2", "--backend", "dask", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "[start 1/2] shallowfbcspnet on tinyfaces subject 1 seed 0" in said and "[start 2/2] csp-lda on tinyfaces" in said
    assert "[2/2]" in said and "| tinyfaces | csp-lda (baseline) |" in said
    assert json.loads((out / "benchmark.json").read_text())["backend"] == "dask"
    read_back, starts, _ = _run(tmp_path, "loky", folder="cli-dask")  # every cell cached: read back, nothing runs
    assert starts == [] and _same(read_back) == _same(loky[0])


def test_cli_names_the_fix_for_an_unreachable_cluster(tiny, tmp_path, capsys):
    pytest.importorskip("ray")
    assert main(["benchmark", "--models", "", "--datasets", "tinyfaces", "--baselines", "csp-lda", "--seeds", "1",
                 "--backend", "ray", "--address", "127.0.0.1:9", "--out", str(tmp_path)]) == 2
    assert "cannot connect to the ray cluster at '127.0.0.1:9' (ConnectionRefusedError" in capsys.readouterr().err


def test_dask_scheduler_address(loky, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        result, _, _ = _run(tmp_path, "dask", scheduler=cluster.scheduler_address)
    assert _same(result) == _same(loky[0])
    with pytest.raises(ClusterError, match=r"cannot reach the dask scheduler at 'tcp://127.0.0.1:9' .*`dask scheduler`"):
        _run(tmp_path / "unreachable", "dask", scheduler="tcp://127.0.0.1:9")


def test_ray_gives_lokys_table_bit_for_bit(loky, tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(address="local", num_cpus=2, log_to_driver=False)
    try:
        result, starts, ends = _run(tmp_path, "ray")
    finally:
        ray.shutdown()
    assert _same(result) == _same(loky[0]) and len(starts) == len(ends) == 2
    with pytest.raises(ClusterError, match=r"cannot connect to the ray cluster at '127.0.0.1:9' .*`ray start --head`"):
        _run(tmp_path / "unreachable", "ray", address="127.0.0.1:9")


def test_missing_engine_and_misplaced_addresses_name_the_fix(tiny, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    with pytest.raises(ClusterError, match=r"backend 'ray' needs ray: pip install 'eegzoo\[cluster\]'"):
        _run(tmp_path, "ray")
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ClusterError, match=r"backend 'dask' needs dask.distributed: pip install 'eegzoo\[cluster\]'"):
        _run(tmp_path, "dask")
    with pytest.raises(ValueError, match="scheduler='tcp://x:1' is the address of a dask scheduler: use it with backend='dask'"):
        _run(tmp_path, "loky", scheduler="tcp://x:1")
    with pytest.raises(ValueError, match="Unknown backend 'spark': use one of loky, threading, multiprocessing, dask, ray"):
        _run(tmp_path, "spark")


def test_jobs_carry_the_spec_and_the_subject_not_data(tiny, tmp_path):
    import pickle

    import eegzoo.benchmark.runner as runner

    cells = runner.plan(runner.methods(MODELS, BASELINES, epochs=2), ["tinyfaces"], [0], tmp_path)
    assert [(c.method.name, c.subject, c.spec.name) for c in cells] == [("shallowfbcspnet", 1, "tinyfaces"), ("csp-lda", 1, "tinyfaces")]
    for cell in cells:
        blob = pickle.dumps(cell)
        assert len(blob) < 20_000 and b"ndarray" not in blob
    assert not runner._LAST_SUBJECT  # the parent holds no subject's trials
    assert cells[0].data.X.shape == (36, 4, 100) and list(runner._LAST_SUBJECT) != []  # read where it is used
    runner._LAST_SUBJECT.clear()


def test_device_reaches_the_zoo_estimators_and_the_cells_config(tmp_path):
    from eegzoo.apps.cli import build_parser
    from eegzoo.benchmark.runner import methods

    zoo, baseline = methods(["eegnet"], ["csp-lda"], epochs=1, device="cpu")
    assert zoo.build(128.0, ["C3", "Cz", "C4"], seed=0).device == "cpu" and zoo.describe()["device"] == "cpu"
    assert "device" not in methods(["eegnet"], [], epochs=1)[0].describe()  # default: the cached cells stay valid
    args = build_parser().parse_args(["benchmark", "--backend", "dask", "--scheduler", "tcp://h:8786", "--device", "cuda"])
    assert (args.backend, args.scheduler, args.device, args.threads) == ("dask", "tcp://h:8786", "cuda", 1)


def test_ray_without_an_address_starts_its_own_local_ray(tiny, tmp_path):
    pytest.importorskip("ray")
    result, starts, ends = _run(tmp_path, "ray", folder="ray-own")  # ray.init(address="local", num_cpus=2) inside
    assert len(starts) == len(ends) == 2 and json.loads(result.files["run"].read_text())["backend"] == "ray"
