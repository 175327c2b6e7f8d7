"""Helpers the study sections share (sections never import each other): the verdict
rule for numeric claims, the realistic decode trace of the simulation sections and
their table rows, and writing a figure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..models import load_spec
from ..sim import HierarchyConfig, SimResult, load_hierarchy
from ..trace import TraceChunk, decode_trace
from ._core import Claim

__all__ = ["VERDICT_RULE", "numeric_verdict", "seed_claim", "REALISTIC", "KV_LAYOUTS",
           "trace_config", "realistic_trace", "trace_mix", "result_row",
           "study_hierarchy", "memory_text"]


# One rule for every numeric seed claim in the technology and PPA sections. ±10 % is
# the precision a "~" figure implies; ±30 % is the band within which janus1's own
# memory model is accepted against CACTI 7 (docs/technology.md), so a value inside it
# cannot confirm the claim but cannot contradict it either.
_HOLDS, _PARTLY = 0.10, 0.30
VERDICT_RULE = (f"Verdict rule for numeric claims (r = janus1 / claimed - 1): **holds** if "
                f"|r| <= {_HOLDS:.0%}, **partly** if {_HOLDS:.0%} < |r| <= {_PARTLY:.0%} "
                f"(inside janus1's own ±{_PARTLY:.0%} accuracy band against CACTI), "
                f"**refuted** if |r| > {_PARTLY:.0%}. A claim checked against two janus1 "
                f"values (a model and a bound) takes the verdict of the value closer to it.")


def numeric_verdict(measured: float | tuple[float, ...], claimed: float) -> tuple[str, float]:
    """(verdict, r) of a numeric claim under :data:`VERDICT_RULE`.

    ``measured`` may be several janus1 values (a model and a bound); the one closest to
    the claim decides.
    """
    vals = measured if isinstance(measured, tuple) else (measured,)
    r = min((v / claimed - 1.0 for v in vals), key=abs)
    verdict = "holds" if abs(r) <= _HOLDS else "partly" if abs(r) <= _PARTLY else "refuted"
    return verdict, r


def seed_claim(claim: str, claimed_txt: str, claimed: float, measured: float | tuple[float, ...],
           measured_txt: str, note: str) -> Claim:
    verdict, r = numeric_verdict(measured, claimed)
    return Claim(seed="001", claim=claim, claimed=claimed_txt,
                 measured=f"{measured_txt} (r = {r:+.2%})", verdict=verdict, note=note)


# The realistic trace: the seed's model (Llama-2-7B) at the seed's INT4, one decode step
# at the end of a 4096-token context. Scaled: only the first `layers` layers (each at
# full size) plus the classifier; every layer of the full model behaves the same way.
REALISTIC = {"model": "llama-2-7b", "precision": "int4", "layers": 3, "tokens": 1,
             "access_bytes": 8, "kv_layout": "position-major"}
KV_LAYOUTS = ("position-major", "head-major")


def trace_config(opts: Any) -> dict[str, Any]:
    """The ``realistic_trace`` keys of a section's options (None = that key's default)."""
    return {k: getattr(opts, k) for k in (*REALISTIC, "context")
            if getattr(opts, k, None) is not None}


def realistic_trace(cfg: dict[str, Any], full: bool) -> tuple[dict[str, Any], Any]:
    """The realistic decode trace's parameters and a factory of fresh chunk iterators."""
    p = {**REALISTIC, **{k: cfg[k] for k in REALISTIC if k in cfg}}
    if full and "layers" not in cfg:
        p["layers"] = 8
    spec = load_spec(p["model"])
    layers = min(int(p["layers"]), spec.n_layers)
    tokens = int(p["tokens"])
    context = int(cfg.get("context", spec.seq_len - tokens))
    p.update(layers=layers, context=context, tokens=tokens)

    def make(kv_layout: str | None = None) -> Iterator[TraceChunk]:
        from ..trace import MemoryMap

        mm = MemoryMap(kv_layout=kv_layout or str(p["kv_layout"]))
        return decode_trace(spec, precision=p["precision"], context=context, tokens=tokens,
                            n_layers=layers, access_bytes=int(p["access_bytes"]),
                            memory_map=mm)

    return p, make


