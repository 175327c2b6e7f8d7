"""The simulator's state: one class per kernel, each owning its array layout and the
arguments it passes to its compiled kernel.

- :class:`TimedState`: the timed kernel (:mod:`janus1.sim.kernels.timed`), used for
  every timed run and for counts-only runs the counts kernels do not cover.
- :class:`CountsState`: the counts-only kernels (:mod:`janus1.sim.kernels.counts`):
  LRU/FIFO write-back, write-allocate caches of at most 16 ways, no prefetcher.

Both keep ``stats[level, S_*]`` and ``g[G_*]`` (:mod:`janus1.sim.layout`), from which
:mod:`janus1.sim.result` builds the result. All state lives in the arrays, so a trace
fed chunk by chunk gives exactly the result of feeding it at once. numba is imported
only when a kernel is first needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import layout as L
from .config import HierarchyConfig, LevelConfig

if TYPE_CHECKING:
    from .dram.backing import DramBacking

__all__ = ["TimedState", "CountsState", "HIST_BINS", "aligned_zeros", "counts_kernels_apply"]

HIST_BINS = 1 << 20  # latencies up to ~1M cycles are binned exactly; above, the last bin


def aligned_zeros(n: int, dtype: Any = np.int64) -> np.ndarray:
    """``np.zeros(n, dtype)`` starting on a 64-byte boundary (a host cache line), left
    to the OS to zero (pages that are never touched are never written)."""
    size = np.dtype(dtype).itemsize
    buf = np.zeros(n + 64 // size, dtype)
    off = (-buf.ctypes.data % 64) // size
    return buf[off: off + n]


def _rank_word(order: list[int]) -> int:
    """A rank word (nibble r = the way at rank r) as an int64."""
    word = sum(way << (L.RANK_BITS * r) for r, way in enumerate(order))
    return word - (1 << 64) if word >= 2**63 else word


def counts_kernels_apply(h: HierarchyConfig, counts_only: bool, prefetches: bool) -> bool:
    """Whether the counts-only kernels cover a run: counts only, no prefetcher, every
    level a write-back, write-allocate LRU or FIFO cache of at most 16 ways."""
    return counts_only and not prefetches and all(
        lv.kind == "cache" and lv.replacement in ("lru", "fifo") and lv.write_back
        and lv.write_allocate and lv.n_ways <= L.MAX_RANK_WAYS for lv in h.level)


class _Params:
    """The per-level parameter table ``P[level, P_*]`` and where each level's slices of
    the shared arrays start."""

    def __init__(self, h: HierarchyConfig) -> None:
        n = len(h.level)
        P = np.zeros((n, L.NP), np.int64)
        l0 = h.level[0].line_bytes
        self.ways_total = 0   # tags/meta/ready/stamp entries
        self.banks_total = 0
        self.mshrs_total = 0
        self.rank_words = 0
        self.stamps = False   # some LRU/FIFO level of more than 16 ways
        for i, lv in enumerate(h.level):
            row = P[i]
            row[L.P_DSHIFT] = (lv.line_bytes // l0).bit_length() - 1
            row[L.P_LBYTES] = lv.line_bytes
            row[L.P_LSHIFT] = lv.line_bytes.bit_length() - 1
            row[L.P_HITLAT] = lv.hit_latency_cycles
            nb = lv.total_banks
            row[L.P_BANKS] = nb
            row[L.P_BANKBUSY] = lv.bank_busy_cycles
            row[L.P_BANKBASE] = self.banks_total
            row[L.P_BANKMASK] = nb - 1 if nb & (nb - 1) == 0 else -1
            self.banks_total += nb
            row[L.P_MSHRS] = lv.mshrs
            row[L.P_MSHRBASE] = self.mshrs_total
            self.mshrs_total += lv.mshrs
            if lv.refresh_interval_ns > 0:
                row[L.P_REFINT] = max(1, h.ns_to_cycles(lv.refresh_interval_ns))
                row[L.P_REFBUSY] = min(h.ns_to_cycles(lv.refresh_busy_ns),
                                       row[L.P_REFINT] - 1)
            row[L.P_WB] = int(lv.write_back)
            row[L.P_WA] = int(lv.write_allocate)
            row[L.P_TBASE] = self.ways_total
            if lv.kind == "scratchpad":
                row[L.P_SCRATCH] = 1
                row[L.P_SPLO] = lv.base_bytes // lv.line_bytes
                row[L.P_SPHI] = (lv.base_bytes + lv.size_bytes) // lv.line_bytes
                row[L.P_SETS] = 1
                row[L.P_WAYS] = 1
                row[L.P_POW2] = 1
                continue
            sets, ways = lv.sets, lv.n_ways
            row[L.P_SETS] = sets
            row[L.P_WAYS] = ways
            row[L.P_POW2] = int(sets & (sets - 1) == 0)
            row[L.P_MASK] = sets - 1
            row[L.P_POLICY] = L.POLICY_CODES[lv.replacement]
            self.ways_total += sets * ways
            if lv.replacement in ("lru", "fifo"):
                if ways <= L.MAX_RANK_WAYS:
                    row[L.P_RECW] = 1
                    row[L.P_RBASE] = self.rank_words
                    self.rank_words += sets
                else:
                    self.stamps = True
        self.P = P


class TimedState:
    """The timed kernel's state (see :mod:`janus1.sim.kernels.timed` for each array).

    Args:
        h: the hierarchy.
        timed: False for a counts-only run the counts kernels do not cover (no
            latencies, banks, refresh or MSHRs; the arrays they need stay tiny).
        on_access: the prefetcher's hook, pasted into the kernel.
        pf_state: the prefetcher's state array (updated in place).
        specialize: compile the hierarchy's structure into the kernel (faster; one
            compilation per structure) instead of the generic kernel (one per
            prefetcher for every hierarchy).
    """

    def __init__(self, h: HierarchyConfig, *, timed: bool, on_access: Callable[..., int],
                 pf_state: np.ndarray, specialize: bool = True) -> None:
        from .kernels.build import get_timed_kernel, structure_of

        n = len(h.level)
        par = _Params(h)
        self.h = h
        self.timed = timed
        self.P = par.P
        size = max(par.ways_total, 1)
        # tags hold line + 1 (0 = invalid): zeroed lazily by the OS
        self.tags = aligned_zeros(size)
        self.meta = np.zeros(size, np.uint8)
        self.ready = np.zeros(size if timed else 1, np.int64)
        self.stamp = np.zeros(size if par.stamps else 1, np.int64)
        self.rec = np.zeros(max(par.rank_words, 1), np.int64)
        for i, lv in enumerate(h.level):
            if self.P[i, L.P_RECW]:
                # rank r holds way W-1-r: invalid ways are taken way 0 first, as with
                # stamps (the least recent first, ties to the lowest way)
                lo = int(self.P[i, L.P_RBASE])
                self.rec[lo: lo + lv.sets] = _rank_word([lv.n_ways - 1 - r
                                                         for r in range(lv.n_ways)])
        self.mshr = np.zeros(par.mshrs_total, np.int64)
        self.mhead = np.zeros(n, np.int64)
        self.bankfree = np.zeros(par.banks_total, np.int64)
        self.bankoff = np.zeros(par.banks_total, np.int64)
        for i in range(n):
            nb, lo = int(self.P[i, L.P_BANKS]), int(self.P[i, L.P_BANKBASE])
            self.bankoff[lo: lo + nb] = (np.arange(nb, dtype=np.int64)
                                         * int(self.P[i, L.P_REFINT])) // nb
        self.rng = np.array([(lv.seed * 0x9E3779B97F4A7C15 + 0x2545F4914F6CDD1D + i)
                             % (2**63 - 1) or 1 for i, lv in enumerate(h.level)], np.int64)
        self.stats = np.zeros((n, L.NS), np.int64)
        self.g = np.zeros(L.NG, np.int64)
        self.g[L.G_LAST] = -1
        self.g[L.G_LASTSLOT] = -1
        self.f = np.zeros(1, np.float64)  # the DRAM channel's free time
        self.hist = np.zeros(HIST_BINS if timed else 1, np.int64)
        spec = h.memory.dram_spec()
        # the backing store (see the timed kernel's ``mp``): a DRAM model only matters
        # to a timed run (a counts-only run counts the same requests either way)
        self.dram: DramBacking | None = None
        if spec is not None and timed:
            from .dram.backing import DramBacking

            self.dram = DramBacking(spec, clock_hz=h.clock_hz,
                                    line_bytes=h.level[-1].line_bytes)
        h2d, d2h = self.dram.ratios if self.dram is not None else (0.0, 0.0)
        self.mp = np.array([h.ns_to_cycles(h.memory.latency_ns),
                            h.memory.bandwidth_bytes_per_s / h.clock_hz,
                            1.0 if self.dram is not None else 0.0, h2d, d2h], np.float64)
        self.dp = self.dram.dp if self.dram is not None else np.zeros(1, np.int64)
        self.ds = self.dram.ds if self.dram is not None else np.zeros(1, np.int64)
        self.pf = pf_state
        self.pf_out = np.zeros(64, np.int64)
        self.mtmp = np.zeros(n, np.int64)
        self._run, self._unused = get_timed_kernel(
            on_access, structure_of(self.P) if specialize else None)

    def run(self, addr: np.ndarray, kinds: np.ndarray, sizes: np.ndarray, default: int
            ) -> int:
        """Simulate one chunk; the index of a negative address, or -1."""
        return int(self._run(addr, kinds, sizes, default, self.timed, self.P, self.mp,
                             self.dp, self.ds, self.tags, self.meta, self.ready,
                             self.stamp, self.rec, self.mshr, self.mhead, self.bankfree,
                             self.bankoff, self.rng, self.stats, self.g, self.f, self.hist, self.pf, self.pf_out,
                             self.mtmp, self.h.issue_interval_cycles))

    def unused_prefetches(self) -> int:
        """First-level lines prefetched, never used and still resident."""
        return int(self._unused(self.P, self.tags, self.meta))

    def finish(self) -> None:
        """Nothing to complete (the counters are exact after every chunk)."""


class CountsState:
    """The counts-only kernels' state (see :mod:`janus1.sim.kernels.counts`): tags per
    way, each set's in recency order, each level starting on a 64-byte boundary; one
    word of dirty bits per set; ``stats`` and ``g``. The loads-only kernel runs until
    the first store.

    Tags are int32 (an 8-way set in 32 bytes) until a line number does not fit (an
    address of 2^37 bytes or more with 64-byte lines): the kernel stops there, the tags
    become int64 and the kernel goes on from that access."""

    def __init__(self, h: HierarchyConfig) -> None:
        from .kernels.build import CountsLevel, get_counts_kernels

        n = len(h.level)
        l0 = h.level[0].line_bytes
        shape = []
        dbase = 0
        tbase = 0
        for lv in h.level:
            shape.append(CountsLevel(ways=lv.n_ways,
                                     dshift=(lv.line_bytes // l0).bit_length() - 1,
                                     sets=lv.sets, fifo=lv.replacement == "fifo",
                                     line_bytes=lv.line_bytes, tbase=tbase, dbase=dbase))
            dbase += lv.sets
            # each level starts at a multiple of 16 tags, a 64-byte boundary for int32
            # and int64 tags alike: a set of 16 int32 or 8 int64 tags is one host line
            tbase += -(-lv.sets * lv.n_ways // 16) * 16
        self.levels: tuple[LevelConfig, ...] = tuple(h.level)
        self.shape = tuple(shape)
        self.tags = aligned_zeros(max(tbase, 1), np.int32)  # line + 1, 0 = invalid
        self.dirty = np.zeros(max(dbase, 1), np.int64)  # bit k: lane k of the set
        self.stats = np.zeros((n, L.NS), np.int64)
        self.g = np.zeros(L.NG, np.int64)
        self.g[L.G_LAST] = -1
        self.g[L.G_LASTSLOT] = -1
        self._loads, self._stores = get_counts_kernels(self.shape)
        self.stores_seen = False

    def run(self, addr: np.ndarray, kinds: np.ndarray, sizes: np.ndarray, default: int
            ) -> int:
        """Simulate one chunk; the index of a negative address, or -1."""
        if not self.stores_seen and kinds.size and kinds.any():
            # from the first store on, the kernel that tracks dirty lines
            self._count_evictions()
            self.stores_seen = True
        if default > 1 << 30:
            self._widen()  # (the int32 kernels' address limit assumes smaller accesses)
        # no kinds or sizes: None (the kernel is compiled without their branches)
        kernel: Any = self._stores if self.stores_seen else self._loads
        bad = int(kernel(addr, kinds if kinds.size and self.stores_seen else None,
                         sizes if sizes.size else None, default, self.tags, self.dirty,
                         self.stats, self.g))
        if bad < 0 or addr[bad] < 0 or self.tags.dtype == np.int64:
            return bad
        # a line beyond int32 tags: widen them and go on from that access
        self._widen()
        rest = self.run(addr[bad:], kinds[bad:], sizes[bad:], default)
        return rest if rest < 0 else bad + rest

    def _widen(self) -> None:
        """int64 tags from now on (the same slots)."""
        if self.tags.dtype != np.int64:
            wide = aligned_zeros(self.tags.size)
            wide[:] = self.tags
            self.tags = wide

    def _count_evictions(self) -> None:
        """The loads-only kernel does not count evictions: with no invalidation, every
        fill beyond the lines now valid evicted one."""
        for i, (s, lv) in enumerate(zip(self.shape, self.levels)):
            valid = int(np.count_nonzero(self.tags[s.tbase: s.tbase + lv.lines]))
            self.stats[i, L.S_EVICT] = self.stats[i, L.S_FILLS] - valid

    def unused_prefetches(self) -> int:
        """No prefetcher here: 0."""
        return 0

    def finish(self) -> None:
        """Complete the counters before a result is read (evictions, loads only)."""
        if not self.stores_seen:
            self._count_evictions()
