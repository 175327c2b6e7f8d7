"""Speed of the hardware schedule (janus1.hw): the issue's targets.

Run: python benchmarks/bench_hw.py
Targets (issue 14): a decode-step schedule of a stories15M-sized spec in under 1 s; the
prefill simulation of 512 tokens on stories260K in under 10 s. Prints the times (first
call, numba compile or cache load included, then the best of three warm calls).
"""

from __future__ import annotations

import time

from janus1.hw import decode_schedule, decode_step, load_datapath, prefill, simulate_prefill
from janus1.models import load_spec


def _time(f, n: int = 3) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    f()
    first = time.perf_counter() - t0
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return first, best


def main() -> None:
    m15, dp15 = load_spec("stories15m"), load_datapath("stories15m")
    m260, dp260 = load_spec("stories260k"), load_datapath("stories260k")
    first, best = _time(lambda: decode_step(m15, dp15, m15.seq_len - 1))
    print(f"decode step, stories15M at pos {m15.seq_len - 1}: first {first * 1e3:.1f} ms, "
          f"warm {best * 1e3:.2f} ms (target < 1 s)")
    first, best = _time(lambda: decode_schedule(m15, dp15))
    print(f"decode schedule, stories15M, all {m15.seq_len} positions: first "
          f"{first * 1e3:.1f} ms, warm {best * 1e3:.1f} ms")
    for eng in ("shared", "per_layer"):
        dp = dp260.replace(engines=eng)
        first, best = _time(lambda: simulate_prefill(m260, dp, 512))
        print(f"prefill wavefront, stories260K, 512 tokens, {eng} engine: first {first:.2f} s, "
              f"warm {best:.2f} s (target < 10 s)")
    first, best = _time(lambda: prefill(m260, dp260, 512), n=1)
    r = prefill(m260, dp260, 512)
    print(f"prefill wavefront + global FSM baseline, stories260K, 512 tokens: warm "
          f"{best:.2f} s; {r.kv_reads:,} KV reads checked ({r.kv_reads / best / 1e6:.0f} M/s "
          f"including the event loop)")


if __name__ == "__main__":
    main()
