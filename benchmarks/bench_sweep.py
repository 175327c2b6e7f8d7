"""Sweep throughput: points per second for serial, the process pool and Ray.

Target (issue 22): the 100,000-point analytic sweep (examples/sweeps/analytic-100k.toml,
roofline + ppa) finishes in under 60 s on 2 cores with the process pool.

Prints, in order:

1. the per-point cost of the naive loop (``load_design`` with the point's ``--set``
   overrides, then ``ppa``; what a sweep cost before the batched path);
2. serial: the first ``--serial-points`` points in this process;
3. pool: all 100,000 points on ``--workers`` processes (default: every core), from
   start-up to the last part written, and whether that is under 60 s;
4. Ray: the first ``--ray-points`` points on a local Ray head (``--ray auto``
   defaults: loopback, no usage statistics, no dashboard), start-up excluded.

Run: ``python benchmarks/bench_sweep.py [--workers N] [--no-ray]``. The machine's load
average is printed: on a shared machine the figures are lower than on an idle one, which
is why the pool's CPU time is printed too. Ray binds to loopback here but still probes
8.8.8.8:53 to find its address (Ray 2.60); to keep it off the network entirely, run as
root inside a loopback-only namespace:
``unshare -n sh -c 'ip link set lo up && python benchmarks/bench_sweep.py'``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import tempfile
import time
from pathlib import Path

from janus1.sweep import load_sweep
from janus1.sweep.backends import PoolBackend
from janus1.sweep.points import grid_points, resolve
from janus1.sweep.run import run_sweep

SWEEP = Path(__file__).resolve().parents[1] / "examples" / "sweeps" / "analytic-100k.toml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=None, help="pool size (default: cores)")
    ap.add_argument("--serial-points", type=int, default=5000)
    ap.add_argument("--ray-points", type=int, default=20000)
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()
    spec = load_sweep(SWEEP)
    print(f"{SWEEP.name}: {spec.grid_size:,} points; {os.cpu_count()} cores; load average "
          f"{os.getloadavg()[0]:.2f} at start")

    # 1. naive loop
    from janus1.design import load_design, ppa
    from janus1.models import load_spec

    pts = list(itertools.islice(grid_points(spec), 0, 50_000, 250))[:200]
    t0 = time.perf_counter()
    for v in pts:
        p = resolve(spec, v)
        try:
            ppa(load_design(p.design, p.design_set), load_spec(p.model), context=p.context,
                precision=p.precision, kv_precision=p.kv_precision)
        except Exception:  # noqa: BLE001 - a failing point costs what it costs
            pass
    naive = (time.perf_counter() - t0) / len(pts)
    print(f"naive loop (load_design + load_spec + ppa per point): {naive * 1e3:.2f} ms/point "
          f"= {1 / naive:,.0f} points/s on one core")

    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        # 2. serial
        from janus1.sweep.evaluate import Chunk, evaluate_chunk

        vals = tuple(itertools.islice(grid_points(spec), args.serial_points))
        evaluate_chunk(spec, Chunk(values=vals[:50]))         # imports, first design
        t0 = time.perf_counter()
        for i in range(0, len(vals), spec.chunk):
            evaluate_chunk(spec, Chunk(values=vals[i:i + spec.chunk]))
        ser = time.perf_counter() - t0
        print(f"serial: {len(vals):,} points in {ser:.2f} s = {len(vals) / ser:,.0f} points/s "
              f"({ser / len(vals) * 1e3:.3f} ms/point, {naive / (ser / len(vals)):.1f}x the "
              "naive loop)")

        # 3. pool, the whole sweep
        import resource

        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        c0 = time.process_time()
        t0 = time.perf_counter()
        with PoolBackend(args.workers) as pool:
            s = run_sweep(spec, pool, out_root=tmp, name="pool", figures=False)
        wall = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
        main_cpu = time.process_time() - c0
        verdict = "under" if wall < 60 else "NOT under"
        print(f"pool ({s.workers} workers): {s.points_evaluated:,} points in {wall:.1f} s "
              f"(start-up included) = {s.points_evaluated / wall:,.0f} points/s; "
              f"{s.points_failed:,} failed; {verdict} 60 s; load average now "
              f"{os.getloadavg()[0]:.2f}")
        print(f"pool CPU time: workers {workers_cpu:.1f} s in all ({workers_cpu / s.workers:.1f} "
              f"s each, start-up included), main process {main_cpu:.1f} s; on {s.workers} "
              f"otherwise idle cores the wall time would be about "
              f"{max(workers_cpu / s.workers, main_cpu):.1f} s")

        # 4. Ray
        if not args.no_ray:
            _ray(spec, args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _ray(spec: object, args: argparse.Namespace, tmp: Path) -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        print("ray: not installed (pip install 'janus1[ray]'); skipped")
        return
    from janus1.sweep import parse_sweep
    from janus1.sweep.backends import RayBackend

    text = SWEEP.read_text(encoding="utf-8")
    # the first ray-points points: keep the first axes whole and cut the grid by
    # limiting the leading axis (each of its values holds grid_size / n points)
    sub = parse_sweep(text, source=str(SWEEP))
    per_first = sub.grid_size // len(sub.axes[0].values)
    keep = max(1, args.ray_points // per_first)
    first = sub.axes[0]
    vals = ", ".join(f'"{v}"' for v in first.values[:keep])
    text = text.replace('values = ["4MiB", "8MiB", "16MiB", "32MiB", "64MiB"]',
                        f"values = [{vals}]")
    sub = parse_sweep(text, source=str(SWEEP))
    t0 = time.perf_counter()
    backend = RayBackend(address="auto", workers=args.workers)
    start = time.perf_counter() - t0
    try:
        t1 = time.perf_counter()
        s = run_sweep(sub, backend, out_root=tmp, name="ray", figures=False)
        wall = time.perf_counter() - t1
    finally:
        backend.close()
    print(f"ray ({s.workers} CPUs, local head): {s.points_evaluated:,} points in {wall:.1f} s "
          f"= {s.points_evaluated / wall:,.0f} points/s (head start-up {start:.1f} s not "
          "included)")


if __name__ == "__main__":
    main()
