"""Hierarchy configuration: levels (caches or scratchpads), DRAM backing, clock.

A hierarchy is a TOML file (or preset ``janus1/presets/hierarchies/<name>.toml``) with a
list of ``[[level]]`` tables, first level (closest to the core) first, an optional
``[memory]`` table for the DRAM backing store and an optional top-level ``clock``.
Every cycle count in the simulator is in cycles of this clock (the first level's).
The minimal form is::

    [[level]]
    name = "L1"
    size = "32KiB"
    ways = 8
    line = "64B"
    replacement = "lru"

Every default is documented on its field. Impossible values raise
:class:`janus1.errors.ConfigError` with a one-line message naming the field.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import apply_overrides, from_dict, load_toml
from ..errors import ConfigError, InputError

__all__ = ["LevelConfig", "MemoryConfig", "HierarchyConfig", "load_hierarchy",
           "hierarchy_presets", "REPLACEMENTS", "LEVEL_KINDS"]

REPLACEMENTS = ("lru", "fifo", "random", "srrip")
LEVEL_KINDS = ("cache", "scratchpad")


def _pow2(n: int) -> bool:
    return n > 0 and (n & (n - 1)) == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelConfig:
    """One level: a set-associative cache or an address-range scratchpad.

    A cache level is non-inclusive: a miss looks up the next level and the line is
    filled into every level that missed. A scratchpad holds the fixed byte range
    ``[base, base + size)``: accesses inside it hit, accesses outside bypass it.
    """

    name: str                            # shown in results ("L1", "T1-SRAM")
    size_bytes: int                      # capacity; TOML ``size = "32KiB"``
    ways: int = 8                        # associativity; 0 = fully associative
    line_bytes: int = 64                 # line size, a power of two; TOML ``line = "64B"``
    replacement: str = "lru"             # lru | fifo | random | srrip
    kind: str = "cache"                  # cache | scratchpad
    base_bytes: int = 0                  # scratchpad only: first byte address held
    hit_latency_cycles: int = 1          # lookup (hit) latency in first-level clock cycles
    banks: int = 1                       # independently busy banks, interleaved by line
    slices: int = 1                      # address-interleaved slices (each with `banks` banks)
    bank_busy_cycles: int = 1            # cycles a bank is occupied per access (1/ports)
    mshrs: int = 16                      # outstanding misses (miss status holding registers)
    write_back: bool = True              # write-back (True) or write-through (False)
    write_allocate: bool = True          # a store miss fetches and allocates the line
    refresh_interval_ns: float = 0.0     # eDRAM: each bank is refreshed once per interval; 0 = none
    refresh_busy_ns: float = 0.0         # eDRAM: how long one refresh blocks its bank
    seed: int = 0                        # random replacement: the generator's seed
    read_energy_pj: float | None = None  # energy per read access (hook; unset = not reported)
    write_energy_pj: float | None = None  # energy per write/fill (hook; unset = not reported)
    source: str = ""                     # where the numbers come from

    def __post_init__(self) -> None:
        where = f"level {self.name!r}"
        if self.kind not in LEVEL_KINDS:
            raise ConfigError(f"{where}: kind {self.kind!r} is not one of {', '.join(LEVEL_KINDS)}")
        if self.replacement not in REPLACEMENTS:
            raise ConfigError(f"{where}: replacement {self.replacement!r} is not one of "
                              f"{', '.join(REPLACEMENTS)}")
        if not _pow2(self.line_bytes):
            raise ConfigError(f"{where}: line size {self.line_bytes} B is not a power of two")
        if self.size_bytes < 1:
            raise ConfigError(f"{where}: size must be positive, not {self.size_bytes}")
        if self.ways < 0:
            raise ConfigError(f"{where}: ways must be >= 0 (0 = fully associative), "
                              f"not {self.ways}")
        if self.size_bytes % self.line_bytes:
            raise ConfigError(f"{where}: size {self.size_bytes} B is not a multiple of the "
                              f"line size {self.line_bytes} B")
        if self.kind == "cache":
            ways = self.ways or self.size_bytes // self.line_bytes
            if self.size_bytes % (ways * self.line_bytes):
                raise ConfigError(f"{where}: size {self.size_bytes} B is not divisible by "
                                  f"ways*line ({ways}*{self.line_bytes} = "
                                  f"{ways * self.line_bytes} B)")
            if ways > 64:
                raise ConfigError(f"{where}: {ways} ways: at most 64 are supported "
                                  "(use more sets)")
        for name in ("hit_latency_cycles", "bank_busy_cycles"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{where}: {name} must be >= 0, not {getattr(self, name)}")
        for name in ("banks", "slices", "mshrs"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{where}: {name} must be >= 1, not {getattr(self, name)}")
        if self.refresh_interval_ns < 0 or self.refresh_busy_ns < 0:
            raise ConfigError(f"{where}: refresh times must be >= 0")
        if self.refresh_interval_ns and self.refresh_busy_ns >= self.refresh_interval_ns:
            raise ConfigError(f"{where}: refresh_busy {self.refresh_busy_ns} ns is not shorter "
                              f"than refresh_interval {self.refresh_interval_ns} ns")

    @property
    def n_ways(self) -> int:
        """Associativity with 0 (fully associative) resolved."""
        return self.ways or self.size_bytes // self.line_bytes

    @property
    def sets(self) -> int:
        """Number of sets (1 for a fully associative cache)."""
        return self.size_bytes // (self.n_ways * self.line_bytes)

    @property
    def lines(self) -> int:
        """Number of lines held."""
        return self.size_bytes // self.line_bytes

    @property
    def total_banks(self) -> int:
        """Banks over all slices."""
        return self.banks * self.slices


# [memory] keys of the fixed-latency model that a DRAM model replaces (TOML spellings)
_FIXED_ONLY_KEYS = ("latency_ns", "latency", "bandwidth_bytes_per_s", "bandwidth",
                    "read_energy_pj_per_byte", "write_energy_pj_per_byte")
_DEFAULT_LATENCY_NS = 100.0
_DEFAULT_BANDWIDTH = 51.2e9


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryConfig:
    """The DRAM backing store below the last level: a fixed latency plus a bandwidth
    queue, or a DRAM model (``dram``).

    Fixed latency: each line transfer occupies the channel for ``line_bytes /
    bandwidth`` seconds; requests queue behind each other (first come, first served),
    so a miss completes at ``max(arrival, channel free) + transfer + latency``.

    DRAM model (``dram = "lpddr5x-8533"``, a preset of ``janus1 dram`` or a DRAMsim3
    ``.ini``/TOML file, with ``dram_set`` overrides such as
    ``["system.row_buf_policy=CLOSE_PAGE"]``): every line read, write-back and prefetch
    that leaves the last level is a request to :mod:`janus1.sim.dram` (banks, rows,
    refresh, timing; see docs/dram.md). ``latency_ns`` and ``bandwidth_bytes_per_s``
    are then the DRAM's idle read latency and peak bandwidth (derived; giving other
    values is an error), and energy comes from its IDD currents.
    """

    name: str = "DRAM"                         # shown in results
    latency_ns: float = _DEFAULT_LATENCY_NS    # idle load-to-use latency after the transfer slot
    bandwidth_bytes_per_s: float = _DEFAULT_BANDWIDTH  # peak; TOML ``bandwidth = "51.2GB/s"``
    read_energy_pj_per_byte: float | None = None   # energy hook (unset = not reported)
    write_energy_pj_per_byte: float | None = None  # energy hook (unset = not reported)
    dram: str = ""                             # DRAM model: preset name or .ini/.toml path
    dram_set: list[str] = field(default_factory=list)  # ``section.key=value`` overrides
    source: str = ""                           # where the numbers come from

    def __post_init__(self) -> None:
        if self.dram:
            spec = self.dram_spec()
            if spec is None:  # pragma: no cover - dram is set
                raise AssertionError
            for name, derived, default in (
                    ("latency_ns", spec.idle_read_latency_ns, _DEFAULT_LATENCY_NS),
                    ("bandwidth_bytes_per_s", spec.peak_bandwidth_bytes_per_s,
                     _DEFAULT_BANDWIDTH)):
                given = getattr(self, name)
                if given != default and not math.isclose(given, derived, rel_tol=1e-9):
                    raise ConfigError(f"memory: {name} is the DRAM model's ({self.dram}: "
                                      f"{derived:g}) when dram is set; remove {name} or dram")
                object.__setattr__(self, name, derived)
            if self.read_energy_pj_per_byte is not None or \
                    self.write_energy_pj_per_byte is not None:
                raise ConfigError("memory: read/write_energy_pj_per_byte and dram exclude "
                                  "each other (the DRAM model's energy comes from its IDD "
                                  "currents)")
        elif self.dram_set:
            raise ConfigError("memory: dram_set needs dram (a DRAM preset or .ini file)")
        if self.latency_ns < 0:
            raise ConfigError(f"memory: latency must be >= 0 ns, not {self.latency_ns}")
        if self.bandwidth_bytes_per_s <= 0:
            raise ConfigError(f"memory: bandwidth must be positive, not "
                              f"{self.bandwidth_bytes_per_s}")

    def dram_spec(self) -> Any:
        """The DRAM model's :class:`janus1.sim.dram.DramSpec`, or None (fixed latency)."""
        if not self.dram:
            return None
        return _load_dram(self.dram, tuple(self.dram_set))


