"""Study section: one real decode step under three memory models side by side: the
roofline, the simulated hierarchy over a fixed-latency memory, and the same hierarchy over
the design's DRAM model (``ppa --simulate``'s comparison)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...design.simulate import DEFAULT_KV_LAYOUT, DEFAULT_SIM_LAYERS, KV_LAYOUTS
from ...precision import PRECISION_NAMES
from ...report import write_csv, write_json
from .. import Section, SectionOutput, StudyContext, option

__all__ = ["SECTION", "SimDramOptions"]

_LABEL = {"roofline": "roofline", "fixed-latency": "fixed latency", "dram": "DRAM model"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SimDramOptions:
    """``--set sim_dram.KEY=VALUE``: the design, the model and the simulated step."""

    design: str = option("janus-1", help="design preset or file (its off-chip tier's dram "
                                         "is the DRAM model)")
    model: str = option("llama-2-7b", help="model preset or file of the decode step")
    context: int = option(4096, min=1, help="KV-cache tokens the step attends to")
    precision: str = option("int4", choices=PRECISION_NAMES, help="weight and KV precision")
    sim_layers: int = option(DEFAULT_SIM_LAYERS, min=1,
                             help="layers simulated (each full size; the rest scaled)")
    kv_layout: str = option(DEFAULT_KV_LAYOUT, choices=KV_LAYOUTS, help="KV layout")
    design_set: tuple[str, ...] = option((), help="--set overrides of the design")


def run(ctx: StudyContext) -> SectionOutput:
    from ...design import load_design
    from ...design.simulate import ppa_simulated
    from ...models import load_spec

    o = ctx.opts(SimDramOptions)
    design = load_design(o.design, list(o.design_set))
    spec = load_spec(o.model)
    ctx.progress(f"{spec.name}: a decode step through {design.name}'s memory, twice")
    r = ppa_simulated(design, spec, context=o.context, precision=o.precision,
                      sim_layers=o.sim_layers, kv_layout=o.kv_layout, compare=True)
    s = r.simulate
    assert s is not None and s.comparison is not None      # compare=True sets both
    c = s.comparison
    rows = [_row(x) for x in c.rows]
    write_csv(ctx.out_dir / "memory_models.csv", rows)
    write_json(ctx.out_dir / "memory_models.json",
               {"design": design.name, "model": spec.name, "context": o.context,
                "precision": o.precision, "comparison": c.to_dict(),
                "simulate": s.to_dict(), "warnings": r.warnings})
    fig = _figure(ctx, rows)
    md = _markdown(design, spec, o, r, rows, fig)
    resolved = {"design": design.name, "model": spec.name, "context": o.context,
                "precision": o.precision, "sim_layers": s.decode.layers_simulated,
                "kv_layout": o.kv_layout, "design_set": list(o.design_set)}
    return SectionOutput(markdown=md, resolved=resolved)


def _row(x: Any) -> dict[str, Any]:
    """A flat table row of one memory model (:class:`MemoryModelFigures`)."""
    d = x.to_dict()
    return {"model": d["model"], "label": d["label"], "tokens_per_s": d["tokens_per_s"],
            "seconds_per_token": d["seconds_per_token"],
            "memory_seconds_per_token": d["memory_seconds_per_token"],
            "joules_per_token": d["joules_per_token"],
            "dynamic_joules_per_token": d["dynamic_joules_per_token"],
            "power_w": d["power_w"], "junction_c": d["junction_c"], "runaway": d["runaway"],
            "dram_bytes_per_token": d["dram_bytes_per_token"],
            "dram_bandwidth_bytes_per_s": d["dram_bandwidth_bytes_per_s"],
            "dram_peak_bandwidth_bytes_per_s": d["dram_peak_bandwidth_bytes_per_s"],
            "dram_utilization": d["dram_utilization"],
            "dram_row_hit_rate": d["row_hit_rate"], "dram_act_per_kib": d["act_per_kib"],
            "dram_energy_pj_per_token": d["dram_energy_pj_per_token"],
            "dram_per_bit_pj_per_token": d["dram_per_bit_pj_per_token"],
            "dram_energy_source": d["dram_energy_source"],
            "latency_mean_ns": d["latency_mean_ns"], "latency_p99_ns": d["latency_p99_ns"]}


def _opt(v: float | None, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def _markdown(design: Any, spec: Any, o: SimDramOptions, r: Any,
              rows: list[dict[str, Any]], fig: str) -> str:
    s = r.simulate
    by = {x["model"]: x for x in rows}
    roof, fixed, dram = by["roofline"], by.get("fixed-latency"), by.get("dram")
    d = s.decode
    md = [
        f"One decode step of {spec.name} {o.precision} at context {o.context} on "
        f"`{design.name}`, simulated as `janus1 ppa {design.name} --simulate` does "
        f"(steady state, {d.layers_simulated} of {d.n_layers} layers each full size plus "
        f"the classifier, scaled x{d.scale:.3f}; {o.kv_layout} KV; stream prefetcher), "
        "once over a fixed-latency memory (the design tier's `latency` and `bandwidth`, "
        "a bandwidth queue behind a fixed latency) and once over the design's DRAM model "
        "(banks, rows, refresh and the timing table; `docs/dram.md`), with the same "
        "caches, MSHRs and trace. The roofline is the workload analysis (each tier "
        "serves what it holds, once per token). Both simulations refresh the eDRAM at "
        f"Tj {s.comparison.junction_c_for_refresh:.1f} °C.",
        "",
        f"![memory models]({fig})",
        "",
        "| | " + " | ".join(_LABEL[x["model"]] for x in rows) + " |",
        "|---|" + "---:|" * len(rows),
    ]

    def line(name: str, f: Any) -> None:
        md.append(f"| {name} | " + " | ".join(f(x) for x in rows) + " |")

    line("tokens/s", lambda x: f"{x['tokens_per_s']:.2f}")
    line("ms/token", lambda x: f"{x['seconds_per_token'] * 1e3:.2f}")
    line("J/token", lambda x: "runaway" if x["runaway"] else f"{x['joules_per_token']:.4f}")
    line("dynamic J/token", lambda x: f"{x['dynamic_joules_per_token']:.4f}")
    line("power W (Tj °C)", lambda x: "runaway" if x["runaway"] else
         f"{x['power_w']:.2f} ({x['junction_c']:.0f})")
    line("DRAM MB/token", lambda x: f"{x['dram_bytes_per_token'] / 1e6:,.1f}")
    line("DRAM GB/s achieved", lambda x: f"{x['dram_bandwidth_bytes_per_s'] / 1e9:.2f}")
    line("DRAM GB/s peak", lambda x: f"{x['dram_peak_bandwidth_bytes_per_s'] / 1e9:.2f}")
    line("DRAM utilization", lambda x: f"{x['dram_utilization']:.1%}")
    line("DRAM row-hit rate", lambda x: _opt(x["dram_row_hit_rate"], ".3f"))
    line("DRAM ACT per KiB", lambda x: _opt(x["dram_act_per_kib"], ".3f"))
    line("DRAM mJ/token (in J/token)", lambda x: f"{x['dram_energy_pj_per_token'] * 1e-9:.1f}")
    line("DRAM mJ/token at the tier's pJ/bit",
         lambda x: f"{x['dram_per_bit_pj_per_token'] * 1e-9:.1f}")
    line("access latency mean / p99 ns", lambda x: "-" if x["latency_mean_ns"] is None else
         f"{x['latency_mean_ns']:.0f} / {x['latency_p99_ns']:.0f}")
    md.append("")
    if dram is None or fixed is None:
        md.append(f"{s.comparison.note}: only the roofline and the fixed-latency simulation.")
        return "\n".join(md)
    tier = next(t for t in design.tiers if not t.on_chip)
    e_bit = dram["dram_energy_pj_per_token"] / (8 * dram["dram_bytes_per_token"])
    runaway = [_LABEL[x["model"]] for x in rows if x["runaway"]]
    md += [
        f"Reading: the fixed-latency memory delivers {fixed['dram_utilization']:.0%} of "
        f"its {fixed['dram_peak_bandwidth_bytes_per_s'] / 1e9:.1f} GB/s (the roofline "
        f"assumes {roof['dram_utilization']:.0%}); the DRAM model delivers "
        f"{dram['dram_bandwidth_bytes_per_s'] / 1e9:.1f} GB/s, "
        f"{dram['dram_utilization']:.0%} of its "
        f"{dram['dram_peak_bandwidth_bytes_per_s'] / 1e9:.2f} GB/s peak, with "
        f"{dram['dram_row_hit_rate']:.1%} of its reads hitting an open row. "
        f"So {dram['tokens_per_s']:.2f} tokens/s instead of {fixed['tokens_per_s']:.2f} "
        f"(fixed latency) and {roof['tokens_per_s']:.2f} (roofline): "
        f"{dram['tokens_per_s'] / roof['tokens_per_s'] - 1:+.0%} against the roofline. "
        + _why(tier.dram, dram),
        "",
        f"Energy: with the DRAM model the off-chip tier's energy per token is the model's "
        f"IDD energy (ACT, read/write bursts, standby and refresh on the device's core "
        f"rail): {dram['dram_energy_pj_per_token'] * 1e-9:.1f} mJ/token, {e_bit:.2f} pJ/bit. "
        f"The tier's {tier.energy_pj_per_bit:g} pJ/bit is a whole-access figure "
        f"including the I/O, which the model does not price; on the same bytes it gives "
        f"{dram['dram_per_bit_pj_per_token'] * 1e-9:.1f} mJ/token. The J/token of the DRAM "
        "model column therefore leaves out the interface's switching energy (the PHY's "
        "static power is counted); janus1 has no sourced I/O energy for this DRAM to add.",
    ]
    if runaway:
        md += ["", f"Thermal: with {', '.join(runaway)} the power has no junction "
                   "temperature that balances leakage in the design's package (runaway), so "
                   "its J/token is not a number; compare the dynamic J/token (memory and "
                   "compute, independent of the temperature) instead."]
        if _LABEL["dram"] not in runaway and _LABEL["fixed-latency"] in runaway:
            md[-1] += (" A slower DRAM lowers the power (a token's energy spread over a "
                       "longer time), which is why the DRAM-model column finds an "
                       "equilibrium where the fixed-latency one does not.")
    return "\n".join(md)


def _why(dram: str | None, row: dict[str, Any]) -> str:
    """What the DRAM configuration says about a streamed step's bandwidth: when its
    address mapping keeps a run of columns in one bank (the column field lowest) and
    same-bank-group column commands are spaced wider than a burst, one stream reaches at
    most burst / tCCD_L of a channel's peak."""
    from ...sim.dram import load_dram

    if not dram:
        return ""
    spec = load_dram(dram, [])
    hits = row["dram_row_hit_rate"]
    out = ""
    if hits is not None and hits >= 0.9:
        out = ("Row misses are not what costs: the weights stream in address order, so "
               "nearly every read finds its row open. ")
    if spec.field_positions["co"] == 0 and spec.tCCD_L > spec.burst_cycles:
        run_bytes = (1 << spec.field_widths["co"]) * spec.request_bytes
        bound = spec.burst_cycles / spec.tCCD_L
        out += (f"The address mapping `{spec.address_mapping}` of {spec.name} puts the "
                f"column bits lowest, so a stream stays in one bank, hence one bank group, "
                f"for {run_bytes / 1024:g} KiB, and column commands to one bank group are "
                f"tCCD_L = {spec.tCCD_L} CK apart against a {spec.burst_cycles}-CK burst: "
                f"a single stream reaches at most {bound:.0%} of a channel's peak "
                f"(measured {row['dram_utilization']:.1%} of the peak).")
    return out


