"""The benchmark parent's peak memory on a many-subject dataset (cells load their own subject
in the worker; the parent never holds the dataset).

    python benchmarks/bench_memory.py [--subjects 100] [--trials 60] [--channels 16] [--sfreq 128]
        [--folder runs/bench-memory] [--n-jobs 2] [--backend loky]

Writes generated recordings (one FIF file per subject, a 10 Hz burst on the first or the
third channel after each 'left'/'right' cue) and a local-source dataset spec over them into
``--folder`` (once; later runs reuse them), runs ``run_benchmark`` with the csp-lda baseline on
it, and prints the parent process's peak resident memory (``resource.getrusage``'s
``ru_maxrss``), before and after the run, next to the dataset's size. To measure an older
checkout, run the same command with that checkout first on ``PYTHONPATH``, e.g.

    git archive bb41d59 eegzoo registry | tar -x -C /tmp/eegzoo-old
    PYTHONPATH=/tmp/eegzoo-old python benchmarks/bench_memory.py
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

SPEC = """description = "generated recordings for benchmarks/bench_memory.py"
paradigm = "motor imagery"
license = "CC0: generated"
citation = "none"

[source]
registry = "local"
root = "data"
include = ["*.fif"]
pattern = "sub-(?P<subject>\\\\d+)"

[recording]
format = "auto"
sfreq = {sfreq}
units = "V"
ch_names = {ch_names}

[events]
left = "left"
right = "right"

[epochs]
tmin = 0.0
tmax = 2.0
relative_to = "stimulus"

[protocol]
kind = "k-fold"
split = "all"
n_folds = 5
"""


def write_dataset(folder: Path, subjects: int, trials: int, channels: int, sfreq: float) -> Path:
    """Recordings and spec ``folder/manysubjects.toml`` (kept when already there)."""
    import mne

    names = [f"EEG{i:03d}" for i in range(channels)]
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    for subject in range(1, subjects + 1):
        path = data / f"sub-{subject:03d}_raw.fif"
        if path.exists():
            continue
        rng = np.random.default_rng(subject)
        onsets = 1.0 + 3.0 * np.arange(trials)
        x = rng.normal(0, 5e-6, (channels, int((onsets[-1] + 3) * sfreq)))
        labels = [("left", "right")[i % 2] for i in range(trials)]
        t = np.arange(int(sfreq)) / sfreq
        for onset, label in zip(onsets, labels):
            start = int(onset * sfreq)
            x[0 if label == "left" else min(2, channels - 1), start: start + len(t)] += 20e-6 * np.sin(2 * np.pi * 10 * t)
        raw = mne.io.RawArray(x, mne.create_info(names, sfreq, "eeg"), verbose=False)
        raw.set_annotations(mne.Annotations(onsets, 0.0, labels))
        raw.save(path, fmt="single", overwrite=True, verbose=False)
    spec = folder / "manysubjects.toml"
    spec.write_text(SPEC.format(sfreq=float(sfreq), ch_names="[" + ", ".join(f'"{n}"' for n in names) + "]"))
    return spec


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--subjects", type=int, default=100)
    p.add_argument("--trials", type=int, default=60)
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--sfreq", type=float, default=128.0)
    p.add_argument("--folder", default="runs/bench-memory")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--backend", default=None)
    args = p.parse_args(argv)
    folder = Path(args.folder).resolve()
    spec_path = write_dataset(folder, args.subjects, args.trials, args.channels, args.sfreq)

    import eegzoo
    from eegzoo.benchmark import run_benchmark
    from eegzoo.registry.datasets import register_dataset

    spec = register_dataset(spec_path)
    n_times = spec.n_times
    dataset_mib = args.subjects * args.trials * args.channels * n_times * 4 / 2**20
    before = peak_mib()
    start = time.perf_counter()
    result = run_benchmark([], [spec.name], seeds=1, out=folder / f"run-{time.time_ns()}", baselines=["csp-lda"],
                           n_jobs=args.n_jobs, **({"backend": args.backend} if args.backend else {}))
    seconds = time.perf_counter() - start
    after = peak_mib()
    print(f"eegzoo {eegzoo.__version__} from {Path(eegzoo.__file__).parent}")
    print(f"dataset: {args.subjects} subjects x {args.trials} trials x {args.channels} channels x {n_times} samples "
          f"= {dataset_mib:.0f} MiB as float32; {len(result.cells)} cells in {seconds:.0f} s "
          f"({args.n_jobs} jobs, backend {args.backend or 'loky'})")
    print(f"parent peak RSS: {before:.0f} MiB after imports, {after:.0f} MiB after the benchmark "
          f"(+{after - before:.0f} MiB)")


if __name__ == "__main__":
    main()
