"""Closed-form cases: next-line on a sequential stream, a cyclic loop one line larger
than an LRU cache, a single-line latency, a bandwidth-bound stream."""

from __future__ import annotations

import math

import numpy as np
import pytest

from janus1.sim import load_hierarchy, simulate

# specialize=False: the generic timed kernel, one compilation per prefetcher for every
# shape here (test_exact.py checks the specialised kernels against pycachesim)


L1_ONLY = {"level": [{"name": "L1", "size": "32KiB", "ways": 8, "line": "64B"}]}


@pytest.mark.parametrize("counts_only", [True, False])
def test_next_line_on_a_sequential_stream_misses_once(counts_only: bool) -> None:
    # given n lines read sequentially, 8 bytes at a time
    n = 5000
    trace = 8 * np.arange(8 * n, dtype=np.int64)

    # when next-line prefetching (degree 1) runs
    res = simulate(L1_ONLY, trace, prefetcher="next-line", counts_only=counts_only,
                   specialize=False)

    # then only the first line misses; every line prefetched after line x is used,
    # except the one after the last line
    l1 = res.levels[0]
    assert l1.misses == 1
    assert l1.hits == 8 * n - 1
    p = res.prefetch
    assert p["issued"] == n
    assert p["useful"] == n - 1
    assert p["useless"] == 1
    assert p["coverage"] == pytest.approx((n - 1) / n)
    assert p["accuracy"] == pytest.approx((n - 1) / n)


@pytest.mark.parametrize("replacement", ["lru", "fifo"])
@pytest.mark.parametrize("ways", [0, 8])  # 0 = fully associative
@pytest.mark.parametrize("counts_only", [True, False])
def test_cyclic_loop_one_line_larger_than_the_cache_always_misses(
        replacement: str, ways: int, counts_only: bool) -> None:
    # given a loop over one line more than each set holds (C + 1 lines when fully
    # associative, sets * (ways + 1) lines otherwise), one access per line
    h = load_hierarchy({"level": [{"name": "L1", "size": "4KiB", "ways": ways, "line": "64B",
                                   "replacement": replacement}]})
    lv = h.level[0]
    loop = lv.sets * (lv.n_ways + 1)
    trace = 64 * np.tile(np.arange(loop, dtype=np.int64), 20)

    # when it runs under LRU (or FIFO)
    res = simulate(h, trace, prefetcher="none", counts_only=counts_only, specialize=False)

    # then every access misses
    assert res.levels[0].hits == 0
    assert res.levels[0].misses == trace.size
    assert res.levels[0].evictions == trace.size - lv.lines


def test_cyclic_loop_that_fits_hits_after_the_first_pass() -> None:
    h = {"level": [{"name": "L1", "size": "4KiB", "ways": 8, "line": "64B"}]}
    trace = 64 * np.tile(np.arange(64, dtype=np.int64), 10)
    res = simulate(h, trace, prefetcher="none", counts_only=True, specialize=False)
    assert (res.levels[0].hits, res.levels[0].misses) == (64 * 9, 64)


def test_latency_of_one_line_read_repeatedly() -> None:
    # given L1 4 cycles, L2 12 cycles, DRAM 100 ns at 1 GHz, 64 B at 51.2 B/cycle
    h = load_hierarchy("two-level")
    n = 10_000
    res = simulate(h, np.zeros(n, np.int64), prefetcher="none", specialize=False)

    # the first access issues at cycle 1: L1 miss (+4), L2 miss (+12) at cycle 17, the
    # DRAM transfer takes 64/51.2 = 1.25 cycles (ends at 18.25 -> 19), +100 = 119
    first = 119 - 1
    lat = res.latency
    assert lat["max"] == first
    # later accesses wait for the same line until it arrives, then hit in 4 cycles
    assert lat["p50"] == 4
    waiting = 119 - 4 - 1  # accesses issued at cycles 2..114 finish at 119
    expected_sum = first + sum(119 - t for t in range(2, 2 + waiting)) + 4 * (n - 1 - waiting)
    assert lat["mean"] == pytest.approx(expected_sum / n)
    assert res.levels[0].hits == n - 1


def test_bandwidth_bound_stream_takes_bytes_over_bandwidth() -> None:
    # given DRAM at 1 B/cycle and a stream of n distinct lines (no prefetch)
    n = 2000
    h = {"level": [{"name": "L1", "size": "4KiB", "ways": 4, "line": "64B", "mshrs": 64,
                    "hit_latency_cycles": 1}],
         "memory": {"latency": "50ns", "bandwidth": "1GB/s"}, "clock": "1GHz"}
    res = simulate(h, 64 * np.arange(n, dtype=np.int64), prefetcher="none", specialize=False)
    # then the run lasts n * 64 cycles of transfer, plus one latency at the end
    assert n * 64 <= res.cycles <= n * 64 + 50 + 10
    assert res.memory["utilization"] == pytest.approx(1.0, rel=0.01)
    assert res.memory["read_bytes"] == n * 64


def test_refresh_blocks_banks() -> None:
    base = {"name": "E", "size": "64KiB", "ways": 8, "line": "64B", "banks": 1,
            "hit_latency_cycles": 2}
    trace = 8 * np.tile(np.arange(512, dtype=np.int64), 40)
    plain = simulate({"level": [base]}, trace, prefetcher="none", specialize=False)
    refreshed = simulate({"level": [{**base, "refresh_interval": "20ns",
                                     "refresh_busy": "4ns"}]}, trace, prefetcher="none",
                         specialize=False)
    # same hits and misses; the refreshed level makes accesses wait
    assert [(lv.hits, lv.misses) for lv in plain.levels] == \
        [(lv.hits, lv.misses) for lv in refreshed.levels]
    assert plain.levels[0].refresh_wait_cycles == 0
    assert refreshed.levels[0].refresh_wait_cycles > 0
    assert refreshed.latency["mean"] > plain.latency["mean"]


def test_latency_percentiles_are_ordered() -> None:
    rng = np.random.default_rng(3)
    res = simulate("janus-1", rng.integers(0, 1 << 28, 50_000) * 8, prefetcher="stream",
                   specialize=False)
    lat = res.latency
    keys = ["p50", "p90", "p99", "p999", "p9999", "max"]
    assert all(lat[a] <= lat[b] for a, b in zip(keys, keys[1:]))
    assert math.isfinite(lat["mean"])
