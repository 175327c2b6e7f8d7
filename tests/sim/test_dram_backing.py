"""The DRAM model behind the hierarchy (issue 19): closed-form schedules of the
per-request model, the streaming-bandwidth check against the standalone model, and
the hierarchy's memory with a DRAM backing store (config, results, chunking)."""

from __future__ import annotations

import numpy as np
import pytest

from janus1.errors import ConfigError, InputError
from janus1.sim import load_hierarchy, simulate
from janus1.sim.dram import load_dram, simulate_dram
from janus1.sim.dram._stream import dram_request
from janus1.sim.dram.backing import DramBacking

# one cache level with MSHRs enough that the hierarchy never limits the DRAM
L1_WIDE = {"name": "wide", "clock_hz": 4e9, "level": [
    {"name": "L1", "size_bytes": 32768, "ways": 8, "line_bytes": 64, "hit_latency_cycles": 1,
     "mshrs": 1024}]}


def _backing(name: str, **over: str) -> tuple[DramBacking, object]:
    """A DRAM model clocked like the controller (hierarchy cycle = controller cycle)."""
    spec = load_dram(name, [f"{k}={v}" for k, v in over.items()])
    return DramBacking(spec, clock_hz=1e9 / spec.tck_ns, line_bytes=spec.request_bytes), spec


def _addr(spec, *, ro: int = 0, co: int = 0, ba: int = 0, bg: int = 0) -> int:
    """The byte address of a field combination (DRAMsim3 mapping of ``spec``)."""
    pos = spec.field_positions
    x = (ro << pos["ro"]) | (co << pos["co"]) | (ba << pos["ba"]) | (bg << pos["bg"])
    return x << spec.shift_bits


def test_row_miss_hit_and_conflict_follow_the_timing_relations() -> None:
    b, s = _backing("lpddr4-2400")
    bc = s.burst_cycles
    # 1. a read to a closed bank at cycle 100 (before the first refresh): ACT at 100,
    #    RD tRCD later, data after AL + CL + burst (the read delay)
    t1 = 100
    done1 = dram_request(b.dp, b.ds, t1, _addr(s, ro=3), 0)
    rd1 = t1 + s.tRCD
    assert done1 == rd1 + s.read_delay
    # 2. the same row, arriving at once: a row hit one same-bank RD-to-RD delay later,
    #    max(burst, tCCD_L)
    done2 = dram_request(b.dp, b.ds, t1, _addr(s, ro=3, co=1), 0)
    rd2 = rd1 + max(bc, s.tCCD_L)
    assert done2 == rd2 + s.read_delay
    # 3. another row of the same bank: PRE once tRAS has passed since the ACT and
    #    AL + tRTP since the last RD, ACT tRP later (and tRC after the first ACT), RD
    #    tRCD after that
    done3 = dram_request(b.dp, b.ds, t1, _addr(s, ro=4), 0)
    pre = max(t1 + s.tRAS, rd2 + s.AL + s.tRTP)
    act = max(pre + s.tRP, t1 + s.tRC)
    assert done3 == act + s.tRCD + s.read_delay
    st = b.stats(done3)
    assert (st.act_cmds, st.pre_cmds, st.read_cmds, st.read_row_hits) == (2, 1, 3, 1)
    # latency as DRAMsim3 counts it: from the cycle the request entered, plus one
    assert st.read_latency_mean == pytest.approx(
        ((done1 - t1 + 1) + (done2 - t1 + 1) + (done3 - t1 + 1)) / 3)


def test_other_bank_group_overlaps_and_reads_are_first_come_first_served() -> None:
    b, s = _backing("ddr4-3200")
    # two closed banks in different bank groups, both asked for at cycle 10: their ACTs
    # are tRRD_S apart and the second RD follows the first by the column delay of the
    # other bank group, tCCD_S (or the ACT-to-RD delay, whichever is later)
    d1 = dram_request(b.dp, b.ds, 10, _addr(s, ro=1, bg=0), 0)
    d2 = dram_request(b.dp, b.ds, 10, _addr(s, ro=1, bg=1), 0)
    rd1 = 10 + s.tRCD
    rd2 = max(10 + s.tRRD_S + s.tRCD, rd1 + max(s.burst_cycles, s.tCCD_S))
    assert (d1, d2) == (rd1 + s.read_delay, rd2 + s.read_delay)


