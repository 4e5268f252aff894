"""The README's measured tables, generated from the measured data so they cannot drift from it.

    python scripts/readme_tables.py           # rewrite the tables in README.md
    python scripts/readme_tables.py --check   # exit 1 if README.md differs from the data

Two tables, each between ``<!-- generated: NAME -->`` and ``<!-- end: NAME -->`` in README.md:
``speed`` (every architecture's speed-up against braindecode, ``benchmarks/results/speed.csv``)
and ``benchmark`` (accuracy of every architecture and baseline on every offline dataset,
``benchmarks/results/benchmark.csv``). ``tests/test_contract.py`` runs the check.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
MEASUREMENTS = [("eval_b64", "eval forward, batch 64"), ("train_b64", "train step, batch 64"), ("eval_b1", "eval forward, batch 1")]


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _architectures() -> list[str]:
    from eegzoo.benchmark import all_models

    return all_models()


def speed_table(rows: list[dict[str, str]], architectures: list[str]) -> str:
    """One row per architecture: eegzoo's speed-up over braindecode in each measurement."""
    ratio = {(r["model"], r["measurement"]): float(r["speedup"]) for r in rows}
    cpus = sorted({r["cpu"] for r in rows if r["model"] in architectures})
    lines = ["| architecture | " + " | ".join(label for _, label in MEASUREMENTS) + " |",
             "|---|" + "---|" * len(MEASUREMENTS)]
    for name in architectures:
        cells = [f"{ratio[(name, key)]:.1f}×" if (name, key) in ratio else "–" for key, _ in MEASUREMENTS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"Speed-up = braindecode 1.8.1's time / eegzoo's, medians of interleaved runs, 2 threads, "
                 f"22 channels × 1000 samples; CPU: {', '.join(cpus)} (`benchmarks/results/speed.csv`).")
    return "\n".join(lines)


def benchmark_table(rows: list[dict[str, str]], architectures: list[str], datasets: list[str]) -> str:
    """Methods x datasets: mean accuracy over seeds, the best of each dataset in bold, ✓
    where every seed is above chance (the benchmark's Bonferroni-corrected binomial test)."""
    by_key = {(r["method"], r["dataset"]): r for r in rows}
    baselines = sorted({r["method"] for r in rows if r["kind"] == "baseline"})
    methods = [m for m in architectures if any((m, d) in by_key for d in datasets)] + baselines
    best = {d: max((float(by_key[(m, d)]["accuracy_mean"]) for m in methods if (m, d) in by_key), default=None)
            for d in datasets}
    lines = ["| method | " + " | ".join(datasets) + " |", "|---|" + "---|" * len(datasets)]
    for method in methods:
        cells = []
        for d in datasets:
            row = by_key.get((method, d))
            if row is None:
                cells.append("–")
                continue
            accuracy = float(row["accuracy_mean"])
            text = f"{accuracy:.3f}" + (" ✓" if row["significant"] == "True" else "")
            cells.append(f"**{text}**" if accuracy == best[d] else text)
        label = f"{method} (baseline)" if method in baselines else method
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render() -> dict[str, str]:
    from eegzoo.benchmark import offline_datasets

    architectures = _architectures()
    return {
        "speed": speed_table(_read(RESULTS / "speed.csv"), architectures),
        "benchmark": benchmark_table(_read(RESULTS / "benchmark.csv"), architectures, offline_datasets()),
    }


def updated(text: str, tables: dict[str, str]) -> str:
    """``text`` with each generated block replaced; a missing marker is an error."""
    for name, table in tables.items():
        pattern = re.compile(rf"(<!-- generated: {name} -->\n)(?:.*?\n)?(<!-- end: {name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no '<!-- generated: {name} -->' ... '<!-- end: {name} -->' block.")
        text = pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is not what the data gives")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = parser.parse_args(argv)
    current = args.readme.read_text()
    new = updated(current, render())
    if args.check:
        if new != current:
            print(f"{args.readme} is out of date with benchmarks/results/: run python scripts/readme_tables.py")
            return 1
        return 0
    if new != current:
        args.readme.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
