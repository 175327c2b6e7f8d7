"""A design's memory as a simulator hierarchy: the one derivation ``ppa --simulate`` and
the ``janus-1`` hierarchy preset share.

Every on-chip tier of a :class:`DesignSpec` becomes a cache level of :mod:`janus1.sim`
(fastest first), the first off-chip tier the DRAM backing store. Everything comes from
the design:

* level names: the tier names with dashes for spaces (``T1 SRAM`` -> ``T1-SRAM``);
* capacity, banks, line (= the tier's ``block_bytes``), ``ways``, ``replacement``,
  ``mshrs``: the tier's fields;
* hit latency: the tech macro model's access time at the design's node, in cycles of
  the simulator clock; bank occupancy: the tier's ``bank_busy`` (a pipelined macro's
  cycle time) or else one access time, the rule of the design's roofline bandwidth
  ``banks x block / bank occupancy``;
* eDRAM refresh: the macro model's retention at ``junction_c`` (``None``: the cell's
  specified period, which holds up to its specified temperature), the rows of each
  ``refresh_unit_bytes`` part of a bank (default: the whole bank) of ``row_bytes``
  refreshed in parallel, one row per bank occupancy;
* MSHRs, where a tier states none: the DRAM bandwidth-delay product in lines (the
  round trip: every level's lookup, the DRAM latency and one line's transfer);
* DRAM: the first off-chip tier's bandwidth and ``latency_ns``.

**Issue width.** The simulator's core issues one line access per cycle of its clock. A
design's fabric takes as many lines per design cycle as its first tier can serve
(``ceil(tier bandwidth / (line x clock))``), so the simulator runs at that multiple of
the design clock, with every latency converted at the same clock.

``python -m janus1.design.hierarchy janus-1`` prints the TOML of the ``janus-1``
hierarchy preset; ``tests/design/test_hierarchy_preset.py`` checks the shipped file
equals it.
"""

from __future__ import annotations

import math
import sys
from dataclasses import MISSING, dataclass, fields
from typing import Any

from ..config import to_dict
from ..errors import ConfigError
from ..sim.config import HierarchyConfig, LevelConfig, MemoryConfig
from .spec import DesignSpec, load_design

