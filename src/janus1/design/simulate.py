"""``janus1 ppa --simulate``: a simulated decode step replaces the roofline's time and
memory energy.

Protocol (stated once; docs/technology.md repeats it for users):

* **Hierarchy from the design**: :func:`janus1.design.hierarchy.design_hierarchy` (every
  value from the design's tiers and the tech macro model; the simulator runs at as many
  times the design clock as its first tier serves lines per design cycle), with the
  eDRAM refresh at the junction temperature the roofline PPA solves.
* **Trace.** :func:`janus1.trace.decode_trace` at the design's first line size (the
  fabric reads whole lines), the step attending to ``context`` positions, KV cache
  head-major by default (``kv_layout``; see ``KV_LAYOUTS``).
* **Steady state.** A decode step of token t+1 finds in the caches what token t left.
  The trace is: one warm-up step of the simulated layers, a filler stream of distinct
  lines standing for the rest of the model (the bytes of the layers not simulated, cut
  at 1.25x the largest level: under LRU a longer stream evicts no more), then the
  measured step. Two runs (without and with the measured step) are subtracted
  (:meth:`janus1.sim.SimResult.minus`), so counters, stall cycles, time and the latency
  histogram are those of the measured step alone.
* **Scaling.** Only the first ``sim_layers`` layers (each full size) plus the embedding
  row, final norm and classifier are simulated; traffic, stalls and time are scaled
  linearly (:meth:`janus1.sim.SimResult.scaled`) by ``scale`` = accesses of a whole
  decode step / accesses of the simulated step (both counted from
  :func:`janus1.trace.decode_trace`). Latency percentiles are
  those of the simulated step (not scaled).
* **Time and energy.** Seconds per token = max(simulated memory time, the roofline's
  compute time: the simulator has no compute, which overlaps the streams). Memory energy
  per token = per level: load hits (stores taken to hit at the level's hit rate) and
  victims written back x the macro's read energy; stores, fills and write-backs
  received x its write energy (per line access; a miss costs a tag check, not charged:
  serial tag-data access); DRAM: with a DRAM model behind the hierarchy (the tier's
  ``dram``), the model's IDD energy of the step (ACT, RD/WR bursts, background and
  refresh of the device core rail; no I/O), else bytes moved x the tier's energy per
  bit (``energy_pj_per_bit``: a whole-access figure incl. I/O). Compute
  energy per token is the roofline's (MACs x energy per MAC). Static power (leakage,
  refresh, PHY, other) is re-solved with the junction temperature at the simulated
  dynamic power; the eDRAM refresh of the hierarchy depends on that temperature, so
  the step is simulated again (at most ``MAX_PASSES`` in all) while the temperature
  moves an eDRAM retention by over 10%.
* **Memory models compared** (``compare=True``, ``ppa --simulate``): the same step on the
  same hierarchy with ``memory.dram`` removed (the design tier's ``latency_ns`` and
  bandwidth, a fixed latency behind a bandwidth queue; DRAM energy at its pJ/bit), at the
  last pass's refresh temperature, next to the roofline and the DRAM model
  (:class:`MemoryComparison`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, InputError
from ..models.spec import ModelSpec
from .hierarchy import DesignHierarchy, design_hierarchy
from .ppa import PowerSolution, PPAResult, ppa, solve_power
from .spec import DesignSpec

if TYPE_CHECKING:
    from ..sim import SimResult

__all__ = ["BACKINGS", "DEFAULT_SIM_LAYERS", "DEFAULT_KV_LAYOUT", "KV_LAYOUTS", "MAX_PASSES",
           "MemoryComparison", "MemoryModelFigures", "SimulatedDecode", "SimulatedPPA",
           "SimPass", "VsRoofline", "design_hierarchy", "fixed_latency_memory",
           "simulate_decode", "ppa_simulated"]

DEFAULT_SIM_LAYERS = 2
MAX_PASSES = 3               # simulations for the refresh-temperature loop (see ppa_simulated)
# A decode accelerator keeps each KV head's keys (values) contiguous, so one head is
# one stream. llama2.c's position-major cache puts consecutive positions of a head
# kv_dim x bytes apart (2048 B for Llama-2-7B INT4: 32 lines, a multiple of 4 or 16
# line-interleaved banks), so every key slice of a head falls into one bank.
KV_LAYOUTS = ("head-major", "position-major")
DEFAULT_KV_LAYOUT = "head-major"
# The backing store of the simulated hierarchy: the design's (its tier's DRAM model when
# it names one) or a fixed latency plus bandwidth from the tier's latency_ns and bandwidth.
BACKINGS = ("design", "fixed-latency")
# The DRAM model's figures of SimResult.memory kept in the JSON (None with a fixed latency).
_DRAM_KEYS = ("model", "dram", "idle_latency_ns", "row_hit_rate", "read_cmds",
              "read_row_hits", "write_cmds", "act_cmds", "pre_cmds", "ref_cmds",
              "forwarded_reads", "dram_read_latency_mean_ns", "energy_pj",
              "energy_background_pj", "energy_refresh_pj")
# The filler stands for the other layers; it lives far above every region of
# janus1.trace.MemoryMap (weights 0, KV 4 GiB, activations 12 GiB).
_FILLER_BASE = 1 << 40
_FILLER_CAP = 1.25             # filler length cap, in multiples of the largest level
_CHUNK = 1 << 20
METHOD = ("steady state: warm-up step + filler for the other layers + measured step, minus "
          "the run without the measured step; scaled linearly")

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatedDecode:
    """One steady-state decode step, per token (the step scaled to the whole model)."""

    prefetcher: str
    kv_layout: str
    layers_simulated: int
    n_layers: int
    scale: float                      # accesses of a whole step / of the simulated step
    access_bytes: int
    trace_accesses_simulated: int
    trace_accesses_full: int
    filler_bytes: int
    other_layers_bytes: int
    hierarchy: DesignHierarchy
    step: SimResult                   # minus() then scaled(): simulator cycles
    accesses_run: int                 # trace accesses fed to the simulator, both runs

    @property
    def slots(self) -> int:
        """Simulator cycles per design cycle."""
        return self.hierarchy.issue_slots_per_cycle

    @property
    def seconds_per_token(self) -> float:
        """Simulated memory time of one token."""
        return float(self.step.seconds or 0.0)

    @property
    def dram_bytes(self) -> float:
        """DRAM bytes (read + written) per token."""
        return float(self.step.memory["bytes_moved"])

    @property
    def memory_model(self) -> str:
        """``dram`` (a DRAM model behind the hierarchy) or ``fixed-latency``."""
        return str(self.step.memory["model"])

    @property
    def dram_energy_pj(self) -> float | None:
        """The DRAM model's energy per token (pJ; None with a fixed latency)."""
        if self.memory_model != "dram":
            return None
        e = self.step.memory["energy_pj"]
        return None if e is None else float(e)

    def latency(self, *, ns: bool = False) -> dict[str, float | None]:
        """Percentiles, max and mean of the simulated step's accesses (not scaled), in
        design cycles or ns."""
        div = self.hierarchy.clock_hz / 1e9 if ns else self.slots
        return {k: (v / div if v is not None else None) for k, v in self.step.latency.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able (waits and cycles in design cycles)."""
        k = self.slots
        levels = []
        for lv in self.step.levels:
            d = {"name": lv.name, "hits": lv.hits, "misses": lv.misses,
                 "hit_rate": lv.hit_rate, "stores": lv.stores, "fills": lv.fills,
                 "prefetch_fills": lv.prefetch_fills, "writebacks": lv.writebacks,
                 "writebacks_in": lv.writebacks_in, "line_bytes": lv.line_bytes,
                 "bytes_moved": lv.bytes_moved, "bytes_served": lv.hits * lv.line_bytes}
            for w in ("bank", "refresh", "mshr"):
                waits = getattr(lv, f"{w}_wait_cycles") / k
                d[f"{w}_wait_cycles"] = waits
                d[f"{w}_wait_per_access_cycles"] = waits / lv.accesses if lv.accesses else 0.0
            levels.append(d)
        m = self.step.memory
        mem = {key: m[key] for key in ("name", "reads", "writes", "read_bytes", "write_bytes",
                                       "peak_bandwidth_bytes_per_s", "bytes_moved",
                                       "bandwidth_bytes_per_s", "utilization")}
        mem["queue_wait_cycles"] = (m["queue_wait_cycles"] or 0) / k
        mem.update({key: m.get(key) for key in _DRAM_KEYS})
        p = self.step.prefetch
        return {
            "method": METHOD, "prefetcher": self.prefetcher, "kv_layout": self.kv_layout,
            "layers_simulated": self.layers_simulated, "n_layers": self.n_layers,
            "scaled_parts": f"layers 0..{self.layers_simulated - 1} (each full size), "
                            f"embedding row, final norm, classifier",
            "scale": self.scale, "access_bytes": self.access_bytes,
            "trace_accesses_simulated": self.trace_accesses_simulated,
            "trace_accesses_full": self.trace_accesses_full,
            "warmup": {"tokens": 1, "filler_bytes": self.filler_bytes,
                       "other_layers_bytes": self.other_layers_bytes},
            "hierarchy": self.hierarchy.to_dict(),
            "junction_c_for_refresh": self.hierarchy.junction_c,
            "levels": levels, "memory": mem, "dram_bytes": self.dram_bytes,
            "stall_cycles": (self.step.stall_cycles or 0) / k,
            "cycles": (self.step.cycles or 0) / k,
            "latency": self.latency(), "latency_ns": self.latency(ns=True),
            "latency_note": "cycles of the design clock, over the line accesses of the "
                            "simulated step (not scaled)",
            "prefetch": {key: p[key] for key in ("name", "issued", "useful", "late",
                                                 "dropped", "accuracy", "coverage")},
            "seconds_per_token": self.seconds_per_token,
            "accesses_run": self.accesses_run,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SimPass:
    """One simulation of the refresh-temperature loop."""

    junction_c_for_refresh: float
    seconds_per_token: float
    power_w: float
    junction_c: float


@dataclass(frozen=True, slots=True, kw_only=True)
class VsRoofline:
    """The simulated figures next to the roofline's."""

    tokens_per_s: float
    roofline_tokens_per_s: float
    joules_per_token: float
    roofline_joules_per_token: float
    dynamic_joules_per_token: float
    roofline_dynamic_joules_per_token: float
    power_w: float
    roofline_power_w: float
    junction_c: float
    roofline_junction_c: float
    dram_bytes_per_token: float
    roofline_dram_bytes_per_token: float
    seconds_per_token: float
    roofline_seconds_per_token: float

    @property
    def tokens_per_s_ratio(self) -> float:
        """Simulated / roofline tokens per second."""
        return self.tokens_per_s / self.roofline_tokens_per_s

    @property
    def joules_per_token_ratio(self) -> float:
        """Simulated / roofline joules per token."""
        return self.joules_per_token / self.roofline_joules_per_token

    def to_dict(self) -> dict[str, float]:
        """JSON-able, with the two ratios."""
        d = {f: getattr(self, f) for f in self.__dataclass_fields__}
        d["tokens_per_s_ratio"] = self.tokens_per_s_ratio
        d["joules_per_token_ratio"] = self.joules_per_token_ratio
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryModelFigures:
    """One decode step's figures under one memory model (a row of
    :class:`MemoryComparison`). Bandwidths are of the DRAM over the memory time of the
    step (the roofline: its DRAM bytes over its decode time)."""

    model: str                        # roofline | fixed-latency | dram
    label: str                        # what the row is, for tables
    seconds_per_token: float          # max(memory time, compute time)
    memory_seconds_per_token: float   # the DRAM-side time (roofline: its decode time)
    joules_per_token: float
    dynamic_joules_per_token: float   # temperature-independent parts
    power_w: float
    junction_c: float
    runaway: bool
    dram_bytes_per_token: float
    dram_peak_bandwidth_bytes_per_s: float
    dram_energy_pj_per_token: float   # what enters J/token for the off-chip tier
    dram_energy_source: str           # how dram_energy_pj_per_token is computed
    dram_per_bit_pj_per_token: float  # bytes x the tier's pJ/bit (the roofline's rule)
    row_hit_rate: float | None = None          # DRAM model only
    act_per_kib: float | None = None           # DRAM model: ACT commands per KiB moved
    ref_cmds_per_token: float | None = None    # DRAM model only
    dram_read_latency_mean_ns: float | None = None  # DRAM model: controller arrival to data
    latency_mean_ns: float | None = None       # simulated accesses (not the roofline)
    latency_p99_ns: float | None = None

    @property
    def tokens_per_s(self) -> float:
        return 1.0 / self.seconds_per_token

    @property
    def dram_bandwidth_bytes_per_s(self) -> float:
        """DRAM bytes over the memory time: the bandwidth the DRAM achieved."""
        return (self.dram_bytes_per_token / self.memory_seconds_per_token
                if self.memory_seconds_per_token else 0.0)

    @property
    def dram_utilization(self) -> float:
        """Achieved / peak DRAM bandwidth."""
        return self.dram_bandwidth_bytes_per_s / self.dram_peak_bandwidth_bytes_per_s

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {f: getattr(self, f) for f in self.__dataclass_fields__}
        d.update(tokens_per_s=self.tokens_per_s,
                 dram_bandwidth_bytes_per_s=self.dram_bandwidth_bytes_per_s,
                 dram_utilization=self.dram_utilization)
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryComparison:
    """The roofline, the fixed-latency memory and the DRAM model on one decode step
    (``rows`` in that order; no ``dram`` row when the design names no DRAM model)."""

    rows: tuple[MemoryModelFigures, ...]
    junction_c_for_refresh: float     # the eDRAM refresh temperature of both simulations
    note: str

    def row(self, model: str) -> MemoryModelFigures | None:
        """The row of ``model`` (roofline, fixed-latency, dram), or None."""
        return next((r for r in self.rows if r.model == model), None)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [r.to_dict() for r in self.rows],
                "junction_c_for_refresh": self.junction_c_for_refresh, "note": self.note}


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatedPPA:
    """What ``ppa --simulate`` adds to a :class:`PPAResult` (its ``simulate``)."""

    decode: SimulatedDecode           # the last pass's step
    passes: tuple[SimPass, ...]
    compute_seconds_per_token: float  # the roofline's compute time
    energy_pj_per_token: dict[str, float]  # per on-chip tier, the DRAM tier, compute
    level_energy_pj: tuple[float, ...]     # per simulated level (the on-chip tiers)
    vs_roofline: VsRoofline
    dram_energy_source: str = ""      # how the off-chip tier's energy per token is computed
    comparison: MemoryComparison | None = None  # with compare=True

    @property
    def bound(self) -> str:
        """``memory`` when the simulated memory time is the longer, else ``compute``."""
        return ("memory" if self.decode.seconds_per_token >= self.compute_seconds_per_token
                else "compute")

    @property
    def dram_bandwidth_bound_s(self) -> float:
        """The time the DRAM channel needs for a token's traffic at its peak."""
        return self.decode.dram_bytes / self.decode.step.memory["peak_bandwidth_bytes_per_s"]

    def to_dict(self) -> dict[str, Any]:
        """The ``simulate`` object of ``janus1 ppa --simulate --json``."""
        d = self.decode.to_dict()
        for lv, e in zip(d["levels"], self.level_energy_pj):
            lv["energy_pj"] = e
        d.update({
            "passes": [{f: getattr(p, f) for f in p.__dataclass_fields__}
                       for p in self.passes],
            "compute_seconds_per_token": self.compute_seconds_per_token,
            "bound": self.bound,
            "energy_pj_per_token": dict(self.energy_pj_per_token),
            "dram_bandwidth_bound_s": self.dram_bandwidth_bound_s,
            "dram_energy_source": self.dram_energy_source,
            "vs_roofline": self.vs_roofline.to_dict(),
        })
        if self.comparison is not None:
            d["memory_models"] = self.comparison.to_dict()
        return d


