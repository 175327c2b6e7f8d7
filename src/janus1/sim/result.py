"""What a simulation returns: :class:`SimResult` (with one :class:`LevelStats` per level).

Both are frozen dataclasses; ``SimResult.to_dict()`` is the JSON of ``janus1 simulate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .layout import G_LAT_MAX, G_LAT_SUM

__all__ = ["LevelStats", "SimResult", "LATENCY_KEYS", "latency_summary"]

LATENCY_KEYS = ("p50", "p90", "p99", "p999", "p9999", "max", "mean")


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelStats:
    """Counters of one level. Demand lookups from the level above (or the core) and
    prefetch lookups below the first level count as hits or misses; write-backs
    received from above are counted apart (``writebacks_in``)."""

    name: str
    hits: int
    misses: int
    evictions: int            # valid lines replaced
    writebacks: int           # dirty lines sent to the next level
    fills: int                # lines allocated (demand, prefetch or write-back)
    prefetch_fills: int       # lines allocated by prefetches
    writebacks_in: int        # write-backs / write-throughs received from above
    stores: int               # demand stores seen (first level only)
    bypasses: int             # scratchpad: accesses outside its range
    line_bytes: int
    bytes_moved: int          # (fills + writebacks) * line: traffic with the level below
    bandwidth_bytes_per_s: float | None  # bytes_moved over the simulated time
    bank_wait_cycles: int
    refresh_wait_cycles: int
    mshr_wait_cycles: int
    energy_pj: float | None   # from the level's read/write energy, if given

    @property
    def accesses(self) -> int:
        """Lookups (hits + misses)."""
        return self.hits + self.misses

    @property
    def hit_rate(self) -> float:
        """hits / lookups (0 when there were none)."""
        return self.hits / self.accesses if self.accesses else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values, with ``accesses`` and ``hit_rate`` added."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["accesses"] = self.accesses
        d["hit_rate"] = self.hit_rate
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class SimResult:
    """What a simulation returns. ``to_dict()`` gives the JSON of ``janus1 simulate``."""

    hierarchy: str
    prefetcher: str
    prefetch_options: dict[str, Any]
    counts_only: bool
    accesses: int                  # trace accesses
    line_accesses: int             # first-level line accesses (a line-crossing access is 2)
    stores: int
    cycles: int | None             # completion of the last access (timed mode)
    seconds: float | None          # cycles / clock
    clock_hz: float
    levels: tuple[LevelStats, ...]
    memory: dict[str, Any]         # DRAM: reads, writes, bytes, bandwidth, queue wait
    latency: dict[str, float | None]  # p50 p90 p99 p999 p9999 max mean, in cycles
    prefetch: dict[str, Any]       # issued useful late useless dropped redundant coverage accuracy
    stall_cycles: int | None       # cycles the core could not issue (all MSHRs busy)
    energy_pj: float | None        # total energy, when the hierarchy gives energies
    histogram: np.ndarray = field(repr=False, compare=False,
                                  default_factory=lambda: np.zeros(0, np.int64))

    def level(self, name: str) -> LevelStats:
        """The stats of the level called ``name``."""
        for lv in self.levels:
            if lv.name == name:
                return lv
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict: ``levels`` list, ``latency``, ``prefetch``, ``memory``, totals."""
        return {
            "hierarchy": self.hierarchy,
            "prefetcher": self.prefetcher,
            "prefetch_options": dict(self.prefetch_options),
            "counts_only": self.counts_only,
            "accesses": self.accesses,
            "line_accesses": self.line_accesses,
            "stores": self.stores,
            "cycles": self.cycles,
            "seconds": self.seconds,
            "clock_hz": self.clock_hz,
            "stall_cycles": self.stall_cycles,
            "levels": [lv.to_dict() for lv in self.levels],
            "memory": dict(self.memory),
            "latency": dict(self.latency),
            "prefetch": dict(self.prefetch),
            "energy_pj": self.energy_pj,
        }


def latency_summary(hist: np.ndarray, g: np.ndarray) -> dict[str, float | None]:
    """The latency percentiles (nearest rank), maximum and mean of a histogram of
    latencies in cycles (``g``: the kernel's global counters)."""
    hist_bins = hist.size  # the last bin collects every latency beyond it
    # no latency is above the maximum: only the bins up to it can be non-zero
    hist = hist[: min(int(g[G_LAT_MAX]) + 1, hist.size)] if hist.size else hist
    n = int(hist.sum())
    if n == 0:
        return {k: None for k in LATENCY_KEYS}
    cum = np.cumsum(hist)
    out: dict[str, float | None] = {}
    for key, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999),
                   ("p9999", 0.9999)):
        # the smallest latency L with at least q*n accesses at or below L (nearest rank)
        rank = max(1, int(np.ceil(q * n - 1e-9)))
        idx = int(np.searchsorted(cum, rank))
        out[key] = float(idx if idx < hist_bins - 1 else g[G_LAT_MAX])
    out["max"] = float(g[G_LAT_MAX])
    out["mean"] = float(g[G_LAT_SUM]) / n
    return out
