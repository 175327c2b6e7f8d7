"""The DRAM model on small hand-made request streams whose outcome is derived here."""

from __future__ import annotations

import numpy as np
import pytest

from janus1.errors import InputError
from janus1.sim.dram import load_dram, map_addresses, simulate_dram


def run(spec_name: str, addrs: list[int], writes: list[int] | None = None,
        cycles: list[int] | None = None, overrides: tuple[str, ...] = ()):
    spec = load_dram(spec_name, overrides)
    w = np.zeros(len(addrs), np.int8) if writes is None else np.array(writes, np.int8)
    c = None if cycles is None else np.array(cycles, np.int64)
    return spec, simulate_dram(spec, np.array(addrs, np.int64), w, c)


@pytest.mark.parametrize("name, hit, closed, conflict", [
    # dramsim3.md "Unloaded single-request latencies": hit = 1 + CL + burst cycles,
    # closed bank = hit + tRCD, row conflict = closed + tRP
    ("ddr4-3200", 27, 49, 71),        # 1 + 22 + 4; + 22; + 22
    ("lpddr4-2400", 26, 41, 56),      # 1 + 17 + 8; + 15; + 15
    ("hbm2", 17, 31, 45),             # 1 + 14 + 2; + 14; + 14
    ("gddr6", 26, 50, 74),            # 1 + 24 + 1; + 24; + 24
    ("lpddr5-6400", 23, 38, 53),      # 1 + 20 + 2; + tRCD 15; + tRP 15
])
def test_idle_latencies(name: str, hit: int, closed: int, conflict: int) -> None:
    spec = load_dram(name)
    # same bank, same row (next burst column), then another row of the same bank:
    # the row field is above every other field in these mappings' row bits
    row_step = 1 << (spec.shift_bits + spec.field_positions["ro"])
    col_step = 1 << (spec.shift_bits + spec.field_positions["co"])
    _, res = run(name, [0, col_step, row_step], cycles=[0, 800, 1600])  # before the first refresh
    assert list(res.read_latency) == [closed, hit, conflict]
    assert spec.idle_read_latency_cycles == hit
    assert spec.closed_bank_read_latency_cycles == closed


def test_mapping_fields_ddr4() -> None:
    """ddr4 'rochrababgco': co bits 6-12, bg 13-14, ba 15-16, ra 17, ro 18-33."""
    spec = load_dram("ddr4-3200")
    a = (5 << 6) | (2 << 13) | (3 << 15) | (1 << 17) | (1234 << 18) | 63
    f = map_addresses(spec, np.array([a]))
    assert [int(f[k][0]) for k in ("co", "bg", "ba", "ra", "ro", "ch")] == [5, 2, 3, 1, 1234, 0]


def test_write_then_read_is_served_from_the_write_buffer() -> None:
    """A posted write completes 1 cycle after it enters (tick + 2); a read of the same
    address while the write is buffered returns after 1 cycle."""
    _, res = run("ddr4-3200", [4096, 4096], writes=[1, 0], cycles=[0, 1])
    assert list(res.done_cycle) == [2, 3]
    assert list(res.read_latency) == [-1, 1]
    assert res.stats.write_cmds == 0 and res.stats.writes_left_in_buffer == 1


def test_duplicate_reads_merge_into_one_command() -> None:
    _, res = run("ddr4-3200", [0, 0, 0], cycles=[0, 0, 0])
    assert res.stats.read_cmds == 1 and res.stats.reads_done == 3
    assert len(set(res.done_cycle.tolist())) == 1


def test_close_page_activates_every_access() -> None:
    n = 64
    _, res = run("ddr4-3200", [64 * i for i in range(n)],
                 overrides=("system.row_buf_policy=\"CLOSE_PAGE\"",))
    assert res.stats.act_cmds == n and res.stats.read_row_hits == 0
    _, res_open = run("ddr4-3200", [64 * i for i in range(n)])
    assert res_open.stats.act_cmds == 1 and res_open.stats.read_row_hits == n - 1


def test_event_driven_skips_idle_cycles_and_refresh_still_happens() -> None:
    """One read every 16,000 cycles for 64 reads: ~1 M cycles, refreshed every
    tREFI / ranks = 6240 cycles (dramsim3.md caveat 9), yet only a few thousand
    cycles are visited."""
    n, gap = 64, 16_000
    spec, res = run("ddr4-3200", [64 * i for i in range(n)],
                    cycles=[gap * i for i in range(n)])
    s = res.stats
    assert s.cycles > gap * (n - 1)
    assert s.ref_cmds == s.cycles // 6240
    assert s.ticks_simulated < s.cycles / 50


