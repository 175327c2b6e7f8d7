"""``janus1 ppa --simulate``: a simulated decode step replaces the roofline's time and
memory energy.

Protocol (stated once; docs/technology.md repeats it for users):

* **Hierarchy from the design.** Every on-chip tier of the :class:`DesignSpec` becomes a
  cache level of :mod:`janus1.sim` (fastest first), the first off-chip tier the DRAM
  backing store. From the design: capacity, banks, line (= the tier's ``block_bytes``),
  hit latency and bank occupancy (the tech macro model's access time at the design's
  node, in cycles of the design clock: a bank is busy for one access time, the same
  rule as the design's roofline bandwidth ``banks x block / access time``), eDRAM refresh
  (the macro model's retention at the junction temperature the roofline PPA solves),
  DRAM bandwidth. From the ``janus-1`` hierarchy preset, because a design has no such
  field: associativity, replacement, DRAM latency, the eDRAM row (1 KiB) and refresh
  unit (3.5 MiB: the rows of every 3.5 MiB part of a bank refresh in parallel, one row
  per access time, as the preset's 3.5 MiB banks do), and the MSHR sizing rule (the
  DRAM bandwidth-delay product in lines). Each fallback is listed in the result.
* **Issue width.** The simulator's core issues one line access per cycle of its clock.
  A design's fabric takes as many lines per design cycle as its first tier can serve
  (``ceil(tier bandwidth / (line x clock))``), so the simulator runs at that multiple
  of the design clock, with every latency converted at the same clock.
* **Trace.** :func:`janus1.trace.decode_trace` at the design's first line size (the
  fabric reads whole lines), the step attending to ``context`` positions, KV cache
  head-major by default (``kv_layout``; see ``KV_LAYOUTS``).
* **Steady state.** A decode step of token t+1 finds in the caches what token t left.
  The trace is: one warm-up step of the simulated layers, a filler stream of distinct
  lines standing for the rest of the model (the bytes of the layers not simulated, cut
  at 1.25x the largest level: under LRU a longer stream evicts no more), then the
  measured step. Two runs (without and with the measured step) are subtracted, so
  counters, stall cycles, time and the latency histogram are those of the measured
  step alone.
* **Scaling.** Only the first ``sim_layers`` layers (each full size) plus the embedding
  row, final norm and classifier are simulated; traffic, stalls and time are scaled
  linearly by ``scale`` = accesses of a whole decode step / accesses of the simulated
  step (both counted from :func:`janus1.trace.decode_trace`). Latency percentiles are
  those of the simulated step (not scaled).
* **Time and energy.** Seconds per token = max(simulated memory time, the roofline's
  compute time: the simulator has no compute, which overlaps the streams). Memory energy
  per token = per level: load hits (stores taken to hit at the level's hit rate) and
  victims written back x the macro's read energy; stores, fills and write-backs
  received x its write energy (per line access; a miss costs a tag check, not charged:
  serial tag-data access); DRAM: bytes moved x the tier's energy per bit. Compute
  energy per token is the roofline's (MACs x energy per MAC). Static power (leakage,
  refresh, PHY, other) is re-solved with the junction temperature at the simulated
  dynamic power; the eDRAM refresh of the hierarchy depends on that temperature, so
  the step is simulated again (at most ``MAX_PASSES`` in all) while the temperature
  moves an eDRAM retention by over 10%.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import ConfigError, InputError
from ..models.spec import ModelSpec
from .ppa import PPAResult, ppa, solve_power
from .spec import DesignSpec, TierSpec

__all__ = ["DEFAULT_SIM_LAYERS", "DEFAULT_KV_LAYOUT", "KV_LAYOUTS", "HIERARCHY_PRESET",
           "MAX_PASSES", "design_hierarchy", "simulate_decode", "ppa_simulated"]

DEFAULT_SIM_LAYERS = 2
MAX_PASSES = 3               # simulations for the refresh-temperature loop (see ppa_simulated)
# A decode accelerator keeps each KV head's keys (values) contiguous, so one head is
# one stream. llama2.c's position-major cache puts consecutive positions of a head
# kv_dim x bytes apart (2048 B for Llama-2-7B INT4: 32 lines, a multiple of 4 or 16
# line-interleaved banks), so every key slice of a head falls into one bank.
KV_LAYOUTS = ("head-major", "position-major")
DEFAULT_KV_LAYOUT = "head-major"
HIERARCHY_PRESET = "janus-1"   # fallback for what a design does not state
# eDRAM row and refresh unit of the janus-1 hierarchy preset: 3.5 MiB banks of 1 KiB
# rows (3584 rows refreshed one per cycle time within CACTI lp-dram's refresh period).
_ROW_BYTES = 1024
_REFRESH_UNIT_BYTES = 3584 * 1024
# The filler stands for the other layers; it lives far above every region of
# janus1.trace.MemoryMap (weights 0, KV 4 GiB, activations 12 GiB).
_FILLER_BASE = 1 << 40
_FILLER_CAP = 1.25             # filler length cap, in multiples of the largest level
_CHUNK = 1 << 20
_PERCENTILES = (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999),
                ("p9999", 0.9999))

Progress = Callable[[int], None]


def _cycles(ns: float, clock_hz: float) -> int:
    """A time in ns as whole cycles at ``clock_hz`` (rounded up, at least 1)."""
    return max(1, int(math.ceil(ns * 1e-9 * clock_hz - 1e-9)))


def design_hierarchy(design: DesignSpec, *, junction_c: float,
                     preset: str = HIERARCHY_PRESET) -> tuple[Any, dict[str, Any]]:
    """The simulator hierarchy of ``design`` (see the module docstring).

    Args:
        design: the design.
        junction_c: junction temperature for the eDRAM retention (°C).
        preset: the hierarchy preset that fills what a design does not state.

    Returns:
        ``(HierarchyConfig, info)``: ``info`` has ``clock_hz``, ``design_clock_hz``,
        ``issue_slots_per_cycle``, ``levels`` (each with its values and the preset
        level's at the same position), ``memory`` and ``notes`` (every fallback).

    Raises:
        ConfigError: a design with no on-chip tier, or an eDRAM whose refresh cannot
            keep up at ``junction_c``.
    """
    from ..sim import load_hierarchy

    ref = load_hierarchy(preset)
    on = [t for t in design.tiers if t.on_chip]
    off = [t for t in design.tiers if not t.on_chip]
    if not on:
        raise ConfigError(f"design {design.name}: --simulate needs at least one on-chip tier")
    notes: list[str] = []
    first_bw = design.tier_bandwidth(on[0])
    slots = max(1, math.ceil(first_bw / (on[0].block_bytes * design.clock_hz) - 1e-9))
    clock = design.clock_hz * slots
    if slots > 1:
        notes.append(f"the simulator issues one line per cycle: it runs at {slots} x the "
                     f"design clock ({clock / 1e9:g} GHz) so that the core can take what "
                     f"{on[0].name} serves ({first_bw / 1e9:.1f} GB/s)")
    if off:
        backing: TierSpec | None = off[0]
        bw = float(off[0].bandwidth_bytes_per_s or 0.0)
        if len(off) > 1:
            notes.append(f"only the first off-chip tier ({off[0].name}) backs the "
                         f"simulated hierarchy")
    else:
        backing = None
        bw = ref.memory.bandwidth_bytes_per_s
        notes.append(f"the design has no off-chip tier: DRAM {ref.memory.name} "
                     f"{bw / 1e9:g} GB/s from hierarchy preset {preset}")
    mem_lat = ref.memory.latency_ns
    notes.append(f"DRAM latency {mem_lat:g} ns from hierarchy preset {preset} "
                 f"(a design states no latency)")
    levels: list[dict[str, Any]] = []
    info_levels: list[dict[str, Any]] = []
    line = 0
    for i, t in enumerate(on):
        m = design.macro(t, temperature_c=junction_c)
        assert m is not None
        r = ref.level[min(i, len(ref.level) - 1)]
        line = max(line, t.block_bytes)
        if line & (line - 1):
            raise ConfigError(f"tier {t.name}: block_bytes {t.block_bytes} is not a power "
                              f"of two (the simulator's line)")
        if line != t.block_bytes:
            notes.append(f"{t.name}: line {line} B (lines do not shrink going down; "
                         f"its block is {t.block_bytes} B)")
        ways = min(r.n_ways, max(1, t.capacity_bytes // line))
        size = t.capacity_bytes // (ways * line) * ways * line
        if size != t.capacity_bytes:
            notes.append(f"{t.name}: {t.capacity_bytes} B rounded down to {size} B "
                         f"(whole sets of {ways} x {line} B)")
        lat = _cycles(m.latency_ns, clock)
        lv: dict[str, Any] = {
            "name": t.name, "size_bytes": size, "ways": ways, "line_bytes": line,
            "replacement": r.replacement, "hit_latency_cycles": lat, "banks": t.banks,
            "slices": 1, "bank_busy_cycles": lat,
            "source": f"design {design.name} tier {t.name}: tech macro model at "
                      f"{design.node}; ways/replacement from hierarchy preset {preset}",
        }
        if t.tech == "mram" and m.write_latency_ns > m.latency_ns:
            notes.append(f"{t.name}: MRAM writes ({m.write_latency_ns:.1f} ns) occupy a bank "
                         f"as long as reads ({m.latency_ns:.1f} ns) here (one bank "
                         f"occupancy per level in the simulator)")
        if m.retention_us:
            unit = min(t.capacity_bytes / t.banks, _REFRESH_UNIT_BYTES)
            rows = max(1.0, unit / _ROW_BYTES)
            interval = m.retention_us * 1e3 / rows
            if m.latency_ns >= interval:
                raise ConfigError(
                    f"tier {t.name}: at Tj {junction_c:.0f} °C the retention is "
                    f"{m.retention_us:.3g} µs; refreshing {rows:.0f} rows one per "
                    f"{m.latency_ns:.1f} ns does not fit in it")
            lv["refresh_interval_ns"] = interval
            lv["refresh_busy_ns"] = m.latency_ns
        levels.append(lv)
        info_levels.append({**{k: v for k, v in lv.items() if k != "source"},
                            "access_ns": m.latency_ns, "retention_us": m.retention_us,
                            "preset": {"name": r.name, "size_bytes": r.size_bytes,
                                       "ways": r.ways, "banks": r.total_banks,
                                       "hit_latency_cycles": r.hit_latency_cycles,
                                       "bank_busy_cycles": r.bank_busy_cycles,
                                       "refresh_interval_ns": r.refresh_interval_ns,
                                       "refresh_busy_ns": r.refresh_busy_ns,
                                       "mshrs": r.mshrs}})
    if any(lv.get("refresh_interval_ns") for lv in levels):
        notes.append(f"eDRAM refresh: retention from the tech model at Tj {junction_c:.1f} °C; "
                     f"rows of {_ROW_BYTES} B, the rows of each {_REFRESH_UNIT_BYTES / 2**20:g} "
                     f"MiB part of a bank refreshed in parallel, one row per access time "
                     f"(hierarchy preset {preset}'s refresh unit)")
    # MSHRs: the preset's rule, the DRAM bandwidth-delay product in lines (the round
    # trip: every level's lookup, the DRAM latency and one line's transfer).
    rtt = (sum(lv["hit_latency_cycles"] for lv in levels)
           + (mem_lat * 1e-9 + line / bw) * clock)
    mshrs = max(1, math.ceil(bw / clock * rtt / line))
    for lv in levels:
        lv["mshrs"] = mshrs
    for il in info_levels:
        il["mshrs"] = mshrs
    notes.append(f"MSHRs {mshrs} per level: the DRAM bandwidth-delay product in lines "
                 f"({bw / clock:.1f} B/cycle x {rtt:.0f} cycles / {line} B), the rule of "
                 f"hierarchy preset {preset}")
    notes.append(f"associativity and replacement from hierarchy preset {preset} "
                 f"(a design states neither)")
    memory: dict[str, Any] = {
        "name": backing.name if backing else ref.memory.name, "latency_ns": mem_lat,
        "bandwidth_bytes_per_s": bw,
        "source": (f"design {design.name} tier {backing.name}" if backing else
                   f"hierarchy preset {preset}") + f"; latency from hierarchy preset {preset}",
    }
    cfg = {"name": f"{design.name} (design)", "clock_hz": clock, "issue_interval_cycles": 1,
           "source": f"built from design {design.name} by janus1.design.simulate",
           "level": levels, "memory": memory}
    h = load_hierarchy(cfg)
    info = {"clock_hz": clock, "design_clock_hz": design.clock_hz,
            "issue_slots_per_cycle": slots, "levels": info_levels,
            "memory": {k: v for k, v in memory.items() if k != "source"},
            "preset": preset, "notes": notes}
    return h, info


def _percentiles(hist: np.ndarray) -> dict[str, float | None]:
    """Nearest-rank percentiles, max and mean of a latency histogram (bin = cycles)."""
    n = int(hist.sum())
    if n <= 0:
        return {k: None for k, _ in _PERCENTILES} | {"max": None, "mean": None}
    cum = np.cumsum(hist)
    out: dict[str, float | None] = {}
    for key, q in _PERCENTILES:
        rank = max(1, int(math.ceil(q * n - 1e-9)))
        out[key] = float(np.searchsorted(cum, rank))
    out["max"] = float(np.flatnonzero(hist)[-1])
    out["mean"] = float(np.dot(hist, np.arange(hist.size, dtype=np.float64)) / n)
    return out


def _count(chunks: Iterator[Any]) -> int:
    return sum(len(c) for c in chunks)


def simulate_decode(design: DesignSpec, spec: ModelSpec, *, context: int, precision: str,
                    junction_c: float, sim_layers: int = DEFAULT_SIM_LAYERS,
                    prefetcher: str = "stream", kv_layout: str = DEFAULT_KV_LAYOUT,
                    progress: Progress | None = None) -> dict[str, Any]:
    """Simulate one steady-state decode step of ``spec`` on ``design`` (module docstring).

    Args:
        design: the design.
        spec: the model.
        context: tokens in the KV cache (the step attends to ``context`` positions, as
            the roofline's).
        precision: weight and KV precision of the trace.
        junction_c: junction temperature for the eDRAM retention.
        sim_layers: layers simulated (each full size); more than the model has = all.
        prefetcher: the simulator's prefetch policy.
        kv_layout: ``head-major`` or ``position-major`` (:class:`janus1.trace.MemoryMap`).
        progress: called with the number of trace accesses just fed.

    Returns:
        The ``simulate`` object of ``janus1 ppa --simulate --json`` (per token, scaled),
        with the raw figures the energy needs.

    Raises:
        InputError: ``sim_layers`` below 1, a context outside the model.
        ConfigError: a hierarchy the simulator rejects.
    """
    from ..sim import simulate
    from ..trace import MemoryMap, TraceChunk, decode_trace

    if isinstance(sim_layers, bool) or not isinstance(sim_layers, int) or sim_layers < 1:
        raise InputError(f"--sim-layers must be a positive integer, not {sim_layers!r}")
    if not 1 <= context <= spec.seq_len:
        raise InputError(f"--simulate: context {context} must be in 1..{spec.seq_len} "
                         f"(the model's seq_len; the trace generator needs real positions)")
    if kv_layout not in KV_LAYOUTS:
        raise InputError(f"--kv-layout must be one of {', '.join(KV_LAYOUTS)}, "
                         f"not {kv_layout!r}")
    mmap = MemoryMap(kv_layout=kv_layout)
    t0 = time.perf_counter()
    h, hinfo = design_hierarchy(design, junction_c=junction_c)
    line = h.level[0].line_bytes
    n_layers = spec.n_layers
    sim_l = min(sim_layers, n_layers)

    def step(layers: int) -> Iterator[Any]:
        # context - 1 cached positions + the new one = `context` attended positions
        return decode_trace(spec, precision=precision, context=context - 1, batch=1,
                            tokens=1, access_bytes=line, chunk_accesses=_CHUNK,
                            n_layers=layers, memory_map=mmap)

    sub = _count(step(sim_l))
    full = sub if sim_l == n_layers else _count(step(n_layers))
    scale = full / sub
    biggest = max(lv.size_bytes for lv in h.level)
    filler = max(0, min(full - sub, math.ceil(_FILLER_CAP * biggest / line)))

    def fill() -> Iterator[Any]:
        for i in range(0, filler, _CHUNK):
            n = min(_CHUNK, filler - i)
            yield TraceChunk(addr=_FILLER_BASE + line * np.arange(i, i + n, dtype=np.int64),
                             access_bytes=line)

    def trace(measured: bool) -> Iterator[Any]:
        parts = [step(sim_l), fill()] + ([step(sim_l)] if measured else [])
        for part in parts:
            for c in part:
                yield c
                if progress is not None:
                    progress(len(c))

    a = simulate(h, trace(False), prefetcher=prefetcher)
    b = simulate(h, trace(True), prefetcher=prefetcher)
    sim_wall = time.perf_counter() - t0
    k = hinfo["issue_slots_per_cycle"]
    clock = h.clock_hz

    def d(x: float | int | None, y: float | int | None) -> float:
        return float((x or 0) - (y or 0))

    levels = []
    for la, lb in zip(a.levels, b.levels):
        hits, misses = d(lb.hits, la.hits), d(lb.misses, la.misses)
        lv = {"name": lb.name, "hits": hits * scale, "misses": misses * scale,
              "hit_rate": hits / (hits + misses) if hits + misses else 0.0,
              "stores": d(lb.stores, la.stores) * scale,
              "fills": d(lb.fills, la.fills) * scale,
              "prefetch_fills": d(lb.prefetch_fills, la.prefetch_fills) * scale,
              "writebacks": d(lb.writebacks, la.writebacks) * scale,
              "writebacks_in": d(lb.writebacks_in, la.writebacks_in) * scale,
              "line_bytes": lb.line_bytes,
              "bytes_moved": d(lb.bytes_moved, la.bytes_moved) * scale,
              "bank_wait_cycles": d(lb.bank_wait_cycles, la.bank_wait_cycles) * scale / k,
              "refresh_wait_cycles": d(lb.refresh_wait_cycles, la.refresh_wait_cycles)
              * scale / k,
              "mshr_wait_cycles": d(lb.mshr_wait_cycles, la.mshr_wait_cycles) * scale / k}
        lv["bytes_served"] = lv["hits"] * lb.line_bytes
        n_acc = hits + misses
        for w in ("bank", "refresh", "mshr"):
            lv[f"{w}_wait_per_access_cycles"] = (
                d(getattr(lb, f"{w}_wait_cycles"), getattr(la, f"{w}_wait_cycles"))
                / k / n_acc if n_acc else 0.0)
        levels.append(lv)
    ma, mb = a.memory, b.memory
    mem = {"name": mb["name"],
           "reads": d(mb["reads"], ma["reads"]) * scale,
           "writes": d(mb["writes"], ma["writes"]) * scale,
           "read_bytes": d(mb["read_bytes"], ma["read_bytes"]) * scale,
           "write_bytes": d(mb["write_bytes"], ma["write_bytes"]) * scale,
           "queue_wait_cycles": d(mb["queue_wait_cycles"], ma["queue_wait_cycles"])
           * scale / k,
           "peak_bandwidth_bytes_per_s": mb["peak_bandwidth_bytes_per_s"]}
    mem["bytes_moved"] = mem["read_bytes"] + mem["write_bytes"]
    step_cycles = d(b.cycles, a.cycles)
    seconds = step_cycles / clock * scale
    mem["bandwidth_bytes_per_s"] = mem["bytes_moved"] / seconds if seconds else None
    mem["utilization"] = (mem["bandwidth_bytes_per_s"] / mem["peak_bandwidth_bytes_per_s"]
                          if seconds else None)
    lat = _percentiles(b.histogram - a.histogram) if b.histogram.size else {}
    pa, pb = a.prefetch, b.prefetch
    issued, useful = d(pb["issued"], pa["issued"]), d(pb["useful"], pa["useful"])
    miss0 = d(b.levels[0].misses, a.levels[0].misses)
    prefetch = {"name": pb["name"], "issued": issued * scale, "useful": useful * scale,
                "late": d(pb["late"], pa["late"]) * scale,
                "dropped": d(pb["dropped"], pa["dropped"]) * scale,
                "accuracy": useful / issued if issued else 0.0,
                "coverage": useful / (useful + miss0) if useful + miss0 else 0.0}
    return {
        "method": ("steady state: warm-up step + filler for the other layers + measured "
                   "step, minus the run without the measured step; scaled linearly"),
        "prefetcher": prefetcher,
        "kv_layout": kv_layout,
        "layers_simulated": sim_l,
        "n_layers": n_layers,
        "scaled_parts": "layers 0..%d (each full size), embedding row, final norm, "
                        "classifier" % (sim_l - 1),
        "scale": scale,
        "access_bytes": line,
        "trace_accesses_simulated": sub,
        "trace_accesses_full": full,
        "warmup": {"tokens": 1, "filler_bytes": filler * line,
                   "other_layers_bytes": (full - sub) * line},
        "hierarchy": hinfo,
        "junction_c_for_refresh": junction_c,
        "levels": levels,
        "memory": mem,
        "dram_bytes": mem["bytes_moved"],
        "stall_cycles": d(b.stall_cycles, a.stall_cycles) * scale / k,
        "cycles": step_cycles * scale / k,
        "latency": {key: (v / k if v is not None else None) for key, v in lat.items()},
        "latency_ns": {key: (v / clock * 1e9 if v is not None else None)
                       for key, v in lat.items()},
        "latency_note": "cycles of the design clock, over the line accesses of the "
                        "simulated step (not scaled)",
        "prefetch": prefetch,
        "seconds_per_token": seconds,
        "accesses_run": int(a.accesses + b.accesses),
        "wall_s": sim_wall,
    }


def _retention_moved(design: DesignSpec, t0: float, t1: float) -> bool:
    """Whether any eDRAM tier's retention differs by more than 10% between t0 and t1."""
    for t in design.tiers:
        if t.tech == "edram":
            r0 = design.macro(t, temperature_c=t0)
            r1 = design.macro(t, temperature_c=t1)
            if r0 and r1 and abs(r1.retention_us / r0.retention_us - 1) > 0.1:
                return True
    return False


def ppa_simulated(design: DesignSpec, spec: ModelSpec, *, context: int = 4096,
                  precision: str = "int4", kv_precision: str | None = None,
                  sim_layers: int = DEFAULT_SIM_LAYERS, prefetcher: str = "stream",
                  kv_layout: str = DEFAULT_KV_LAYOUT, max_passes: int = MAX_PASSES,
                  progress: Progress | None = None) -> PPAResult:
    """PPA with the decode time and memory energy of a simulated step (module docstring).

    The roofline's tokens/s, J/token and power stay in ``roofline_*``; ``simulate`` holds
    the simulation's summary and ``vs_roofline``. The eDRAM refresh of the simulated
    hierarchy depends on the junction temperature, which depends on the simulated power:
    the first pass uses the roofline's junction temperature, and the step is simulated
    again (at most ``max_passes`` times in all) while the solved temperature moves any
    eDRAM retention by more than 10%.

    Raises:
        InputError: bad context, precision or ``sim_layers``.
        ConfigError: a design the simulator cannot model.
    """
    from ..workload.analysis import analyze

    base = ppa(design, spec, context=context, precision=precision, kv_precision=kv_precision)
    an = analyze(spec, context=context, batch=1, precision=precision,
                 kv_precision=kv_precision, device=design.device())
    warnings = [w for w in base.warnings
                if not (w.startswith("thermal runaway") or w.startswith("junction "))]
    if kv_precision and kv_precision != precision:
        warnings.append(f"--simulate: the trace holds the KV cache at {precision}, not "
                        f"{kv_precision} (one precision per trace)")
    compute_s = (an.decode.compute_seconds or 0.0) / an.decode.tokens
    compute_j = base.power_breakdown_w["compute"] / base.tokens_per_s
    on = [t for t in design.tiers if t.on_chip]
    off = [t for t in design.tiers if not t.on_chip]
    static_fixed: dict[str, float] = {f"{t.name} PHY": t.phy_power_w for t in off}
    if design.other_power_w:
        static_fixed["other"] = design.other_power_w
    pkg = design.package_spec
    tj_sim = base.junction_c
    if base.runaway:
        tj_sim = pkg.tj_max_c
        warnings.append(f"--simulate: the roofline's power has no thermal equilibrium; the "
                        f"eDRAM refresh is simulated at the package limit {tj_sim:g} °C")
    passes: list[dict[str, float]] = []
    while True:
        sim = simulate_decode(design, spec, context=context, precision=precision,
                              junction_c=tj_sim, sim_layers=sim_layers,
                              prefetcher=prefetcher, kv_layout=kv_layout, progress=progress)
        sec = max(sim["seconds_per_token"], compute_s)
        if sec <= 0:
            raise InputError("the simulation gave no decode time")
        tps = 1.0 / sec
        # ---- energy per token ----
        energy_pj: dict[str, float] = {}
        for t, lv in zip(on, sim["levels"]):
            m = design.macro(t, temperature_c=tj_sim)
            assert m is not None
            # data-array reads: load hits (stores assumed to hit at the level's hit
            # rate) and the victims written back; a miss costs a tag check only
            # (serial tag-data access), not charged.
            acc = lv["hits"] + lv["misses"]
            reads = lv["hits"] * (1 - lv["stores"] / acc if acc else 1.0) + lv["writebacks"]
            writes = lv["stores"] + lv["fills"] + lv["writebacks_in"]
            energy_pj[t.name] = reads * m.read_energy_pj + writes * m.write_energy_pj
            lv["energy_pj"] = energy_pj[t.name]
        if off:
            energy_pj[off[0].name] = sim["dram_bytes"] * 8 * (off[0].energy_pj_per_bit or 0.0)
        dyn: dict[str, float] = {"compute": compute_j * tps}
        for t in design.tiers:
            dyn[f"{t.name} dynamic"] = energy_pj.get(t.name, 0.0) * 1e-12 * tps
        new_warn: list[str] = []
        power, sol = solve_power(design, dyn, static_fixed, new_warn)
        total = sum(power.values())
        tj = min(sol.junction_c, 250.0)
        passes.append({"junction_c_for_refresh": tj_sim, "seconds_per_token": sec,
                       "power_w": total, "junction_c": tj})
        if sol.runaway or len(passes) >= max_passes or not _retention_moved(design, tj_sim,
                                                                            tj):
            break
        try:
            design_hierarchy(design, junction_c=tj)
        except ConfigError as exc:
            new_warn.append(f"--simulate: not simulated again at Tj {tj:.1f} °C: {exc}")
            break
        tj_sim = tj
    if _retention_moved(design, tj_sim, tj):
        new_warn.append(f"--simulate: eDRAM refresh was simulated at Tj {tj_sim:.1f} °C; "
                        f"the simulated power gives {tj:.1f} °C (retention differs by "
                        f"more than 10%; not converged in {len(passes)} pass(es))")

    tier_bytes = {lv["name"]: lv["bytes_served"] for lv in sim["levels"]}
    if off:
        tier_bytes[off[0].name] = sim["dram_bytes"]
    mem_w = sum(v for k_, v in power.items() if k_ != "compute")
    bits_per_s = base.bytes_per_token * tps * 8
    roof_dram = base.tier_bytes_per_token.get(off[0].name, 0.0) if off else 0.0
    # Dynamic energy per token does not depend on the junction temperature: it compares
    # the two estimates even where the thermal loop has no solution.
    def dyn_j(pw: dict[str, float], rate: float) -> float:
        return sum(v for k_, v in pw.items() if k_ == "compute" or k_.endswith(" dynamic")) / rate
    sim.update({
        "passes": passes,
        "compute_seconds_per_token": compute_s,
        "bound": "memory" if sim["seconds_per_token"] >= compute_s else "compute",
        "energy_pj_per_token": {**energy_pj, "compute": compute_j * 1e12},
        "dram_bandwidth_bound_s": (sim["dram_bytes"] / sim["memory"]
                                   ["peak_bandwidth_bytes_per_s"]),
        "vs_roofline": {
            "tokens_per_s": tps, "roofline_tokens_per_s": base.tokens_per_s,
            "tokens_per_s_ratio": tps / base.tokens_per_s,
            "joules_per_token": total / tps,
            "roofline_joules_per_token": base.joules_per_token,
            "joules_per_token_ratio": total / tps / base.joules_per_token,
            "dynamic_joules_per_token": dyn_j(power, tps),
            "roofline_dynamic_joules_per_token": dyn_j(base.power_breakdown_w,
                                                       base.tokens_per_s),
            "power_w": total, "roofline_power_w": base.power_w,
            "junction_c": sol.junction_c, "roofline_junction_c": base.junction_c,
            "dram_bytes_per_token": sim["dram_bytes"],
            "roofline_dram_bytes_per_token": roof_dram,
            "seconds_per_token": sec,
            "roofline_seconds_per_token": base.seconds_per_token,
        },
    })
    return replace(
        base, power_w=total, power_breakdown_w=power, tokens_per_s=tps,
        joules_per_token=total / tps, seconds_per_token=sec,
        tier_bytes_per_token=tier_bytes, junction_c=sol.junction_c,
        thermal_margin_c=sol.margin_c(pkg), runaway=sol.runaway,
        memory_pj_per_bit=mem_w / bits_per_s * 1e12 if bits_per_s else 0.0,
        warnings=warnings + new_warn, roofline_tokens_per_s=base.tokens_per_s,
        roofline_joules_per_token=base.joules_per_token, roofline_power_w=base.power_w,
        simulate=sim)
