"""``eegzoo demo``: train FBLightConvNet on one SIMULATED motor-imagery subject, offline.

Simulates subject 1 (4 classes, 22 channels, 250 Hz; sessions T and E), trains on T with
early stopping, tests on E, prints accuracy and Cohen's kappa, and leaves the trained model
folder (weights, config, model card with the metrics table, learning-curve and
confusion-matrix plots). The data are simulated, not recordings.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from eegzoo.api import from_pretrained
from eegzoo.apps.experiment import SIMULATED, train_run
from eegzoo.registry import list_models


def run_demo(out: str | Path = "runs/demo", quick: bool = False) -> int:
    start = time.perf_counter()
    print(f"eegzoo models: {', '.join(list_models())}")
    print("training fblightconvnet on SIMULATED motor imagery (subject 1: session T -> session E)")
    model, history, metrics = train_run(
        "fblightconvnet", SIMULATED, out, epochs=15 if quick else 150, lr=3e-3, batch_size=32,
        n_trials=24 if quick else 36, patience=10, report=print,
    )
    stop = "early stopping" if history.stopped_early else "no early stop"
    print(f"best epoch {history.best_epoch} of {len(history.epochs)} ({stop}): test accuracy {metrics['accuracy']:.3f}, "
          f"Cohen's kappa {metrics['kappa']:.3f} (chance: 0.25 / 0.0)")
    reloaded = from_pretrained(out).eval()
    x = torch.randn(2, model.n_chans, model.n_times)
    with torch.no_grad():
        same = torch.equal(reloaded(x), model.eval()(x))
    print(f"model folder {out}/: {', '.join(sorted(p.name for p in Path(out).iterdir()))}")
    print(f"reloaded model gives identical logits: {same}; total {time.perf_counter() - start:.0f} s")
    return 0 if same else 1
