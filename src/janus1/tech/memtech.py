"""One macro per memory technology at one capacity and node, with the power it draws at a
stated read rate: the seed's step-3 technology table (``janus1 memtech``, the study's
``tech_compare``).

The seed's "MB/W" (capacity / total power) rewards a large idle memory and ignores how
much data it delivers. janus1 reports the energy per bit delivered at a stated access
rate instead: (static + dynamic power) / (bits read per second). It is what a decode
step pays per bit it streams, it falls as a memory is used more (static power
amortised) and it can be compared across capacities. mW per MiB retained is also
given, the cost of just holding data.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ..errors import ConfigError
from .memory import RETICLE_LIMIT_MM2, MacroResult, macro
from .nodes import NodeInfo

__all__ = ["MemtechRow", "memtech_rows", "DEFAULT_BANDWIDTH"]

DEFAULT_BANDWIDTH = "64GB/s"   # read traffic the dynamic column assumes (64-B accesses)


# The macro figures a row reports, in the order of the ``technologies`` JSON rows.
_MACRO_KEYS = ("tech", "cell", "node_nm", "capacity_bytes", "banks", "area_mm2",
               "density_mbit_per_mm2", "read_energy_pj", "write_energy_pj", "leakage_mw",
               "refresh_mw", "retention_us", "latency_ns", "write_latency_ns")


@dataclass(frozen=True, slots=True, kw_only=True)
class MemtechRow:
    """One technology's macro and its power at the stated read rate."""

    macro: MacroResult
    static_w: float
    dynamic_w: float
    total_w: float
    pj_per_bit_delivered: float       # (static + dynamic) / (bandwidth x 8)
    static_mw_per_mib: float          # the cost of holding data

    def to_dict(self) -> dict[str, Any]:
        """JSON-able (the ``technologies`` rows of ``janus1 memtech --json``)."""
        m = self.macro
        d: dict[str, Any] = {k: getattr(m, k) for k in _MACRO_KEYS}
        d.update({f.name: getattr(self, f.name) for f in fields(self) if f.name != "macro"})
        d["temperature_c"] = m.temperature_c
        d["warnings"] = list(m.warnings)
        return d


def memtech_rows(capacity_bytes: int, node: str | NodeInfo, *,
                 techs: list[tuple[str, str | None]], banks: int, temperature_c: float,
                 bandwidth_bytes_per_s: float, block_bytes: int = 64) -> list[MemtechRow]:
    """One row per ``(technology, cell)``.

    Raises:
        ConfigError: a single technology asked for whose macro exceeds a reticle.
    """
    rows = []
    rate = bandwidth_bytes_per_s / block_bytes
    for tech, cell in techs:
        m = macro(tech, capacity_bytes, node, cell=cell, banks=banks, block_bytes=block_bytes,
                  temperature_c=temperature_c)
        if m.area_mm2 > RETICLE_LIMIT_MM2 and len(techs) == 1:
            raise ConfigError(m.warnings[-1])
        static_w = m.static_mw * 1e-3
        dyn_w = m.dynamic_w(rate)
        rows.append(MemtechRow(
            macro=m, static_w=static_w, dynamic_w=dyn_w, total_w=static_w + dyn_w,
            pj_per_bit_delivered=(static_w + dyn_w) / (bandwidth_bytes_per_s * 8) * 1e12,
            static_mw_per_mib=m.static_mw / (capacity_bytes / 2 ** 20)))
    return rows