def _figure(ctx: StudyContext, rows: list[dict[str, Any]]) -> str:
    from ...report.plots import new_figure, save_figure

    fig, (a, b, c) = new_figure(11, 3.6, ncols=3)
    names = [_LABEL[x["model"]].replace(" ", "\n") for x in rows]
    xs = list(range(len(rows)))
    a.bar(xs, [x["tokens_per_s"] for x in rows], color="C0")
    a.set_xticks(xs, names)
    a.set_ylabel("decode rate (tokens/s)")
    a.set_title("a  tokens per second")
    b.bar(xs, [x["dynamic_joules_per_token"] for x in rows], color="C1",
          label="dynamic (memory + compute)")
    b.bar(xs, [x["dram_energy_pj_per_token"] * 1e-12 for x in rows], color="C2", width=0.5,
          label="of which DRAM")
    b.set_xticks(xs, names)
    b.set_ylabel("energy per token (J)")
    b.set_title("b  temperature-independent energy")
    b.set_ylim(0, 1.4 * max(x["dynamic_joules_per_token"] for x in rows))
    b.legend(fontsize=7, loc="upper center", ncol=2)
    c.bar(xs, [x["dram_bandwidth_bytes_per_s"] / 1e9 for x in rows], color="C3",
          label="achieved")
    c.scatter(xs, [x["dram_peak_bandwidth_bytes_per_s"] / 1e9 for x in rows], marker="_",
              s=600, color="k", label="peak", zorder=3)
    c.set_xticks(xs, names)
    c.set_ylabel("DRAM bandwidth (GB/s)")
    c.set_title("c  DRAM bandwidth")
    c.set_ylim(0, 1.4 * max(x["dram_peak_bandwidth_bytes_per_s"] / 1e9 for x in rows))
    c.legend(fontsize=7, loc="upper center", ncol=2)
    return ctx.rel(save_figure(fig, ctx.out_dir / "memory_models.png"))


SECTION = Section(name="sim_dram", title="Roofline, fixed latency and the DRAM model on a "
                                         "decode step (issue 19)",
                  order=42, run=run, budget_s=30.0, options=SimDramOptions)
