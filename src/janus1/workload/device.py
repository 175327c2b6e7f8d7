"""DeviceSpec: the roofline view of a piece of hardware (or of a janus1 design).

A device is peak operations per second per precision plus an ordered list of memory
tiers (fastest first), each with a capacity and a bandwidth. The workload analysis
places weights and KV cache in tier 0 first and spills what does not fit to the next
tier. A :class:`janus1.design` DesignSpec produces the same object
(:func:`janus1.design.load_device` resolves device and design names alike), so
``janus1 analyze --device janus-1`` uses one code path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from ..config import from_dict, load_toml
from ..errors import ConfigError, InputError
from ..limits import path_exists
from ..presets import load_preset, preset_names
from ..precision import PRECISIONS, WIDENING, parse_precision

__all__ = ["MemoryTier", "Measurement", "DeviceSpec", "load_device", "device_presets"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryTier:
    """One level of memory as the roofline sees it."""

    name: str                      # e.g. "GDDR6", "T1 SRAM"
    capacity_bytes: int            # usable bytes
    bandwidth_bytes_per_s: float   # sustained bytes per second to the compute
    source: str = ""               # where the numbers come from

    def __post_init__(self) -> None:
        if self.capacity_bytes <= 0:
            raise ConfigError(f"tier {self.name}: capacity must be positive, "
                              f"not {self.capacity_bytes}")
        if self.bandwidth_bytes_per_s <= 0:
            raise ConfigError(f"tier {self.name}: bandwidth must be positive, "
                              f"not {self.bandwidth_bytes_per_s}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """How a measured device's numbers were obtained (``janus1 device measure``).

    The ``[measured]`` table of a device file. One device file describes the machine at
    one thread count; the kernels that define each peak are named in words.
    """

    threads: int                      # threads every kernel used
    cpu: str                          # processor model name (/proc/cpuinfo)
    cores: int = 0                    # cores the measuring process could use
    date_utc: str = ""                # when it was measured
    bandwidth_kernel: str = ""        # what defines tiers[0].bandwidth_bytes_per_s
    fp32_kernel: str = ""             # what defines peak_ops_per_s.fp32
    int8_kernel: str = ""             # what defines peak_ops_per_s.int8
    l1d_bytes: int = 0                # data cache per core (0: not reported)
    l2_bytes: int = 0
    l3_bytes: int = 0                 # last-level cache (shared)
    quick: bool = False               # measured with the small, rough test kernels
    engine: str = ""                  # inference engine the engine terms were measured with
    engine_kernel: str = ""           # how matvec_ops_per_s and step_overhead_s were measured

    def __post_init__(self) -> None:
        if self.threads < 1:
            raise ConfigError(f"measured.threads must be at least 1, not {self.threads}")
        for name in ("l1d_bytes", "l2_bytes", "l3_bytes"):
            if getattr(self, name) < 0:
                raise ConfigError(f"measured.{name} must not be negative")


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceSpec:
    """Peak compute per precision and memory tiers (fastest first).

    ``peak_ops_per_s`` maps a precision name (fp32, fp16, bf16, int8, int4) to
    operations per second, counting a multiply-accumulate as 2 operations. A precision
    that is missing falls back to the nearest wider one listed.
    """

    name: str
    source: str                               # citation for every number
    peak_ops_per_s: dict[str, float]          # precision -> ops/s (1 MAC = 2 ops)
    tiers: tuple[MemoryTier, ...]             # fastest first
    notes: tuple[str, ...] = field(default=())
    measured: Measurement | None = None       # how a measured device was measured
    # inference-engine terms, measured once per device (janus1 device measure --engine);
    # empty / 0 for devices described by their specifications
    matvec_ops_per_s: dict[str, float] = field(default_factory=dict)  # decode matrix-vector rate
    matmul_ops_per_s: dict[str, float] = field(default_factory=dict)  # prefill matrix-matrix rate
    step_overhead_s: float = 0.0              # fixed time of one forward pass

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ConfigError(f"device {self.name}: needs at least one memory tier")
        if not self.peak_ops_per_s:
            raise ConfigError(f"device {self.name}: needs peak_ops_per_s")
        for k, v in self.peak_ops_per_s.items():
            if k not in PRECISIONS:
                raise ConfigError(f"device {self.name}: peak_ops_per_s.{k}: unknown precision")
            if v <= 0:
                raise ConfigError(f"device {self.name}: peak_ops_per_s.{k} must be positive")
        for table in ("matvec_ops_per_s", "matmul_ops_per_s"):
            for k, v in getattr(self, table).items():
                if k not in PRECISIONS:
                    raise ConfigError(f"device {self.name}: {table}.{k}: unknown precision")
                if not (v > 0 and math.isfinite(v)):
                    raise ConfigError(f"device {self.name}: {table}.{k} must be positive")
        if not 0.0 <= self.step_overhead_s < 10.0:
            raise ConfigError(f"device {self.name}: step_overhead_s must lie in [0, 10) s, "
                              f"not {self.step_overhead_s}")
        object.__setattr__(self, "tiers", tuple(self.tiers))
        object.__setattr__(self, "notes", tuple(self.notes))

    def peak(self, precision: str) -> float:
        """Peak ops/s at ``precision`` (falls back to the nearest wider listed one)."""
        p = parse_precision(precision)
        if p.name in self.peak_ops_per_s:
            return self.peak_ops_per_s[p.name]
        for name in WIDENING[WIDENING.index(p.name) + 1:]:
            if name in self.peak_ops_per_s:
                return self.peak_ops_per_s[name]
        return max(self.peak_ops_per_s.values())

    def decode_peak(self, precision: str) -> float:
        """Ops/s of the decode phase's matrix-vector products at ``precision``: the
        measured engine rate when the device has one, never more than :meth:`peak`."""
        return self._engine_peak(self.matvec_ops_per_s, precision)

    def prefill_peak(self, precision: str) -> float:
        """Ops/s of the prefill phase's matrix products at ``precision``: the measured
        engine rate when the device has one, never more than :meth:`peak`."""
        return self._engine_peak(self.matmul_ops_per_s, precision)

    def _engine_peak(self, table: dict[str, float], precision: str) -> float:
        if not table:
            return self.peak(precision)
        p = parse_precision(precision)
        for name in WIDENING[WIDENING.index(p.name):]:
            if name in table:
                return min(table[name], self.peak(precision))
        return self.peak(precision)

    @property
    def capacity_bytes(self) -> int:
        """All tiers together."""
        return sum(t.capacity_bytes for t in self.tiers)


def device_presets() -> list[str]:
    """Names of the shipped device presets (designs are listed separately)."""
    return preset_names("devices")


def load_device(src: str | Path) -> DeviceSpec:
    """A DeviceSpec from a device preset or a device TOML file (``peak_ops_per_s`` and
    ``tiers``). Designs are resolved one floor up, by :func:`janus1.design.load_device`
    (``janus1 analyze --device janus-1``).

    Raises:
        InputError: unknown name or file.
        ConfigError: malformed device description.
    """
    s = str(src)
    if s.lower() in device_presets():
        return from_dict(DeviceSpec, load_preset("devices", s), source=f"device preset {s}")
    p = Path(s)
    if p.suffix == ".toml" and path_exists(p):
        data = load_toml(p)
        if "tiers" in data and "peak_ops_per_s" in data:
            data.setdefault("name", p.stem)
            return from_dict(DeviceSpec, data, source=str(p))
        raise ConfigError(f"{p}: not a device description (needs peak_ops_per_s and tiers)")
    if p.suffix or "/" in s:
        raise InputError(f"{s}: no such file")
    designs = preset_names("designs")
    if s.lower() in designs:
        raise InputError(f"{s!r} is a design, not a device preset (janus1.design.load_device "
                         f"resolves both)")
    raise InputError(f"unknown device {s!r} (known: {', '.join(device_presets() + designs)})")
