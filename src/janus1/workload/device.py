"""DeviceSpec: the roofline view of a piece of hardware (or of a janus1 design).

A device is peak operations per second per precision plus an ordered list of memory
tiers (fastest first), each with a capacity and a bandwidth. The workload analysis
places weights and KV cache in tier 0 first and spills what does not fit to the next
tier. A :class:`janus1.design` DesignSpec produces the same object, so
``janus1 analyze --device janus-1`` uses one code path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config import from_dict, load_toml
from ..errors import ConfigError, InputError
from ..limits import path_exists
from ..presets import load_preset, preset_names
from .precision import PRECISIONS, parse_precision

__all__ = ["MemoryTier", "DeviceSpec", "load_device", "device_presets"]


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
        object.__setattr__(self, "tiers", tuple(self.tiers))
        object.__setattr__(self, "notes", tuple(self.notes))

    def peak(self, precision: str) -> float:
        """Peak ops/s at ``precision`` (falls back to the nearest wider listed one)."""
        p = parse_precision(precision)
        if p.name in self.peak_ops_per_s:
            return self.peak_ops_per_s[p.name]
        order = ["int4", "int8", "fp16", "bf16", "fp32"]
        for name in order[order.index(p.name) + 1:]:
            if name in self.peak_ops_per_s:
                return self.peak_ops_per_s[name]
        return max(self.peak_ops_per_s.values())

    @property
    def capacity_bytes(self) -> int:
        """All tiers together."""
        return sum(t.capacity_bytes for t in self.tiers)


def device_presets() -> list[str]:
    """Names of the shipped device presets (designs are listed separately)."""
    return preset_names("devices")


def load_device(src: str | Path) -> DeviceSpec:
    """A DeviceSpec from a device preset, a design preset or a TOML file.

    Design presets and design TOML files (``[design]`` tables) are converted through
    ``janus1.design`` when that package is present.

    Raises:
        InputError: unknown name or file.
        ConfigError: malformed device description.
    """
    s = str(src)
    if s.lower() in device_presets():
        return from_dict(DeviceSpec, load_preset("devices", s), source=f"device preset {s}")
    p = Path(s)
    try:
        from .. import design as _design  # optional: the technology layer
    except ImportError:
        _design = None  # type: ignore[assignment]
    if p.suffix == ".toml" and path_exists(p):
        data = load_toml(p)
        if "tiers" in data and "peak_ops_per_s" in data:
            data.setdefault("name", p.stem)
            return from_dict(DeviceSpec, data, source=str(p))
        if _design is not None:
            return _design.load_design(p).device()
        raise ConfigError(f"{p}: not a device description (needs peak_ops_per_s and tiers)")
    if _design is not None and s.lower() in preset_names("designs"):
        return _design.load_design(s).device()
    known = device_presets() + preset_names("designs")
    if p.suffix or "/" in s:
        raise InputError(f"{s}: no such file")
    raise InputError(f"unknown device {s!r} (known: {', '.join(known)})")