def test_refresh_every_interval_closes_rows() -> None:
    b, s = _backing("lpddr4-2400")
    assert (s.ranks, s.refresh_policy) == (2, "RANK_LEVEL_STAGGERED")
    # reads of one row of rank 0, one per 1000 cycles, over 10 refresh intervals.
    # Staggered (DRAMsim3): every tREFI / ranks cycles one rank refreshes, in turn, so
    # rank r at (r + 1) x step + k x tREFI
    n = 10 * s.tREFI // 1000
    for i in range(n):
        dram_request(b.dp, b.ds, 1000 * i, _addr(s, ro=7), 0)
    end = 1000 * (n - 1)
    st = b.stats(end)
    step = s.tREFI // s.ranks
    assert st.ref_cmds == end // step
    # each REF of rank 0 closes its row: the next read needs an ACT (and is no hit)
    rank0 = (end - step) // s.tREFI + 1
    assert st.act_cmds == 1 + rank0
    assert st.read_row_hits == n - st.act_cmds


def test_writes_are_posted_drained_and_forwarded() -> None:
    b, s = _backing("lpddr4-2400")
    # a write returns at once (posted) and waits in the write buffer
    a = _addr(s, ro=2, co=5)
    assert dram_request(b.dp, b.ds, 50, a, 1) == 50
    # a read of that address is served from the buffer the next cycle
    assert dram_request(b.dp, b.ds, 60, a, 0) == 61
    st = b.stats(61)
    assert st.forwarded_reads == 1
    # the buffer is drained at the end of the run: the write reaches the DRAM
    assert st.write_cmds == 1 and st.write_bursts == 1
    # trans_queue_size writes fill the buffer and drain it during the run
    b, s = _backing("lpddr4-2400")
    for i in range(s.trans_queue_size):
        dram_request(b.dp, b.ds, 10 * i, _addr(s, ro=1, co=i % 64), 1)
    before = b.ds.copy()
    assert b.stats(0).write_cmds == s.trans_queue_size
    # stats() works on a copy: the run goes on from where it was
    assert np.array_equal(b.ds, before)


# Not hbm2: the standalone model admits one request per controller cycle as DRAMsim3's
# trace front-end does, 64 B per 1 ns tCK = 64 GB/s, a quarter of HBM2's peak, so it has
# no saturating streaming figure to compare with. Not ddr4-3200 either: there a row
# of one bank streams at tCCD_L = 2 bursts, and DRAMsim3 (and the standalone model)
# overlap the next bank group's row with the end of it, which a first-come-first-served
# schedule cannot (the hierarchy reaches 72 % of the standalone figure; docs/dram.md).
@pytest.mark.parametrize("name", ["lpddr5x-8533", "lpddr5-6400", "lpddr4-2400", "gddr6"])
def test_a_sequential_stream_reaches_the_standalone_streaming_bandwidth(name: str) -> None:
    # given 4 MiB read line by line, one line per cycle of a 4 GHz hierarchy (256 GB/s,
    # above every peak here) through an empty cache with MSHRs enough not to limit it
    spec = load_dram(name)
    n = 1 << 16
    h = load_hierarchy({**L1_WIDE, "memory": {"dram": name}})
    res = simulate(h, 64 * np.arange(n, dtype=np.int64), prefetcher="none")
    # then the DRAM moves the lines at the rate the standalone model streams them
    # (requests offered one per controller cycle: a saturating stream), within 5 %
    alone = simulate_dram(spec, 64 * np.arange(n, dtype=np.int64), np.zeros(n, np.int8))
    assert res.memory["reads"] == n
    bw = res.memory["bandwidth_bytes_per_s"]
    assert bw == pytest.approx(alone.stats.bandwidth_bytes_per_s, rel=0.05)
    assert bw <= spec.peak_bandwidth_bytes_per_s
    assert res.memory["row_hit_rate"] == pytest.approx(alone.stats.row_hit_rate, abs=0.01)


