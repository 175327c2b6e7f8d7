"""How long `janus1 analyze PRESET --json` takes as a whole process (start-up included).

Run: python benchmarks/bench_cli_startup.py
The issue's target: well under a second (numba, matplotlib and torch stay off this path).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def main() -> None:
    cmd = [sys.executable, "-m", "janus1", "analyze", "llama-2-7b", "--context", "4096",
           "--precision", "int4", "--json"]
    subprocess.run(cmd, check=True, capture_output=True)  # warm the file cache
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    heavy = subprocess.run([sys.executable, "-c", (
        "import sys, janus1.cli.commands.analyze, janus1.workload.analysis, janus1.models;"
        "print(','.join(m for m in ('numba','matplotlib','torch','scipy') if m in sys.modules))")],
        check=True, capture_output=True, text=True).stdout.strip()
    print(f"janus1 analyze (whole process): median {statistics.median(times) * 1e3:.0f} ms, "
          f"min {min(times) * 1e3:.0f} ms, max {max(times) * 1e3:.0f} ms over {len(times)} runs")
    print(f"heavy modules imported on the analyze path: {heavy or 'none'}")


if __name__ == "__main__":
    main()