def trace_mix(chunks: Iterable[TraceChunk]) -> dict[str, int]:
    """Accesses per region and kind (weights, KV reads, KV writes, activations)."""
    from ..trace import MemoryMap

    mm = MemoryMap()
    out = {"weights": 0, "kv_reads": 0, "kv_writes": 0, "activations": 0, "total": 0}
    for c in chunks:
        st = c.kind.astype(bool) if c.kind is not None else None
        w = c.addr < mm.kv_base
        kv = (c.addr >= mm.kv_base) & (c.addr < mm.act_base)
        out["weights"] += int(w.sum())
        if st is not None:
            out["kv_reads"] += int((kv & ~st).sum())
            out["kv_writes"] += int((kv & st).sum())
        else:
            out["kv_reads"] += int(kv.sum())
        out["activations"] += int((c.addr >= mm.act_base).sum())
        out["total"] += len(c)
    return out


def result_row(res: SimResult, k: int = 1, **extra: Any) -> dict[str, Any]:
    """A flat table row from a timed result; latencies, cycles and stalls divided by
    ``k`` (simulator cycles per design cycle: the row is in design cycles)."""
    row: dict[str, Any] = dict(extra)
    for lv in res.levels:
        row[f"{lv.name}_hit_rate"] = lv.hit_rate
        row[f"{lv.name}_misses"] = lv.misses
    for q in ("p50", "p90", "p99", "p999", "p9999", "max", "mean"):
        v = res.latency[q]
        row[q] = v / k if v is not None else None
    p = res.prefetch
    row.update(pf_issued=p["issued"], pf_useful=p["useful"], pf_late=p["late"],
               pf_dropped=p["dropped"], pf_accuracy=p["accuracy"], pf_coverage=p["coverage"])
    row.update(cycles=res.cycles / k if res.cycles is not None else None,
               stall_cycles=res.stall_cycles / k if res.stall_cycles is not None else None,
               dram_bytes=res.memory["bytes_moved"], dram_utilization=res.memory["utilization"],
               dram_row_hit_rate=res.memory.get("row_hit_rate"),
               refresh_wait_cycles=sum(lv.refresh_wait_cycles for lv in res.levels) / k)
    return row


def study_hierarchy(hierarchy: str | None = None,
                    design: str = "janus-1") -> tuple[str, HierarchyConfig, int]:
    """The hierarchy a simulation section runs, its name, and the simulator cycles per
    core access: the ``hierarchy`` preset or file when one is named (one access per
    cycle of its clock), else the memory of ``design`` as
    :func:`janus1.design.hierarchy.design_hierarchy` derives it for ``ppa --simulate``,
    with the seed's core: one access per design cycle."""
    from dataclasses import replace

    from ..design import load_design
    from ..design.hierarchy import design_hierarchy

    if hierarchy is not None:
        return hierarchy, load_hierarchy(hierarchy), 1
    dh = design_hierarchy(load_design(design))
    k = dh.issue_slots_per_cycle
    return f"{design} (design)", replace(dh.hierarchy, issue_interval_cycles=k), k


def memory_text(memory: Any) -> str:
    """The backing store of a hierarchy in words: the DRAM model with its idle read
    latency and peak, or the fixed latency and bandwidth."""
    bw = memory.bandwidth_bytes_per_s / 1e9
    if memory.dram:
        return (f"{memory.name} as the DRAM model {memory.dram} (idle read latency "
                f"{memory.latency_ns:.1f} ns, peak {bw:.2f} GB/s)")
    return f"{memory.name} at a fixed {memory.latency_ns:.0f} ns, {bw:.1f} GB/s"
