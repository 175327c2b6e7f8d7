"""Exactness: hit and miss counts equal pycachesim's (LRU and FIFO, non-inclusive,
prefetch off), for the counts-only kernel and the timed kernel."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require

from janus1.sim import simulate

# specialize=False: the generic timed kernel, one compilation per prefetcher for every
# shape here (test_specialised_kernel_equals_pycachesim below checks the specialised kernels)


def _trace(n: int, seed: int, aligned: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parts = []
    seq = 1 << 24
    for k in range(n // 500):
        if k % 3 == 0:
            parts.append(seq + 8 * np.arange(500))
            seq += 8 * 500
        elif k % 3 == 1:
            parts.append(rng.integers(0, 1 << 20, 500) * (8 if aligned else 1))
        else:  # a hot region reused
            parts.append(rng.integers(0, 1 << 14, 500) * (8 if aligned else 1))
    return np.concatenate(parts).astype(np.int64)


def _pycachesim(levels: list[tuple[int, int, int, str]], trace: np.ndarray) -> list[tuple]:
    cachesim = require("cachesim")
    mem = cachesim.MainMemory()
    caches = []
    below = None
    for name, (sets, ways, line, pol) in reversed(list(zip(("L1", "L2", "L3"), levels))):
        if below is None:
            c = cachesim.Cache(name, sets, ways, line, pol)
            mem.load_to(c)
            mem.store_from(c)
        else:
            c = cachesim.Cache(name, sets, ways, line, pol, store_to=below, load_from=below)
        caches.append(c)
        below = c
    cs = cachesim.CacheSimulator(caches[-1], mem)
    cs.load(trace.tolist(), length=8)
    return [(s["HIT_count"], s["MISS_count"]) for s in list(cs.stats())[: len(levels)]]


CASES = [
    # (sets, ways, line, policy) per level, first level first
    [(64, 8, 64, "LRU"), (512, 8, 64, "LRU")],
    [(32, 4, 32, "LRU"), (256, 8, 64, "LRU"), (1024, 16, 64, "LRU")],
    [(16, 2, 64, "LRU"), (64, 16, 128, "LRU")],
    [(1, 64, 64, "LRU"), (128, 4, 64, "LRU")],       # fully associative L1, 64 ways
    [(64, 8, 64, "FIFO"), (512, 8, 64, "FIFO")],
]


@pytest.mark.parametrize("levels", CASES)
@pytest.mark.parametrize("aligned", [True, False])
def test_counts_equal_pycachesim(levels: list[tuple[int, int, int, str]], aligned: bool) -> None:
    # given a mixed trace (streams, random, a reused hot region; unaligned 8-byte loads
    # cross lines) and the same hierarchy in both simulators
    trace = _trace(60_000, seed=len(levels) + aligned, aligned=aligned)
    expected = _pycachesim(levels, trace)
    h = {"level": [{"name": f"L{i + 1}", "size": s * w * ln, "ways": w, "line": ln,
                    "replacement": p.lower()} for i, (s, w, ln, p) in enumerate(levels)]}

    # when both janus1 kernels run it with prefetching off
    fast = simulate(h, trace, prefetcher="none", counts_only=True, specialize=False)
    timed = simulate(h, trace, prefetcher="none", counts_only=False, specialize=False)

    # then hits and misses agree level by level
    assert [(lv.hits, lv.misses) for lv in fast.levels] == expected
    assert [(lv.hits, lv.misses) for lv in timed.levels] == expected


def test_non_power_of_two_sets_equal_pycachesim() -> None:
    # 3 * 64 sets: the set index is a modulo, not a mask
    levels = [(48, 4, 64, "LRU"), (192, 8, 64, "LRU")]
    trace = _trace(30_000, seed=7)
    expected = _pycachesim(levels, trace)
    h = {"level": [{"name": f"L{i + 1}", "size": s * w * ln, "ways": w, "line": ln}
                   for i, (s, w, ln, _) in enumerate(levels)]}
    for counts_only in (True, False):
        res = simulate(h, trace, prefetcher="none", counts_only=counts_only, specialize=False)
        assert [(lv.hits, lv.misses) for lv in res.levels] == expected


@pytest.mark.parametrize("levels", CASES[:2])
def test_specialised_kernel_equals_pycachesim(levels: list[tuple[int, int, int, str]]
                                              ) -> None:
    # the kernel with the hierarchy's structure compiled in (the default)
    trace = _trace(30_000, seed=11, aligned=False)
    expected = _pycachesim(levels, trace)
    h = {"level": [{"name": f"L{i + 1}", "size": s * w * ln, "ways": w, "line": ln,
                    "replacement": p.lower()} for i, (s, w, ln, p) in enumerate(levels)]}
    res = simulate(h, trace, prefetcher="none", specialize=True)
    assert [(lv.hits, lv.misses) for lv in res.levels] == expected
