"""Study section: junction temperature of janus-1 per package, transient, leakage loop."""

from __future__ import annotations

from ...report import write_csv
from dataclasses import dataclass

from .._core import Section, SectionOutput, StudyContext, option

__all__ = ["SECTION"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ThermalOptions:
    """``--set thermal.KEY=VALUE``."""

    model: str = option("llama-2-7b", help="model preset or file decoded by janus-1")


def run(ctx: StudyContext) -> SectionOutput:
    """Solve janus-1's junction temperature in every package preset; RC transient."""
    from ...design import load_design, ppa
    from ...models import load_spec
    from ...tech import load_package, package_names, steady_junction_c, transient_junction_c

    spec = load_spec(ctx.opts(ThermalOptions).model)
    rows = []
    for pkg in package_names():
        ctx.progress(pkg)
        d = load_design("janus-1", [f'package="{pkg}"'])
        r = ppa(d, spec, context=4096, precision="int4")
        p = load_package(pkg)
        no_loop = steady_junction_c(r.power_w, d.ambient_c, p)
        rows.append({"package": pkg, "theta_ja_c_per_w": p.theta_ja_c_per_w,
                     "power_w": r.power_w, "junction_c": r.junction_c,
                     "margin_c": r.thermal_margin_c, "runaway": r.runaway,
                     "tau_s": p.theta_ja_c_per_w * p.heat_capacity_j_per_k,
                     "junction_at_10s_c": transient_junction_c(r.power_w, d.ambient_c, p, 10.0),
                     "four_w_junction_c": steady_junction_c(4.05, d.ambient_c, p),
                     "check_closed_form_c": no_loop})
    write_csv(ctx.out_dir / "thermal.csv", rows)
    md = ["janus-1 decoding Llama-2-7B INT4 at 45 °C ambient. Power includes leakage and "
          "refresh at the junction temperature, solved to a fixed point.", "",
          "| package | θJA °C/W | power W | Tj °C | margin to 105 °C | τ s | Tj after 10 s | "
          "Tj at the seed's 4.05 W |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["runaway"]:
            md.append(f"| {r['package']} | {r['theta_ja_c_per_w']:g} | - | thermal runaway "
                      f"(leakage outgrows cooling) | - | {r['tau_s']:.0f} | - | "
                      f"{r['four_w_junction_c']:.1f} |")
            continue
        md.append(f"| {r['package']} | {r['theta_ja_c_per_w']:g} | {r['power_w']:.2f} | "
                  f"{r['junction_c']:.1f} | {r['margin_c']:.1f} | {r['tau_s']:.0f} | "
                  f"{r['junction_at_10s_c']:.1f} | {r['four_w_junction_c']:.1f} |")
    return SectionOutput(markdown="\n".join(md), resolved={"packages": package_names(),
                                                           "ambient_c": 45.0})


SECTION = Section(name="thermal", title="Thermal: junction temperature per package", order=52,
                  run=run, budget_s=5.0, options=ThermalOptions)
