"""Every architecture on a GPU: CPU vs device logits, eval forward and train step, next to
braindecode's twin on the same device.

    python benchmarks/gpu_check.py [--device cuda] [--models atcnet,eegnet,...] [--batch 64]
        [--repeats 20] [--n-chans 22 --n-times 1000 --sfreq 250]

For each architecture (default: every registered base architecture): one model built on the
CPU with seed 0 and a copy moved to ``--device``; the largest |logit difference| between
them in eval mode (must be <= 1e-4: the script exits 1 otherwise), then the median time of
an eval forward at batch ``--batch`` and of a train step (forward, cross-entropy, backward,
AdamW), each synchronised with the device, with ``torch.backends.cudnn.benchmark`` on for
both libraries. braindecode is optional: when its class of the same name imports, it gets
the same weights on the same device and is timed interleaved with eegzoo; otherwise only
eegzoo is timed. Without a GPU, ``--device cpu`` runs the same checks on the CPU (the
logits then match exactly); ``tests/test_gpu_check.py`` does this for one architecture.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_zoo import braindecode_model, cpu_extensions, eval_forward, train_step  # noqa: E402

import eegzoo  # noqa: E402

TOLERANCE = 1e-4


def architectures() -> list[str]:
    """Registered base architectures (not their pretrained/dataset variants)."""
    from eegzoo.registry import list_models

    return [m for m in list_models() if "-" not in m and "." not in m]


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_ms(fns: dict[str, Callable[[], None]], device: torch.device, repeats: int, warmup: int = 3) -> dict[str, float]:
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():  # interleaved
            synchronize(device)
            start = time.perf_counter()
            fn()
            synchronize(device)
            times[key].append((time.perf_counter() - start) * 1e3)
    return {k: statistics.median(v) for k, v in times.items()}


def check(name: str, device: torch.device, args: argparse.Namespace) -> dict:
    config = dict(n_chans=args.n_chans, n_outputs=4, n_times=args.n_times, sfreq=args.sfreq)
    torch.manual_seed(0)
    cpu_model = eegzoo.create_model(name, **config).eval()
    ours = copy.deepcopy(cpu_model).to(device).eval()
    generator = torch.Generator().manual_seed(1)
    x_cpu = torch.randn(args.batch, args.n_chans, args.n_times, generator=generator) * 10
    y_cpu = torch.randint(0, 4, (args.batch,), generator=generator)
    x, y = x_cpu.to(device), y_cpu.to(device)
    with torch.inference_mode():
        expected = cpu_model(x_cpu)
        got = ours(x).float().cpu()
    logit_diff = (expected - got).abs().max().item()
    on_device = {p.device.type for p in ours.parameters()} | {b.device.type for b in ours.buffers()}
    models = {"eegzoo": ours}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = braindecode_model(type(cpu_model).__name__, config) if not args.no_braindecode else None
    if reference is not None:
        try:
            reference.load_state_dict(cpu_model.state_dict())
            models["braindecode"] = reference.to(device).eval()
        except Exception as err:  # noqa: BLE001 - a twin whose weights differ in layout is timed alone
            print(f"{name}: braindecode's {type(cpu_model).__name__} does not take eegzoo's weights ({type(err).__name__}); eegzoo alone")
    row = {"model": name, "logit_diff": logit_diff, "on_device": on_device == {device.type}}
    row["eval"] = median_ms({k: eval_forward(m, x) for k, m in models.items()}, device, args.repeats)
    row["train"] = median_ms({k: train_step(copy.deepcopy(m), x, y) for k, m in models.items()}, device, args.repeats)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--models", default=None, help="comma separated (default: every base architecture)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--n-chans", type=int, default=22)
    parser.add_argument("--n-times", type=int, default=1000)
    parser.add_argument("--sfreq", type=float, default=250.0)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")
    parser.add_argument("--no-braindecode", action="store_true", help="time eegzoo only")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("no CUDA device here (torch.cuda.is_available() is False): run with --device cpu, or on a machine with a GPU.")
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = True
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({cpu_extensions()}, {torch.get_num_threads()} threads)"
    print(f"{args.n_chans} ch x {args.n_times} samples @ {args.sfreq:g} Hz, 4 classes, batch {args.batch}, torch {torch.__version__}, "
          f"device {device} = {where}, cudnn.benchmark on, median of {args.repeats} interleaved runs")
    print("\n| model | max abs(CPU - device) logits | eval eegzoo (ms) | eval braindecode (ms) | train step eegzoo (ms) "
          "| train step braindecode (ms) | speed-up eval / train |")
    print("|---|---|---|---|---|---|---|")
    failed = []
    for name in (args.models.split(",") if args.models else architectures()):
        row = check(name, device, args)
        ev, tr = row["eval"], row["train"]
        ref = "braindecode" in ev
        ratio = f"{ev['braindecode'] / ev['eegzoo']:.1f}x / {tr['braindecode'] / tr['eegzoo']:.1f}x" if ref else "-"
        print(f"| {name} | {row['logit_diff']:.1e} | {ev['eegzoo']:.2f} | {ev['braindecode']:.2f} | {tr['eegzoo']:.2f} | "
              f"{tr['braindecode']:.2f} | {ratio} |" if ref else
              f"| {name} | {row['logit_diff']:.1e} | {ev['eegzoo']:.2f} | - | {tr['eegzoo']:.2f} | - | - |", flush=True)
        if not row["logit_diff"] <= TOLERANCE or not row["on_device"]:
            failed.append(name)
    if failed:
        print(f"\nFAILED on {device}: {', '.join(failed)} (logits differ by more than {TOLERANCE:g}, or a parameter/buffer stayed off the device)")
        return 1
    print(f"\nevery model: logits on {device} within {TOLERANCE:g} of the CPU's, parameters and buffers on {device}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
