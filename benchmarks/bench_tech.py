"""Speed of the memory-macro and tile models against the tools they replace.

CACTI 7 takes 0.12-2.3 s per call (median 0.78 s over the reference grid; cacti.md,
"Speed anchor"); SCALE-Sim 3.0 takes a median 2.4 s per GEMM and 126.9 s for one
1x4096x4096 GEMV on 32x32 (scalesim.md, "Measured runtime"). Run:
``python benchmarks/bench_tech.py``.
"""

from __future__ import annotations

import time

from janus1.tech import macro, tile_cycles

CACTI_MEDIAN_S = 0.78        # cacti.md: median valid call in the grid run
SCALESIM_MEDIAN_S = 2.4      # scalesim.md: median over 43 runs
SCALESIM_GEMV_S = 126.86     # scalesim.md: 32x32 os 1x4096x4096


def _per_call(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    fn()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def main() -> None:
    """Print per-call times and ratios."""
    mem = _per_call(lambda: macro("edram", 224 * 2**20, "3nm", banks=16, temperature_c=85.0),
                    2000)
    sweep = _per_call(lambda: [macro(t, c * 2**20, n) for t in ("sram", "edram", "mram")
                               for c in (1, 16, 224) for n in (22, 7, 3)], 50) / 27
    tile = _per_call(lambda: tile_cycles(16, 16, 256, 256, 256, dataflow="os"), 20000)
    gemv = _per_call(lambda: tile_cycles(32, 32, 1, 4096, 4096, dataflow="os"), 20000)
    print(f"memtech macro: {mem * 1e6:8.1f} µs/call   CACTI median {CACTI_MEDIAN_S} s "
          f"-> {CACTI_MEDIAN_S / mem:,.0f}x faster")
    print(f"memtech sweep: {sweep * 1e6:8.1f} µs/call   -> {CACTI_MEDIAN_S / sweep:,.0f}x faster")
    print(f"tile GEMM    : {tile * 1e6:8.1f} µs/call   SCALE-Sim median {SCALESIM_MEDIAN_S} s "
          f"-> {SCALESIM_MEDIAN_S / tile:,.0f}x faster")
    print(f"tile GEMV    : {gemv * 1e6:8.1f} µs/call   SCALE-Sim 32x32 1x4096x4096 "
          f"{SCALESIM_GEMV_S} s -> {SCALESIM_GEMV_S / gemv:,.0f}x faster")
    t0 = time.perf_counter()
    import subprocess
    import sys
    subprocess.run([sys.executable, "-m", "janus1", "memtech", "--json"], check=True,
                   capture_output=True)
    cli = time.perf_counter() - t0
    print(f"janus1 memtech --json as a process (start-up included): {cli:.2f} s "
          f"(CACTI: {CACTI_MEDIAN_S} s per technology point)")


if __name__ == "__main__":
    main()
