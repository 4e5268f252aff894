"""benchmarks/gpu_check.py on the CPU (no GPU here): the table, the logit check, the exit codes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"


@pytest.fixture(scope="module")
def gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_check"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("gpu_check", None)


def test_gpu_check_runs_on_the_cpu_for_one_architecture(gpu_check, capsys):
    threads = torch.get_num_threads()
    try:
        assert gpu_check.main(["--device", "cpu", "--models", "eegnet", "--repeats", "1", "--batch", "8",
                               "--n-times", "500", "--threads", "1", "--no-braindecode"]) == 0
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert "batch 8" in out and "device cpu = CPU (" in out and "cudnn.benchmark on" in out
    (row,) = [line for line in out.splitlines() if line.startswith("| eegnet |")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "0.0e+00" and float(cells[2]) > 0 and cells[3] == "-" and float(cells[4]) > 0
    assert "every model: logits on cpu within 0.0001 of the CPU's, parameters and buffers on cpu" in out


def test_gpu_check_lists_every_base_architecture_and_refuses_a_missing_gpu(gpu_check, capsys):
    assert {"atcnet", "ctnet", "deep4net", "eegconformer", "eegnet", "eegnex", "eegtcnet", "fbcnet",
            "fblightconvnet", "ifnet", "shallowfbcspnet", "tcformer"} <= set(gpu_check.architectures())
    assert not [m for m in gpu_check.architectures() if "-" in m or "." in m]
    if not torch.cuda.is_available():
        assert gpu_check.main(["--device", "cuda", "--models", "eegnet"]) == 2
        assert "no CUDA device here (torch.cuda.is_available() is False): run with --device cpu" in capsys.readouterr().out