def test_the_memory_of_a_dram_backed_hierarchy() -> None:
    h = load_hierarchy("two-level", ["memory.dram=lpddr5x-8533"])
    spec = load_dram("lpddr5x-8533")
    # latency and bandwidth stay on the hierarchy: the DRAM's idle read latency and peak
    assert h.memory.latency_ns == spec.idle_read_latency_ns
    assert h.memory.bandwidth_bytes_per_s == spec.peak_bandwidth_bytes_per_s
    trace = np.concatenate([64 * np.arange(20000, dtype=np.int64),
                            np.random.default_rng(1).integers(0, 1 << 30, 20000) * 8])
    res = simulate(h, trace, prefetcher="stream")
    m = res.memory
    assert m["model"] == "dram" and m["dram"] == "lpddr5x-8533"
    # every last-level miss (demand or prefetch) is one DRAM line read
    assert m["reads"] == res.levels[-1].misses > 0
    assert 0 < m["utilization"] <= 1
    assert m["act_cmds"] > 0 and m["read_cmds"] >= m["reads"] - m["forwarded_reads"]
    assert m["energy_pj"] > m["energy_background_pj"] > 0
    assert res.energy_pj == pytest.approx(m["energy_pj"])  # the levels give no energies
    # the latency percentiles include the DRAM's queueing: at least its idle latency
    assert res.latency["max"] >= h.ns_to_cycles(spec.idle_read_latency_ns)
    # fed in chunks, the same result (all state lives in the arrays)
    parts = simulate(h, np.array_split(trace, 7), prefetcher="stream")
    assert parts.to_dict() == res.to_dict()
    # the fixed-latency model has none of the DRAM counters
    fixed = simulate("two-level", trace, prefetcher="stream")
    assert fixed.memory["model"] == "fixed-latency" and fixed.memory["act_cmds"] is None


def test_dram_config_errors_name_the_field() -> None:
    with pytest.raises(InputError, match="dram 'no-such-dram': unknown dram preset"):
        load_hierarchy("two-level", ["memory.dram=no-such-dram"])
    with pytest.raises(ConfigError, match="latency_ns"):
        load_hierarchy({**L1_WIDE, "memory": {"dram": "hbm2", "latency_ns": 50.0}})
    with pytest.raises(ConfigError, match="dram_set needs dram"):
        load_hierarchy({**L1_WIDE, "memory": {"dram_set": ["timing.tRCD=3"]}})
    with pytest.raises(ConfigError, match="memory: dram 'hbm2': .*tRCD"):
        load_hierarchy({**L1_WIDE, "memory": {"dram": "hbm2",
                                              "dram_set": ["timing.tRCD=abc"]}})


def test_a_write_to_a_waiting_address_merges() -> None:
    b, s = _backing("lpddr4-2400")
    # three writes to one address and one to another: two writes wait (DRAMsim3 merges)
    for i in range(3):
        dram_request(b.dp, b.ds, 10 * i, _addr(s, ro=1, co=3), 1)
    dram_request(b.dp, b.ds, 40, _addr(s, ro=1, co=4), 1)
    st = b.stats(50)
    assert st.write_bursts == 4 and st.write_cmds == 2


def test_a_steady_state_step_has_its_own_dram_read_latency() -> None:
    h = load_hierarchy({**L1_WIDE, "memory": {"dram": "lpddr4-2400"}})
    first = 64 * np.arange(4000, dtype=np.int64)
    second = (1 << 28) + 64 * np.random.default_rng(2).integers(0, 1 << 20, 4000)
    one = simulate(h, first, prefetcher="none")
    both = simulate(h, [first, second], prefetcher="none")
    step = both.minus(one)
    m1, mb, ms = one.memory, both.memory, step.memory
    # the step's mean is its own reads' latency, not the whole run's
    assert ms["dram_read_bursts"] == mb["dram_read_bursts"] - m1["dram_read_bursts"]
    assert ms["dram_read_latency_mean_ns"] == pytest.approx(
        (mb["dram_read_latency_sum_ns"] - m1["dram_read_latency_sum_ns"])
        / ms["dram_read_bursts"])
    assert ms["dram_read_latency_mean_ns"] != pytest.approx(mb["dram_read_latency_mean_ns"])
    assert ms["row_hit_rate"] == pytest.approx(
        (mb["read_row_hits"] - m1["read_row_hits"]) / (mb["read_cmds"] - m1["read_cmds"]))


def test_removing_the_dram_model_needs_the_fixed_memory() -> None:
    with pytest.raises(ConfigError, match="memory.dram removed"):
        load_hierarchy("janus-1", ["memory.dram="])
    h = load_hierarchy("janus-1", ["memory.dram=", "memory.latency_ns=100",
                                   "memory.bandwidth_bytes_per_s=68.3e9"])
    assert (h.memory.dram, h.memory.latency_ns) == ("", 100.0)
