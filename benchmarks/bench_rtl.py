"""Co-simulation at scale and the uncached ECP5 flow of the default prefetcher.

Run: python benchmarks/bench_rtl.py [--accesses N] [--no-synth]
- Co-simulation: Janus-Prefetch-1's RTL in Amaranth's simulator against the golden model
  on stories260K decode steps (at least 10^5 accesses by default; hit bits from a 32 KiB
  LRU first level filled by the prefetches), then on seeded random accesses; prints the
  counts, mismatches and simulated cycles per second.
- Synthesis: `janus1 rtl synth prefetcher --target ecp5 --no-cache` as a whole process
  (the issue's bound: under 5 minutes on 2 cores), and the cached rerun.
Needs the extra `rtl`. Exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accesses", type=int, default=100_000)
    ap.add_argument("--no-synth", action="store_true")
    args = ap.parse_args()

    from janus1.models import load_spec
    from janus1.rtl import block_params
    from janus1.rtl.cosim import (
        cosim_prefetcher,
        random_stimulus,
        stimulus_from_lines,
        trace_lines,
    )
    from janus1.trace import decode_trace

    p = block_params("prefetcher")
    spec = load_spec("stories260k")
    steps = 1
    while True:   # enough decode steps for the requested accesses
        lines = trace_lines(decode_trace(spec, precision="int8", context=32, tokens=steps),
                            p.line_bytes)
        if len(lines) >= args.accesses or 32 + steps >= spec.seq_len:
            break
        steps = min(spec.seq_len - 32, max(steps + 1, steps * args.accesses // len(lines) + 1))
    lines = lines[: args.accesses]
    stim = stimulus_from_lines(lines, p, source=f"stories260K int8, {steps} decode steps")
    bad = 0
    for s in (stim, random_stimulus(p, seed=11, n=min(args.accesses, 20_000))):
        r = cosim_prefetcher(p, s)
        bad += r.mismatches
        print(f"co-simulation, {r.source}: {r.accesses:,} accesses "
              f"({float(s.hits.mean()):.1%} first-level hits), {r.prefetches:,} prefetches, "
              f"{r.mismatches} mismatching accesses; {r.cycles:,} cycles in {r.seconds:.1f} s "
              f"({r.cycles / r.seconds:,.0f} cycles/s, Amaranth's Python simulator)")
    print(f"configuration: {p.label()}")
    if not args.no_synth:
        cmd = [sys.executable, "-m", "janus1", "rtl", "synth", "prefetcher", "--target",
               "ecp5"]
        for extra, label in ((["--no-cache"], "uncached"), ([], "cached")):
            t0 = time.perf_counter()
            out = subprocess.run(cmd + extra, check=True, capture_output=True, text=True,
                                 timeout=600).stdout
            print(f"janus1 rtl synth prefetcher --target ecp5 ({label}): "
                  f"{time.perf_counter() - t0:.1f} s")
            if label == "uncached":
                print("  " + out.strip().replace("\n", "\n  "))
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
