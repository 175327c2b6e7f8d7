"""Run a trace through a hierarchy: the state, the chunk loop, the result.

:func:`simulate` is the public entry point. :class:`Simulator` picks the kernel and its
state (:mod:`janus1.sim.state`: the counts-only kernels when they cover the run, else
the timed kernel), feeds it every chunk of the trace and turns the counters into a
:class:`SimResult` (:mod:`janus1.sim.result`). Feeding a trace chunk by chunk gives
exactly the result of feeding it at once: all state lives in the arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..errors import ConfigError, InputError
from . import layout as L
from .config import HierarchyConfig, load_hierarchy
from .prefetch import build_prefetcher
from .result import (LATENCY_KEYS, LevelStats, SimResult, dram_columns, histogram_latency,
                     latency_summary)
from .state import CountsState, TimedState, counts_kernels_apply

__all__ = ["LevelStats", "SimResult", "simulate", "Simulator", "LATENCY_KEYS",
           "histogram_latency"]


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
        specialize: compile the hierarchy's structure into the timed kernel (default);
            False: the generic kernel (see :func:`simulate`).
    """

    def __init__(self, hierarchy: Any, *, prefetcher: str = "stream",
                 counts_only: bool = False,
                 prefetch_options: Mapping[str, Any] | None = None,
                 specialize: bool = True) -> None:
        h = hierarchy if isinstance(hierarchy, HierarchyConfig) else load_hierarchy(hierarchy)
        self.h = h
        self.counts_only = counts_only
        self.pf_spec, self.pf_cfg, self.pf_state = build_prefetcher(prefetcher, prefetch_options)
        self.prefetch_options = dict(prefetch_options or {})
        if self.pf_spec.prefetches and h.level[0].kind != "cache":
            raise ConfigError(f"prefetcher {self.pf_spec.name!r}: the first level "
                              f"{h.level[0].name!r} is a scratchpad; prefetchers fill a cache")
        self.state: TimedState | CountsState
        if counts_kernels_apply(h, counts_only, self.pf_spec.prefetches):
            self.state = CountsState(h)
        else:
            self.state = TimedState(h, timed=not counts_only, on_access=self.pf_spec.on_access,
                                    pf_state=self.pf_state, specialize=specialize)

    @property
    def fast(self) -> bool:
        """Whether the counts-only kernels run this simulation."""
        return isinstance(self.state, CountsState)

    def feed(self, chunk: Any) -> None:
        """Simulate one chunk (an address array or a chunk with ``addr``/``kind``/``size``).

        Raises:
            InputError: a malformed chunk, or a negative address (the accesses before
                it have then been simulated).
        """
        addr, kinds, sizes, default = _as_chunk(chunk)
        if addr.size == 0:
            return
        bad = self.state.run(addr, kinds, sizes, default)
        if bad >= 0:
            raise _negative(addr, bad)

    def result(self) -> SimResult:
        """The counters so far as a :class:`SimResult`."""
        self.state.finish()
        h, g, S = self.h, self.state.g, self.state.stats
        timed = not self.counts_only
        cycles = int(g[L.G_END]) if timed else None
        seconds = cycles / h.clock_hz if timed and cycles else (0.0 if timed else None)
        levels = []
        total_e: float | None = None
        for i, lv in enumerate(h.level):
            s = S[i]
            moved = int((s[L.S_FILLS] + s[L.S_WB]) * lv.line_bytes)
            e = None
            if lv.read_energy_pj is not None or lv.write_energy_pj is not None:
                e = (int(s[L.S_HITS] + s[L.S_MISSES]) * (lv.read_energy_pj or 0.0)
                     + int(s[L.S_FILLS] + s[L.S_WBIN]) * (lv.write_energy_pj or 0.0))
                total_e = (total_e or 0.0) + e
            levels.append(LevelStats(
                name=lv.name, hits=int(s[L.S_HITS]), misses=int(s[L.S_MISSES]),
                evictions=int(s[L.S_EVICT]), writebacks=int(s[L.S_WB]),
                fills=int(s[L.S_FILLS]), prefetch_fills=int(s[L.S_PFFILLS]),
                writebacks_in=int(s[L.S_WBIN]), stores=int(s[L.S_STORES]),
                bypasses=int(s[L.S_BYPASS]), line_bytes=lv.line_bytes, bytes_moved=moved,
                bandwidth_bytes_per_s=(moved / seconds if seconds else None),
                bank_wait_cycles=int(s[L.S_BANKWAIT]),
                refresh_wait_cycles=int(s[L.S_REFWAIT]),
                mshr_wait_cycles=int(s[L.S_MSHRWAIT]), energy_pj=e))
        rd, wr = int(g[L.G_DRAM_RD]), int(g[L.G_DRAM_WR])
        mem = h.memory
        mem_e = None
        dram = self.state.dram if isinstance(self.state, TimedState) else None
        dstats = dram.stats(int(g[L.G_END])) if dram is not None else None
        if dstats is not None:
            mem_e = dstats.energy_pj
            total_e = (total_e or 0.0) + mem_e
        elif (mem.read_energy_pj_per_byte is not None
              or mem.write_energy_pj_per_byte is not None):
            mem_e = rd * (mem.read_energy_pj_per_byte or 0.0) + wr * (
                mem.write_energy_pj_per_byte or 0.0)
            total_e = (total_e or 0.0) + mem_e
        memory = {"name": mem.name, "reads": int(g[L.G_DRAM_REQ]),
                  "writes": int(g[L.G_DRAM_WREQ]),
                  "read_bytes": rd, "write_bytes": wr, "bytes_moved": rd + wr,
                  "bandwidth_bytes_per_s": (rd + wr) / seconds if seconds else None,
                  "peak_bandwidth_bytes_per_s": mem.bandwidth_bytes_per_s,
                  "utilization": ((rd + wr) / seconds / mem.bandwidth_bytes_per_s
                                  if seconds else None),
                  "queue_wait_cycles": int(g[L.G_DRAM_QWAIT]) if timed else None,
                  "energy_pj": mem_e,
                  **dram_columns(mem, dstats, timed)}
        hist = self.state.hist if isinstance(self.state, TimedState) else None
        latency = (latency_summary(hist, g) if timed and hist is not None
                   else {k: None for k in LATENCY_KEYS})
        issued = int(g[L.G_PF_ISSUED])
        useful = int(g[L.G_PF_USEFUL])
        useless = int(g[L.G_PF_USELESS]) + self.state.unused_prefetches()
        misses0 = levels[0].misses
        prefetch = {"name": self.pf_spec.name, "issued": issued, "useful": useful,
                    "late": int(g[L.G_PF_LATE]) if timed else None, "useless": useless,
                    "dropped": int(g[L.G_PF_DROPPED]),
                    "redundant": int(g[L.G_PF_REDUNDANT]),
                    "coverage": useful / (useful + misses0) if useful + misses0 else 0.0,
                    "accuracy": useful / issued if issued else 0.0}
        return SimResult(
            hierarchy=h.name, prefetcher=self.pf_spec.name,
            prefetch_options=self.prefetch_options, counts_only=self.counts_only,
            accesses=int(g[L.G_REQS]), line_accesses=int(g[L.G_LINEACC]),
            stores=int(g[L.G_STORES]), cycles=cycles, seconds=seconds, clock_hz=h.clock_hz,
            levels=tuple(levels), memory=memory, latency=latency, prefetch=prefetch,
            stall_cycles=int(g[L.G_STALL]) if timed else None, energy_pj=total_e,
            histogram=(_hist_copy(hist, g) if timed and hist is not None
                       else np.zeros(0, np.int64)))