def test_per_bank_refresh() -> None:
    spec, res = run("lpddr5-6400", [64 * i for i in range(200)],
                    cycles=[100 * i for i in range(200)],
                    overrides=("system.refresh_policy=\"BANK_LEVEL_STAGGERED\"",))
    s = res.stats
    assert s.ref_cmds == 0
    # one REFpb per channel every tREFIb cycles
    assert s.refb_cmds == spec.channels * (s.cycles // spec.tREFIb)


def test_latency_percentiles_are_nearest_rank() -> None:
    _, res = run("gddr6", [(i * 7919 % 4096) << 8 for i in range(3000)])
    lat = np.sort(res.read_latency)
    p = res.stats.read_latency
    n = lat.size
    assert p.p50 == lat[int(np.ceil(0.5 * n)) - 1]
    assert p.p99 == lat[int(np.ceil(0.99 * n)) - 1]
    assert p.max == lat[-1] and p.mean == pytest.approx(lat.mean())


def test_deterministic() -> None:
    rng = np.random.default_rng(7)
    a = (rng.integers(0, 1 << 24, 5000) * 64).tolist()
    w = (rng.random(5000) < 0.3).astype(int).tolist()
    _, r1 = run("lpddr4-2400", a, writes=w)
    _, r2 = run("lpddr4-2400", a, writes=w)
    assert r1.stats == r2.stats
    assert np.array_equal(r1.done_cycle, r2.done_cycle)


def test_head_of_line_blocking_with_a_tiny_queue() -> None:
    """With a 1-entry read queue and 1-entry command queues the front-end admits a
    request only after the previous one has moved on, so latency stays near idle while
    the run takes longer than with the default queues."""
    addrs = [64 * i for i in range(200)]
    _, small = run("ddr4-3200", addrs, overrides=("system.trans_queue_size=1",
                                                  "system.cmd_queue_size=1"))
    _, big = run("ddr4-3200", addrs)
    assert small.stats.cycles > big.stats.cycles
    assert small.stats.read_latency_mean < big.stats.read_latency_mean


def test_address_beyond_capacity() -> None:
    spec = load_dram("ddr4-3200")
    with pytest.raises(InputError, match="request 1: address 0x400000000 is beyond"):
        simulate_dram(spec, np.array([0, spec.capacity_bytes]), np.zeros(2, np.int8))


@pytest.mark.parametrize("name", ["ddr4-3200", "lpddr4-2400", "hbm2", "gddr6", "lpddr5-6400",
                                  "lpddr5x-8533"])
@pytest.mark.parametrize("queues, page, refresh", [
    ("PER_BANK", "OPEN_PAGE", "RANK_LEVEL_STAGGERED"),
    ("PER_RANK", "CLOSE_PAGE", "RANK_LEVEL_SIMULTANEOUS"),
    ("PER_RANK", "OPEN_PAGE", "BANK_LEVEL_STAGGERED"),
])
def test_every_policy_completes_every_request(name: str, queues: str, page: str,
                                              refresh: str) -> None:
    """Random reads and writes (some to repeated addresses) under every queue, page and
    refresh policy: every request completes, none before it could have entered, and the
    command counts are consistent (a read command per distinct pending read)."""
    spec = load_dram(name, [f'system.queue_structure="{queues}"',
                            f'system.row_buf_policy="{page}"',
                            f'system.refresh_policy="{refresh}"'])
    rng = np.random.default_rng(3)
    n = 4000
    addr = rng.integers(0, 1 << 14, n) * 64 * 37 % spec.capacity_bytes // 64 * 64
    w = (rng.random(n) < 0.3).astype(np.int8)
    cyc = np.cumsum(rng.integers(0, 6, n))
    res = simulate_dram(spec, addr, w, cyc)
    s = res.stats
    assert s.reads_done == s.reads and s.writes_done == s.writes
    assert (res.done_cycle > cyc).all()
    assert s.cycles == res.done_cycle.max() + 1
    assert 0 < s.read_cmds <= s.reads
    assert s.act_cmds >= (s.read_cmds + s.write_cmds if page == "CLOSE_PAGE" else 1)
    if refresh == "BANK_LEVEL_STAGGERED":
        assert s.refb_cmds > 0 and s.ref_cmds == 0
    else:
        assert s.ref_cmds > 0
    assert s.rank_active_cycles + s.rank_idle_cycles == s.cycles * spec.ranks * spec.channels


def test_write_drain_low_watermark() -> None:
    """12 writes to distinct addresses, then one read 2000 cycles later (so the run lasts):
    DRAMsim3 starts a drain the first cycle the buffer holds more than 8 writes with every
    command queue empty (9 writes, one enters per cycle) and moves that many; the last 3
    stay (3 <= 8). With the low watermark raised to 16 none is written."""
    addrs = [64 * i for i in range(12)] + [1 << 20]
    writes = [1] * 12 + [0]
    cycles = list(range(12)) + [2000]
    _, res = run("ddr4-3200", addrs, writes=writes, cycles=cycles)
    assert res.stats.write_cmds == 9 and res.stats.writes_left_in_buffer == 3
    _, res = run("ddr4-3200", addrs, writes=writes, cycles=cycles,
                 overrides=("system.write_drain_low=16",))
    assert res.stats.write_cmds == 0 and res.stats.writes_left_in_buffer == 12
