"""Zoo models' speed: eegzoo vs braindecode, side by side in one process.

    python benchmarks/bench_zoo.py [--threads 2] [--repeats 15] [--models eegnet,shallowfbcspnet,fbcnet,...]
        [--n-chans 22 --n-times 1000 --sfreq 250] [--csv benchmarks/results/speed.csv]

braindecode is optional (it is not an eegzoo dependency; run this in an environment that has
it, e.g. the scratch environment of tests/fixtures/make_reference_zoo.py with this checkout
on PYTHONPATH). When it imports, each eegzoo model and its braindecode twin get the same
weights and are timed interleaved (A, B, A, B, ...); the table reports medians (or, with
``--statistic min``, the fastest run of each, which load spikes on a shared machine
disturb least) and eegzoo's speed-up. FBCNet is also timed with ``fused=False`` (filter bank, then the grouped
convolution) to show what the fused path gives (every model with a ``fused`` option is). Any
registered model whose class has a braindecode twin of the same name can be timed. Without
braindecode, only eegzoo is timed. The header names the CPU's vector extensions: the ratios
depend on them (oneDNN's convolutions gain more from AVX-512/AMX than the FFT paths do).
``--csv PATH`` writes the ratios as data (``benchmarks/results/speed.csv``).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable

import torch

import eegzoo

CONFIG = dict(n_chans=22, n_outputs=4, n_times=1000, sfreq=250)


def cpu_extensions() -> str:
    """The vector extensions that decide which kernels torch/oneDNN use on this CPU."""
    try:
        flags = set(next(line for line in open("/proc/cpuinfo") if line.startswith("flags")).split())
    except (OSError, StopIteration):
        return "vector extensions unknown"
    wanted = ["avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile", "amx_bf16"]
    return "+".join(f for f in wanted if f in flags) or "no AVX2"


#: columns of ``--csv``: one row per model x measurement (``eval_b64``, ``train_b64``, ``eval_b1``).
CSV_COLUMNS = ["model", "measurement", "eegzoo_ms", "braindecode_ms", "speedup", "cpu", "torch"]


def measurement_key(kind: str, batch: int) -> str:
    """``eval_b64``, ``train_b64``, ``eval_b1``: the short names of the three measurements."""
    return f"{kind}_b{batch}"


def write_speed_csv(path: str, rows: list[dict[str, object]]) -> None:
    """Write ``rows`` (``CSV_COLUMNS``) to ``path``; rows of models already in the file and not
    measured now are kept, so runs of a few models each build one table."""
    kept: list[dict[str, object]] = []
    measured = {(str(r["model"]), str(r["measurement"])) for r in rows}
    if os.path.exists(path):
        with open(path, newline="") as f:
            kept = [r for r in csv.DictReader(f) if (r["model"], r["measurement"]) not in measured]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept + rows)


def braindecode_model(class_name: str, config: dict) -> torch.nn.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import braindecode.models

            return getattr(braindecode.models, class_name)(**config)
    except Exception as err:  # noqa: BLE001 - any import failure means "not available"
        print(f"braindecode not importable ({type(err).__name__}: {err}); timing eegzoo only.")
        return None


def summary_ms(fns: dict[str, Callable[[], None]], repeats: int, statistic: str, warmup: int = 3) -> dict[str, float]:
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():  # interleaved: drifts in machine load hit all alike
            start = time.perf_counter()
            fn()
            times[key].append((time.perf_counter() - start) * 1e3)
    reduce = statistics.median if statistic == "median" else min
    return {k: reduce(v) for k, v in times.items()}


def eval_forward(model: torch.nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        model.eval()
        with torch.inference_mode():
            model(x)
    return run


def train_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> Callable[[], None]:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def run() -> None:
        model.train()
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return run


def bench(name: str, args: argparse.Namespace) -> list[tuple[str, str, dict[str, float], float]]:
    config = {**CONFIG, "n_chans": args.n_chans, "n_times": args.n_times, "sfreq": args.sfreq}
    torch.manual_seed(0)
    ours = eegzoo.create_model(name, **config)
    models = {"eegzoo": ours}
    if "fused" in type(ours).params_model.runtime_options:
        models["eegzoo plain"] = eegzoo.create_model(name, **config, fused=False)
    reference = braindecode_model(type(ours).__name__, config)
    if reference is not None:
        models["braindecode"] = reference
    for model in models.values():
        model.load_state_dict(ours.state_dict())
        model.eval()
    x = torch.randn(args.batch, args.n_chans, args.n_times) * 10
    y = torch.randint(0, 4, (args.batch,))
    diff = float("nan")
    if reference is not None:
        with torch.inference_mode():
            diff = (ours(x) - reference(x)).abs().max().item()
    rows = []
    for key, label, fns in [
        (measurement_key("eval", args.batch), f"eval forward, batch {args.batch}",
         {k: eval_forward(m, x) for k, m in models.items()}),
        (measurement_key("train", args.batch), f"train step (fwd+bwd+AdamW), batch {args.batch}",
         {k: train_step(m, x, y) for k, m in models.items()}),
        (measurement_key("eval", 1), "eval forward, batch 1", {k: eval_forward(m, x[:1]) for k, m in models.items()}),
    ]:
        rows.append((key, label, summary_ms(fns, args.repeats, args.statistic), diff))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--models", default="eegnet,shallowfbcspnet,fbcnet")
    parser.add_argument("--n-chans", type=int, default=CONFIG["n_chans"], help="electrodes (default 22, BCI IV 2a)")
    parser.add_argument("--n-times", type=int, default=CONFIG["n_times"], help="samples per trial (default 1000)")
    parser.add_argument("--sfreq", type=float, default=CONFIG["sfreq"], help="sampling rate (default 250)")
    parser.add_argument("--statistic", choices=["median", "min"], default="median",
                        help="min: the least disturbed run of each (for machines shared with other jobs)")
    parser.add_argument("--csv", metavar="PATH", help="also write the ratios there (columns: "
                        + ",".join(CSV_COLUMNS) + "); rows of other models already in the file are kept")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"{args.n_chans} ch x {args.n_times} samples @ {args.sfreq:g} Hz, 4 classes, torch {torch.__version__}, {args.threads} threads, "
          f"{platform.processor() or platform.machine()} ({cpu_extensions()}), {args.statistic} of {args.repeats} interleaved runs")
    print("\n| model | measurement | eegzoo (ms) | braindecode (ms) | speed-up | eegzoo fused=False (ms) |")
    print("|---|---|---|---|---|---|")
    diffs = {}
    csv_rows: list[dict[str, object]] = []
    for name in args.models.split(","):
        for key, label, result, diff in bench(name, args):
            ref = result.get("braindecode")
            ratio = f"{ref / result['eegzoo']:.1f}x" if ref else "-"
            plain = f"{result['eegzoo plain']:.2f}" if "eegzoo plain" in result else "-"
            print(f"| {name} | {label} | {result['eegzoo']:.2f} | {ref:.2f} | {ratio} | {plain} |" if ref
                  else f"| {name} | {label} | {result['eegzoo']:.2f} | - | - | {plain} |")
            diffs[name] = diff
            if ref:
                csv_rows.append({"model": name, "measurement": key, "eegzoo_ms": f"{result['eegzoo']:.2f}",
                                 "braindecode_ms": f"{ref:.2f}", "speedup": f"{ref / result['eegzoo']:.2f}",
                                 "cpu": cpu_extensions(), "torch": torch.__version__})
    print("\nmax |logit difference| vs braindecode (eval, same weights): "
          + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))
    if args.csv:
        if csv_rows:
            write_speed_csv(args.csv, csv_rows)
            print(f"wrote {len(csv_rows)} rows to {args.csv}")
        else:
            print(f"--csv {args.csv}: nothing written (braindecode not importable, no ratios)")


if __name__ == "__main__":
    main()