def _hist_copy(hist: np.ndarray, g: np.ndarray) -> np.ndarray:
    """A copy of the latency histogram (full length; only the bins up to the largest
    latency are copied, the rest of a fresh zeroed array is never written)."""
    out = np.zeros(hist.size, np.int64)
    k = min(int(g[L.G_LAT_MAX]) + 1, hist.size)
    out[:k] = hist[:k]
    return out


def simulate(hierarchy: Any, trace_chunks: Iterable[Any] | np.ndarray, prefetcher: str = "stream",
             counts_only: bool = False, *,
             prefetch_options: Mapping[str, Any] | None = None,
             specialize: bool = True) -> SimResult:
    """Simulate a trace through a hierarchy.

    Args:
        hierarchy: a :class:`HierarchyConfig`, a preset name, a TOML path or a dict.
        trace_chunks: an iterable of chunks (1-D int address arrays of 8-byte loads, or
            :class:`janus1.trace.TraceChunk`), or a single address array.
        prefetcher: policy name: ``none``, ``next-line``, ``stride``, ``stream``.
        counts_only: run the exact functional model only (no timing).
        prefetch_options: the prefetcher's parameters, e.g. ``{"lookahead": 16}``.
        specialize: compile the hierarchy's structure into the timed kernel (the
            default: faster, one compilation per structure and prefetcher); False uses
            one generic kernel per prefetcher for every hierarchy (fewer compilations,
            about 20% slower). Results are identical.

    Returns:
        A :class:`SimResult`.

    Raises:
        ConfigError: impossible hierarchy or unknown prefetcher.
        InputError: malformed chunk.
    """
    sim = Simulator(hierarchy, prefetcher=prefetcher, counts_only=counts_only,
                    prefetch_options=prefetch_options, specialize=specialize)
    if isinstance(trace_chunks, np.ndarray) or hasattr(trace_chunks, "addr"):
        trace_chunks = [trace_chunks]
    for chunk in trace_chunks:
        sim.feed(chunk)
    return sim.result()
