"""Study section: Janus-Prefetch-1 in gates (seed 001's "<2K gates").

The prefetcher's RTL (``janus1.rtl``, co-simulated bit-exactly against the simulator's
behaviour) through Yosys and nextpnr-ecp5: NAND2 equivalents, ECP5 LUTs and Fmax at the
simulator's default configuration, and over look-ahead 4..32 x trackers 1..8. The
default run reads the cached reports (the committed cache holds the sweep) and
synthesizes only what is missing at the default configuration; ``--full`` synthesizes
every missing sweep point. Needs no options.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ...report import write_csv, write_json
from .. import Claim, Section, SectionOutput, StudyContext
from ..hardware_decoder import decoder_not_run

__all__ = ["SECTION", "LOOKAHEADS", "TRACKERS", "ADDRESS_BITS", "CLAIM_GATES"]

LOOKAHEADS = (4, 8, 16, 32)   # seed 001: "swept look-ahead depth: 4 -> 32 lines"
TRACKERS = (1, 2, 4, 8)       # issue 21: trackers 1..8 (8 = the simulator's default)
ADDRESS_BITS = (48, 40, 32, 24)  # physical address widths of the width series (gates only)
CLAIM_GATES = 2000            # seed 001: "Hardware cost: <2K logic gates"
COSIM_ACCESSES = 1000         # a short co-simulation, so the figures are for checked RTL


def _not_run(missing: list[str]) -> SectionOutput:
    msg = "not run: install janus1[rtl]"
    return SectionOutput(
        markdown=f"{msg} (missing: {', '.join(missing)}).",
        claims=[Claim(seed="001", claim="Janus-Prefetch-1 hardware cost", claimed="<2K gates",
                      measured=msg, verdict="untested",
                      note="the RTL flow's optional tools are not installed"),
                *decoder_not_run(msg)],
        resolved={"ran": False, "missing": missing})


def _row(p: Any, g: Any, e: Any) -> dict[str, Any]:
    row: dict[str, Any] = {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}
    row["line_bits"] = p.line_bits
    row.update(gates=g.gates if g else None, logic_gates=g.logic_gates if g else None,
               flip_flops=g.flip_flops if g else None,
               lut4=e.lut4 if e else None, ecp5_ff=e.ff if e else None,
               ccu2c=e.ccu2c if e else None, fmax_mhz=e.fmax_mhz if e else None,
               critical_path=(f"{e.critical_path.start} -> {e.critical_path.end}"
                              if e else None))
    return row


def _fmt(v: Any, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def run(ctx: StudyContext) -> SectionOutput:
    from ...rtl import missing_tools

    miss = missing_tools()
    if miss:
        return _not_run(miss)
    from ...rtl import ECP5, GATE_WEIGHTS, block_params, cached_report, synthesize
    from ...rtl.cosim import cosim_prefetcher, random_stimulus

    base = block_params("prefetcher")             # the simulator's default stream config
    ctx.progress("co-simulation")
    cs = cosim_prefetcher(base, random_stimulus(base, seed=ctx.seed + 1, n=COSIM_ACCESSES))
    ctx.progress("default configuration")
    g0 = synthesize("prefetcher", base, "gates")
    e0 = synthesize("prefetcher", base, "ecp5")
    rows = []
    for t in TRACKERS:
        for la in LOOKAHEADS:
            p = dataclasses.replace(base, trackers=t, lookahead=la)
            ctx.progress(f"trackers {t}, look-ahead {la}")
            if ctx.full:
                g, e = synthesize("prefetcher", p, "gates"), synthesize("prefetcher", p, "ecp5")
            else:
                g, e = cached_report("prefetcher", p, "gates"), cached_report("prefetcher", p,
                                                                               "ecp5")
            rows.append(_row(p, g, e))
    widths = []
    for t in (1, base.trackers):
        for ab in ADDRESS_BITS:
            p = dataclasses.replace(base, trackers=t, address_bits=ab)
            ctx.progress(f"trackers {t}, {ab}-bit addresses")
            g = (synthesize("prefetcher", p, "gates") if ctx.full
                 else cached_report("prefetcher", p, "gates"))
            widths.append(_row(p, g, None))
    write_csv(ctx.out_dir / "prefetcher_sweep.csv", rows)
    write_csv(ctx.out_dir / "prefetcher_widths.csv", widths)
    versions = dict(g0.tool_versions)
    write_json(ctx.out_dir / "prefetcher.json",
               {"default": {"gates": g0.to_json(), "ecp5": e0.to_json()}, "sweep": rows,
                "widths": widths,
                "cosim": dataclasses.asdict(cs), "gate_weights": GATE_WEIGHTS})
    done = [r for r in rows if r["gates"] is not None]
    fig = _figure(ctx, done) if len(done) > 1 else ""

    # ---- the verdict ----
    fits = [r for r in done if r["gates"] < CLAIM_GATES]
    smallest = min(done, key=lambda r: r["gates"]) if done else None
    if g0.gates < CLAIM_GATES:
        verdict = "holds"
    elif fits:
        verdict = "partly"
    else:
        verdict = "refuted"
    measured = (f"{g0.gates:,.0f} NAND2-eq ({g0.logic_gates:,.0f} in logic + "
                f"{g0.ff_gates:,.0f} in {g0.flip_flops} flip-flops) at trackers="
                f"{base.trackers}, look-ahead={base.lookahead}, "
                f"{base.line_bits}-bit lines; {e0.lut4} LUT4 + {e0.ff} FF, "
                f"{e0.fmax_mhz:.0f} MHz on ECP5")
    if smallest is not None:
        measured += (f"; smallest swept: {smallest['gates']:,.0f} (trackers="
                     f"{smallest['trackers']}, look-ahead={smallest['lookahead']})")
    per_tracker = _per_tracker(done)
    note = ("rule: holds if the simulator's default configuration maps under 2,000 NAND2 "
            "equivalents, partly if only a swept configuration does, refuted otherwise; "
            f"each tracker keeps a {base.line_bits}-bit last-line register and a "
            f"{base.line_bits + 1}-bit subtractor")
    if per_tracker is not None:
        note += f" (about {per_tracker:,.0f} NAND2-eq per tracker, measured from the sweep)"
    small = [r for r in widths if r["gates"] is not None and r["gates"] < CLAIM_GATES]
    if small:
        w = max(small, key=lambda r: r["address_bits"])
        note += (f"; under 2K only with {w['trackers']} tracker(s) and at most "
                 f"{w['address_bits']}-bit addresses ({w['gates']:,.0f})")
    claim = Claim(seed="001", claim="Janus-Prefetch-1 hardware cost", claimed="<2K gates",
                  measured=measured, verdict=verdict, note=note)
    md = _markdown(base, g0, e0, cs, rows, widths, versions, fig, ECP5.label(), ctx.full,
                   per_tracker)
    resolved = {"ran": True, "params": dataclasses.asdict(base), "tool_versions": versions,
                "lookaheads": list(LOOKAHEADS), "trackers": list(TRACKERS),
                "sweep_points_reported": len(done), "cosim_accesses": cs.accesses,
                "cosim_mismatches": cs.mismatches}
    from ..hardware_decoder import decoder_hardware  # issue 18: seed 004's decoder blocks

    dmd, dclaims, dres = decoder_hardware(ctx)
    return SectionOutput(markdown=md + "\n".join(dmd), claims=[claim, *dclaims],
                         resolved={**resolved, **dres})


def _per_tracker(rows: list[dict[str, Any]]) -> float | None:
    """The slope of gates over trackers at the default look-ahead (least squares)."""
    pts = [(r["trackers"], r["gates"]) for r in rows if r["lookahead"] == 16]
    if len(pts) < 2:
        return None
    import numpy as np

    x, y = np.array(pts, float).T
    return float(np.polyfit(x, y, 1)[0])


def _figure(ctx: StudyContext, rows: list[dict[str, Any]]) -> str:
    from ...report.plots import new_figure, save_figure

    fig, (a, b) = new_figure(10, 4, ncols=2)
    for t in TRACKERS:
        pts = sorted((r["lookahead"], r["gates"], r["lut4"]) for r in rows
                     if r["trackers"] == t)
        if pts:
            a.plot([q[0] for q in pts], [q[1] for q in pts], marker="o", label=f"{t} trackers")
            lp = [q for q in pts if q[2] is not None]
            b.plot([q[0] for q in lp], [q[2] for q in lp], marker="o", label=f"{t} trackers")
    a.axhline(CLAIM_GATES, ls=":", color="k", label="seed 001: 2K gates")
    a.set_xlabel("look-ahead (lines)")
    a.set_ylabel("gates (NAND2 equivalents)")
    a.set_yscale("log")
    a.legend(fontsize=8)
    b.set_xlabel("look-ahead (lines)")
    b.set_ylabel("logic (ECP5 LUT4)")
    b.legend(fontsize=8)
    path = save_figure(fig, ctx.out_dir / "prefetcher_sweep.png")
    return ctx.rel(path)


def _markdown(base: Any, g0: Any, e0: Any, cs: Any, rows: list[dict[str, Any]],
              widths: list[dict[str, Any]], versions: dict[str, str], fig: str,
              device: str, full: bool,
              per_tracker: float | None) -> str:
    cp = e0.critical_path
    tools = ", ".join(f"{k} {v}" for k, v in versions.items())
    md = [
        f"Janus-Prefetch-1 as RTL (Amaranth, `janus1 rtl`): {base.label()} "
        f"({base.line_bits}-bit line addresses; one prefetch address per port per cycle). "
        f"Tools: {tools}.",
        "",
        f"Co-simulation (Amaranth's simulator against the Python model of the simulator's "
        f"prefetcher): {cs.accesses:,} seeded random accesses, {cs.prefetches:,} prefetches, "
        f"**{cs.mismatches} mismatching accesses** ({cs.cycles:,} cycles). The tests and "
        "`benchmarks/bench_rtl.py` run it on a stories260K decode trace too.",
        "",
        f"- Generic gates (Yosys `synth -noabc`, flip-flops made plain D, `abc` onto AND, "
        f"NAND, OR, NOR, XOR, XNOR, MUX): **{g0.gates:,.1f} NAND2 equivalents** = "
        f"{g0.logic_gates:,.1f} logic + {g0.ff_gates:,.1f} in {g0.flip_flops} flip-flops "
        f"(weights: Yosys's CMOS transistor counts / 4: "
        + ", ".join(f"{k.strip('$_')} {w:g}" for k, w in g0.gate_weights if k != "$_BUF_")
        + ").",
        f"- ECP5 (`synth_ecp5`, nextpnr-ecp5 out of context on {device}, seed {e0.seed}): "
        f"**{e0.lut4} LUT4, {e0.ff} FF**, {e0.ccu2c} CCU2C, {e0.dp16kd} DP16KD, "
        f"{e0.mult18x18d} MULT18X18D; **Fmax {e0.fmax_mhz:.1f} MHz** (critical path "
        f"{cp.delay_ns:.1f} ns from `{cp.start}` to `{cp.end}`: a tracker's subtractor, "
        "the rotating priority, the winner's offset and the first prefetch's adder in one "
        "cycle).",
        "",
        f"Sweep (degree {base.degree}, window {base.window}; "
        + ("every point synthesized in this run or read from the cache" if full else
           "points read from the cache; `--full` synthesizes missing ones") + "):",
        "",
        "| trackers | look-ahead | NAND2-eq | flip-flops | LUT4 | FF | CCU2C | Fmax (MHz) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        md.append(f"| {r['trackers']} | {r['lookahead']} | {_fmt(r['gates'], ',.0f')} | "
                  f"{_fmt(r['flip_flops'], 'd')} | {_fmt(r['lut4'], 'd')} | "
                  f"{_fmt(r['ecp5_ff'], 'd')} | {_fmt(r['ccu2c'], 'd')} | "
                  f"{_fmt(r['fmax_mhz'], '.1f')} |")
    if fig:
        md += ["", f"![prefetcher sweep]({fig})"]
    md += ["", f"Address width (degree {base.degree}, window {base.window}, look-ahead "
           f"{base.lookahead}; NAND2-eq):", "",
           "| trackers | address bits | line bits | NAND2-eq | flip-flops |",
           "|---|---|---|---|---|"]
    for r in widths:
        md.append(f"| {r['trackers']} | {r['address_bits']} | {r['line_bits']} | "
                  f"{_fmt(r['gates'], ',.0f')} | {_fmt(r['flip_flops'], 'd')} |")
    by = {(r["trackers"], r["lookahead"]): r["gates"] for r in rows if r["gates"] is not None}
    t_hi = max(TRACKERS)
    if (t_hi, LOOKAHEADS[0]) in by and (t_hi, LOOKAHEADS[-1]) in by:
        d_la = by[(t_hi, LOOKAHEADS[-1])] - by[(t_hi, LOOKAHEADS[0])]
        md += ["", f"Reading: look-ahead {LOOKAHEADS[0]} -> {LOOKAHEADS[-1]} adds "
               f"{d_la:,.0f} NAND2-eq at {t_hi} trackers (it only widens small comparators "
               "and the per-tracker offsets, log2 of the depth)"
               + (f"; each tracker adds about {per_tracker:,.0f} (mostly its line-address "
                  "register with its load multiplexer, and its subtractor)"
                  if per_tracker is not None else "")
               + "; the shared prefetch-address register and adder are the rest. The "
               "address width, not the look-ahead, sets the cost of each tracker."]
    return "\n".join(md)


SECTION = Section(name="hardware", title="Janus-Prefetch-1 in gates (seed 001); the "
                  "decoder's blocks in RTL (seed 004)", order=45, run=run, budget_s=60.0)
