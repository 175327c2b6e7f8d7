"""Study section: on-chip memory size against a realistic decode trace (weight streams,
KV reads and writes, eDRAM refresh), with tail latencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...config import to_dict
from ...precision import PRECISION_NAMES
from ...report import write_csv, write_json
from ...sim import load_hierarchy, simulate
from .. import Section, SectionOutput, StudyContext, option
from ..helpers import KV_LAYOUTS, REALISTIC, realistic_trace, result_row, study_hierarchy
from ..helpers import memory_text, trace_config, trace_mix

__all__ = ["SECTION", "SimMemoryOptions"]

FACTORS = (0.25, 0.5, 1.0, 2.0)   # times janus-1's T1 (32 MiB) and T2 (224 MiB)
MIB = 1 << 20


def _scaled(base: dict[str, Any], factor: float, refresh: bool = True) -> dict[str, Any]:
    d = {**base, "level": [dict(lv) for lv in base["level"]]}
    for lv in d["level"]:
        lv["size_bytes"] = int(lv["size_bytes"] * factor)
        if not refresh:
            lv["refresh_interval_ns"] = 0.0
            lv["refresh_busy_ns"] = 0.0
    d["name"] = f"{base.get('name', 'h')} x{factor:g}" + ("" if refresh else " (no refresh)")
    return d


@dataclass(frozen=True, slots=True, kw_only=True)
class SimMemoryOptions:
    """``--set sim_memory.KEY=VALUE``: the memory, the sweep and the decode trace."""

    design: str = option("janus-1", help="design whose memory is simulated (as ppa --simulate)")
    hierarchy: str | None = option(None, help="hierarchy preset or TOML file instead of "
                                              "the design's memory")
    factors: tuple[float, ...] = option(FACTORS, min=1e-3, max=1e3,
                                        help="capacity factors of every level")
    model: str = option(REALISTIC["model"], help="model of the decode trace")
    precision: str = option(REALISTIC["precision"], choices=PRECISION_NAMES,
                            help="its weight and KV precision")
    # two decode steps so the second can reuse what stayed on chip; head-major KV and
    # Janus-Prefetch-1 at depth 16 (the best setting found in sim_prefetch)
    layers: int = option(2, min=1, help="layers traced")
    tokens: int = option(2, min=1, help="decode steps traced")
    access_bytes: int = option(REALISTIC["access_bytes"], min=1, help="bytes per access")
    kv_layout: str = option("head-major", choices=KV_LAYOUTS, help="KV layout")
    context: int | None = option(None, min=0, help="cached tokens (seq_len - tokens)")


def run(ctx: StudyContext) -> SectionOutput:
    o = ctx.opts(SimMemoryOptions)
    hname, h0, k = study_hierarchy(o.hierarchy, o.design)
    base = to_dict(h0)
    factors = list(o.factors)
    tcfg = trace_config(o)
    params, make = realistic_trace(tcfg, ctx.full)
    mix = trace_mix(make())
    per_step = None
    from ...models import load_spec
    from ...trace import layout
    from ...workload import parse_precision

    spec = load_spec(params["model"])
    lay = layout(spec, bytes_per_element=parse_precision(params["precision"]).bytes,
                 positions=params["context"] + params["tokens"], n_layers=params["layers"])
    per_step = lay.weight_bytes - lay.weights["tok_embeddings"][1] + lay.kv_seq_bytes
    rows = []
    runs = [(f, True) for f in factors] + [(1.0, False)]
    # 8-byte accesses (8 GB/s at 1 GHz, latency-bound) and 64-byte ones (a 512-bit vector
    # per design cycle, 64 GB/s at 1 GHz: near or above the DRAM's bandwidth)
    for ab in (int(params["access_bytes"]), 64):
        _, make_ab = realistic_trace({**tcfg, "access_bytes": ab}, ctx.full)
        for f, refresh in runs:
            ctx.progress(f"{ab} B accesses, capacity x{f:g}" + ("" if refresh else
                                                                 ", no refresh"))
            h = load_hierarchy(_scaled(base, f, refresh))
            res = simulate(h, make_ab(), prefetcher="stream",
                           prefetch_options={"lookahead": 16})
            cap = sum(lv.size_bytes for lv in h.level)
            rows.append(result_row(res, k, access_bytes=ab, factor=f, refresh=refresh,
                                   **{f"{lv.name}_MiB": lv.size_bytes / MIB for lv in h.level},
                                   capacity_over_footprint=cap / per_step))
    write_csv(ctx.out_dir / "memory_sweep.csv", rows)
    write_json(ctx.out_dir / "memory_sweep.json",
               {"hierarchy": hname, "trace": params, "trace_mix": mix,
                "footprint_bytes_per_step": per_step, "rows": rows})
    fig = _figure(ctx, [r for r in rows if r["refresh"]], base)
    names = [lv["name"] for lv in base["level"]]
    full_model = spec.n_layers
    full_lay = layout(spec, bytes_per_element=parse_precision(params["precision"]).bytes,
                      positions=params["context"] + params["tokens"])
    full_ratio = sum(lv["size_bytes"] for lv in base["level"]) / (
        full_lay.weight_bytes - full_lay.weights["tok_embeddings"][1] + full_lay.kv_seq_bytes)
    md = [
        f"The `{hname}` hierarchy ({memory_text(h0.memory)} behind it) with T1 and T2 "
        f"scaled together by "
        f"{', '.join(f'{f:g}' for f in factors)}, Janus-Prefetch-1 at depth 16, on two decode "
        f"steps of {params['model']} {params['precision']} at context {params['context']}, "
        f"scaled to {params['layers']} of {full_model} layers (each full size) plus the "
        f"classifier, with the KV cache head-major. One step touches "
        f"{per_step / MIB:,.0f} MiB (weights without the embedding table, plus the KV cache). "
        f"Mix: {mix['weights']:,} weight reads, {mix['kv_reads']:,} KV reads, "
        f"{mix['kv_writes']:,} KV writes, {mix['activations']:,} activation accesses. "
        f"Latencies in cycles of the {h0.clock_hz / k / 1e9:g} GHz design clock.",
        "",
        f"![memory sweep]({fig})",
        "",
        "| access | factor | " + " | ".join(f"{n} MiB" for n in names) + " | capacity / footprint "
        "| refresh | " + " | ".join(f"{n} hit rate" for n in names) +
        " | p50 | p99 | p99.9 | p99.99 | max | mean | refresh wait (cycles) | DRAM MiB |",
        "|" + "---|" * (11 + 2 * len(names)),
    ]
    for r in rows:
        sizes = " | ".join(f"{r[f'{n}_MiB']:,.0f}" for n in names)
        md.append(f"| {r['access_bytes']} B | {r['factor']:g} | " + sizes
                  + f" | {r['capacity_over_footprint']:.2f} | {'on' if r['refresh'] else 'off'} | "
                  + " | ".join(f"{r[f'{n}_hit_rate']:.4%}" for n in names)
                  + f" | {r['p50']:.0f} | {r['p99']:.0f} | {r['p999']:.0f} | {r['p9999']:.0f} | "
                  f"{r['max']:.0f} | {r['mean']:.2f} | {r['refresh_wait_cycles']:,.0f} | "
                  f"{r['dram_bytes'] / MIB:,.0f} |")
    md += [
        "",
        "Reading: below a capacity/footprint ratio of 1 the second step finds nothing left "
        "on chip (an LRU cache swept by a stream one line larger than itself misses every "
        "line), so every size below the footprint behaves alike and the prefetcher does all "
        "the work; once the step fits, the second step hits on chip. The full "
        f"{full_model}-layer model has capacity/footprint {full_ratio:.3f} in the unscaled "
        f"`{hname}`: it is in the streaming regime whatever the on-chip size in this range. "
        "The refresh rows show what eDRAM refresh adds to the tail at the same size. "
        + _bandwidth_reading(rows, h0.memory, h0.clock_hz / k),
    ]
    resolved = {"hierarchy": hname, "factors": factors, "trace": params,
                "footprint_bytes_per_step": per_step}
    return SectionOutput(markdown="\n".join(md), resolved=resolved)


def _bandwidth_reading(rows: list[dict[str, Any]], memory: Any, design_hz: float) -> str:
    """What each access size asks of the DRAM, from the unscaled runs' figures."""
    bw = memory.bandwidth_bytes_per_s
    out = []
    for ab in sorted({r["access_bytes"] for r in rows}):
        same = [r for r in rows if r["access_bytes"] == ab]
        r = next((r for r in same if r["factor"] == 1.0 and r["refresh"]), same[0])
        need = ab * design_hz
        share = (f"more than {memory.name}'s {bw / 1e9:.1f} GB/s" if need > bw else
                 f"{need / bw:.0%} of {memory.name}'s {bw / 1e9:.1f} GB/s")
        out.append(f"with {ab}-byte accesses the step asks for {need / 1e9:g} GB/s, {share} "
                   f"(measured DRAM utilisation {r['dram_utilization']:.0%}, p50 "
                   f"{r['p50']:.0f} cycles)")
    text = "; ".join(out)
    return (text[:1].upper() + text[1:] + ". Near the DRAM's bandwidth the prefetched lines "
            "arrive late and the hits wait for them: the tail is then queueing for DRAM, and "
            "only a step that fits on chip escapes it.")