@functools.lru_cache(maxsize=32)
def _load_dram(name: str, overrides: tuple[str, ...]) -> Any:
    from .dram import load_dram

    try:
        return load_dram(name, list(overrides))
    except (ConfigError, InputError) as exc:
        raise type(exc)(f"dram {name!r}: {exc}") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class HierarchyConfig:
    """A memory hierarchy: levels from the core outwards, then DRAM.

    Line sizes must not shrink going outwards (a lower level line holds whole upper
    level lines), which is true of every real hierarchy.
    """

    level: list[LevelConfig]                 # first level first; TOML ``[[level]]``
    memory: MemoryConfig = field(default_factory=MemoryConfig)  # TOML ``[memory]``
    clock_hz: float = 1e9                    # first level's clock; TOML ``clock = "1GHz"``
    issue_interval_cycles: int = 1           # at most one line access issued per this many cycles
    name: str = ""                           # preset name or file stem
    source: str = ""                         # where the numbers come from
    notes: list[str] = field(default_factory=list)  # free-form notes (assumptions)

    def __post_init__(self) -> None:
        if not self.level:
            raise ConfigError("hierarchy: needs at least one [[level]]")
        names = [lv.name for lv in self.level]
        if len(set(names)) != len(names):
            raise ConfigError(f"hierarchy: level names repeat: {names}")
        for up, low in zip(self.level, self.level[1:]):
            if low.line_bytes < up.line_bytes:
                raise ConfigError(f"level {low.name!r}: line {low.line_bytes} B is smaller than "
                                  f"the line of {up.name!r} ({up.line_bytes} B)")
        if self.clock_hz <= 0:
            raise ConfigError(f"hierarchy: clock must be positive, not {self.clock_hz}")
        if self.issue_interval_cycles < 1:
            raise ConfigError("hierarchy: issue_interval_cycles must be >= 1")
        _check_bounds(self)

    @property
    def levels(self) -> list[LevelConfig]:
        """Alias of :attr:`level` (the TOML key is singular)."""
        return self.level

    def ns_to_cycles(self, ns: float) -> int:
        """A time in ns as a whole number of clock cycles (rounded up)."""
        return int(math.ceil(ns * 1e-9 * self.clock_hz - 1e-9))


