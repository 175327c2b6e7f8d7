"""SimResult.minus and .scaled: the steady state of a step is two steps minus one."""

from __future__ import annotations


import numpy as np
import pytest

from janus1.sim import simulate
from janus1.sim.result import LATENCY_KEYS, histogram_latency

H = {"level": [{"name": "L1", "size": "4KiB", "ways": 4, "line": "64B", "hit_latency_cycles": 2,
                "banks": 2, "bank_busy_cycles": 1, "mshrs": 4}],
     "memory": {"latency": "50ns", "bandwidth": "8GB/s"}, "clock": "1GHz"}


def test_minus_is_the_second_part_alone() -> None:
    # A: 1000 lines streamed; B: the same, then 500 lines that fit in L1 twice
    first = np.arange(1000, dtype=np.int64) * 64
    again = np.tile(np.arange(32, dtype=np.int64) * 64 + (1 << 20), 2)
    a = simulate(H, [first], prefetcher="none")
    b = simulate(H, [first, again], prefetcher="none")
    d = b.minus(a)
    # 64 accesses: 32 cold misses then 32 hits (2 KiB of lines fit in 4 KiB)
    assert d.accesses == 64
    assert (d.levels[0].hits, d.levels[0].misses) == (32, 32)
    assert d.levels[0].hit_rate == 0.5
    assert d.memory["reads"] == 32 and d.memory["read_bytes"] == 32 * 64
    assert d.cycles == b.cycles - a.cycles and d.seconds == pytest.approx(d.cycles / 1e9)
    assert d.memory["bandwidth_bytes_per_s"] == pytest.approx(32 * 64 / d.seconds)
    # percentiles of the difference histogram: the 64 latencies of the second part, the
    # fastest a hit (2 cycles), the slowest a DRAM miss (over 50 ns)
    assert int(d.histogram.sum()) == 64
    assert d.latency == histogram_latency(b.histogram - a.histogram)
    assert int(np.flatnonzero(d.histogram)[0]) == 2 and d.latency["max"] > 50


def test_scaled_multiplies_counts_not_rates() -> None:
    r = simulate(H, [np.arange(300, dtype=np.int64) * 64], prefetcher="stream")
    s = r.scaled(2.5)
    assert s.levels[0].misses == pytest.approx(2.5 * r.levels[0].misses)
    assert s.memory["bytes_moved"] == pytest.approx(2.5 * r.memory["bytes_moved"])
    assert s.cycles == pytest.approx(2.5 * r.cycles)
    assert s.prefetch["issued"] == pytest.approx(2.5 * r.prefetch["issued"])
    assert s.levels[0].hit_rate == pytest.approx(r.levels[0].hit_rate)
    assert s.prefetch["accuracy"] == r.prefetch["accuracy"]
    assert s.memory["utilization"] == r.memory["utilization"]
    assert s.latency == r.latency


def test_histogram_latency_nearest_rank() -> None:
    # 100 accesses: 90 at 3 cycles, 9 at 10, 1 at 200 -> p50 3, p90 3, p99 10, max 200
    h = np.zeros(256, np.int64)
    h[3], h[10], h[200] = 90, 9, 1
    lat = histogram_latency(h)
    assert set(lat) == set(LATENCY_KEYS)
    assert (lat["p50"], lat["p90"], lat["p99"], lat["p999"], lat["max"]) == (3, 3, 10, 200, 200)
    assert lat["mean"] == pytest.approx((90 * 3 + 9 * 10 + 200) / 100)
    assert all(v is None for v in histogram_latency(np.zeros(8, np.int64)).values())