def _count(chunks: Iterator[Any]) -> int:
    return sum(len(c) for c in chunks)


def fixed_latency_memory(design: DesignSpec, dh: DesignHierarchy) -> Any:
    """The backing store of ``dh`` with ``memory.dram`` removed: a fixed latency plus a
    bandwidth queue (:class:`janus1.sim.config.MemoryConfig`) at the design's first
    off-chip tier's ``latency_ns`` and bandwidth (where the tier states none: the
    simulator's default latency, the DRAM model's peak). ``dh``'s own memory when it
    has no DRAM model."""
    from ..sim.config import MemoryConfig

    mem = dh.hierarchy.memory
    off = [t for t in design.tiers if not t.on_chip]
    if not mem.dram or not off:
        return mem
    b = off[0]
    lat = b.latency_ns if b.latency_ns is not None else MemoryConfig().latency_ns
    bw = float(b.bandwidth_bytes_per_s or mem.bandwidth_bytes_per_s)
    return MemoryConfig(name=b.name, latency_ns=lat, bandwidth_bytes_per_s=bw,
                        source=f"design {design.name} tier {b.name}: latency_ns and "
                               f"bandwidth, without its DRAM model {mem.dram}")


def simulate_decode(design: DesignSpec, spec: ModelSpec, *, context: int, precision: str,
                    junction_c: float, sim_layers: int = DEFAULT_SIM_LAYERS,
                    prefetcher: str = "stream", kv_layout: str = DEFAULT_KV_LAYOUT,
                    backing: str = "design",
                    progress: Progress | None = None) -> SimulatedDecode:
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
        backing: ``design`` (the design's backing store: its DRAM model when the tier
            names one) or ``fixed-latency`` (:func:`fixed_latency_memory`).
        progress: called with the number of trace accesses just fed.

    Raises:
        InputError: ``sim_layers`` below 1, a context outside the model.
        ConfigError: a hierarchy the simulator rejects.
    """
    from ..sim import simulate
    from ..trace import MemoryMap, TraceChunk, decode_trace

    if isinstance(sim_layers, bool) or not isinstance(sim_layers, int) or sim_layers < 1:
        raise InputError(f"sim_layers must be a positive integer, not {sim_layers!r}")
    if not 1 <= context <= spec.seq_len:
        raise InputError(f"context {context} must be in 1..{spec.seq_len} (the model's "
                         f"seq_len; the trace generator needs real positions)")
    if kv_layout not in KV_LAYOUTS:
        raise InputError(f"kv_layout must be one of {', '.join(KV_LAYOUTS)}, "
                         f"not {kv_layout!r}")
    if backing not in BACKINGS:
        raise InputError(f"backing must be one of {', '.join(BACKINGS)}, not {backing!r}")
    mmap = MemoryMap(kv_layout=kv_layout)
    dh = design_hierarchy(design, junction_c=junction_c)
    if backing == "fixed-latency" and dh.hierarchy.memory.dram:
        mem = fixed_latency_memory(design, dh)
        dh = replace(dh, hierarchy=replace(dh.hierarchy, memory=mem),
                     notes=dh.notes + (f"{mem.name}: fixed latency {mem.latency_ns:g} ns and "
                                       f"{mem.bandwidth_bytes_per_s / 1e9:.1f} GB/s (the "
                                       f"design tier's), its DRAM model removed",))
    h = dh.hierarchy
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
    return SimulatedDecode(
        prefetcher=prefetcher, kv_layout=kv_layout, layers_simulated=sim_l,
        n_layers=n_layers, scale=scale, access_bytes=line, trace_accesses_simulated=sub,
        trace_accesses_full=full, filler_bytes=filler * line,
        other_layers_bytes=(full - sub) * line, hierarchy=dh,
        step=b.minus(a).scaled(scale), accesses_run=int(a.accesses + b.accesses))


def _retention_moved(design: DesignSpec, t0: float, t1: float) -> bool:
    """Whether any eDRAM tier's retention differs by more than 10% between t0 and t1."""
    for t in design.tiers:
        if t.tech == "edram":
            r0 = design.macro(t, temperature_c=t0)
            r1 = design.macro(t, temperature_c=t1)
            if r0 and r1 and abs(r1.retention_us / r0.retention_us - 1) > 0.1:
                return True
    return False


