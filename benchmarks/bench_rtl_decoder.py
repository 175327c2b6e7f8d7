"""Co-simulation at scale of the decoder's blocks (issue 18), and their uncached ECP5 flow.

Run: python benchmarks/bench_rtl_decoder.py [--cases N] [--jobs J] [--blocks ...] [--synth]
     [--minutes M]
- Co-simulation: >= 10^4 start-to-done cases per block by default (``--cases``), each
  bit-exact against its golden model (``attend_head``, ``_matvec_f``, ``scan_argmax``) and
  cycle-exact against janus1.hw's contract; seeded random cases (in ``J`` processes, each
  with its own seed range) plus every vector of three stories260K decode steps
  (positions 0, 5, 31: 120 attention heads, 105 matvecs, 3 classifier scans). Prints
  counts, mismatches and simulated cycles per second.
- ``--synth``: ``janus1 rtl synth attention --target ecp5 --no-cache`` as a whole process
  (the issue's bound: under 10 minutes on 2 cores), then matvec and argmax.
Needs the extra ``rtl``. Exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor


def _attention_chunk(args: tuple[int, int]) -> tuple[int, int, int, int, float, str]:
    from janus1.rtl.decoder_blocks import AttentionParams
    from janus1.rtl.decoder_cosim import cosim_attention, random_attention_cases

    n, seed = args
    p = AttentionParams()
    r = cosim_attention(p, random_attention_cases(p, n, seed))
    return r.cases, r.mismatches, r.cycle_mismatches, r.cycles, r.seconds, r.first_mismatch


def _engine_chunk(args: tuple[str, int, int]) -> tuple[int, int, int, int, float, str]:
    from janus1.decoder.fixed_ref import FixedConfig
    from janus1.hw.datapath import load_datapath
    from janus1.rtl.decoder_cosim import (cosim_argmax, cosim_matvec, random_matvec_cases,
                                          random_matvec_rom)

    block, n, seed = args
    dp = load_datapath("seed004-small")
    rom = random_matvec_rom(dp.mac.lanes, seed, n_mats=8, ties=block == "argmax")
    cases = random_matvec_cases(rom, 16, n, seed + 1)
    f = cosim_matvec if block == "matvec" else cosim_argmax
    r = f(FixedConfig(), dp, rom, 16, cases)
    return r.cases, r.mismatches, r.cycle_mismatches, r.cycles, r.seconds, r.first_mismatch


def _captured() -> list[tuple[str, object]]:
    from janus1.decoder.fixed_ref import FixedConfig
    from janus1.hw.datapath import load_datapath
    from janus1.rtl.decoder_blocks import AttentionParams, WeightRom
    from janus1.rtl.decoder_cosim import (MatvecCase, capture_decode, cosim_argmax,
                                          cosim_attention, cosim_matvec)

    cap = capture_decode("stories260k", positions=(0, 5, 31), seed=1)
    dp = load_datapath("stories260k")
    p = AttentionParams(datapath=dp, head_size=8, seq_len=512, fan_in=172)
    out = [("attention", cosim_attention(p, cap.attention, source="stories260K decode"))]
    mats, cases, cls_m, cls_c = [], [], [], []
    for k, (n, w, e, x, xe) in enumerate(cap.matvec):
        (cls_m if n == "cls" else mats).append((f"{n}@{k}", w, e))
        (cls_c if n == "cls" else cases).append(MatvecCase(name=f"{n}@{k}", x_m=x, x_e=xe))
    rom = WeightRom.from_matrices(dp.mac.lanes, mats, source="stories260K")
    out.append(("matvec", cosim_matvec(FixedConfig(), dp, rom, cap.act_bits, cases,
                                       source="stories260K decode")))
    crom = WeightRom.from_matrices(dp.mac.lanes, cls_m, source="stories260K classifier")
    out.append(("argmax", cosim_argmax(FixedConfig(), dp, crom, cap.act_bits, cls_c,
                                       source="stories260K decode")))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000, help="random cases per block")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--blocks", nargs="+", default=["attention", "matvec", "argmax"])
    ap.add_argument("--no-captured", action="store_true")
    ap.add_argument("--synth", action="store_true")
    ap.add_argument("--minutes", type=float, default=1e9,
                    help="per block: stop starting new chunks after this many minutes "
                         "(the counts printed then say so)")
    args = ap.parse_args()
    bad = 0
    chunk = 50
    with ProcessPoolExecutor(max_workers=args.jobs) as ex:
        for block in args.blocks:
            t0 = time.perf_counter()
            sizes = [min(chunk, args.cases - i) for i in range(0, args.cases, chunk)]
            jobs = ([(_attention_chunk, (n, 1000 + i)) for i, n in enumerate(sizes)]
                    if block == "attention" else
                    [(_engine_chunk, (block, n, 2000 + i)) for i, n in enumerate(sizes)])
            res: list[tuple[int, int, int, int, float, str]] = []
            pending = []
            stopped = False
            while jobs or pending:
                while jobs and len(pending) < args.jobs and not stopped:
                    f, a = jobs.pop(0)
                    pending.append(ex.submit(f, a))
                if not pending:
                    break
                res.append(pending.pop(0).result())
                if time.perf_counter() - t0 > 60 * args.minutes and not stopped:
                    stopped = True               # the time budget: finish what is running
                    jobs.clear()
            wall = time.perf_counter() - t0
            cases = sum(r[0] for r in res)
            mism = sum(r[1] for r in res)
            cmis = sum(r[2] for r in res)
            cyc = sum(r[3] for r in res)
            sim_s = sum(r[4] for r in res)
            first = next((r[5] for r in res if r[5]), "")
            bad += mism + cmis
            print(f"{block}: {cases:,} random cases"
                  + (f" (STOPPED by --minutes {args.minutes:g}: {args.cases:,} asked)"
                     if cases < args.cases else "")
                  + f", {mism} output mismatches, {cmis} cycle mismatches; {cyc:,} cycles "
                  f"simulated in {sim_s:.0f} s of simulator time "
                  f"({cyc / max(sim_s, 1e-9):,.0f} cycles/s per process, "
                  f"{sim_s / max(cases, 1):.3f} s per case), {wall:.0f} s wall with "
                  f"{args.jobs} processes" + (f"; first: {first}" if first else ""),
                  flush=True)
    if not args.no_captured:
        for block, r in _captured():
            if block not in args.blocks:
                continue
            bad += r.mismatches + r.cycle_mismatches
            print(f"{block}, {r.source}: {r.cases} cases, {r.mismatches} output mismatches, "
                  f"{r.cycle_mismatches} cycle mismatches, {r.cycles:,} cycles "
                  f"({r.seconds:.1f} s)" + (f"; first: {r.first_mismatch}"
                                            if r.first_mismatch else ""))
    if args.synth:
        for block in args.blocks:
            cmd = [sys.executable, "-m", "janus1", "rtl", "synth", block, "--target", "ecp5",
                   "--no-cache"]
            t0 = time.perf_counter()
            r = subprocess.run(cmd, capture_output=True, text=True)
            print(f"uncached `janus1 rtl synth {block} --target ecp5`: "
                  f"{time.perf_counter() - t0:.0f} s, exit {r.returncode}")
            print("  " + "\n  ".join((r.stdout + r.stderr).strip().splitlines()))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (figures measured "
          f"under whatever else runs on the machine)")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
