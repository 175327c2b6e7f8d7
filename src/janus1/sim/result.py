"""What a simulation returns: :class:`SimResult` (with one :class:`LevelStats` per level).

Both are frozen dataclasses; ``SimResult.to_dict()`` is the JSON of ``janus1 simulate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .layout import G_LAT_MAX, G_LAT_SUM

__all__ = ["LevelStats", "SimResult", "LATENCY_KEYS", "latency_summary", "histogram_latency"]

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

    def minus(self, before: SimResult) -> SimResult:
        """The counters of the accesses this run made after ``before``'s, when ``before``
        ran a prefix of this run's trace on the same hierarchy (a steady-state step =
        the run with two steps minus the run with one). Counters, cycles, stalls and
        energies subtract; rates (bandwidths, hit rates, prefetch accuracy and coverage)
        and the latency percentiles are those of the difference."""
        def d(x: Any, y: Any) -> Any:
            return None if x is None else x - (y or 0)

        seconds = d(self.seconds, before.seconds)
        levels = tuple(_level_sub(a, b, seconds) for a, b in zip(self.levels, before.levels))
        mem = {k: d(v, before.memory.get(k)) if k in _MEM_COUNTS else v
               for k, v in self.memory.items()}
        pf = {k: d(v, before.prefetch.get(k)) if k in _PF_COUNTS else v
              for k, v in self.prefetch.items()}
        hist = (self.histogram - before.histogram if self.histogram.size
                else self.histogram)
        return replace(
            self, accesses=self.accesses - before.accesses,
            line_accesses=self.line_accesses - before.line_accesses,
            stores=self.stores - before.stores, cycles=d(self.cycles, before.cycles),
            seconds=seconds, levels=levels, memory=_memory_rates(mem, seconds),
            latency=(histogram_latency(hist) if hist.size else dict(self.latency)),
            prefetch=_prefetch_rates(pf, levels[0].misses),
            stall_cycles=d(self.stall_cycles, before.stall_cycles),
            energy_pj=d(self.energy_pj, before.energy_pj), histogram=hist)

    def scaled(self, factor: float) -> SimResult:
        """Every counter, cycle count, stall, energy and time times ``factor`` (a part
        of a workload standing for the whole; counts become floats). Rates and the
        latency percentiles and histogram (a distribution) are unchanged."""
        def m(x: Any) -> Any:
            return None if x is None else x * factor

        def level(lv: LevelStats) -> LevelStats:
            scaled: dict[str, Any] = {k: m(getattr(lv, k)) for k in _LEVEL_COUNTS}
            return replace(lv, **scaled)

        levels = tuple(level(lv) for lv in self.levels)
        return replace(
            self, accesses=m(self.accesses), line_accesses=m(self.line_accesses),
            stores=m(self.stores), cycles=m(self.cycles), seconds=m(self.seconds),
            levels=levels,
            memory={k: m(v) if k in _MEM_COUNTS else v for k, v in self.memory.items()},
            prefetch={k: m(v) if k in _PF_COUNTS else v for k, v in self.prefetch.items()},
            stall_cycles=m(self.stall_cycles), energy_pj=m(self.energy_pj))

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


def dram_columns(mem: Any, dstats: Any, timed: bool) -> dict[str, Any]:
    """The backing store's part of ``SimResult.memory``: which model, its idle latency,
    and with the DRAM model (``dstats``: :class:`janus1.sim.dram.backing.BackingStats`)
    its commands, row hits and energy split (None with the fixed-latency model or in a
    counts-only run)."""
    out: dict[str, Any] = {
        "model": "dram" if mem.dram else "fixed-latency",
        "dram": mem.dram or None,
        "idle_latency_ns": mem.latency_ns,
    }
    d = dstats
    for key, value in (
            ("dram_cycles", None if d is None else d.cycles),
            ("read_cmds", None if d is None else d.read_cmds),
            ("read_row_hits", None if d is None else d.read_row_hits),
            ("write_cmds", None if d is None else d.write_cmds),
            ("act_cmds", None if d is None else d.act_cmds),
            ("pre_cmds", None if d is None else d.pre_cmds),
            ("ref_cmds", None if d is None else d.ref_cmds + d.refb_cmds),
            ("forwarded_reads", None if d is None else d.forwarded_reads),
            ("energy_background_pj", None if d is None else
             d.energy.active_standby + d.energy.precharge_standby),
            ("energy_refresh_pj", None if d is None else
             d.energy.refresh + d.energy.refresh_bank)):
        out[key] = value
    out["dram_read_bursts"] = None if d is None else d.read_bursts
    out["dram_read_latency_sum_ns"] = (None if d is None or d.read_latency_mean is None
                                       else d.read_latency_mean * d.read_bursts * d.tck_ns)
    out["row_hit_rate"] = (d.row_hit_rate if d is not None else None)
    out["dram_read_latency_mean_ns"] = (d.read_latency_mean * d.tck_ns
                                        if d is not None and d.read_latency_mean is not None
                                        else None)
    if not timed:
        out["model"] = out["model"] + " (counts only: no timing)"
    return out


# The additive fields of the results (see SimResult.minus and .scaled).
_LEVEL_COUNTS = ("hits", "misses", "evictions", "writebacks", "fills", "prefetch_fills",
                 "writebacks_in", "stores", "bypasses", "bytes_moved", "bank_wait_cycles",
                 "refresh_wait_cycles", "mshr_wait_cycles", "energy_pj")
_MEM_COUNTS = ("reads", "writes", "read_bytes", "write_bytes", "bytes_moved",
               "queue_wait_cycles", "energy_pj", "dram_cycles", "read_cmds", "read_row_hits",
               "write_cmds", "act_cmds", "pre_cmds", "ref_cmds", "forwarded_reads",
               "energy_background_pj", "energy_refresh_pj", "dram_read_bursts",
               "dram_read_latency_sum_ns")
_PF_COUNTS = ("issued", "useful", "late", "useless", "dropped", "redundant")


def _level_sub(a: LevelStats, b: LevelStats, seconds: float | None) -> LevelStats:
    diff: dict[str, Any] = {k: (None if getattr(a, k) is None else
                                getattr(a, k) - (getattr(b, k) or 0)) for k in _LEVEL_COUNTS}
    out = replace(a, **diff)
    return replace(out, bandwidth_bytes_per_s=(out.bytes_moved / seconds if seconds
                                               else None))


def _memory_rates(mem: dict[str, Any], seconds: float | None) -> dict[str, Any]:
    moved = mem["bytes_moved"]
    bw = moved / seconds if seconds else None
    rd, hits = mem.get("read_cmds"), mem.get("read_row_hits")
    n, lat = mem.get("dram_read_bursts"), mem.get("dram_read_latency_sum_ns")
    return {**mem, "bandwidth_bytes_per_s": bw,
            "utilization": bw / mem["peak_bandwidth_bytes_per_s"] if bw is not None else None,
            "row_hit_rate": hits / rd if rd and hits is not None else None,
            "dram_read_latency_mean_ns": lat / n if n and lat is not None else None}


def _prefetch_rates(pf: dict[str, Any], misses0: float) -> dict[str, Any]:
    issued, useful = pf["issued"], pf["useful"]
    return {**pf, "coverage": useful / (useful + misses0) if useful + misses0 else 0.0,
            "accuracy": useful / issued if issued else 0.0}


def histogram_latency(hist: np.ndarray, *, max_cycles: float | None = None,
                      sum_cycles: float | None = None) -> dict[str, float | None]:
    """Nearest-rank percentiles (``LATENCY_KEYS``), max and mean of a latency histogram
    (bin i = i cycles; the histogram's last bin collects the overflow, reported as
    ``max_cycles``). ``max_cycles`` and ``sum_cycles`` default to what the bins say.
    All None for an empty histogram. The one percentile routine of the simulator."""
    bins = hist.size
    n = int(hist.sum()) if hist.size else 0
    if n <= 0:
        return {k: None for k in LATENCY_KEYS}
    top = float(np.flatnonzero(hist)[-1])
    max_c = top if max_cycles is None else float(max_cycles)
    cum = np.cumsum(hist)
    out: dict[str, float | None] = {}
    for key, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999),
                   ("p9999", 0.9999)):
        # the smallest latency L with at least q*n accesses at or below L (nearest rank)
        rank = max(1, int(np.ceil(q * n - 1e-9)))
        idx = int(np.searchsorted(cum, rank))
        out[key] = float(idx if idx < bins - 1 else max_c)
    out["max"] = max_c
    out["mean"] = (float(sum_cycles) if sum_cycles is not None else
                   float(np.dot(hist, np.arange(hist.size, dtype=np.float64)))) / n
    return out


def latency_summary(hist: np.ndarray, g: np.ndarray) -> dict[str, float | None]:
    """The latency percentiles (nearest rank), maximum and mean of the kernel's latency
    histogram (``g``: the kernel's global counters: the largest latency and their sum)."""
    # only the bins up to the largest latency can be non-zero: the rest of the 2^20
    # bins is not scanned (it cost about 5 ms per call)
    hist = hist[: min(int(g[G_LAT_MAX]) + 1, hist.size)] if hist.size else hist
    return histogram_latency(hist, max_cycles=float(g[G_LAT_MAX]),
                             sum_cycles=float(g[G_LAT_SUM]))
