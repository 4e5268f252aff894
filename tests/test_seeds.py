"""Same seed, same bits: a training run repeated in fresh processes gives identical weights
and metrics on CPU, and discovering the registry leaves every random generator alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import torch
from safetensors.torch import load_file


def _run(args: list[str], cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_same_training_in_two_fresh_processes_gives_identical_weights_and_metrics(tmp_path):
    runs = []
    for name in ("a", "b"):
        done = _run(["-m", "eegzoo", "train", "fblightconvnet", "--data", "simulated", "--trials", "4", "--epochs", "3",
                     "--batch-size", "8", "--seed", "0", "--out", str(tmp_path / name)], tmp_path)
        assert done.returncode == 0, done.stderr
        runs.append(tmp_path / name)
    first, second = (load_file(str(run / "model.safetensors")) for run in runs)
    assert first.keys() == second.keys()
    for key in first:
        assert torch.equal(first[key], second[key]), key
    for name in ("metrics.json", "history.json"):
        assert json.loads((runs[0] / name).read_text()) == json.loads((runs[1] / name).read_text()), name
    # a different seed is a different run (the test above can fail)
    done = _run(["-m", "eegzoo", "train", "fblightconvnet", "--data", "simulated", "--trials", "4", "--epochs", "1",
                 "--batch-size", "8", "--seed", "1", "--out", str(tmp_path / "c")], tmp_path)
    assert done.returncode == 0, done.stderr
    assert not torch.equal(load_file(str(tmp_path / "c" / "model.safetensors"))["final_layer.weight"], first["final_layer.weight"])


def test_registry_discovery_leaves_every_random_generator_untouched(tmp_path):
    """In a fresh process: listing the zoo changes no generator, and the first
    ``torch.manual_seed(0); create_model(...)`` equals the later ones (block-sequence specs
    included, whose dry build once consumed the global generator)."""
    script = textwrap.dedent("""
        import random
        import numpy as np
        import torch

        random.seed(1); np.random.seed(1); torch.manual_seed(1)
        before = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state().clone())
        import eegzoo
        names = eegzoo.list_models()
        eegzoo.reload_registry()
        after = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state().clone())
        assert before[0] == after[0], "random"
        assert (before[1] == after[1]).all(), "numpy"
        assert torch.equal(before[2], after[2]), "torch"

        def weights(name):
            torch.manual_seed(0)
            return eegzoo.create_model(name).state_dict()

        def same(a, b):
            return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

        first = weights("fbcnet-lite")  # the first model built in this process
        for name in names:  # each model's first build equals its later ones
            assert same(weights(name), weights(name)), name
        assert same(first, weights("fbcnet-lite"))
        print("ok", len(names))
    """)
    done = _run(["-c", script], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")