@dataclass(frozen=True, slots=True, kw_only=True)
class _Evaluated:
    """Time, energy and power of one simulated step (see ppa_simulated)."""

    seconds: float
    tokens_per_s: float
    energy_pj: dict[str, float]       # per tier (the off-chip one as dram_source says)
    dram_source: str
    per_bit_pj: float                 # DRAM bytes x the tier's pJ/bit
    solved: PowerSolution


def _evaluate(design: DesignSpec, sim: SimulatedDecode, *, junction_c: float,
              compute_s: float, compute_j: float,
              static_fixed: dict[str, float]) -> _Evaluated:
    """Seconds per token, energy per tier and the power solved at the junction for one
    simulated step (the module docstring's "Time and energy")."""
    on = [t for t in design.tiers if t.on_chip]
    off = [t for t in design.tiers if not t.on_chip]
    sec = max(sim.seconds_per_token, compute_s)
    if sec <= 0:
        raise InputError("the simulation gave no decode time")
    tps = 1.0 / sec
    energy_pj: dict[str, float] = {}
    for t, lv in zip(on, sim.step.levels):
        m = design.macro(t, temperature_c=junction_c)
        assert m is not None
        # data-array reads: load hits (stores assumed to hit at the level's hit
        # rate) and the victims written back; a miss costs a tag check only
        # (serial tag-data access), not charged.
        acc = lv.accesses
        reads = lv.hits * (1 - lv.stores / acc if acc else 1.0) + lv.writebacks
        writes = lv.stores + lv.fills + lv.writebacks_in
        energy_pj[t.name] = reads * m.read_energy_pj + writes * m.write_energy_pj
    dyn: dict[str, float] = {"compute": compute_j * tps}
    for t in on:
        dyn[f"{t.name} dynamic"] = energy_pj[t.name] * 1e-12 * tps
    source, per_bit = "", 0.0
    if off:
        b = off[0]
        per_bit = sim.dram_bytes * 8 * (b.energy_pj_per_bit or 0.0)
        model_pj = sim.dram_energy_pj
        if model_pj is not None:
            # The DRAM model's IDD energy of the step: ACT and RD/WR bursts per token,
            # plus standby and refresh, which are powers over the memory time (the DRAM
            # keeps them up while compute alone runs, if compute is the longer).
            mem = sim.step.memory
            bg = float(mem["energy_background_pj"] or 0.0)
            ref = float(mem["energy_refresh_pj"] or 0.0)
            mem_s = sim.seconds_per_token or sec
            dyn[f"{b.name} dynamic"] = (model_pj - bg - ref) * 1e-12 * tps
            dyn[f"{b.name} background"] = bg * 1e-12 / mem_s
            dyn[f"{b.name} refresh"] = ref * 1e-12 / mem_s
            energy_pj[b.name] = (model_pj - bg - ref) + (bg + ref) * sec / mem_s
            source = (f"DRAM model {mem['dram']}: IDD energy of its commands, standby and "
                      f"refresh (the device's core rail; no I/O, not the {b.energy_pj_per_bit:g} "
                      f"pJ/bit incl. I/O)" if b.energy_pj_per_bit else
                      f"DRAM model {mem['dram']}: IDD energy of its commands, standby and "
                      f"refresh (the device's core rail; no I/O)")
        else:
            energy_pj[b.name] = per_bit
            dyn[f"{b.name} dynamic"] = per_bit * 1e-12 * tps
            source = f"DRAM bytes x {b.energy_pj_per_bit or 0.0:g} pJ/bit (the tier's, incl. I/O)"
        for t in off[1:]:
            dyn[f"{t.name} dynamic"] = 0.0
    solved = solve_power(design, dyn, static_fixed)
    return _Evaluated(seconds=sec, tokens_per_s=tps, energy_pj=energy_pj, dram_source=source,
                      per_bit_pj=per_bit, solved=solved)