def _check_bounds(h: HierarchyConfig) -> None:
    """Upper bounds (janus1.limits): times and counts that keep cycle arithmetic inside
    int64, and simulator state (about 32 bytes per cache line) within the buffer limit."""
    from ..limits import check_buffer, check_float, check_int

    check_float(h.clock_hz, "hierarchy: clock", hi=1e12)
    check_int(h.issue_interval_cycles, "hierarchy: issue_interval_cycles", hi=1 << 32)
    check_float(h.memory.latency_ns, "memory: latency_ns", hi=1e12)
    check_float(h.memory.bandwidth_bytes_per_s, "memory: bandwidth", hi=1e18)
    lines = 0
    for lv in h.level:
        w = f"level {lv.name!r}"
        check_int(lv.size_bytes, f"{w}: size", hi=1 << 50)
        check_int(lv.line_bytes, f"{w}: line", hi=1 << 20)
        check_int(lv.base_bytes, f"{w}: base", lo=0, hi=1 << 62)
        for name in ("hit_latency_cycles", "bank_busy_cycles"):
            check_int(getattr(lv, name), f"{w}: {name}", hi=1 << 32)
        for name in ("banks", "slices", "mshrs"):
            check_int(getattr(lv, name), f"{w}: {name}", hi=1 << 16)
        for name in ("refresh_interval_ns", "refresh_busy_ns"):
            check_float(getattr(lv, name), f"{w}: {name}", hi=1e12)
        if lv.kind == "cache":
            lines += lv.lines
    check_buffer(32 * lines, f"simulator state for {lines} cache lines", source="hierarchy",
                 error=ConfigError)


