"""Bit-exact co-simulation: the Amaranth RTL in Amaranth's simulator issues the same
prefetch lines as the golden model, access by access (the golden model equals the
simulator's prefetcher: test_golden.py)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require

from janus1.rtl import PrefetcherParams, StreamModel, block_params
from janus1.rtl.cosim import (
    Stimulus,
    cosim_prefetcher,
    random_stimulus,
    stimulus_from_lines,
    trace_lines,
)


@pytest.fixture(autouse=True)
def _amaranth() -> None:
    require("amaranth")


def _coverage(p: PrefetcherParams, stim: Stimulus) -> dict[str, int]:
    """What the stimulus exercises in the golden model (so an exact match means much)."""
    m = StreamModel(p)
    allocs = down = dropped = multi = several = 0
    for x, h in zip(stim.lines.tolist(), stim.hits.tolist()):
        near = 0                       # trackers that would match (priority decides)
        for k in range(p.trackers):
            d = x - m.last[k]
            if m.valid[k] and m.dir[k] == 0:
                near += d != 0 and -p.window <= d <= p.window
            elif m.valid[k]:
                near += 0 < d * m.dir[k] <= p.window + p.lookahead
        several += near > 1
        before = list(m.stamp)
        valid_before = sum(m.valid)
        out = m.access(x, h)
        if not out and not h and m.stamp != before:
            allocs += 1
            if valid_before == p.trackers:
                multi += 1             # an LRU eviction
        down += any(b < a for a, b in zip(out, out[1:])) or (len(out) == 1 and out[0] < x)
        dropped += len(out) - len(m.issued(out))
    return {"allocations": allocs, "evictions": multi, "down": down, "dropped": dropped,
            "several_match": several}


def test_decode_trace_is_bit_exact() -> None:
    from janus1.models import load_spec
    from janus1.trace import decode_trace

    p = block_params("prefetcher")
    lines = trace_lines(decode_trace(load_spec("stories260k"), precision="int8", context=32),
                        p.line_bytes)[:3000]
    stim = stimulus_from_lines(lines, p, source="stories260K decode step")
    r = cosim_prefetcher(p, stim)
    assert r.exact, r.first_mismatch
    assert r.accesses == 3000 and r.prefetches > 1000
    assert r.cycles >= r.accesses      # one access per cycle at most


@pytest.mark.parametrize("p, seed", [
    (PrefetcherParams(), 1),
    (PrefetcherParams(trackers=1, lookahead=4), 2),
    (PrefetcherParams(trackers=3, lookahead=32, degree=8, window=2, ports=3), 3),
    (PrefetcherParams(trackers=8, lookahead=8, address_bits=20), 4),   # 14-bit lines: ends
], ids=["default", "t1", "t3-ports3", "narrow"])
def test_random_traces_are_bit_exact(p: PrefetcherParams, seed: int) -> None:
    stim = random_stimulus(p, seed=seed, n=1500)
    cov = _coverage(p, stim)
    assert cov["allocations"] > p.trackers and cov["down"] > 10
    if p.trackers > 1:
        assert cov["evictions"] > 10 and cov["several_match"] > 10
    r = cosim_prefetcher(p, stim)
    assert r.exact, r.first_mismatch
    assert r.prefetches > 500


def test_lines_near_the_ends_are_not_issued() -> None:
    # a descending stream at line 3 and an ascending one at the top of a 14-bit space
    p = PrefetcherParams(trackers=2, lookahead=8, degree=4, window=2, address_bits=20)
    top = (1 << p.line_bits) - 1
    lines = np.array([6, 5, 4, 3, 2, top - 5, top - 4, top - 3, top - 2, 1, 0], np.int64)
    hits = np.zeros(len(lines), bool)
    stim = Stimulus(lines=lines, hits=hits, source="ends")
    assert _coverage(p, stim)["dropped"] > 0
    r = cosim_prefetcher(p, stim)
    assert r.exact, r.first_mismatch


def test_a_line_wider_than_the_address_is_refused() -> None:
    from janus1.errors import InputError

    p = PrefetcherParams(address_bits=20)
    with pytest.raises(InputError, match="14-bit line address"):
        stimulus_from_lines([1 << 14], p, source="wide")


def test_a_broken_rtl_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # the harness must see a wrong tracker choice: pick the highest match (and the last
    # invalid tracker) instead of the lowest
    from amaranth.hdl import Signal

    import janus1.rtl._prefetcher_hdl as hdl

    def highest(m: object, vec: Signal, width: int, name: str) -> Signal:
        oh = Signal(width, name=name)
        for k in range(width):
            m.d.comb += oh[k].eq(vec[k] & ~(vec >> (k + 1)).any())  # type: ignore[attr-defined]
        return oh

    monkeypatch.setattr(hdl, "_onehot_lowest", highest)
    p = PrefetcherParams()
    r = cosim_prefetcher(p, random_stimulus(p, seed=1, n=1500))
    assert r.mismatches > 10 and r.first_mismatch.startswith("access ")
