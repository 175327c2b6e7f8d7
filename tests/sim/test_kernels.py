"""Kernel building blocks and code paths added for speed: vector tag compare and
move-to-front (int64 lanes, and int32 or int64 lanes for the counts-only kernels), bank
waits (mask and modulo bank index, repeats kept in registers), negative addresses caught
inside the kernels, int32 tags widened for high addresses, chunking inside runs of
repeats."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from janus1.errors import InputError
from janus1.sim import Simulator, simulate
from janus1.sim.kernels.ops import dirty_fill, dirty_to_front, lane_match, lane_mtf
from janus1.trace import TraceChunk

# specialize=False: the generic timed kernel, one compilation per prefetcher for every
# shape here (test_exact.py checks the specialised kernels against pycachesim)


@pytest.mark.parametrize("ways", [1, 2, 4, 8, 16])
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_lane_match_and_move_to_front_on_int32_and_int64_tags(ways: int, dtype: type) -> None:
    match, mtf = lane_match(ways), lane_mtf(ways)

    @njit
    def find(tags: np.ndarray, base: int, x: int) -> int:
        return match(tags, base, x)

    @njit
    def to_front(tags: np.ndarray, base: int, x: int, p: int) -> None:
        mtf(tags, base, x, p)

    # tags near the top of the lane (2^31 - 1 for int32): the compare sees whole lanes
    top = int(np.iinfo(dtype).max)
    rng = np.random.default_rng(ways)
    tags = (top - rng.integers(0, 3 * ways, 5 * ways)).astype(dtype)
    for base in (0, ways, 3 * ways + 1):
        for x in range(top - 3 * ways, top + 1):
            want = sum(1 << k for k in range(ways) if tags[base + k] == x)
            assert find(tags, base, x) == want
        for p in (0, ways // 2, ways - 1):
            ref = tags.copy()
            seg = list(ref[base: base + ways])
            ref[base: base + ways] = [top] + seg[:p] + seg[p + 1:]
            to_front(tags, base, top, p)
            assert np.array_equal(tags, ref)


@pytest.mark.parametrize("ways", [1, 2, 8, 16])
def test_dirty_bits_follow_their_lanes(ways: int) -> None:
    @njit
    def hit(word: int, p: int, d: int) -> int:
        return dirty_to_front(word, p, d)

    @njit
    def fill(word: int, d: int) -> int:
        return dirty_fill(word, ways, d)

    # a set as a list of dirty flags in lane order, moved as the tags move: a hit on
    # lane p moves it to the front (keeping its flag, or-ed with the store's), a fill
    # puts a new line in front and drops the last lane
    rng = np.random.default_rng(ways)
    lanes = [0] * ways
    word = 0
    for _ in range(2000):
        d = int(rng.integers(0, 2))
        if rng.random() < 0.5:
            p = int(rng.integers(0, ways))
            lanes = [lanes[p] | d] + lanes[:p] + lanes[p + 1:]
            word = hit(word, p, d)
        else:
            lanes = [d] + lanes[:-1]
            word = fill(word, d)
        assert word == sum(bit << k for k, bit in enumerate(lanes))


@pytest.mark.parametrize("stores", [False, True])
def test_counts_kernels_widen_int32_tags_for_high_lines(stores: bool) -> None:
    # int32 tags hold line + 1 up to 2^31 - 1: with 64-byte lines the last line they hold
    # is 2^31 - 2; an 8-byte access in it stays int32, one that crosses into the next
    # line does not
    h = {"level": [{"name": "L1", "size": "4KiB", "ways": 4, "line": "64B"},
                   {"name": "L2", "size": "32KiB", "ways": 8, "line": "64B"}]}
    top = (2**31 - 2) * 64
    for start, size, dtype in [(top + 56, None, np.int32), (top + 57, None, np.int64),
                               (top + 52, 12, np.int32), (top + 52, 13, np.int64)]:
        sim = Simulator(h, prefetcher="none", counts_only=True)
        sim.feed(TraceChunk(addr=np.array([0, start, 64], np.int64), access_bytes=8,
                            size=None if size is None else np.full(3, size, np.int64)))
        assert sim.state.tags.dtype == dtype, (start, size)
        assert sim.result().line_accesses == (3 if dtype == np.int32 else 4)

    # given random lines and the same lines 2^32 higher (2^38 bytes: the same low 32
    # bits of the tags, the same sets), the high ones first in the middle of a chunk
    rng = np.random.default_rng(7)
    low = rng.integers(0, 1 << 11, 20_000) * 64 + 8 * rng.integers(0, 8, 20_000)
    addr = np.where(np.arange(low.size) > 5_000, low + (rng.random(low.size) < 0.5) * 2**38,
                    low).astype(np.int64)
    kind = (rng.random(addr.size) < 0.2).astype(np.uint8) if stores else None
    chunks = [TraceChunk(addr=addr[a: a + 7_000], kind=None if kind is None else
                         kind[a: a + 7_000]) for a in range(0, addr.size, 7_000)]
    fast = Simulator(h, prefetcher="none", counts_only=True)
    for c in chunks:
        fast.feed(c)
    assert fast.state.tags.dtype == np.int64
    # then the counts equal the timed kernel's (int64 tags throughout)
    timed = simulate(h, chunks, prefetcher="none", specialize=False)
    got = fast.result()
    assert [(lv.hits, lv.misses, lv.evictions, lv.writebacks) for lv in got.levels] == [
        (lv.hits, lv.misses, lv.evictions, lv.writebacks) for lv in timed.levels]
    assert got.memory["read_bytes"] == timed.memory["read_bytes"]
    assert got.memory["write_bytes"] == timed.memory["write_bytes"]


@pytest.mark.parametrize("banks, stride", [(3, 3), (4, 4)])  # modulo and mask bank index
def test_bank_waits_of_one_busy_bank_grow_linearly(banks: int, stride: int) -> None:
    # given one first-level bank used by every access (lines 0, s, 2s share bank 0),
    # each line read twice in a row (the second is a repeat of the line just accessed),
    # one issue per cycle and a bank busy b cycles per access
    b = 3
    h = {"level": [{"name": "L1", "size": "4KiB", "ways": 4, "line": "64B",
                    "banks": banks, "bank_busy_cycles": b}]}
    lines = np.repeat(np.tile(np.array([0, stride, 2 * stride]), 200), 2)
    res = simulate(h, 64 * lines.astype(np.int64), prefetcher="none", specialize=False)
    # then access i starts at 1 + b*i instead of 1 + i: it waits (b - 1) * i cycles
    n = lines.size
    assert res.levels[0].bank_wait_cycles == (b - 1) * n * (n - 1) // 2


@pytest.mark.parametrize("banks", [3, 4])
def test_no_bank_waits_when_lines_rotate_over_the_banks(banks: int) -> None:
    # each bank is used every `banks` cycles and busy for `banks` cycles: never waited for
    h = {"level": [{"name": "L1", "size": "4KiB", "ways": 4, "line": "64B",
                    "banks": banks, "bank_busy_cycles": banks}]}
    lines = np.tile(np.arange(banks), 300)
    res = simulate(h, 64 * lines.astype(np.int64), prefetcher="none", specialize=False)
    assert res.levels[0].bank_wait_cycles == 0


@pytest.mark.parametrize("counts_only, kind", [(True, None), (True, "stores"), (False, None)])
def test_negative_address_is_reported_by_each_kernel(counts_only: bool, kind: str | None
                                                     ) -> None:
    addr = np.array([0, 8, -8, 16], np.int64)
    chunk = TraceChunk(addr=addr, kind=np.array([0, 1, 0, 0], np.uint8) if kind else None)
    sim = Simulator("two-level", prefetcher="none", counts_only=counts_only, specialize=False)
    with pytest.raises(InputError, match=r"negative address -8 at index 2"):
        sim.feed(chunk)
    # the accesses before it were simulated
    assert sim.result().accesses == 2


def _runs(n: int, seed: int) -> TraceChunk:
    """Runs of 8-byte loads and stores within one line, random jumps, and sized
    accesses that cross lines."""
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, 1 << 16, n // 6) * 64
    addr = (starts[:, None] + 8 * np.arange(6)[None, :]).reshape(-1)
    size = np.where(rng.random(addr.size) < 0.05, 100, 8).astype(np.int64)
    kind = (rng.random(addr.size) < 0.1).astype(np.uint8)
    return TraceChunk(addr=addr.astype(np.int64), kind=kind, size=size)


@pytest.mark.parametrize("counts_only", [True, False])
@pytest.mark.parametrize("prefetcher", ["none", "stream"])
def test_chunks_cut_inside_runs_of_repeats_equal_one_shot(counts_only: bool,
                                                          prefetcher: str) -> None:
    h = {"level": [
        {"name": "L1", "size": "4KiB", "ways": 4, "line": "64B", "banks": 3,
         "bank_busy_cycles": 2, "refresh_interval": "30ns", "refresh_busy": "2ns"},
        {"name": "L2", "size": "32KiB", "ways": 8, "line": "64B", "banks": 4}]}
    c = _runs(30_000, 5)
    one = simulate(h, [c], prefetcher=prefetcher, counts_only=counts_only, specialize=False)
    cuts = [0, 1, 2, 3, 1001, 1003, 17_000, c.addr.size]
    parts = [TraceChunk(addr=c.addr[a:z], kind=c.kind[a:z], size=c.size[a:z])
             for a, z in zip(cuts, cuts[1:])]
    many = simulate(h, parts, prefetcher=prefetcher, counts_only=counts_only, specialize=False)
    assert one.to_dict() == many.to_dict()
    assert np.array_equal(one.histogram, many.histogram)
