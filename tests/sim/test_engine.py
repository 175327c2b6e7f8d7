"""Chunked runs, store handling across kernels, result layout, energy hook, prefetchers."""

from __future__ import annotations

import numpy as np
import pytest

from janus1.errors import ConfigError
from janus1.sim import LATENCY_KEYS, Simulator, load_hierarchy, simulate
from janus1.sim.prefetch import REGISTRY, build_prefetcher, hook_function
from janus1.trace import TraceChunk

# specialize=False: the generic timed kernel, one compilation per prefetcher for every
# shape here (test_exact.py checks the specialised kernels against pycachesim)


SMALL = {"level": [
    {"name": "L1", "size": "4KiB", "ways": 4, "line": "64B", "hit_latency_cycles": 2},
    {"name": "L2", "size": "32KiB", "ways": 8, "line": "64B", "hit_latency_cycles": 8,
     "banks": 4, "refresh_interval": "40ns", "refresh_busy": "3ns"}]}


def _mixed(n: int, seed: int) -> TraceChunk:
    rng = np.random.default_rng(seed)
    addr = np.where(rng.random(n) < 0.5, 8 * np.arange(n), rng.integers(0, 1 << 17, n) * 8)
    kind = (rng.random(n) < 0.2).astype(np.uint8)
    return TraceChunk(addr=addr.astype(np.int64), kind=kind)


@pytest.mark.parametrize("prefetcher", ["none", "stream", "stride", "next-line"])
def test_chunk_by_chunk_equals_one_shot(prefetcher: str) -> None:
    c = _mixed(40_000, 1)
    one = simulate(SMALL, [c], prefetcher=prefetcher, specialize=False).to_dict()
    cuts = [0, 1, 777, 5000, 5001, 23_456, 40_000]
    parts = [TraceChunk(addr=c.addr[a:b], kind=c.kind[a:b]) for a, b in zip(cuts, cuts[1:])]
    many = simulate(SMALL, parts, prefetcher=prefetcher, specialize=False).to_dict()
    assert one == many


LRU3 = [{"name": "L1", "size": "4KiB", "ways": 4, "line": "64B"},
        {"name": "L2", "size": "16KiB", "ways": 8, "line": "128B"},
        {"name": "L3", "size": "64KiB", "ways": 16, "line": "128B"}]
# FIFO above LRU, 3 * 16 sets (a modulo set index), 12 ways below
FIFO_LRU = [{"name": "L1", "size": 3 * 16 * 4 * 64, "ways": 4, "line": "64B",
             "replacement": "fifo"},
            {"name": "L2", "size": "24KiB", "ways": 12, "line": "64B"}]


@pytest.mark.parametrize("levels", [LRU3, FIFO_LRU])
def test_fast_and_general_kernels_agree_with_stores(levels: list[dict]) -> None:
    # the counts-only kernels and the timed kernel count the same, loads first (the
    # loads-only counts kernel), then loads and stores
    c = _mixed(60_000, 2)
    h = {"level": levels}
    fast = Simulator(h, prefetcher="none", counts_only=True, specialize=False)
    assert fast.fast
    fast.feed(TraceChunk(addr=c.addr[:1000]))          # loads-only variant first
    fast.feed(TraceChunk(addr=c.addr[1000:], kind=c.kind[1000:]))
    general = Simulator(h, prefetcher="none", counts_only=False, specialize=False)
    general.feed(TraceChunk(addr=c.addr[:1000]))
    general.feed(TraceChunk(addr=c.addr[1000:], kind=c.kind[1000:]))
    keys = ("hits", "misses", "evictions", "writebacks", "fills", "writebacks_in")
    a = [[getattr(lv, k) for k in keys] for lv in fast.result().levels]
    b = [[getattr(lv, k) for k in keys] for lv in general.result().levels]
    assert a == b
    assert fast.result().memory["write_bytes"] == general.result().memory["write_bytes"] > 0


