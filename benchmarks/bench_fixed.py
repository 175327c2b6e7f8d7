"""Tokens/s of the fixed-point decoder against the float reference on stories260K.

Both decoders step one token at a time (the step-decoder protocol) over the same 256
positions of the float greedy sequence from BOS, on this machine, after a warm-up run
(numba compilation and caches stay out of the timing). Prints both rates and their ratio;
issue 6 asks for a ratio of at least 1/3.

Run: ``python benchmarks/bench_fixed.py [--steps N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from janus1.decoder.checkpoint import load_checkpoint, make_decoder


def _rate(dec, tokens: list[int], repeats: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeats):
        dec.reset()
        t0 = time.perf_counter()
        for pos, t in enumerate(tokens):
            dec.step(t, pos)
        best = min(best, time.perf_counter() - t0)
    return len(tokens) / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    ck = load_checkpoint("stories260k")
    fl = make_decoder(ck)
    fx = make_decoder(ck, numerics="fixed")
    # the float greedy sequence from BOS (also the warm-up of both decoders)
    toks = [1]
    fl.reset()
    for pos in range(a.steps - 1):
        toks.append(int(np.argmax(fl.step(toks[-1], pos))))
    fx.reset()
    for pos, t in enumerate(toks):
        fx.step(t, pos)
    r_float = _rate(fl, toks, a.repeats)
    r_fixed = _rate(fx, toks, a.repeats)
    print(f"stories260K, {len(toks)} positions, best of {a.repeats}, one step at a time")
    print(f"float reference (numpy float32):   {r_float:10.0f} tokens/s")
    print(f"fixed point (numba, integer only): {r_fixed:10.0f} tokens/s")
    print(f"ratio fixed/float:                 {r_fixed / r_float:10.2f} (issue 6 asks >= 0.33)")


if __name__ == "__main__":
    main()
