"""Run a trace through a hierarchy: state set-up, chunk loop, results.

:func:`simulate` is the public entry point. It builds the integer state arrays once,
feeds every chunk of the trace to the compiled kernel (:mod:`janus1.sim._kernel`),
and turns the counters into a :class:`SimResult`. Feeding a trace chunk by chunk gives
exactly the result of feeding it at once: all state lives in the arrays.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import ConfigError, InputError
from . import _fast as F
from . import _kernel as K
from .config import HierarchyConfig, load_hierarchy
from .prefetch import build_prefetcher

__all__ = ["LevelStats", "SimResult", "simulate", "Simulator", "LATENCY_KEYS",
           "histogram_latency"]

LATENCY_KEYS = ("p50", "p90", "p99", "p999", "p9999", "max", "mean")
_HIST_BINS = 1 << 20  # latencies up to ~1M cycles are binned exactly; above, the last bin
_POLICY = {"lru": K.LRU, "fifo": K.FIFO, "random": K.RANDOM, "srrip": K.SRRIP}


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


# The additive fields of the results (see SimResult.minus and .scaled).
_LEVEL_COUNTS = ("hits", "misses", "evictions", "writebacks", "fills", "prefetch_fills",
                 "writebacks_in", "stores", "bypasses", "bytes_moved", "bank_wait_cycles",
                 "refresh_wait_cycles", "mshr_wait_cycles", "energy_pj")
_MEM_COUNTS = ("reads", "writes", "read_bytes", "write_bytes", "bytes_moved",
               "queue_wait_cycles", "energy_pj")
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
    return {**mem, "bandwidth_bytes_per_s": bw,
            "utilization": bw / mem["peak_bandwidth_bytes_per_s"] if bw is not None else None}


def _prefetch_rates(pf: dict[str, Any], misses0: float) -> dict[str, Any]:
    issued, useful = pf["issued"], pf["useful"]
    return {**pf, "coverage": useful / (useful + misses0) if useful + misses0 else 0.0,
            "accuracy": useful / issued if issued else 0.0}


def histogram_latency(hist: np.ndarray, *, max_cycles: float | None = None,
                      sum_cycles: float | None = None) -> dict[str, float | None]:
    """Nearest-rank percentiles (``LATENCY_KEYS``), max and mean of a latency histogram
    (bin i = i cycles; the last of ``_HIST_BINS`` bins collects the overflow, reported
    as ``max_cycles``). ``max_cycles`` and ``sum_cycles`` default to what the bins say.
    All None for an empty histogram. The one percentile routine of the simulator."""
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
        out[key] = float(idx if idx < _HIST_BINS - 1 else max_c)
    out["max"] = max_c
    out["mean"] = (float(sum_cycles) if sum_cycles is not None else
                   float(np.dot(hist, np.arange(hist.size, dtype=np.float64)))) / n
    return out


def _as_chunk(obj: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(addr int64, kinds uint8 or empty, sizes int64 or empty, default size)."""
    empty_u8 = np.zeros(0, np.uint8)
    empty_i64 = np.zeros(0, np.int64)
    if isinstance(obj, np.ndarray):
        return _addr(obj), empty_u8, empty_i64, 8
    addr = getattr(obj, "addr", None)
    if addr is None and isinstance(obj, Mapping):
        addr = obj.get("addr")
        kind = obj.get("kind")
        size = obj.get("size")
        default = int(obj.get("access_bytes", 8))
    else:
        kind = getattr(obj, "kind", None)
        size = getattr(obj, "size", None)
        default = int(getattr(obj, "access_bytes", 8))
    if addr is None:
        raise InputError(f"trace chunk of type {type(obj).__name__} has no addresses")
    a = _addr(np.asarray(addr))
    k = empty_u8 if kind is None else np.ascontiguousarray(kind, dtype=np.uint8)
    s = empty_i64 if size is None else np.ascontiguousarray(size, dtype=np.int64)
    if k.size and k.size != a.size or s.size and s.size != a.size:
        raise InputError("trace chunk: kind/size arrays differ in length from addr")
    return a, k, s, max(default, 1)


