"""The evaluators a sweep can run per point and the metrics each stores.

A metric has a name (its Parquet column), a kind (``float``, ``bool``, ``str``), the
direction that is better (``min``/``max``; None for a metric that is not an objective)
and the evaluator that produces it. Objectives and constraints name metrics from this
table; the sweep file is rejected when one is unknown or needs an evaluator the file
does not run.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Metric", "EVALUATORS", "METRICS", "metrics_of", "metric", "axis_label"]

EVALUATORS = ("roofline", "ppa", "ppa_sim", "accuracy")


@dataclass(frozen=True, slots=True)
class Metric:
    """One stored metric."""

    name: str
    kind: str            # float | bool | str
    goal: str | None     # min | max | None
    evaluator: str       # the evaluator that produces it (ppa implies roofline's too)
    doc: str


_M = Metric
METRICS: tuple[Metric, ...] = (
    # roofline: janus1.workload.analysis.analyze on the design's device view
    _M("tokens_per_s", "float", "max", "roofline", "decode tokens per second (roofline)"),
    _M("seconds_per_token", "float", "min", "roofline", "decode seconds per token (roofline)"),
    _M("prefill_seconds", "float", "min", "roofline", "prefill of the whole context (roofline)"),
    _M("flops_per_token", "float", None, "roofline", "decode FLOPs per token"),
    _M("bytes_per_token", "float", None, "roofline", "decode bytes per token"),
    _M("arithmetic_intensity", "float", None, "roofline", "decode FLOPs per byte"),
    _M("weight_bytes", "float", "min", "roofline", "resident weight bytes"),
    _M("kv_bytes", "float", "min", "roofline", "resident KV-cache bytes"),
    _M("spill_bytes", "float", "min", "roofline", "bytes beyond the first tier"),
    _M("fits", "bool", None, "roofline", "weights and KV fit in the device's tiers"),
    _M("bound", "str", None, "roofline", "decode is memory- or compute-bound"),
    # ppa: janus1.design.ppa (time from the same roofline)
    _M("area_mm2", "float", "min", "ppa", "die area"),
    _M("power_w", "float", "min", "ppa", "total power at the solved junction temperature"),
    _M("joules_per_token", "float", "min", "ppa", "energy per decoded token"),
    _M("tokens_per_joule", "float", "max", "ppa", "decoded tokens per joule"),
    _M("junction_c", "float", "min", "ppa", "junction temperature"),
    _M("thermal_margin_c", "float", "max", "ppa", "package limit minus junction temperature"),
    _M("runaway", "bool", None, "ppa", "no thermal equilibrium below 250 °C"),
    _M("memory_pj_per_bit", "float", "min", "ppa", "memory energy per bit delivered"),
    _M("peak_tops", "float", "max", "ppa", "peak TOPS at the point's precision"),
    _M("ppa_warnings", "str", None, "ppa", "ppa's warnings, joined by '; '"),
    # ppa_sim: janus1.design.ppa_simulated (a decode step through the simulator)
    _M("sim_tokens_per_s", "float", "max", "ppa_sim", "decode tokens per second (simulated)"),
    _M("sim_joules_per_token", "float", "min", "ppa_sim", "energy per token (simulated)"),
    _M("sim_tokens_per_joule", "float", "max", "ppa_sim", "tokens per joule (simulated)"),
    _M("sim_power_w", "float", "min", "ppa_sim", "total power (simulated)"),
    _M("sim_junction_c", "float", "min", "ppa_sim", "junction temperature (simulated)"),
    _M("sim_dram_bytes_per_token", "float", "min", "ppa_sim", "off-chip bytes per token"),
    _M("sim_latency_p99", "float", "min", "ppa_sim", "p99 access latency, design cycles"),
    _M("sim_latency_p9999", "float", "min", "ppa_sim", "p99.99 access latency, design cycles"),
    # accuracy: janus1.decoder.evaluate.compare on stories260K under a quantization scheme
    _M("ppl", "float", "min", "accuracy", "perplexity of the quantized decoder"),
    _M("ppl_reference", "float", None, "accuracy", "perplexity of the float reference"),
    _M("ppl_delta_pct", "float", "min", "accuracy", "perplexity change vs float, percent"),
    _M("top1_agreement", "float", "max", "accuracy", "next-token argmax agreement"),
    _M("kl_mean", "float", "min", "accuracy", "mean KL(reference || quantized), nats"),
)
_BY_NAME = {m.name: m for m in METRICS}


# the unit of each numeric metric, for axis labels ("dimensionless" where there is none)
UNITS = {
    "tokens_per_s": "tokens/s", "seconds_per_token": "s", "prefill_seconds": "s",
    "flops_per_token": "FLOP", "bytes_per_token": "B", "arithmetic_intensity": "FLOP/B",
    "weight_bytes": "B", "kv_bytes": "B", "spill_bytes": "B", "area_mm2": "mm²",
    "power_w": "W", "joules_per_token": "J/token", "tokens_per_joule": "tokens/J",
    "junction_c": "°C", "thermal_margin_c": "°C", "memory_pj_per_bit": "pJ/bit",
    "peak_tops": "TOPS", "sim_tokens_per_s": "tokens/s", "sim_joules_per_token": "J/token",
    "sim_tokens_per_joule": "tokens/J", "sim_power_w": "W", "sim_junction_c": "°C",
    "sim_dram_bytes_per_token": "B/token", "sim_latency_p99": "design cycles",
    "sim_latency_p9999": "design cycles", "ppl": "dimensionless",
    "ppl_reference": "dimensionless", "ppl_delta_pct": "%", "top1_agreement": "fraction",
    "kl_mean": "nats",
}


def axis_label(name: str, goal: str | None = None) -> str:
    """``name`` as an axis label ending with its unit, e.g. ``area_mm2, lower is better (mm²)``."""
    better = {"min": ", lower is better", "max": ", higher is better"}.get(goal or "", "")
    return f"{name}{better} ({UNITS.get(name, 'dimensionless')})"


def metric(name: str) -> Metric | None:
    """The metric called ``name`` (None when unknown)."""
    return _BY_NAME.get(name)


def metrics_of(evaluators: tuple[str, ...]) -> tuple[Metric, ...]:
    """The metrics the given evaluators store, in table order (ppa includes roofline's)."""
    ev = set(evaluators)
    if "ppa" in ev:
        ev.add("roofline")
    return tuple(m for m in METRICS if m.evaluator in ev)
