"""Study section: PPA of janus-1 against the other design presets, and seed 001's claims."""

from __future__ import annotations

from dataclasses import dataclass

from ...report import write_json
from .._core import Section, SectionOutput, StudyContext, option
from ..helpers import VERDICT_RULE, seed_claim

__all__ = ["SECTION"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PpaOptions:
    """``--set ppa.KEY=VALUE``."""

    model: str = option("llama-2-7b", help="model preset or file every design decodes")
    context: int = option(4096, min=1, help="KV-cache tokens")


def run(ctx: StudyContext) -> SectionOutput:
    """PPA of every design preset decoding Llama-2-7B; claims table for seed 001."""
    from ...design import design_presets, load_design, ppa
    from ...models import load_spec

    o = ctx.opts(PpaOptions)
    model, context = o.model, o.context
    spec = load_spec(model)
    results = {}
    for name in design_presets():
        ctx.progress(name)
        d = load_design(name)
        prec = "int4" if "int4" in d.compute.precisions else "int8"
        results[name] = ppa(d, spec, context=context, precision=prec)
    write_json(ctx.out_dir / "ppa.json", {k: v.to_dict() for k, v in results.items()})
    md = [f"{model}, context {context}, batch 1 decode, roofline time (workload analysis); "
          f"power at the solved junction temperature.", "",
          "| design | precision | area mm² | power W | peak TOPS | tokens/s | J/token | "
          "memory pJ/bit | Tj °C |", "|---|---|---|---|---|---|---|---|---|"]
    for k, r in results.items():
        tops = ", ".join(f"{p} {v:.2f}" for p, v in r.tops.items())
        md.append(f"| {k} | {r.precision} | {r.area_mm2:.1f} | {r.power_w:.2f} | {tops} | "
                  f"{r.tokens_per_s:.2f} | {r.joules_per_token:.3f} | {r.memory_pj_per_bit:.2f} | "
                  f"{r.junction_c:.0f} |")
    j = results["janus-1"]
    b = j.edram_bounds_mm2
    non_edram = j.area_mm2 - j.area_breakdown_mm2.get("T2 eDRAM", 0.0)
    md += ["", "janus-1 area breakdown (mm²): " + ", ".join(
        f"{k} {v:.1f}" for k, v in j.area_breakdown_mm2.items()),
        "", "janus-1 power breakdown (W): " + ", ".join(
        f"{k} {v:.3f}" for k, v in j.power_breakdown_w.items()),
        "", "224 MiB of eDRAM at published densities:", "",
        f"- Intel 22 nm macro, 17.5 Mb/mm² with Mb = 2^20 bits (the memory-array convention): "
        f"**{b['intel22_mib']:.1f} mm²** (with Mb = 10^6 bits: {b['intel22_mb']:.1f} mm²); "
        f"with the rest of the modelled die: {b['intel22_mib'] + non_edram:.1f} mm².",
        f"- IBM 14 nm cell area alone (0.0174 µm², no periphery, optimistic bound): "
        f"**{b['ibm14_cell_only']:.1f} mm²**; with the rest: {b['ibm14_cell_only'] + non_edram:.1f} mm².",
        f"- janus1's 3 nm extrapolation (IBM cell + scaled periphery): "
        f"{j.area_breakdown_mm2.get('T2 eDRAM', 0):.1f} mm².", "",
        "Warnings: " + "; ".join(j.warnings)]
    area_intel = b["intel22_mib"] + non_edram
    mbw = 256 / j.power_w          # the seed's metric: 32 + 224 MB on chip over total power
    claims = [
        seed_claim("compute performance", "8.2 TOPS", 8.2, j.tops["int8"],
               f"{j.tops['int8']:.3f} TOPS INT8 ({j.tops.get('int4', 0):.3f} TOPS INT4)",
               "16 x 16x16 MACs x 2 ops x 1 GHz; INT4 packed doubles it"),
        seed_claim("total power", "~4.05 W", 4.05, j.power_w,
               f"{j.power_w:.2f} W decoding {model} at {j.tokens_per_s:.1f} tokens/s "
               f"(Tj {j.junction_c:.0f} °C)",
               "dominated by LPDDR5 traffic: the INT4 weights do not fit on chip"),
        seed_claim("die area (32 MB SRAM + 224 MB eDRAM)", "~79 mm²", 79.0,
               (j.area_mm2, area_intel),
               f"{j.area_mm2:.1f} mm² with the extrapolated 3 nm eDRAM; {area_intel:.1f} mm² "
               f"at Intel 22 nm eDRAM macro density",
               "no shipped eDRAM density fits 79 mm²; the 3 nm figure rests on an eDRAM no "
               "foundry offers"),
        seed_claim("memory efficiency", "63 MB/W", 63.0, mbw,
               f"{mbw:.0f} MB/W (256 MB / {j.power_w:.2f} W)",
               "MB/W ranks idle capacity per watt, not data delivered; janus1 reports pJ per "
               f"bit delivered instead: {j.memory_pj_per_bit:.2f} pJ/bit"),
    ]
    edge = results.get("edge-tpu-like")
    if edge is not None:
        edge_mbw = 8 / edge.power_w
        claims.append(seed_claim(
            "memory efficiency vs Edge TPU", "15.8x", 15.8, mbw / edge_mbw,
            f"{mbw / edge_mbw:.1f}x ({mbw:.0f} vs {edge_mbw:.1f} MB/W for edge-tpu-like)",
            f"in pJ per bit delivered: janus-1 {j.memory_pj_per_bit:.2f} vs edge-tpu-like "
            f"{edge.memory_pj_per_bit:.2f}"))
    md += ["", VERDICT_RULE]
    return SectionOutput(markdown="\n".join(md), claims=claims,
                         resolved={"model": model, "context": context,
                                   "designs": list(results)})


SECTION = Section(name="ppa", title="PPA of janus-1 and the other designs", order=51, run=run,
                  budget_s=5.0, options=PpaOptions)
