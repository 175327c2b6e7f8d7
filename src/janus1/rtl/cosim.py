"""Co-simulation: the RTL in Amaranth's simulator against the Python golden model.

For the prefetcher, a stimulus is a sequence of (demand line, first-level hit) pairs:
what the simulator's hook is shown (each access to a new first-level line). Both sides
get the same pairs; the result compares, access by access, the prefetch lines each
issues. Stimuli:

- :func:`trace_lines`: the new-line stream of any trace (e.g. a stories260K decode step),
  with :func:`closed_loop_hits` giving the hit bits of a small LRU first level that the
  golden model's prefetches fill (so streams train, hit and miss as in a cache);
- :func:`random_stimulus`: seeded interleaved up/down streams, jumps and noise with
  random hit bits (the seed is the only source of randomness).
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..trace import TraceChunk
from .prefetcher import PrefetcherParams, StreamModel

__all__ = ["Stimulus", "CosimResult", "trace_lines", "closed_loop_hits", "random_stimulus",
           "golden_prefetches", "rtl_prefetches", "cosim_prefetcher"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Stimulus:
    """Demand accesses for the prefetcher: line addresses and first-level hits."""

    lines: np.ndarray     # (N,) int64 line addresses, each in [0, 2**line_bits)
    hits: np.ndarray      # (N,) bool
    source: str           # where they came from, for reports

    def __post_init__(self) -> None:
        if self.lines.shape != self.hits.shape or self.lines.ndim != 1:
            raise InputError(f"stimulus {self.source}: lines and hits must be equal 1-D arrays")


@dataclass(frozen=True, slots=True, kw_only=True)
class CosimResult:
    """The outcome of one co-simulation."""

    block: str
    params: str                 # PrefetcherParams.label()
    source: str
    accesses: int               # demand accesses driven
    prefetches: int             # prefetch lines the golden model issued
    mismatches: int             # accesses whose prefetch lists differ
    first_mismatch: str         # "" when none; else index, expected and got
    cycles: int                 # RTL clock cycles simulated
    seconds: float              # wall time of the RTL simulation

    @property
    def exact(self) -> bool:
        return self.mismatches == 0


def trace_lines(chunks: Iterable[TraceChunk], line_bytes: int = 64) -> np.ndarray:
    """The first-level line stream a trace shows the prefetcher: every line each access
    touches, with repeats of the line just accessed removed (the simulator's rule)."""
    shift = line_bytes.bit_length() - 1
    parts = []
    for c in chunks:
        addr = np.asarray(c.addr, dtype=np.int64)
        nbytes = (np.asarray(c.size, np.int64) if c.size is not None
                  else np.full(len(addr), c.access_bytes, np.int64))
        first = addr >> shift
        last = (addr + np.maximum(nbytes, 1) - 1) >> shift
        span = (last - first + 1).astype(np.int64)
        rep = np.repeat(first, span)
        within = np.arange(len(rep), dtype=np.int64) - np.repeat(np.cumsum(span) - span, span)
        parts.append(rep + within)
    lines = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    if len(lines) == 0:
        return lines
    keep = np.ones(len(lines), bool)
    keep[1:] = lines[1:] != lines[:-1]
    return lines[keep]


def closed_loop_hits(lines: np.ndarray, p: PrefetcherParams, *, sets: int = 64,
                     ways: int = 8) -> np.ndarray:
    """Hit bits of an LRU first level (``sets`` x ``ways`` lines; 32 KiB of 64-byte lines
    by default) filled by demand misses and by the golden model's prefetches."""
    model = StreamModel(p)
    cache = [OrderedDict() for _ in range(sets)]  # per set: line -> None, LRU first
    hits = np.zeros(len(lines), bool)

    def fill(y: int) -> bool:
        st = cache[y % sets]
        if y in st:
            st.move_to_end(y)
            return True
        st[y] = None
        if len(st) > ways:
            st.popitem(last=False)
        return False

    for i, x in enumerate(lines.tolist()):
        hits[i] = fill(x)
        for y in model.issued(model.access(x, bool(hits[i]))):
            fill(y)
    return hits


def random_stimulus(p: PrefetcherParams, *, seed: int, n: int) -> Stimulus:
    """Seeded accesses: a few interleaved streams (up and down, unit and skipping
    strides), jumps, streams next to each other (several trackers match at once), noise,
    lines near both ends of the address space, random hits."""
    rng = random.Random(seed)
    top = (1 << p.line_bits) - 1
    streams = [rng.randrange(0, top) for _ in range(rng.randint(1, 2 * p.trackers + 1))]
    steps = [rng.choice((1, 1, 1, 2, -1, -1, 3, -2)) for _ in streams]
    lines = np.zeros(n, np.int64)
    hits = np.zeros(n, bool)
    prev = -1
    for i in range(n):
        r = rng.random()
        k = rng.randrange(len(streams))
        if r < 0.70:                                       # a stream advances
            streams[k] += steps[k] * rng.choice((1, 1, 1, 1, 2, p.window + 1))
        elif r < 0.80:                                     # a stream jumps elsewhere
            streams[k] = rng.choice((rng.randrange(0, top), rng.randrange(0, 64),
                                     top - rng.randrange(0, 64)))
            steps[k] = rng.choice((1, -1, 2, -2))
        elif r < 0.85:                                     # a small step either way
            streams[k] += rng.randint(-p.window - 2, p.window + 2)
        elif r < 0.90:                                     # next to another stream, so
            other = streams[rng.randrange(len(streams))]   # several trackers match
            streams[k] = other + rng.randint(-p.window - p.lookahead, p.window + p.lookahead)
        else:                                              # noise
            streams[k] = rng.randrange(0, top)
        streams[k] = min(max(streams[k], 0), top)
        x = streams[k]
        if x == prev:                                      # repeats are not shown
            x = min(x + 1, top) if x < top else x - 1
        lines[i] = prev = x
        hits[i] = rng.random() < 0.35
    return Stimulus(lines=lines, hits=hits, source=f"random seed {seed}, {n} accesses")


def _check_width(p: PrefetcherParams, stim: Stimulus) -> None:
    if len(stim.lines) and (int(stim.lines.min()) < 0
                            or int(stim.lines.max()) >= 1 << p.line_bits):
        bad = int(stim.lines.max()) if int(stim.lines.min()) >= 0 else int(stim.lines.min())
        raise InputError(f"{stim.source}: line {bad:#x} does not fit the prefetcher's "
                         f"{p.line_bits}-bit line address (address_bits={p.address_bits}, "
                         f"line_bytes={p.line_bytes})")


def golden_prefetches(p: PrefetcherParams, stim: Stimulus) -> list[list[int]]:
    """The golden model's issued prefetch lines, per access."""
    _check_width(p, stim)
    model = StreamModel(p)
    return [model.issued(model.access(x, h))
            for x, h in zip(stim.lines.tolist(), stim.hits.tolist())]


def rtl_prefetches(p: PrefetcherParams, stim: Stimulus) -> tuple[list[list[int]], int]:
    """The RTL's prefetch lines per access, from Amaranth's simulator, and the cycles.

    Each cycle the bench first reads the prefetch lanes (they belong to the access
    accepted last), then offers the next access when ``in_ready`` is high.
    """
    from amaranth.sim import Simulator

    from ._prefetcher_hdl import StreamPrefetcher

    _check_width(p, stim)
    dut = StreamPrefetcher(p)
    lines = stim.lines.tolist()
    hits = stim.hits.tolist()
    n = len(lines)
    out: list[list[int]] = [[] for _ in range(n)]
    cycles = 0

    async def bench(ctx: object) -> None:
        nonlocal cycles
        cur = -1
        i = 0
        drain = -(-p.degree // p.ports) + 1   # cycles to empty the emitter at the end
        lanes = range(p.ports)
        while i < n or drain > 0:
            pv = ctx.get(dut.pf_valid)  # type: ignore[attr-defined]
            if pv:
                for lane in lanes:
                    if pv >> lane & 1:
                        out[cur].append(ctx.get(dut.pf_line[lane]))  # type: ignore
            take = i < n and ctx.get(dut.in_ready)  # type: ignore[attr-defined]
            if take:
                ctx.set(dut.in_valid, 1)  # type: ignore[attr-defined]
                ctx.set(dut.in_line, lines[i])  # type: ignore[attr-defined]
                ctx.set(dut.in_hit, hits[i])  # type: ignore[attr-defined]
            else:
                ctx.set(dut.in_valid, 0)  # type: ignore[attr-defined]
                if i >= n:
                    drain -= 1
            await ctx.tick()  # type: ignore[attr-defined]
            cycles += 1
            if take:
                cur = i
                i += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return out, cycles


def cosim_prefetcher(p: PrefetcherParams, stim: Stimulus) -> CosimResult:
    """Run both sides on ``stim`` and compare their prefetch lines access by access."""
    import time

    want = golden_prefetches(p, stim)
    t0 = time.perf_counter()
    got, cycles = rtl_prefetches(p, stim)
    dt = time.perf_counter() - t0
    bad = [i for i, (a, b) in enumerate(zip(want, got)) if a != b]
    first = ""
    if bad:
        i = bad[0]
        first = (f"access {i} (line {int(stim.lines[i]):#x}, hit {bool(stim.hits[i])}): "
                 f"model {want[i]}, RTL {got[i]}")
    return CosimResult(block="prefetcher", params=p.label(), source=stim.source,
                       accesses=len(want), prefetches=sum(len(a) for a in want),
                       mismatches=len(bad), first_mismatch=first, cycles=cycles, seconds=dt)


def stimulus_from_lines(lines: Sequence[int] | np.ndarray, p: PrefetcherParams, *,
                        source: str) -> Stimulus:
    """A stimulus from a line stream, with :func:`closed_loop_hits` for the hit bits."""
    arr = np.asarray(lines, dtype=np.int64)
    _check_width(p, Stimulus(lines=arr, hits=np.zeros(len(arr), bool), source=source))
    return Stimulus(lines=arr, hits=closed_loop_hits(arr, p), source=source)
