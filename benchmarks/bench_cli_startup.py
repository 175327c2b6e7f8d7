"""How long short CLI commands take as a whole process (start-up included).

Run: python benchmarks/bench_cli_startup.py [--runs 10]

1. ``janus1 analyze llama-2-7b --context 4096 --precision int4 --json``: the target is
   well under a second (numba, matplotlib and torch stay off this path).
2. ``janus1 simulate --hierarchy two-level --trace T.npy --json`` of a 1,000-access
   trace, timed with the default stream prefetcher, and the same ``--counts-only
   --prefetcher none``, with the kernels cached (a first run compiles or loads them and
   is not counted): issue 13's target is under 0.8 s. Importing numba is most of it.

The machine is shared: the load average is printed next to the figures, and each
command's CPU time (user + system) too: a busy machine inflates it far less than the
wall time, and on an idle one the wall time is close to it (these commands are
single-threaded and read files from the page cache).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _time(cmd: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall times and CPU times (user + system, of the child process) of ``runs`` runs."""
    subprocess.run(cmd, check=True, capture_output=True)  # warm the file and kernel caches
    times, cpus = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return times, cpus


def _line(label: str, measured: tuple[list[float], list[float]]) -> str:
    times, cpus = measured
    return (f"{label}: median {statistics.median(times) * 1e3:.0f} ms, "
            f"min {min(times) * 1e3:.0f} ms, max {max(times) * 1e3:.0f} ms over "
            f"{len(times)} runs (CPU time median {statistics.median(cpus) * 1e3:.0f} ms)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min)")
    cmd = [sys.executable, "-m", "janus1", "analyze", "llama-2-7b", "--context", "4096",
           "--precision", "int4", "--json"]
    print(_line("janus1 analyze (whole process)", _time(cmd, args.runs)))
    heavy = subprocess.run([sys.executable, "-c", (
        "import sys, janus1.cli.commands.analyze, janus1.workload.analysis, janus1.models;"
        "print(','.join(m for m in ('numba','matplotlib','torch','scipy') if m in sys.modules))")],
        check=True, capture_output=True, text=True).stdout.strip()
    print(f"heavy modules imported on the analyze path: {heavy or 'none'}")

    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "t1000.npy"
        rng = np.random.default_rng(0)
        np.save(trace, (rng.integers(0, 1 << 20, 1000) * 8).astype(np.int64))
        base = [sys.executable, "-m", "janus1", "simulate", "--hierarchy", "two-level",
                "--trace", str(trace), "--json"]
        print(_line("janus1 simulate, 1,000 accesses, timed + stream (whole process)",
                    _time(base, args.runs)))
        print(_line("janus1 simulate, 1,000 accesses, --counts-only (whole process)",
                    _time(base + ["--counts-only", "--prefetcher", "none"], args.runs)))
        numba = _time([sys.executable, "-c", "import numba"], args.runs)
        print(_line("python -c 'import numba' (for scale)", numba))
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
