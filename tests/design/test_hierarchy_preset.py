"""One source of truth: the ``janus-1`` hierarchy preset is the janus-1 design's memory."""

from __future__ import annotations

import math
from importlib import resources

import pytest

from janus1.design import load_design
from janus1.design.hierarchy import design_hierarchy, hierarchy_toml
from janus1.errors import ConfigError
from janus1.sim import load_hierarchy


def test_preset_file_is_the_generated_one() -> None:
    shipped = resources.files("janus1.presets").joinpath("hierarchies/janus-1.toml")
    assert shipped.read_text(encoding="utf-8") == hierarchy_toml(load_design("janus-1")), \
        "regenerate: python -m janus1.design.hierarchy janus-1 > " \
        "src/janus1/presets/hierarchies/janus-1.toml"


def test_preset_equals_the_derivation() -> None:
    d = load_design("janus-1")
    assert load_hierarchy("janus-1") == design_hierarchy(d).hierarchy
    # up to the eDRAM's specified temperature (95 °C for lp-dram) the refresh is the same
    hot = design_hierarchy(d, junction_c=80.0).hierarchy
    assert (hot.level, hot.memory, hot.clock_hz) == (
        load_hierarchy("janus-1").level, load_hierarchy("janus-1").memory, 4e9)


def test_the_design_values_win() -> None:
    d = load_design("janus-1")
    h = load_hierarchy("janus-1")
    t1, t2, dram = d.tiers
    # banks as the design states them (T1: the four quadrant slices; T2: 16 x 14 MiB)
    assert [lv.banks * lv.slices for lv in h.level] == [t1.banks, t2.banks] == [4, 16]
    assert [lv.size_bytes for lv in h.level] == [t1.capacity_bytes, t2.capacity_bytes]
    assert [lv.ways for lv in h.level] == [t1.ways, t2.ways]
    # LPDDR5-8533: 8533 MT/s x 8 B = 68.3 GB/s, not LPDDR5-6400's 51.2 GB/s; behind the
    # hierarchy the design's DRAM model, whose peak is 2 channels x 4 B x 8533.3 MT/s
    # = 68.27 GB/s and whose idle read latency is 1 + RL 27 + 2 burst CK of 0.9375 ns
    assert dram.bandwidth_bytes_per_s == pytest.approx(68.3e9)
    assert h.memory.dram == dram.dram == "lpddr5x-8533"
    assert h.memory.bandwidth_bytes_per_s == pytest.approx(2 * 4 * 8533.33e6, rel=1e-5)
    assert h.memory.latency_ns == pytest.approx(30 * 0.9375)
    # T1 serves 4 banks x 64 B per bank cycle (CACTI's 0.77 ns -> 1 cycle at 1 GHz) =
    # 256 GB/s, 4 lines per design cycle: the simulator runs at 4 x 1 GHz
    assert d.tier_bandwidth(t1) == pytest.approx(256e9)
    assert h.clock_hz == pytest.approx(4e9)
    # hit latency: the macro model's access time (2.57 ns at 3 nm) -> 11 cycles at 4 GHz;
    # bank occupancy: the design's bank cycle, 0.77 ns -> 4 cycles (T2: 4.15 ns -> 17)
    m1 = d.macro(t1)
    assert m1 is not None
    assert h.level[0].hit_latency_cycles == 11 == math.ceil(m1.latency_ns * 4 - 1e-9)
    assert [lv.bank_busy_cycles for lv in h.level] == [4, 17]
    # eDRAM refresh: 100 µs retention (lp-dram at 3 nm, Intel 22 nm's figure) over the
    # 3584 rows of 1 KiB in a 3.5 MiB refresh unit: one row every 27.9 ns
    assert h.level[1].refresh_interval_ns == pytest.approx(100e3 / 3584)
    # a row refresh occupies the bank for one bank cycle
    assert h.level[1].refresh_busy_ns == pytest.approx(t2.bank_busy_ns) == pytest.approx(4.15)


def test_bad_simulator_fields_name_the_tier() -> None:
    with pytest.raises(ConfigError, match="tier T2 eDRAM: .*replacement 'mru' is not one of"):
        design_hierarchy(load_design("janus-1", ['tiers.1.replacement="mru"']))
    with pytest.raises(ConfigError, match="tier T1 SRAM: mshrs must be at least 1"):
        load_design("janus-1", ["tiers.0.mshrs=0"])


def test_refresh_that_cannot_keep_up_is_rejected() -> None:
    # one refresh unit of 14 MiB = 14336 rows of 1 KiB in 100 µs: one row per 7 ns, and a
    # row refresh takes 4.15 ns; with 256 B rows one per 1.7 ns does not fit
    d = load_design("janus-1", ["tiers.1.row=256B", 'tiers.1.refresh_unit="14MiB"'])
    with pytest.raises(ConfigError, match="tier T2 eDRAM: at its specified temperature"):
        design_hierarchy(d)
