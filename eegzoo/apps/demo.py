"""``eegzoo demo``: a zoo model next to a classic baseline on a real EEG recording.

The recording is the TU Graz left/right hand motor-imagery sample (40 trials, 4 channels,
256 Hz) that Debian's octave-biosig package ships (GPL), fetched once with ``apt-get
download`` and checked by sha256. FBLightConvNet and CSP + LDA are cross-validated on the
same 5 folds (``eegzoo.benchmark``); then FBLightConvNet is trained on folds 2-5 and the
trained model folder (weights, config, card, plots) is written and reloaded. When the
recording cannot be fetched (no network), the demo says so and runs on SIMULATED data.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from eegzoo.api import from_pretrained
from eegzoo.apps.experiment import SIMULATED, train_run
from eegzoo.core.errors import DatasetError
from eegzoo.registry import list_models

REAL = "graz-sample"
MODEL = "fblightconvnet"
BASELINE = "csp-lda"


def run_demo(out: str | Path = "runs/demo", quick: bool = False) -> int:
    start = time.perf_counter()
    out = Path(out)
    print(f"eegzoo models: {', '.join(list_models())}")
    try:
        real = _real_recording()
    except DatasetError as err:
        first_line = str(err).splitlines()[0]
        print(f"could not fetch the real recording '{REAL}' ({first_line}); "
              "falling back to SIMULATED data (not a recording)")
        real = False
    source = REAL if real else SIMULATED
    if real:
        _cross_validate(out)
        print(f"training {MODEL} on folds 2-5 of '{REAL}', testing on fold 1")
    else:
        print(f"training {MODEL} on SIMULATED motor imagery (subject 1: session T -> session E)")
    model, history, metrics = train_run(
        MODEL, source, out / "model", recipe="benchmark", epochs=15 if quick else None,
        n_trials=24 if quick else 36, progress=False,
    )
    stop = "early stopping" if history.stopped_early else "no early stop"
    print(f"best epoch {history.best_epoch} of {len(history.epochs)} ({stop}): test accuracy {metrics['accuracy']:.3f}, "
          f"Cohen's kappa {metrics['kappa']:.3f} ({sum(map(sum, metrics['confusion_matrix']))} test trials)")
    reloaded = from_pretrained(out / "model").eval()
    x = torch.randn(2, model.n_chans, model.n_times)
    with torch.no_grad():
        same = torch.equal(reloaded(x), model.eval()(x))
    print(f"model folder {out / 'model'}/: {', '.join(sorted(p.name for p in (out / 'model').iterdir()))}")
    print(f"reloaded model gives identical logits: {same}; total {time.perf_counter() - start:.0f} s")
    return 0 if same else 1


def _real_recording() -> bool:
    """Fetch (once) and load the real recording; DatasetError when it cannot be fetched."""
    import warnings

    from eegzoo.data.datasets import load_dataset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        load_dataset(REAL, progress=False)
    return True


def _cross_validate(out: Path) -> None:
    from eegzoo.benchmark import run_benchmark

    print(f"real recording '{REAL}': TU Graz left/right hand motor imagery, 4 channels, 40 trials "
          "(GPL data from Debian's octave-biosig)")
    print(f"5-fold cross-validation, the same folds for {MODEL} and the {BASELINE} baseline:")
    result = run_benchmark([MODEL], [REAL], seeds=1, out=out / "cross-validation", baselines=[BASELINE], n_jobs=1)
    for row in result.rows:
        label = f"{row['method']} ({'eegzoo' if row['kind'] == 'zoo' else 'baseline'})"
        print(f"  {label:26s} accuracy {row['accuracy_mean']:.3f}  kappa {row['kappa_mean']:.3f}  "
              f"(chance {row['chance']:.2f}, binomial p = {row['p_value']:.1e}, fit {row['fit_seconds_per_fold']:.1f} s/fold)")
