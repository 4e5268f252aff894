"""eegzoo benchmark on dask workers that Slurm starts (dask-jobqueue; run on Slurm 22.05).

    pip install dask-jobqueue
    python scripts/slurm/dask_slurm.py --jobs 10 --cores 8 --memory 32GB -- --models all --seeds 3 --out runs/benchmark

Each Slurm job runs ``--cores`` single-threaded dask workers; the arguments after ``--`` go to
``eegzoo benchmark``, which connects to the cluster's scheduler (``--backend dask
--scheduler ADDRESS``), so the table equals loky's bit for bit. Every node must see the same
Python environment and dataset cache (a shared EEGZOO_DATA).
"""

from __future__ import annotations

import argparse
import sys

from dask_jobqueue import SLURMCluster

from eegzoo.apps.cli import main as eegzoo_main


def main(argv: list[str]) -> int:
    ours, _, benchmark_args = _split(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="Slurm jobs to start")
    parser.add_argument("--cores", type=int, default=1, help="workers (one thread each) per job")
    parser.add_argument("--memory", default="4GB", help="memory per job")
    parser.add_argument("--walltime", default="04:00:00")
    parser.add_argument("--queue", default=None, help="Slurm partition (default: the cluster's)")
    args = parser.parse_args(ours)
    cluster = SLURMCluster(cores=args.cores, processes=args.cores, memory=args.memory, walltime=args.walltime,
                           queue=args.queue)
    cluster.scale(jobs=args.jobs)
    try:
        return eegzoo_main(["benchmark", "--backend", "dask", "--scheduler", cluster.scheduler_address, *benchmark_args])
    finally:
        cluster.close()


def _split(argv: list[str]) -> tuple[list[str], str, list[str]]:
    """(this script's arguments, '--', eegzoo benchmark's arguments)."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], "--", argv[i + 1:]
    return argv, "", []


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
