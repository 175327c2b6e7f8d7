"""DesignSpec: a whole accelerator (compute tiles, memory tiers, clock, package) from TOML.

A design is a frozen dataclass built by :func:`janus1.config.from_dict` from a preset
(``src/janus1/presets/designs/<name>.toml``) or a file, with ``--set key=value``
overrides applied first. Every number in a preset carries its source in a comment or a
``source`` string. Validation happens on construction: negative sizes, unknown
technologies, cells or nodes, and tiers that cannot exist (larger than a
reticle-limited die) raise :class:`~janus1.errors.ConfigError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pathlib import Path
from typing import Any

from ..config import apply_overrides, from_dict, load_toml
from ..errors import ConfigError, InputError
from ..limits import check_float, check_int, path_exists
from ..presets import load_preset, preset_names
from ..tech.cells import check_cell
from ..tech.memory import RETICLE_LIMIT_MM2, MacroResult, macro
from ..tech.nodes import NodeInfo, parse_node
from ..tech.thermal import PackageSpec, load_package
from ..tech.tile import TILE_PRECISIONS, macs_per_pe_cycle
from ..workload.device import DeviceSpec, MemoryTier, device_presets
from ..workload.device import load_device as _load_device_spec

__all__ = ["ComputeSpec", "TierSpec", "ClaimsSpec", "DesignSpec", "load_design",
           "design_presets", "load_device"]

# Plausibility bounds: far beyond any real design, tight enough that every derived
# figure (peak ops, bandwidth, area, power) stays a finite float.
_MAX_ARRAY = 1 << 20          # tiles, rows or cols
_MAX_CLOCK_HZ = 1e12          # 1 THz
_MAX_BANDWIDTH = 1e18         # 1 EB/s
_MAX_PJ_PER_BIT = 1e6
_MAX_AREA_MM2 = 1e9
_MAX_POWER_W = 1e9


@dataclass(frozen=True, slots=True, kw_only=True)
class ComputeSpec:
    """The compute fabric: ``tiles`` systolic arrays of ``rows x cols`` PEs."""

    tiles: int                       # number of tiles
    rows: int                        # PE rows per tile
    cols: int                        # PE columns per tile
    dataflow: str = "os"             # os | ws | is
    precisions: list[str] = field(default_factory=lambda: ["int8", "int4"])  # modes the PE supports
    pe_area_um2_28nm: float = 1212.0  # one INT8 PE with its share of the array at 28 nm (see presets)
    fp16_area_factor: float = 2.0    # PE area multiplier when fp16 is among the precisions
    utilization: float = 1.0         # fraction of peak the workload's compute reaches

    def __post_init__(self) -> None:
        for f in ("tiles", "rows", "cols"):
            v = getattr(self, f)
            check_int(v, f"compute.{f}", lo=1, hi=_MAX_ARRAY)
        for f in ("pe_area_um2_28nm", "fp16_area_factor", "utilization"):
            check_float(getattr(self, f), f"compute.{f}", hi=1e9)
        if self.dataflow not in ("os", "ws", "is"):
            raise ConfigError(f"compute.dataflow: unknown dataflow {self.dataflow!r} "
                              f"(known: os, ws, is)")
        for p in self.precisions:
            if p not in TILE_PRECISIONS:
                raise ConfigError(f"compute.precisions: unknown precision {p!r} "
                                  f"(known: {', '.join(TILE_PRECISIONS)})")
        if self.pe_area_um2_28nm <= 0 or self.fp16_area_factor <= 0:
            raise ConfigError("compute: PE area must be positive")
        if not 0 < self.utilization <= 1:
            raise ConfigError(f"compute.utilization must be in (0, 1], not {self.utilization}")

    @property
    def macs(self) -> int:
        """PEs in all tiles."""
        return self.tiles * self.rows * self.cols


@dataclass(frozen=True, slots=True, kw_only=True)
class TierSpec:
    """One memory tier, fastest first. On-chip tiers are modelled macros; ``offchip``
    tiers (LPDDR, HBM) are given by capacity, bandwidth and energy per bit."""

    name: str
    tech: str                          # sram | edram | mram | offchip
    capacity_bytes: int
    cell: str | None = None            # CACTI cell name (default: the technology's)
    banks: int = 1                     # independent banks (macros)
    block_bytes: int = 64              # bytes per access
    bandwidth_bytes_per_s: float | None = None  # default: banks x block x clock / latency cycles
    energy_pj_per_bit: float | None = None      # offchip only: access energy incl. interface
    phy_area_mm2: float = 0.0          # offchip only: the PHY/controller on the die
    phy_power_w: float = 0.0           # offchip only: PHY static power
    # What the simulator needs (``ppa --simulate``, :mod:`janus1.design.hierarchy`):
    bank_busy_ns: float | None = None  # on-chip: how long an access occupies its bank (a
    #                                    pipelined macro: its cycle time; None: one access time)
    ways: int = 16                     # on-chip: associativity as a cache level
    replacement: str = "lru"           # on-chip: lru | fifo | random | srrip (checked by
    #                                    the simulator's LevelConfig when simulated)
    mshrs: int | None = None           # on-chip: outstanding misses (None: the DRAM
    #                                    bandwidth-delay product in lines)
    row_bytes: int = 1024              # eDRAM: bytes of one refreshed row
    refresh_unit_bytes: int | None = None  # eDRAM: the rows of each such part of a bank
    #                                    refresh in parallel (None: the whole bank)
    latency_ns: float | None = None    # offchip only: idle load-to-use latency (None: the
    #                                    simulator's default)
    dram: str | None = None            # offchip only: the DRAM model behind the simulated
    #                                    hierarchy (a `janus1 dram` preset or .ini); None:
    #                                    latency_ns plus a bandwidth queue
    source: str = ""

    def __post_init__(self) -> None:
        from ..tech.memory import MAX_BANKS, MAX_BLOCK_BYTES, MAX_CAPACITY_BYTES

        w = f"tier {self.name}"
        if self.capacity_bytes <= 0:
            raise ConfigError(f"tier {self.name}: capacity must be positive, "
                              f"not {self.capacity_bytes}")
        check_int(self.capacity_bytes, f"{w}: capacity_bytes", hi=MAX_CAPACITY_BYTES)
        check_int(self.banks, f"{w}: banks", hi=MAX_BANKS)
        check_int(self.block_bytes, f"{w}: block_bytes", hi=MAX_BLOCK_BYTES)
        if self.bandwidth_bytes_per_s is not None:
            check_float(self.bandwidth_bytes_per_s, f"{w}: bandwidth", hi=_MAX_BANDWIDTH)
        if self.energy_pj_per_bit is not None:
            check_float(self.energy_pj_per_bit, f"{w}: energy_pj_per_bit", hi=_MAX_PJ_PER_BIT)
        check_float(self.phy_area_mm2, f"{w}: phy_area_mm2", hi=_MAX_AREA_MM2)
        check_float(self.phy_power_w, f"{w}: phy_power_w", hi=_MAX_POWER_W)
        if self.banks <= 0 or self.block_bytes <= 0:
            raise ConfigError(f"tier {self.name}: banks and block_bytes must be positive")
        if self.bandwidth_bytes_per_s is not None and self.bandwidth_bytes_per_s <= 0:
            raise ConfigError(f"tier {self.name}: bandwidth must be positive")
        if self.ways < 1:
            raise ConfigError(f"tier {self.name}: ways must be at least 1, not {self.ways}")
        if self.mshrs is not None and self.mshrs < 1:
            raise ConfigError(f"tier {self.name}: mshrs must be at least 1, not {self.mshrs}")
        if self.row_bytes <= 0 or (self.refresh_unit_bytes is not None
                                   and self.refresh_unit_bytes <= 0):
            raise ConfigError(f"tier {self.name}: row_bytes and refresh_unit_bytes must be "
                              f"positive")
        if self.bank_busy_ns is not None and self.bank_busy_ns <= 0:
            raise ConfigError(f"tier {self.name}: bank_busy must be positive, "
                              f"not {self.bank_busy_ns} ns")
        if self.latency_ns is not None and self.latency_ns < 0:
            raise ConfigError(f"tier {self.name}: latency must be >= 0 ns, not {self.latency_ns}")
        if self.tech == "offchip":
            if self.energy_pj_per_bit is None or self.energy_pj_per_bit <= 0:
                raise ConfigError(f"tier {self.name}: an offchip tier needs a positive "
                                  f"energy_pj_per_bit")
            if self.bandwidth_bytes_per_s is None:
                raise ConfigError(f"tier {self.name}: an offchip tier needs a bandwidth")
            if self.phy_area_mm2 < 0 or self.phy_power_w < 0:
                raise ConfigError(f"tier {self.name}: PHY area and power must be >= 0")
        elif self.dram is not None:
            raise ConfigError(f"tier {self.name}: dram is for an offchip tier (the DRAM "
                              f"model behind the on-chip tiers)")
        if self.tech != "offchip":
            try:
                check_cell(self.tech, self.cell)
            except ConfigError as exc:
                raise ConfigError(f"tier {self.name}: {exc}") from None

    @property
    def on_chip(self) -> bool:
        """Whether the tier is a modelled on-die macro."""
        return self.tech != "offchip"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimsSpec:
    """What the design's authors claim, to be checked (all optional)."""

    source: str = ""
    area_mm2: float | None = None
    power_w: float | None = None
    tops: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DesignSpec:
    """A whole accelerator design."""

    name: str
    source: str                         # citation for every number
    node: str                           # process node, e.g. "3nm"
    clock_hz: float                     # compute and on-chip memory clock
    compute: ComputeSpec
    tiers: list[TierSpec]
    package: str = "fcbga-21mm"         # package preset name
    ambient_c: float = 45.0             # ambient temperature for the junction solve
    other_area_mm2: float = 0.0         # control, NoC, I/O ring beyond the modelled blocks
    other_power_w: float = 0.0          # power of those
    notes: list[str] = field(default_factory=list)
    claims: ClaimsSpec = field(default_factory=ClaimsSpec)

    def __post_init__(self) -> None:
        parse_node(self.node, what=f"design {self.name}: node")
        if self.clock_hz <= 0:
            raise ConfigError(f"design {self.name}: clock must be positive")
        w = f"design {self.name}"
        check_float(self.clock_hz, f"{w}: clock", hi=_MAX_CLOCK_HZ)
        check_float(self.ambient_c, f"{w}: ambient_c", lo=-273.15, hi=250.0, lo_open=True)
        check_float(self.other_area_mm2, f"{w}: other_area_mm2", hi=_MAX_AREA_MM2)
        check_float(self.other_power_w, f"{w}: other_power_w", hi=_MAX_POWER_W)
        if not isinstance(self.package, str):
            raise ConfigError(f"{w}: package must be a preset name")
        if not self.tiers:
            raise ConfigError(f"design {self.name}: needs at least one memory tier")
        if self.other_area_mm2 < 0 or self.other_power_w < 0:
            raise ConfigError(f"design {self.name}: other_area/other_power must be >= 0")
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ConfigError(f"design {self.name}: tier names must be unique")
        load_package(self.package)
        total = 0.0
        for t, m in zip(self.tiers, self.macros):
            if m is None:
                continue
            if m.area_mm2 > RETICLE_LIMIT_MM2:
                raise ConfigError(f"design {self.name}: tier {t.name} ({t.capacity_bytes} B "
                                  f"of {m.cell} at {self.node}) needs {m.area_mm2:.0f} mm², "
                                  f"more than a reticle-limited die ({RETICLE_LIMIT_MM2:.0f} mm²)")
            total += m.area_mm2
        if total > RETICLE_LIMIT_MM2:
            raise ConfigError(f"design {self.name}: on-chip memories need {total:.0f} mm², "
                              f"more than a reticle-limited die ({RETICLE_LIMIT_MM2:.0f} mm²)")

    @property
    def node_info(self) -> NodeInfo:
        """The process node."""
        return parse_node(self.node)

    @property
    def package_spec(self) -> PackageSpec:
        """The package preset."""
        return load_package(self.package)

    @property
    def macros(self) -> list[MacroResult | None]:
        """The on-chip tiers as modelled macros at 27 °C (None for offchip tiers)."""
        return [self.macro(t) for t in self.tiers]

    def macro(self, tier: TierSpec, temperature_c: float | None = 27.0) -> MacroResult | None:
        """One tier as a macro at ``temperature_c`` (None for an offchip tier; a
        ``temperature_c`` of None is CACTI's convention: 300 K, the specified retention)."""
        if not tier.on_chip:
            return None
        return macro(tier.tech, tier.capacity_bytes, self.node, cell=tier.cell,
                     banks=tier.banks, block_bytes=tier.block_bytes,
                     temperature_c=temperature_c)

    def bank_busy_ns(self, tier: TierSpec) -> float:
        """How long one access occupies a bank of an on-chip tier: the stated
        ``bank_busy`` or the macro's access time."""
        if tier.bank_busy_ns is not None:
            return tier.bank_busy_ns
        m = self.macro(tier)
        assert m is not None
        return m.latency_ns

    def tier_bandwidth(self, tier: TierSpec) -> float:
        """Bytes per second a tier delivers (given, or banks x block per bank occupancy,
        in whole clock cycles)."""
        if tier.bandwidth_bytes_per_s is not None:
            return tier.bandwidth_bytes_per_s
        cycles = max(1.0, -(-self.bank_busy_ns(tier) * self.clock_hz // 1e9))
        return tier.banks * tier.block_bytes * self.clock_hz / cycles

    def peak_ops_per_s(self) -> dict[str, float]:
        """Peak operations per second per supported precision (1 MAC = 2 ops)."""
        return {p: self.compute.macs * self.clock_hz * 2.0 * macs_per_pe_cycle(p)
                for p in self.compute.precisions}

    def device(self) -> DeviceSpec:
        """The roofline view: peak ops per precision and the tiers, fastest first."""
        tiers = tuple(MemoryTier(name=t.name, capacity_bytes=t.capacity_bytes,
                                 bandwidth_bytes_per_s=self.tier_bandwidth(t),
                                 source=t.source or self.source)
                      for t in self.tiers)
        return DeviceSpec(name=self.name, source=self.source,
                          peak_ops_per_s=self.peak_ops_per_s(), tiers=tiers,
                          notes=tuple(self.notes))


def design_presets() -> list[str]:
    """Names of the shipped design presets."""
    return preset_names("designs")


def load_design(src: str | Path, overrides: Sequence[str] = ()) -> DesignSpec:
    """A DesignSpec from a preset name or a TOML file, with ``key=value`` overrides.

    Raises:
        InputError: unknown preset or missing file.
        ConfigError: a malformed or impossible design.
    """
    s = str(src)
    data: dict[str, Any]
    p = Path(s)
    if isinstance(overrides, str) or not all(isinstance(o, str) for o in overrides):
        raise InputError("overrides must be a list of key=value strings")
    if s.lower() in design_presets():
        data = load_preset("designs", s)
        where = f"design {s.lower()}"
    elif p.suffix == ".toml" or "/" in s:
        if not path_exists(p):
            raise InputError(f"{s}: no such file")
        data = load_toml(p)
        data.setdefault("name", p.stem)
        where = str(p)
    else:
        raise InputError(f"unknown design {s!r} (known: {', '.join(design_presets())})")
    if overrides:
        data = _overridden(data, list(overrides))
    return from_dict(DesignSpec, data, source=where)


def _overridden(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """``apply_overrides``, with a path through a scalar (``name.x=1``) a ConfigError."""
    try:
        return apply_overrides(data, overrides)
    except (TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ConfigError(f"--set {', '.join(overrides)[:120]}: a key path goes through a "
                          f"value that is not a table ({type(exc).__name__})") from None






def load_device(src: str | Path) -> DeviceSpec:
    """A roofline device from a device preset or file, or a design preset or file (its
    :meth:`DesignSpec.device`): what ``janus1 analyze --device`` takes.

    Raises:
        InputError: unknown name or file.
        ConfigError: malformed device or design.
    """
    s = str(src)
    p = Path(s)
    if s.lower() in device_presets():  # devices first, as janus1.workload.load_device
        return _load_device_spec(s)
    if s.lower() in design_presets():
        return load_design(s).device()
    if p.suffix == ".toml" and path_exists(p):
        data = load_toml(p)
        if "tiers" in data and "peak_ops_per_s" in data:
            return _load_device_spec(p)
        return load_design(p).device()
    return _load_device_spec(s)