def ppa_simulated(design: DesignSpec, spec: ModelSpec, *, context: int = 4096,
                  precision: str = "int4", kv_precision: str | None = None,
                  sim_layers: int = DEFAULT_SIM_LAYERS, prefetcher: str = "stream",
                  kv_layout: str = DEFAULT_KV_LAYOUT, max_passes: int = MAX_PASSES,
                  compare: bool = False, progress: Progress | None = None) -> PPAResult:
    """PPA with the decode time and memory energy of a simulated step (module docstring).

    The roofline's tokens/s, J/token and power stay in ``roofline_*``; ``simulate`` (a
    :class:`SimulatedPPA`) holds the simulation and ``vs_roofline``. The eDRAM refresh
    of the simulated hierarchy depends on the junction temperature, which depends on
    the simulated power: the first pass uses the roofline's junction temperature, and
    the step is simulated again (at most ``max_passes`` times in all) while the solved
    temperature moves any eDRAM retention by more than 10%.

    ``compare``: also simulate the step with the fixed-latency memory
    (:func:`fixed_latency_memory`; only when the design names a DRAM model) and set
    ``simulate.comparison`` (roofline, fixed latency, DRAM model). The figures of the
    result are the design's backing store's either way.

    Raises:
        InputError: bad context, precision or ``sim_layers``.
        ConfigError: a design the simulator cannot model.
    """
    from ..workload.analysis import analyze

    base = ppa(design, spec, context=context, precision=precision, kv_precision=kv_precision)
    an = analyze(spec, context=context, batch=1, precision=precision,
                 kv_precision=kv_precision, device=design.device())
    warnings = [w for w in base.warnings if w not in base.thermal_warnings]
    if kv_precision and kv_precision != precision:
        warnings.append(f"simulate: the trace holds the KV cache at {precision}, not "
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
        warnings.append(f"simulate: the roofline's power has no thermal equilibrium; the "
                        f"eDRAM refresh is simulated at the package limit {tj_sim:g} °C")
    passes: list[SimPass] = []
    new_warn: list[str] = []
    sim_kw: dict[str, Any] = dict(context=context, precision=precision,
                                  sim_layers=sim_layers, prefetcher=prefetcher,
                                  kv_layout=kv_layout, progress=progress)
    ev_kw: dict[str, Any] = dict(compute_s=compute_s, compute_j=compute_j,
                                 static_fixed=static_fixed)
    while True:
        sim = simulate_decode(design, spec, junction_c=tj_sim, **sim_kw)
        ev = _evaluate(design, sim, junction_c=tj_sim, **ev_kw)
        solved = ev.solved
        new_warn = list(solved.warnings)
        sol = solved.junction
        total = solved.total_w
        tj = min(sol.junction_c, 250.0)
        passes.append(SimPass(junction_c_for_refresh=tj_sim, seconds_per_token=ev.seconds,
                              power_w=total, junction_c=tj))
        if sol.runaway or len(passes) >= max_passes or not _retention_moved(design, tj_sim,
                                                                            tj):
            break
        try:
            design_hierarchy(design, junction_c=tj)
        except ConfigError as exc:
            new_warn.append(f"simulate: not simulated again at Tj {tj:.1f} °C: {exc}")
            break
        tj_sim = tj
    if _retention_moved(design, tj_sim, tj):
        new_warn.append(f"simulate: eDRAM refresh was simulated at Tj {tj_sim:.1f} °C; "
                        f"the simulated power gives {tj:.1f} °C (retention differs by "
                        f"more than 10%; not converged in {len(passes)} pass(es))")

    tps, sec, energy_pj = ev.tokens_per_s, ev.seconds, ev.energy_pj
    power = solved.breakdown_w
    tier_bytes: dict[str, float] = {t.name: float(lv.hits * lv.line_bytes)
                                    for t, lv in zip(on, sim.step.levels)}
    if off:
        tier_bytes[off[0].name] = sim.dram_bytes
    mem_w = sum(v for k_, v in power.items() if k_ != "compute")
    bits_per_s = base.bytes_per_token * tps * 8
    roof_dram = base.tier_bytes_per_token.get(off[0].name, 0.0) if off else 0.0
    # Dynamic energy per token does not depend on the junction temperature: it compares
    # the two estimates even where the thermal loop has no solution.
    vs = VsRoofline(
        tokens_per_s=tps, roofline_tokens_per_s=base.tokens_per_s,
        joules_per_token=total / tps, roofline_joules_per_token=base.joules_per_token,
        dynamic_joules_per_token=sum(solved.dynamic_w.values()) / tps,
        roofline_dynamic_joules_per_token=(sum(base.dynamic_power_w.values())
                                           / base.tokens_per_s),
        power_w=total, roofline_power_w=base.power_w,
        junction_c=sol.junction_c, roofline_junction_c=base.junction_c,
        dram_bytes_per_token=sim.dram_bytes, roofline_dram_bytes_per_token=roof_dram,
        seconds_per_token=sec, roofline_seconds_per_token=base.seconds_per_token)
    comparison = None
    if compare:
        rows = [_roofline_figures(design, base, roof_dram)]
        if sim.memory_model == "dram":
            fixed = simulate_decode(design, spec, junction_c=tj_sim, backing="fixed-latency",
                                    **sim_kw)
            fev = _evaluate(design, fixed, junction_c=tj_sim, **ev_kw)
            rows.append(_sim_figures(design, fixed, fev, "fixed latency (the tier's "
                                     "latency_ns and bandwidth)"))
            rows.append(_sim_figures(design, sim, ev, f"DRAM model {sim.step.memory['dram']}"))
            note = ("the same hierarchy and trace; fixed latency = memory.dram removed (a "
                    "fixed latency behind a bandwidth queue, DRAM energy at the tier's "
                    "pJ/bit); DRAM model = banks, rows, refresh and timing, energy from its "
                    "IDD currents (core rail, no I/O)")
        else:
            rows.append(_sim_figures(design, sim, ev, "fixed latency (the tier's "
                                     "latency_ns and bandwidth)"))
            note = "the design names no DRAM model (its off-chip tier has no dram)"
        comparison = MemoryComparison(rows=tuple(rows), junction_c_for_refresh=tj_sim,
                                      note=note)
    result = SimulatedPPA(decode=sim, passes=tuple(passes), compute_seconds_per_token=compute_s,
                          energy_pj_per_token={**energy_pj, "compute": compute_j * 1e12},
                          level_energy_pj=tuple(energy_pj[t.name] for t in on),
                          vs_roofline=vs, dram_energy_source=ev.dram_source,
                          comparison=comparison)
    return replace(
        base, power_w=total, power_breakdown_w=power, tokens_per_s=tps,
        joules_per_token=total / tps, seconds_per_token=sec,
        tier_bytes_per_token=tier_bytes, junction_c=sol.junction_c,
        thermal_margin_c=sol.margin_c(pkg), runaway=sol.runaway,
        memory_pj_per_bit=mem_w / bits_per_s * 1e12 if bits_per_s else 0.0,
        warnings=warnings + new_warn, dynamic_power_w=dict(solved.dynamic_w),
        thermal_warnings=solved.warnings, roofline_tokens_per_s=base.tokens_per_s,
        roofline_joules_per_token=base.joules_per_token, roofline_power_w=base.power_w,
        simulate=result)


def _roofline_figures(design: DesignSpec, base: PPAResult,
                      roof_dram: float) -> MemoryModelFigures:
    off = [t for t in design.tiers if not t.on_chip]
    pj_bit = (off[0].energy_pj_per_bit or 0.0) if off else 0.0
    bw = float((off[0].bandwidth_bytes_per_s if off else None)
               or design.device().tiers[-1].bandwidth_bytes_per_s)
    return MemoryModelFigures(
        model="roofline", label="roofline (workload analysis)",
        seconds_per_token=base.seconds_per_token,
        memory_seconds_per_token=base.seconds_per_token,
        joules_per_token=base.joules_per_token,
        dynamic_joules_per_token=sum(base.dynamic_power_w.values()) / base.tokens_per_s,
        power_w=base.power_w, junction_c=base.junction_c, runaway=base.runaway,
        dram_bytes_per_token=roof_dram, dram_peak_bandwidth_bytes_per_s=bw,
        dram_energy_pj_per_token=roof_dram * 8 * pj_bit,
        dram_energy_source=f"DRAM bytes x {pj_bit:g} pJ/bit (the tier's, incl. I/O)",
        dram_per_bit_pj_per_token=roof_dram * 8 * pj_bit)


def _sim_figures(design: DesignSpec, sim: SimulatedDecode, ev: _Evaluated,
                 label: str) -> MemoryModelFigures:
    m = sim.step.memory
    sol = ev.solved
    off = [t for t in design.tiers if not t.on_chip]
    lat = sim.latency(ns=True)
    dram = sim.memory_model == "dram"
    moved = sim.dram_bytes
    return MemoryModelFigures(
        model=sim.memory_model, label=label, seconds_per_token=ev.seconds,
        memory_seconds_per_token=sim.seconds_per_token,
        joules_per_token=sol.total_w / ev.tokens_per_s,
        dynamic_joules_per_token=sum(sol.dynamic_w.values()) / ev.tokens_per_s,
        power_w=sol.total_w, junction_c=sol.junction.junction_c, runaway=sol.junction.runaway,
        dram_bytes_per_token=moved,
        dram_peak_bandwidth_bytes_per_s=float(m["peak_bandwidth_bytes_per_s"]),
        dram_energy_pj_per_token=ev.energy_pj.get(off[0].name, 0.0) if off else 0.0,
        dram_energy_source=ev.dram_source, dram_per_bit_pj_per_token=ev.per_bit_pj,
        row_hit_rate=m.get("row_hit_rate") if dram else None,
        act_per_kib=(m["act_cmds"] / (moved / 1024) if dram and moved else None),
        ref_cmds_per_token=(m["ref_cmds"] if dram else None),
        dram_read_latency_mean_ns=m.get("dram_read_latency_mean_ns") if dram else None,
        latency_mean_ns=lat.get("mean"), latency_p99_ns=lat.get("p99"))
