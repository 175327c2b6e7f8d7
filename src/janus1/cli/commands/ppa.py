"""``janus1 ppa``: area, power, throughput and junction temperature of a design."""

from __future__ import annotations

from typing import Any

import click

from ...precision import PRECISION_NAMES
from .._common import echo_json, json_option, print_table, set_option, warn

__all__ = ["command"]


@click.command("ppa")
@click.argument("design")
@click.option("--model", default="llama-2-7b", show_default=True, help="Model preset or file.")
@click.option("--context", default=4096, show_default=True, type=click.IntRange(min=1),
              help="KV-cache tokens.")
@click.option("--precision", default="int4", show_default=True,
              type=click.Choice(PRECISION_NAMES, case_sensitive=False), help="Weight precision.")
@click.option("--kv-precision", default=None,
              type=click.Choice(PRECISION_NAMES, case_sensitive=False),
              help="KV precision (default: --precision).")
@click.option("--simulate", "do_simulate", is_flag=True,
              help="Simulate a decode step through the design's memory hierarchy: its "
                   "time and per-level traffic replace the roofline's time and memory "
                   "energy (docs/technology.md).")
@click.option("--sim-layers", default=None, type=int,
              help="With --simulate: layers simulated (each full size, plus the "
                   "classifier); the rest is scaled linearly. [default: 2]")
@click.option("--prefetcher", default="stream", show_default=True,
              help="With --simulate: prefetch policy (none, next-line, stride, stream).")
@click.option("--kv-layout", default="head-major", show_default=True,
              type=click.Choice(["head-major", "position-major"]),
              help="With --simulate: KV-cache layout of the trace.")
@set_option("tiers.1.capacity=128MiB")
@json_option
def command(design: str, model: str, context: int, precision: str, kv_precision: str | None,
            do_simulate: bool, sim_layers: int | None, prefetcher: str, kv_layout: str,
            overrides: tuple[str, ...], as_json: bool) -> None:
    """Power, performance and area of DESIGN (a preset or a TOML file) decoding MODEL."""
    from ...design import load_design, ppa
    from ...errors import InputError
    from ...models import load_spec

    if not do_simulate and sim_layers is not None:
        raise InputError("--sim-layers needs --simulate")
    if sim_layers is not None and sim_layers < 1:
        raise InputError(f"--sim-layers must be a positive integer, not {sim_layers}")
    d = load_design(design, overrides)
    spec = load_spec(model)
    if do_simulate:
        r = _simulated(d, spec, context=context, precision=precision,
                       kv_precision=kv_precision, sim_layers=sim_layers,
                       prefetcher=prefetcher, kv_layout=kv_layout)
    else:
        r = ppa(d, spec, context=context, precision=precision, kv_precision=kv_precision)
    if as_json:
        echo_json(r.to_dict())
        return
    print_table(f"{r.design}: area {r.area_mm2:.1f} mm²",
                ["block", "mm²"], [[k, f"{v:.2f}"] for k, v in r.area_breakdown_mm2.items()])
    print_table(f"{r.design}: power {r.power_w:.3f} W at Tj {r.junction_c:.1f} °C "
                f"({r.package}, {r.ambient_c:g} °C ambient, margin {r.thermal_margin_c:.1f} °C)",
                ["part", "W"], [[k, f"{v:.4f}"] for k, v in r.power_breakdown_w.items()])
    click.echo("peak TOPS: " + ", ".join(f"{k} {v:.3f}" for k, v in r.tops.items()))
    if r.simulate is not None:
        _echo_simulation(r)
    click.echo(f"{r.model} ctx {r.context} {r.precision}: {r.tokens_per_s:.2f} tokens/s, "
               f"{r.joules_per_token:.4g} J/token, memory {r.memory_pj_per_bit:.2f} pJ/bit"
               + (" (simulated)" if r.simulate is not None else ""))
    if r.simulate is not None and r.roofline_tokens_per_s and r.roofline_joules_per_token:
        jr = r.joules_per_token / r.roofline_joules_per_token
        click.echo(f"roofline: {r.roofline_tokens_per_s:.2f} tokens/s, "
                   f"{r.roofline_joules_per_token:.4g} J/token; simulated/roofline: "
                   f"tokens/s x{r.tokens_per_s / r.roofline_tokens_per_s:.3f} "
                   f"({r.tokens_per_s / r.roofline_tokens_per_s - 1:+.1%}), J/token "
                   + ("not comparable (thermal runaway)" if r.runaway else
                      f"x{jr:.3f} ({jr - 1:+.1%})"))
    if r.simulate is not None:
        v = r.simulate.vs_roofline
        click.echo(f"dynamic energy (no temperature dependence): "
                   f"{v.dynamic_joules_per_token:.4f} J/token simulated, "
                   f"{v.roofline_dynamic_joules_per_token:.4f} J/token roofline")
    for w in r.warnings:
        warn(w)