def _figure(ctx: StudyContext, all_rows: list[dict[str, Any]], base: dict[str, Any]) -> str:
    from ...report.plots import new_figure, save_figure

    fig, (a, b) = new_figure(11, 4, ncols=2)
    sizes = sorted({r["access_bytes"] for r in all_rows})
    for ab, ls in zip(sizes, ("-", "--")):
        rows = [r for r in all_rows if r["access_bytes"] == ab]
        x = [r["capacity_over_footprint"] for r in rows]
        for lv in base["level"]:
            a.plot(x, [100 * r[f"{lv['name']}_hit_rate"] for r in rows], marker="o", ls=ls,
                   label=f"{lv['name']}, {ab} B accesses")
        for q in ("p50", "p99", "p9999", "max"):
            pts = [(xi, r[q]) for xi, r in zip(x, rows) if r[q] > 0]  # log axis: > 0 only
            b.plot([p[0] for p in pts], [p[1] for p in pts], marker=".", ls=ls,
                   label=f"{q}, {ab} B")
    # the factors span less than a decade: label the measured ratios, not the log
    # axis's minor ticks (which collide)
    ratios = sorted({r["capacity_over_footprint"] for r in all_rows})
    a.set_xscale("log")
    a.set_xticks(ratios, [f"{x:.2g}" for x in ratios])
    a.set_xticks([], minor=True)
    a.set_xlabel("on-chip capacity / footprint of one step (ratio)")
    a.set_ylabel("hit rate (%)")
    a.axvline(1.0, ls=":", color="grey")
    a.legend(fontsize=7)
    b.set_xscale("log")
    b.set_xticks(ratios, [f"{x:.2g}" for x in ratios])
    b.set_xticks([], minor=True)
    b.set_yscale("log")
    b.set_xlabel("on-chip capacity / footprint of one step (ratio)")
    b.set_ylabel("latency (cycles)")
    b.axvline(1.0, ls=":", color="grey")
    b.legend(fontsize=7, ncol=2)
    return ctx.rel(save_figure(fig, ctx.out_dir / "memory_sweep.png"))


SECTION = Section(name="sim_memory", title="On-chip memory size vs a decode trace (seed 001)",
                  order=41, run=run, budget_s=45.0, options=SimMemoryOptions)