__all__ = ["DesignHierarchy", "design_hierarchy", "hierarchy_toml", "level_name", "cycles"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DesignHierarchy:
    """The hierarchy of a design and how it was derived."""

    hierarchy: HierarchyConfig
    design_clock_hz: float
    issue_slots_per_cycle: int          # simulator cycles per design cycle
    junction_c: float | None            # eDRAM retention temperature (None: specified)
    access_ns: tuple[float, ...]        # per level: the macro model's access time
    retention_us: tuple[float, ...]     # per level: the refresh period (0: none)
    notes: tuple[str, ...]

    @property
    def clock_hz(self) -> float:
        """The simulator's clock."""
        return self.hierarchy.clock_hz

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: the levels with their derivation, the memory, clocks and notes."""
        h = self.hierarchy
        levels = []
        for lv, ns, ret in zip(h.level, self.access_ns, self.retention_us):
            d = {k: v for k, v in to_dict(lv).items() if k != "source"}
            levels.append({**d, "access_ns": ns, "retention_us": ret})
        return {"clock_hz": h.clock_hz, "design_clock_hz": self.design_clock_hz,
                "issue_slots_per_cycle": self.issue_slots_per_cycle,
                "junction_c_for_refresh": self.junction_c, "levels": levels,
                "memory": {k: v for k, v in to_dict(h.memory).items() if k != "source"},
                "notes": list(self.notes)}


def level_name(tier: str) -> str:
    """The simulator level of a tier: its name with spaces as dashes (``T1-SRAM``), so
    that ``--set level.T1-SRAM.size=...`` needs no quoting."""
    return "-".join(tier.split())


def cycles(ns: float, clock_hz: float) -> int:
    """A time in ns as whole cycles at ``clock_hz`` (rounded up, at least 1)."""
    return max(1, int(math.ceil(ns * 1e-9 * clock_hz - 1e-9)))


def design_hierarchy(design: DesignSpec, *, junction_c: float | None = None) -> DesignHierarchy:
    """The simulator hierarchy of ``design`` (see the module docstring).

    Args:
        design: the design.
        junction_c: junction temperature for the eDRAM retention (°C); ``None`` for the
            cell's specified period.

    Raises:
        ConfigError: a design with no on-chip tier, a block that is not a power of two,
            or an eDRAM whose refresh cannot keep up at ``junction_c``.
    """
    on = [t for t in design.tiers if t.on_chip]
    off = [t for t in design.tiers if not t.on_chip]
    if not on:
        raise ConfigError(f"design {design.name}: tiers: simulating needs at least one "
                          f"on-chip tier")
    notes: list[str] = []
    first_bw = design.tier_bandwidth(on[0])
    slots = max(1, math.ceil(first_bw / (on[0].block_bytes * design.clock_hz) - 1e-9))
    clock = design.clock_hz * slots
    if slots > 1:
        notes.append(f"the simulator issues one line per cycle: it runs at {slots} x the "
                     f"design clock ({clock / 1e9:g} GHz) so that the core can take what "
                     f"{on[0].name} serves ({first_bw / 1e9:.1f} GB/s)")
    default_mem = MemoryConfig()
    if off:
        b = off[0]
        bw = float(b.bandwidth_bytes_per_s or 0.0)
        mem_lat = b.latency_ns if b.latency_ns is not None else default_mem.latency_ns
        if b.latency_ns is None:
            notes.append(f"{b.name}: the design states no latency; the simulator's default "
                         f"{mem_lat:g} ns")
        if len(off) > 1:
            notes.append(f"only the first off-chip tier ({b.name}) backs the simulated "
                         f"hierarchy")
        src = f"design {design.name} tier {b.name}: {b.source or design.source}"
        if b.dram:
            try:
                memory = MemoryConfig(name=b.name, dram=b.dram, source=src)
            except ConfigError as exc:
                raise ConfigError(f"design {design.name} tier {b.name}: {exc}") from None
            peak = memory.bandwidth_bytes_per_s
            notes.append(f"{b.name}: the DRAM model {b.dram} (idle read latency "
                         f"{memory.latency_ns:.1f} ns, peak {peak / 1e9:.1f} GB/s); MSHRs "
                         f"are sized on the design's {mem_lat:g} ns load-to-use latency")
            cap = memory.dram_spec().capacity_bytes
            if cap < b.capacity_bytes:
                notes.append(f"{b.name}: the DRAM model holds {cap / 2**30:g} GiB of the "
                             f"tier's {b.capacity_bytes / 2**30:g} GiB; addresses above wrap "
                             f"onto its banks and rows (timing needs no storage)")
            if abs(peak - bw) > 0.01 * bw:
                notes.append(f"{b.name}: the design states {bw / 1e9:.1f} GB/s, the DRAM "
                             f"model's peak is {peak / 1e9:.1f} GB/s (the model's is "
                             f"simulated)")
        else:
            memory = MemoryConfig(name=b.name, latency_ns=mem_lat, bandwidth_bytes_per_s=bw,
                                  source=src)
    else:
        memory = default_mem
        bw, mem_lat = memory.bandwidth_bytes_per_s, memory.latency_ns
        notes.append(f"the design has no off-chip tier: the simulator's default DRAM "
                     f"({bw / 1e9:g} GB/s, {mem_lat:g} ns)")
    levels: list[dict[str, Any]] = []
    access: list[float] = []
    retention: list[float] = []
    line = 0
    for t in on:
        m = design.macro(t, temperature_c=junction_c)
        assert m is not None
        line = max(line, t.block_bytes)
        if line & (line - 1):
            raise ConfigError(f"tier {t.name}: block_bytes {t.block_bytes} is not a power "
                              f"of two (the simulator's line)")
        if line != t.block_bytes:
            notes.append(f"{t.name}: line {line} B (lines do not shrink going down; "
                         f"its block is {t.block_bytes} B)")
        ways = min(t.ways, max(1, t.capacity_bytes // line))
        size = t.capacity_bytes // (ways * line) * ways * line
        if size != t.capacity_bytes:
            notes.append(f"{t.name}: {t.capacity_bytes} B rounded down to {size} B "
                         f"(whole sets of {ways} x {line} B)")
        lat = cycles(m.latency_ns, clock)
        busy_ns = design.bank_busy_ns(t)
        lv: dict[str, Any] = {
            "name": level_name(t.name), "size_bytes": size, "ways": ways, "line_bytes": line,
            "replacement": t.replacement, "hit_latency_cycles": lat, "banks": t.banks,
            "bank_busy_cycles": cycles(busy_ns, clock),
            "source": f"design {design.name} tier {t.name} ({t.source or design.source}); "
                      f"latency: tech macro model {m.latency_ns:.3f} ns at {design.node}; "
                      f"bank busy {busy_ns:.3g} ns",
        }
        if t.mshrs is not None:
            lv["mshrs"] = t.mshrs
        if t.tech == "mram" and m.write_latency_ns > m.latency_ns:
            notes.append(f"{t.name}: MRAM writes ({m.write_latency_ns:.1f} ns) occupy a bank "
                         f"as long as reads ({m.latency_ns:.1f} ns) here (one bank "
                         f"occupancy per level in the simulator)")
        if m.retention_us:
            bank = t.capacity_bytes / t.banks
            unit = min(bank, t.refresh_unit_bytes or bank)
            rows = max(1.0, unit / t.row_bytes)
            interval = m.retention_us * 1e3 / rows
            if busy_ns >= interval:
                at = "its specified temperature" if junction_c is None else \
                    f"Tj {junction_c:.0f} °C"
                raise ConfigError(
                    f"tier {t.name}: at {at} the retention is {m.retention_us:.3g} µs; "
                    f"refreshing {rows:.0f} rows one per {busy_ns:.2f} ns does not "
                    f"fit in it")
            lv["refresh_interval_ns"] = interval
            lv["refresh_busy_ns"] = busy_ns
            at = ("the specified period" if junction_c is None else
                  f"Tj {junction_c:.1f} °C")
            notes.append(f"{t.name} refresh: retention {m.retention_us:.4g} µs ({at}); "
                         f"{rows:.0f} rows of {t.row_bytes} B per "
                         f"{unit / 2**20:g} MiB refresh unit, one row per bank cycle")
        levels.append(lv)
        access.append(m.latency_ns)
        retention.append(m.retention_us)
    rtt = (sum(lv["hit_latency_cycles"] for lv in levels)
           + (mem_lat * 1e-9 + line / bw) * clock)
    mshrs = max(1, math.ceil(bw / clock * rtt / line))
    ruled = [lv for lv in levels if "mshrs" not in lv]
    for lv in ruled:
        lv["mshrs"] = mshrs
    if ruled:
        notes.append(f"MSHRs {mshrs} per level ({', '.join(lv['name'] for lv in ruled)}): "
                     f"the DRAM bandwidth-delay product in lines ({bw / clock:.1f} B/cycle x "
                     f"{rtt:.0f} cycles / {line} B)")
    configs = []
    for t, lv in zip(on, levels):
        try:
            configs.append(LevelConfig(**lv))
        except ConfigError as exc:
            raise ConfigError(f"design {design.name} tier {t.name}: {exc}") from None
    h = HierarchyConfig(
        level=configs, memory=memory, clock_hz=clock,
        name=design.name,
        source=f"derived from design {design.name} by janus1.design.hierarchy",
        notes=list(notes))
    return DesignHierarchy(hierarchy=h, design_clock_hz=design.clock_hz,
                           issue_slots_per_cycle=slots, junction_c=junction_c,
                           access_ns=tuple(access), retention_us=tuple(retention),
                           notes=tuple(notes))


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[\n" + "".join(f"  {_toml_value(x)},\n" for x in v) + "]"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def _table(obj: Any, skip: tuple[str, ...] = ()) -> list[str]:
    """``key = value`` lines of a dataclass's fields that differ from their defaults."""
    out = []
    for f in fields(obj):
        v = getattr(obj, f.name)
        default = (f.default if f.default is not MISSING else
                   f.default_factory() if f.default_factory is not MISSING else MISSING)
        if f.name in skip or v is None or v == default:
            continue
        out.append(f"{f.name} = {_toml_value(v)}")
    return out


def hierarchy_toml(design: DesignSpec) -> str:
    """The hierarchy preset of ``design`` as TOML (refresh at the specified retention)."""
    h = design_hierarchy(design).hierarchy
    lines = [f"# GENERATED from presets/designs/{design.name}.toml by janus1.design.hierarchy;",
             "# do not edit. Regenerate with",
             f"#   python -m janus1.design.hierarchy {design.name} > "
             f"src/janus1/presets/hierarchies/{design.name}.toml",
             "# tests/design/test_hierarchy_preset.py checks that this file equals the design's",
             "# derivation (the design's values, the tech macro model's latencies at its node,",
             "# eDRAM refresh at the cell's specified retention).",
             *_table(h, skip=("level", "memory", "name"))]
    for lv in h.level:
        lines += ["", "[[level]]", *_table(lv)]
    # with a DRAM model, its latency and bandwidth are derived, not written
    lines += ["", "[memory]", *_table(h.memory, skip=(
        ("latency_ns", "bandwidth_bytes_per_s") if h.memory.dram else ()))]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - the generator of the shipped preset
    sys.stdout.write(hierarchy_toml(load_design(sys.argv[1] if len(sys.argv) > 1
                                                else "janus-1")))