def _addr(a: np.ndarray) -> np.ndarray:
    if a.ndim != 1:
        raise InputError(f"trace chunk: expected a 1-D address array, not shape {a.shape}")
    if a.dtype.kind not in "iu":
        raise InputError(f"trace chunk: addresses must be integers, not {a.dtype}")
    if a.dtype == np.uint64 and a.size and int(a.max()) >= 2**62:
        raise InputError("trace chunk: address above 2^62")
    # negative addresses are caught by the kernels as they read them (one pass, not two)
    return np.ascontiguousarray(a, dtype=np.int64)


def _negative(addr: np.ndarray, bad: int) -> InputError:
    return InputError(f"trace chunk: negative address {int(addr[bad])} at index {bad} "
                      "(the accesses before it were simulated)")


class Simulator:
    """A hierarchy with its state: feed chunks with :meth:`feed`, read :meth:`result`.

    Args:
        hierarchy: a :class:`HierarchyConfig` or anything :func:`load_hierarchy` takes.
        prefetcher: a registered prefetcher name (see ``janus1.sim.prefetch.REGISTRY``).
        counts_only: run the functional model only (hits, misses, evictions, write-backs;
            no latencies, banks, refresh or MSHRs).
        prefetch_options: values for the prefetcher's config (``{"lookahead": 16}``).
    """

    def __init__(self, hierarchy: Any, *, prefetcher: str = "stream",
                 counts_only: bool = False,
                 prefetch_options: Mapping[str, Any] | None = None) -> None:
        h = hierarchy if isinstance(hierarchy, HierarchyConfig) else load_hierarchy(hierarchy)
        self.h = h
        self.counts_only = counts_only
        self.pf_spec, self.pf_cfg, self.pf_state = build_prefetcher(prefetcher, prefetch_options)
        self.prefetch_options = dict(prefetch_options or {})
        if self.pf_spec.code and h.level[0].kind != "cache":
            raise ConfigError(f"prefetcher {self.pf_spec.name!r}: the first level "
                              f"{h.level[0].name!r} is a scratchpad; prefetchers fill a cache")
        n = len(h.level)
        P = np.zeros((n, K.NP), np.int64)
        l0 = h.level[0].line_bytes
        tbase = 0
        bbase = 0
        mbase = 0
        rbase = 0
        stamps = False
        for i, lv in enumerate(h.level):
            P[i, K.P_DSHIFT] = (lv.line_bytes // l0).bit_length() - 1
            P[i, K.P_LBYTES] = lv.line_bytes
            P[i, K.P_LSHIFT] = lv.line_bytes.bit_length() - 1
            P[i, K.P_HITLAT] = lv.hit_latency_cycles
            P[i, K.P_BANKS] = lv.total_banks
            P[i, K.P_BANKBUSY] = lv.bank_busy_cycles
            P[i, K.P_BANKBASE] = bbase
            nb = lv.total_banks
            P[i, K.P_BANKMASK] = nb - 1 if nb & (nb - 1) == 0 else -1
            bbase += lv.total_banks
            P[i, K.P_MSHRS] = lv.mshrs
            P[i, K.P_MSHRBASE] = mbase
            mbase += lv.mshrs
            if lv.refresh_interval_ns > 0:
                P[i, K.P_REFINT] = max(1, h.ns_to_cycles(lv.refresh_interval_ns))
                P[i, K.P_REFBUSY] = min(h.ns_to_cycles(lv.refresh_busy_ns),
                                        P[i, K.P_REFINT] - 1)
            P[i, K.P_WB] = int(lv.write_back)
            P[i, K.P_WA] = int(lv.write_allocate)
            if lv.kind == "scratchpad":
                P[i, K.P_SCRATCH] = 1
                P[i, K.P_SPLO] = lv.base_bytes // lv.line_bytes
                P[i, K.P_SPHI] = (lv.base_bytes + lv.size_bytes) // lv.line_bytes
                P[i, K.P_SETS] = 1
                P[i, K.P_WAYS] = 1
                P[i, K.P_POW2] = 1
                P[i, K.P_TBASE] = tbase
                continue
            sets, ways = lv.sets, lv.n_ways
            P[i, K.P_SETS] = sets
            P[i, K.P_WAYS] = ways
            P[i, K.P_POW2] = int(sets & (sets - 1) == 0)
            P[i, K.P_MASK] = sets - 1
            P[i, K.P_TBASE] = tbase
            P[i, K.P_POLICY] = _POLICY[lv.replacement]
            tbase += sets * ways
            if lv.replacement in ("lru", "fifo"):
                if ways <= 16:
                    # the set's order in one word of 4-bit ranks (see _kernel)
                    P[i, K.P_RECW] = 1
                    P[i, K.P_RBASE] = rbase
                    rbase += sets
                else:
                    stamps = True
        self.P = P
        # the general kernel's tags hold line + 1 (0 = invalid): zeroed lazily by the OS
        self.tags = F.aligned_zeros(max(tbase, 1))
        self.meta = np.zeros(max(tbase, 1), np.uint8)
        self.ready = np.zeros(max(tbase, 1) if not counts_only else 1, np.int64)
        # per-way stamps only for LRU/FIFO levels of more than 16 ways
        self.stamp = np.zeros(max(tbase, 1) if stamps else 1, np.int64)
        self.krec = np.zeros(max(rbase, 1), np.int64)
        for i, lv in enumerate(h.level):
            if P[i, K.P_RECW]:
                # rank r holds way W-1-r: invalid ways are taken way 0 first, as with
                # stamps (the least recent first, ties to the lowest way)
                w = lv.n_ways
                word = sum((w - 1 - r) << (4 * r) for r in range(w))
                lo = int(P[i, K.P_RBASE])
                self.krec[lo: lo + lv.sets] = word - (1 << 64) if word >= 2**63 else word
        self.mshr = np.zeros(mbase, np.int64)
        self.mhead = np.zeros(n, np.int64)
        self.bankfree = np.zeros(bbase, np.int64)
        self.bankoff = np.zeros(bbase, np.int64)
        for i in range(n):
            nb, lo = int(P[i, K.P_BANKS]), int(P[i, K.P_BANKBASE])
            self.bankoff[lo: lo + nb] = (np.arange(nb, dtype=np.int64) * int(P[i, K.P_REFINT])
                                         ) // nb
        self.rng = np.array([(lv.seed * 0x9E3779B97F4A7C15 + 0x2545F4914F6CDD1D + i)
                             % (2**63 - 1) or 1 for i, lv in enumerate(h.level)], np.int64)
        self.stats = np.zeros((n, K.NS), np.int64)
        self.g = np.zeros(K.NG, np.int64)
        self.g[K.G_LAST] = -1
        self.g[K.G_LASTSLOT] = -1
        self.f = np.zeros(2, np.float64)
        self.hist = np.zeros(_HIST_BINS if not counts_only else 1, np.int64)
        self.mp = np.array([h.ns_to_cycles(h.memory.latency_ns),
                            h.memory.bandwidth_bytes_per_s / h.clock_hz], np.float64)
        self.pf_out = np.zeros(64, np.int64)
        self.mtmp = np.zeros(n, np.int64)
        # the counts-only LRU/FIFO kernel (its own state layout) when it applies
        self.fast = (counts_only and self.pf_spec.code == 0 and all(
            lv.kind == "cache" and lv.replacement in ("lru", "fifo") and lv.write_back
            and lv.write_allocate and lv.n_ways <= F.MAX_WAYS for lv in h.level))
        if self.fast:
            shape = []
            rbase = 0
            fbase = 0
            for i, lv in enumerate(h.level):
                shape.append(F.FastLevel(ways=lv.n_ways, dshift=int(P[i, K.P_DSHIFT]),
                                         sets=lv.sets, fifo=lv.replacement == "fifo",
                                         line_bytes=lv.line_bytes, tbase=fbase,
                                         rbase=rbase))
                rbase += lv.sets
                # each level starts on a 64-byte boundary: an 8-way set is one host line
                fbase += -(-lv.sets * lv.n_ways // 8) * 8
            self.tags = F.aligned_zeros(max(fbase, 1))  # line + 1, 0 = invalid
            self.meta = np.zeros(max(fbase, 1), np.uint8)
            self.rec = np.zeros(rbase, np.int64)
            for i, lv in enumerate(h.level):
                order = sum(k << (4 * k) for k in range(lv.n_ways))
                if order >= 2**63:
                    order -= 2**64
                self.rec[shape[i].rbase: shape[i].rbase + lv.sets] = order
            self._fast_shape = shape
            self._fast_run = F.get_fast_kernel(shape, stores=False)
            self._fast_stores = False
        else:
            # JANUS1_SIM_SPECIALIZE=0: one kernel per prefetcher for every hierarchy (fewer
            # compilations, ~20% slower); by default the structure is compiled in
            spec_on = os.environ.get("JANUS1_SIM_SPECIALIZE", "1") != "0"
            self._run, self._unused = K.get_kernel(self.pf_spec.hook,
                                                   K.shape_key(P) if spec_on else None)

    def feed(self, chunk: Any) -> None:
        """Simulate one chunk (an address array or a chunk with ``addr``/``kind``/``size``).

        Raises:
            InputError: a malformed chunk, or a negative address (the accesses before
                it have then been simulated).
        """
        addr, kinds, sizes, default = _as_chunk(chunk)
        if addr.size == 0:
            return
        if self.fast:
            if not self._fast_stores and kinds.size and kinds.any():
                # from the first store on, the kernel that tracks dirty lines
                self._fix_evictions()
                self._fast_run = F.get_fast_kernel(self._fast_shape, stores=True)
                self._fast_stores = True
            bad = self._fast_run(addr, kinds, sizes, default, self.tags, self.meta, self.rec,
                                 self.stats, self.g)
            if bad >= 0:
                raise _negative(addr, bad)
            return
        bad = self._run(addr, kinds, sizes, default, not self.counts_only, self.P, self.mp,
                  self.tags, self.meta, self.ready, self.stamp, self.krec, self.mshr,
                  self.mhead,
                  self.bankfree, self.bankoff,
                  self.rng,
                  self.stats, self.g, self.f, self.hist, self.pf_state, self.pf_out,
                  self.mtmp, self.h.issue_interval_cycles)
        if bad >= 0:
            raise _negative(addr, bad)

    def _fix_evictions(self) -> None:
        """The loads-only fast kernel does not count evictions: with no invalidation,
        every fill beyond the lines now valid evicted one."""
        for i, lv in enumerate(self.h.level):
            lo = self._fast_shape[i].tbase
            valid = int(np.count_nonzero(self.tags[lo: lo + lv.lines]))
            self.stats[i, K.S_EVICT] = self.stats[i, K.S_FILLS] - valid

    def result(self) -> SimResult:
        """The counters so far as a :class:`SimResult`."""
        if self.fast and not self._fast_stores:
            self._fix_evictions()
        h, g, S = self.h, self.g, self.stats
        timed = not self.counts_only
        cycles = int(g[K.G_END]) if timed else None
        seconds = cycles / h.clock_hz if timed and cycles else (0.0 if timed else None)
        levels = []
        total_e: float | None = None
        for i, lv in enumerate(h.level):
            s = S[i]
            moved = int((s[K.S_FILLS] + s[K.S_WB]) * lv.line_bytes)
            e = None
            if lv.read_energy_pj is not None or lv.write_energy_pj is not None:
                e = (int(s[K.S_HITS] + s[K.S_MISSES]) * (lv.read_energy_pj or 0.0)
                     + int(s[K.S_FILLS] + s[K.S_WBIN]) * (lv.write_energy_pj or 0.0))
                total_e = (total_e or 0.0) + e
            levels.append(LevelStats(
                name=lv.name, hits=int(s[K.S_HITS]), misses=int(s[K.S_MISSES]),
                evictions=int(s[K.S_EVICT]), writebacks=int(s[K.S_WB]),
                fills=int(s[K.S_FILLS]), prefetch_fills=int(s[K.S_PFFILLS]),
                writebacks_in=int(s[K.S_WBIN]), stores=int(s[K.S_STORES]),
                bypasses=int(s[K.S_BYPASS]), line_bytes=lv.line_bytes, bytes_moved=moved,
                bandwidth_bytes_per_s=(moved / seconds if seconds else None),
                bank_wait_cycles=int(s[K.S_BANKWAIT]), refresh_wait_cycles=int(s[K.S_REFWAIT]),
                mshr_wait_cycles=int(s[K.S_MSHRWAIT]), energy_pj=e))
        rd, wr = int(g[K.G_DRAM_RD]), int(g[K.G_DRAM_WR])
        mem = h.memory
        mem_e = None
        if mem.read_energy_pj_per_byte is not None or mem.write_energy_pj_per_byte is not None:
            mem_e = rd * (mem.read_energy_pj_per_byte or 0.0) + wr * (
                mem.write_energy_pj_per_byte or 0.0)
            total_e = (total_e or 0.0) + mem_e
        memory = {"name": mem.name, "reads": int(g[K.G_DRAM_REQ]), "writes": int(g[K.G_DRAM_WREQ]),
                  "read_bytes": rd, "write_bytes": wr, "bytes_moved": rd + wr,
                  "bandwidth_bytes_per_s": (rd + wr) / seconds if seconds else None,
                  "peak_bandwidth_bytes_per_s": mem.bandwidth_bytes_per_s,
                  "utilization": ((rd + wr) / seconds / mem.bandwidth_bytes_per_s
                                  if seconds else None),
                  "queue_wait_cycles": int(g[K.G_DRAM_QWAIT]) if timed else None,
                  "energy_pj": mem_e}
        latency = _latency(self.hist, g) if timed else {k: None for k in LATENCY_KEYS}
        issued = int(g[K.G_PF_ISSUED])
        useful = int(g[K.G_PF_USEFUL])
        resident = 0 if self.fast else int(self._unused(self.P, self.tags, self.meta))
        useless = int(g[K.G_PF_USELESS]) + resident
        misses0 = levels[0].misses
        prefetch = {"name": self.pf_spec.name, "issued": issued, "useful": useful,
                    "late": int(g[K.G_PF_LATE]) if timed else None, "useless": useless,
                    "dropped": int(g[K.G_PF_DROPPED]), "redundant": int(g[K.G_PF_REDUNDANT]),
                    "coverage": useful / (useful + misses0) if useful + misses0 else 0.0,
                    "accuracy": useful / issued if issued else 0.0}
        return SimResult(
            hierarchy=h.name, prefetcher=self.pf_spec.name,
            prefetch_options=self.prefetch_options, counts_only=self.counts_only,
            accesses=int(g[K.G_REQS]), line_accesses=int(g[K.G_LINEACC]),
            stores=int(g[K.G_STORES]), cycles=cycles, seconds=seconds, clock_hz=h.clock_hz,
            levels=tuple(levels), memory=memory, latency=latency, prefetch=prefetch,
            stall_cycles=int(g[K.G_STALL]) if timed else None, energy_pj=total_e,
            histogram=self._hist_copy() if timed else np.zeros(0, np.int64))

    def _hist_copy(self) -> np.ndarray:
        """A copy of the latency histogram (full length; only the bins up to the
        largest latency are copied, the rest of a fresh zeroed array is never written)."""
        out = np.zeros(self.hist.size, np.int64)
        k = min(int(self.g[K.G_LAT_MAX]) + 1, self.hist.size)
        out[:k] = self.hist[:k]
        return out


def _latency(hist: np.ndarray, g: np.ndarray) -> dict[str, float | None]:
    # no latency is above the maximum: only the bins up to it can be non-zero
    hist = hist[: min(int(g[K.G_LAT_MAX]) + 1, hist.size)] if hist.size else hist
    return histogram_latency(hist, max_cycles=float(g[K.G_LAT_MAX]),
                             sum_cycles=float(g[K.G_LAT_SUM]))


def simulate(hierarchy: Any, trace_chunks: Iterable[Any] | np.ndarray, prefetcher: str = "stream",
             counts_only: bool = False, *,
             prefetch_options: Mapping[str, Any] | None = None) -> SimResult:
    """Simulate a trace through a hierarchy.

    Args:
        hierarchy: a :class:`HierarchyConfig`, a preset name, a TOML path or a dict.
        trace_chunks: an iterable of chunks (1-D int address arrays of 8-byte loads, or
            :class:`janus1.trace.TraceChunk`), or a single address array.
        prefetcher: policy name: ``none``, ``next-line``, ``stride``, ``stream``.
        counts_only: run the exact functional model only (no timing).
        prefetch_options: the prefetcher's parameters, e.g. ``{"lookahead": 16}``.

    Returns:
        A :class:`SimResult`.

    Raises:
        ConfigError: impossible hierarchy or unknown prefetcher.
        InputError: malformed chunk.
    """
    sim = Simulator(hierarchy, prefetcher=prefetcher, counts_only=counts_only,
                    prefetch_options=prefetch_options)
    if isinstance(trace_chunks, np.ndarray) or hasattr(trace_chunks, "addr"):
        trace_chunks = [trace_chunks]
    for chunk in trace_chunks:
        sim.feed(chunk)
    return sim.result()