def test_result_json_layout() -> None:
    res = simulate("two-level", _mixed(5000, 3), prefetcher="stream", specialize=False)
    d = res.to_dict()
    assert [lv["name"] for lv in d["levels"]] == ["L1", "L2"]
    for key in ("hits", "misses", "evictions", "writebacks", "bytes_moved",
                "bandwidth_bytes_per_s", "hit_rate"):
        assert key in d["levels"][0]
    assert set(d["latency"]) == set(LATENCY_KEYS)
    for key in ("issued", "useful", "late", "useless", "coverage", "accuracy"):
        assert key in d["prefetch"]
    assert d["energy_pj"] is None
    assert d["levels"][0]["hits"] + d["levels"][0]["misses"] == res.line_accesses


def test_counts_only_has_no_latency() -> None:
    res = simulate("two-level", np.arange(1000, dtype=np.int64) * 8, prefetcher="none",
                   counts_only=True, specialize=False)
    assert all(v is None for v in res.latency.values())
    assert res.cycles is None


def test_energy_hook_multiplies_counts() -> None:
    h = {"level": [{"name": "L1", "size": "4KiB", "ways": 4, "line": "64B",
                    "read_energy": "2pJ", "write_energy": "3pJ"}],
         "memory": {"read_energy_pj_per_byte": 10.0}}
    res = simulate(h, 64 * np.arange(100, dtype=np.int64), prefetcher="none", specialize=False)
    lv = res.levels[0]
    assert lv.energy_pj == pytest.approx(2 * (lv.hits + lv.misses) + 3 * lv.fills)
    assert res.energy_pj == pytest.approx(lv.energy_pj + 10 * 100 * 64)


def test_scratchpad_holds_its_range() -> None:
    h = {"level": [{"name": "SP", "kind": "scratchpad", "size": "4KiB", "base": 0},
                   {"name": "L2", "size": "16KiB", "ways": 4, "line": "64B"}]}
    trace = np.concatenate([np.arange(0, 4096, 8), (1 << 20) + np.arange(0, 4096, 8)])
    res = simulate(h, trace.astype(np.int64), prefetcher="none", specialize=False)
    sp, l2 = res.levels
    assert sp.hits == 512 and sp.bypasses == 512
    assert l2.hits + l2.misses == 512


def test_stream_hook_runs_lookahead_ahead() -> None:
    on_access = hook_function("stream")
    _, _, st = build_prefetcher("stream", {"lookahead": 8, "degree": 64, "window": 2})
    out = np.zeros(64, np.int64)
    assert on_access(st, 100, False, out) == 0          # miss: a tracker starts training
    n = on_access(st, 101, False, out)                   # +1: streaming up
    assert list(out[:n]) == list(range(102, 101 + 8 + 1))  # up to 8 lines ahead
    n = on_access(st, 102, True, out)
    assert list(out[:n]) == [110]                         # one more keeps the distance


def test_stride_hook_after_two_equal_strides() -> None:
    on_access = hook_function("stride")
    _, _, st = build_prefetcher("stride", {"degree": 2})
    out = np.zeros(64, np.int64)
    assert on_access(st, 10, False, out) == 0
    assert on_access(st, 13, False, out) == 0   # first stride seen
    n = on_access(st, 16, False, out)            # confirmed
    assert list(out[:n]) == [19, 22]


def test_registry_and_unknown_prefetcher() -> None:
    assert {"none", "next-line", "stride", "stream"} <= set(REGISTRY)
    with pytest.raises(ConfigError, match="unknown prefetcher 'magic'"):
        build_prefetcher("magic")
    with pytest.raises(ConfigError, match="lookahead must be >= 1"):
        build_prefetcher("stream", {"lookahead": 0})


def test_presets_load() -> None:
    j = load_hierarchy("janus-1")
    assert [lv.size_bytes for lv in j.level] == [32 << 20, 224 << 20]
    assert j.level[0].banks == 4 and j.level[1].refresh_interval_ns > 0
    t = load_hierarchy("two-level")
    assert [(lv.size_bytes, lv.n_ways) for lv in t.level] == [(32 << 10, 8), (256 << 10, 8)]