def hierarchy_presets() -> list[str]:
    """Names of the shipped hierarchy presets."""
    from ..presets import preset_names

    return preset_names("hierarchies")


def load_hierarchy(src: str | Path | Mapping[str, Any] | HierarchyConfig,
                   overrides: tuple[str, ...] | list[str] = ()) -> HierarchyConfig:
    """Load a hierarchy from a preset name, a TOML path, a dict or a config.

    Args:
        src: a preset name (``janus-1``, ``two-level``), a path to a TOML file, a
            dict with the TOML structure, or an existing :class:`HierarchyConfig`.
        overrides: ``--set`` style ``key.path=value`` strings (``level.L2.size=1MiB``).

    Returns:
        The validated :class:`HierarchyConfig`.

    Raises:
        ConfigError: malformed or impossible hierarchy.
        InputError: unknown preset or missing file.
    """
    from ..limits import path_exists
    from ..presets import load_preset

    if isinstance(overrides, str) or not all(isinstance(o, str) for o in overrides):
        raise InputError("overrides must be a list of key=value strings")
    if isinstance(src, HierarchyConfig):
        if not overrides:
            return src
        from ..config import to_dict

        data: dict[str, Any] = to_dict(src)
        source = f"hierarchy {src.name or '(object)'}"
        if src.memory.dram:
            # derived from the DRAM model: recomputed (an override may change the DRAM)
            for key in ("latency_ns", "bandwidth_bytes_per_s"):
                data["memory"].pop(key, None)
    elif isinstance(src, Mapping):
        data = dict(src)
        source = "hierarchy (dict)"
    else:
        s = str(src)
        p = Path(s)
        if p.suffix.lower() == ".toml" or path_exists(p):
            if not path_exists(p):
                raise InputError(f"{p}: no such hierarchy file")
            data = load_toml(p)
            data.setdefault("name", p.stem)
            source = str(p)
            mem = data.get("memory")
            if isinstance(mem, dict) and isinstance(mem.get("dram"), str):
                # a DRAM file named relative to the hierarchy file
                rel = p.parent / mem["dram"]
                if mem["dram"].lower().endswith((".ini", ".toml")) and path_exists(rel):
                    mem["dram"] = str(rel)
        else:
            if s.lower() not in hierarchy_presets():
                raise InputError(f"unknown hierarchy {s!r}: not a preset (known: "
                                 f"{', '.join(hierarchy_presets())}) nor a .toml file")
            data = load_preset("hierarchies", s)
            source = f"hierarchy preset {s}"
    mem = data.get("memory")
    had_dram = isinstance(mem, dict) and bool(mem.get("dram"))
    if any(o.split("=", 1)[0].strip() == "memory.dram" for o in overrides):
        # a DRAM model replaces the fixed-latency memory: its latency and bandwidth
        # are the model's (unless these overrides set them too, which is checked)
        if isinstance(mem, dict):
            data = {**data, "memory": {k: v for k, v in mem.items()
                                       if k not in _FIXED_ONLY_KEYS}}
    if overrides:
        try:
            data = apply_overrides(data, list(overrides))
        except (TypeError, KeyError, IndexError, AttributeError) as exc:
            # a path through a scalar (``name.x=1``); issue 12 makes apply_overrides say so
            raise ConfigError(f"--set {', '.join(overrides)[:120]}: a key path goes through "
                              f"a value that is not a table ({type(exc).__name__})") from None
    if "level" not in data:
        raise ConfigError(f"{source}: needs at least one [[level]] table")
    mem = data.get("memory")
    if had_dram and isinstance(mem, dict) and not mem.get("dram") and not any(
            k in mem for k in _FIXED_ONLY_KEYS[:4]):
        # removing the DRAM model must say what replaces it (not the built-in default)
        raise ConfigError(f"{source}: memory.dram removed: give the fixed-latency memory's "
                          f"memory.latency_ns and memory.bandwidth_bytes_per_s too")
    return from_dict(HierarchyConfig, data, source=source)