def _simulated(d: Any, spec: Any, *, sim_layers: int | None, **kw: Any) -> Any:
    """``ppa_simulated`` with a transient rich progress bar on stderr."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.progress import TimeElapsedColumn

    from ...design.simulate import DEFAULT_SIM_LAYERS, ppa_simulated

    layers = DEFAULT_SIM_LAYERS if sim_layers is None else sim_layers
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as bar:
        task = bar.add_task(f"simulating a decode step of {spec.name} "
                            f"({min(max(layers, 1), spec.n_layers)} of {spec.n_layers} layers)",
                            total=None)
        return ppa_simulated(d, spec, sim_layers=layers, compare=True,
                             progress=lambda n: bar.advance(task, n), **kw)


def _echo_simulation(r: Any) -> None:
    """The simulated step: scaling, per-level traffic, DRAM, stalls, latency."""
    s = r.simulate.to_dict()
    h = s["hierarchy"]
    click.echo(f"simulated: {s['layers_simulated']} of {s['n_layers']} layers (each full "
               f"size) + embedding row, final norm, classifier; traffic, stalls and time "
               f"scaled x{s['scale']:.3f} (accesses of a whole step / simulated); "
               f"{s['access_bytes']} B accesses, {s['kv_layout']} KV, prefetcher "
               f"{s['prefetcher']}, steady state (warm-up step + "
               f"{s['warmup']['filler_bytes'] / 2**20:.0f} MiB filler); "
               f"sim clock {h['clock_hz'] / 1e9:g} GHz ({h['issue_slots_per_cycle']} issue "
               f"slot(s) per design cycle)")
    print_table("simulated decode step, per token (scaled)",
                ["level", "hits", "misses", "hit rate", "MB moved", "mJ"],
                [[lv["name"], f"{lv['hits']:.4g}", f"{lv['misses']:.4g}",
                  f"{lv['hit_rate']:.4f}", f"{lv['bytes_moved'] / 1e6:.1f}",
                  f"{lv.get('energy_pj', 0.0) * 1e-9:.2f}"] for lv in s["levels"]])
    m = s["memory"]
    util = m["utilization"] or 0.0
    model = (f"DRAM model {m['dram']}, row-hit rate {m['row_hit_rate']:.3f}, "
             f"{m['act_cmds']:.4g} ACT and {m['ref_cmds']:.4g} REF per token, "
             if m.get("model") == "dram" else "fixed latency, ")
    click.echo(f"DRAM {m['name']} ({model}peak {m['peak_bandwidth_bytes_per_s'] / 1e9:.2f} "
               f"GB/s): {s['dram_bytes'] / 1e6:.1f} MB/token "
               f"(roofline {s['vs_roofline']['roofline_dram_bytes_per_token'] / 1e6:.1f} MB), "
               f"{(m['bandwidth_bytes_per_s'] or 0.0) / 1e9:.2f} GB/s = {util:.1%} of peak; "
               f"bandwidth bound {s['dram_bandwidth_bound_s'] * 1e3:.2f} ms; energy "
               f"{s['energy_pj_per_token'].get(m['name'], 0.0) * 1e-9:.2f} mJ/token from "
               f"{s['dram_energy_source']}")
    lat = s["latency"]
    click.echo(f"time {s['seconds_per_token'] * 1e3:.2f} ms/token "
               f"(roofline {s['vs_roofline']['roofline_seconds_per_token'] * 1e3:.2f} ms, "
               f"compute {s['compute_seconds_per_token'] * 1e3:.2f} ms); stall "
               f"{s['stall_cycles']:.4g} cycles; latency (design cycles) "
               + ", ".join(f"{k} {lat[k]:.0f}" for k in ("p50", "p99", "p9999", "max")
                           if lat.get(k) is not None)
               + f", mean {lat['mean']:.1f}" if lat.get("mean") is not None else "")
    for n in h["notes"]:
        click.echo(f"note: {n}")
    if "memory_models" in s:
        _echo_comparison(s["memory_models"])


def _echo_comparison(c: dict[str, Any]) -> None:
    """Roofline, fixed latency and DRAM model side by side (``simulate.memory_models``)."""
    rows = c["rows"]

    def opt(v: float | None, fmt: str) -> str:
        return "-" if v is None else format(v, fmt)

    table = [
        ["tokens/s", *(f"{r['tokens_per_s']:.2f}" for r in rows)],
        ["ms/token", *(f"{r['seconds_per_token'] * 1e3:.2f}" for r in rows)],
        ["J/token", *(f"{r['joules_per_token']:.4g}" + (" (runaway)" if r["runaway"] else "")
                      for r in rows)],
        ["dynamic J/token", *(f"{r['dynamic_joules_per_token']:.4g}" for r in rows)],
        ["DRAM MB/token", *(f"{r['dram_bytes_per_token'] / 1e6:.1f}" for r in rows)],
        ["DRAM GB/s achieved", *(f"{r['dram_bandwidth_bytes_per_s'] / 1e9:.2f}" for r in rows)],
        ["DRAM GB/s peak", *(f"{r['dram_peak_bandwidth_bytes_per_s'] / 1e9:.2f}" for r in rows)],
        ["DRAM utilization", *(f"{r['dram_utilization']:.1%}" for r in rows)],
        ["DRAM row-hit rate", *(opt(r["row_hit_rate"], ".3f") for r in rows)],
        ["DRAM mJ/token", *(f"{r['dram_energy_pj_per_token'] * 1e-9:.2f}" for r in rows)],
        ["DRAM mJ/token at pJ/bit", *(f"{r['dram_per_bit_pj_per_token'] * 1e-9:.2f}"
                                      for r in rows)],
        ["mean latency ns", *(opt(r["latency_mean_ns"], ".1f") for r in rows)],
    ]
    print_table(f"memory models on this decode step (refresh at Tj "
                f"{c['junction_c_for_refresh']:.1f} °C)",
                ["", *(r["model"] for r in rows)], table)
    click.echo(f"memory models: {c['note']}")
