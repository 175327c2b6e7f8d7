"""DRAM model throughput against DRAMsim3's reference run times.

Run: ``python benchmarks/bench_dram.py [--repeat 3] [--only CONFIG|TRACE ...]
[--no-process]``.

For every row of ``shared/reference/dramsim3_runs.csv`` the trace is regenerated
(byte-identical, SHA-256 checked) and replayed on the row's DRAMsim3 ``.ini`` two ways:

1. **process** - timed as DRAMsim3 was: ``python -m janus1 dram TRACE --dram INI --json``
   as a child process, from process start to the statistics written (interpreter,
   numba and the cached kernels loaded, the trace parsed, simulated, JSON printed to
   /dev/null). Median of ``--repeat`` runs.
2. **in-process** - ``read_dram_trace`` + ``simulate_dram`` (trace parsing included,
   kernels already loaded), best of ``--repeat`` runs: the cost a caller of the library
   pays per trace (issue 19 runs the model behind the cache hierarchy this way).

Printed per row: requests per second both ways, DRAMsim3's ``requests_per_s`` (stock
``dramsim3main``, median of 3, process start to exit, on a 2-vCPU VM with load ~1.5)
and the ratios; the target is >= 10x. Each figure is given on wall-clock time and on CPU
time (this process's, or the child's user + system time): on a shared VM other processes
slow the wall clock (the load average is printed), CPU time much less; DRAMsim3's figure
is wall time on a VM at load ~1.5. Every run also checks that the cycle count equals
DRAMsim3's.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("JANUS1_SHARED", ROOT.parent / "shared"))
sys.path.insert(0, str(ROOT / "tests" / "dram"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=[], help="configs or traces to run")
    ap.add_argument("--no-process", action="store_true", help="skip the child-process timing")
    args = ap.parse_args()

    from reference_traces import write_traces

    from janus1.sim.dram import load_dram, read_dram_trace, simulate_dram

    ref = SHARED / "reference"
    with (ref / "dramsim3_runs.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh)
                if not args.only or r["config"] in args.only or r["trace"] in args.only]
    tmp = Path(tempfile.mkdtemp(prefix="bench_dram_"))
    traces = write_traces(tmp, tuple(sorted({r["trace"] for r in rows})))

    # warm-up: compile or load the cached kernels once (not timed)
    t0 = time.perf_counter()
    spec = load_dram(str(ref / "dramsim3_configs" / f"{rows[0]['config']}.ini"))
    tr = read_dram_trace(traces[rows[0]["trace"]][0])
    simulate_dram(spec, tr.addresses[:1000], tr.is_write[:1000], tr.cycles[:1000])
    print(f"warm-up (kernel compile or cache load): {time.perf_counter() - t0:.2f} s")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep
               + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import numba"], check=True, env=env)
    print(f"floor of a fresh process: python + import numba = "
          f"{time.perf_counter() - t0:.2f} s wall")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} CPUs)\n")
    hdr = (f"{'config':20s} {'trace':12s} {'DRAMsim3':>9s} | {'in-process wall':>15s} "
           f"{'x':>5s} {'cpu':>9s} {'x':>5s} | {'process wall':>12s} {'x':>5s} {'cpu':>9s} "
           f"{'x':>5s} | cycles")
    print(hdr)
    print("-" * len(hdr))
    ratios_in, ratios_proc, ratios_in_cpu, ratios_proc_cpu = [], [], [], []
    for r in rows:
        ini = ref / "dramsim3_configs" / f"{r['config']}.ini"
        path, sha = traces[r["trace"]]
        assert sha == r["trace_sha256"], r["trace"]
        n = int(r["requests"])
        spec = load_dram(str(ini))
        best = best_cpu = float("inf")
        for _ in range(args.repeat):
            t, tc = time.perf_counter(), time.process_time()
            tr = read_dram_trace(path)
            res = simulate_dram(spec, tr.addresses, tr.is_write, tr.cycles)
            best = min(best, time.perf_counter() - t)
            best_cpu = min(best_cpu, time.process_time() - tc)
        ok = "=" if res.stats.cycles == int(r["cycles_to_finish"]) else "MISMATCH"
        ref_rps = float(r["requests_per_s"])
        rin, rin_cpu = n / best, n / best_cpu
        ratios_in.append(rin / ref_rps)
        ratios_in_cpu.append(rin_cpu / ref_rps)
        proc = "-" * 12 + " " + "-" * 5 + " " + "-" * 9 + " " + "-" * 5
        if not args.no_process:
            ts, cs = [], []
            for _ in range(args.repeat):
                u0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "janus1", "dram", str(path), "--dram",
                                str(ini), "--json"], check=True, env=env,
                               stdout=subprocess.DEVNULL)
                ts.append(time.perf_counter() - t)
                u1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cs.append(u1.ru_utime - u0.ru_utime + u1.ru_stime - u0.ru_stime)
            rproc, rproc_cpu = n / statistics.median(ts), n / statistics.median(cs)
            ratios_proc.append(rproc / ref_rps)
            ratios_proc_cpu.append(rproc_cpu / ref_rps)
            proc = (f"{rproc:12.0f} {rproc / ref_rps:5.1f} {rproc_cpu:9.0f} "
                    f"{rproc_cpu / ref_rps:5.1f}")
        print(f"{r['config']:20s} {r['trace']:12s} {ref_rps:9.0f} | {rin:15.0f} "
              f"{rin / ref_rps:5.1f} {rin_cpu:9.0f} {rin_cpu / ref_rps:5.1f} | {proc} | {ok}",
              flush=True)
    print()
    for label, rs in (("in-process, wall", ratios_in), ("in-process, cpu", ratios_in_cpu),
                      ("process, wall", ratios_proc), ("process, cpu", ratios_proc_cpu)):
        if rs:
            print(f"{label:17s} min {min(rs):5.1f}x, median {statistics.median(rs):5.1f}x "
                  f"DRAMsim3; rows >= 10x: {sum(x >= 10 for x in rs)}/{len(rs)}")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
