"""Study section: the janus-1 neighbourhood as a design-space sweep.

Runs ``examples/sweeps/janus-1.toml`` (kept in :mod:`janus1.sweep.examples`): a grid
over T1/T2 capacity, T2 technology, tiles, clock, node, precision and context around
seed 001's design, roofline and PPA per point, on every core. Reports how many points
meet the constraints, the Pareto front of area against tokens per joule, and where the
seed's own configuration sits. Needs no options.
"""

from __future__ import annotations

from typing import Any

from ...report import write_csv, write_json
from .._core import Claim, Section, SectionOutput, StudyContext

__all__ = ["SECTION"]

# seed 001's own point in the grid (janus-1 preset values; context 4096, INT4)
_SEED_POINT = {"tiers_t1_sram_capacity": "32MiB", "tiers_t2_edram_capacity": "224MiB",
               "t2_tech": "edram", "compute_tiles": 16, "clock": 1e9, "node": "3nm",
               "precision": "int4", "context": 4096}


def run(ctx: StudyContext) -> SectionOutput:
    """Run the neighbourhood grid into the section's folder and summarise it."""
    import shutil

    from ...sweep.backends import PoolBackend
    from ...sweep.examples import JANUS1_NEIGHBOURHOOD
    from ...sweep.pareto import front
    from ...sweep.run import run_sweep
    from ...sweep.spec import parse_sweep
    from ...sweep.store import query

    spec = parse_sweep(JANUS1_NEIGHBOURHOOD, source="examples/sweeps/janus-1.toml")

    def progress(done: int, total: int | None) -> None:
        if total and (done == total or done % 2000 < spec.chunk):
            ctx.progress(f"{done:,}/{total:,} points")

    with PoolBackend() as backend:
        s = run_sweep(spec, backend, out_root=ctx.out_dir, name="store", progress=progress)
    store = s.path
    f = front(store, "area_mm2", "tokens_per_joule", where="context = 4096")
    cols = list(f.columns)
    front_rows = [dict(zip(cols, r)) for r in f.rows]
    keep = ["tiers_t1_sram_capacity", "tiers_t2_edram_capacity", "t2_tech", "compute_tiles",
            "clock", "node", "precision", "context", "area_mm2", "tokens_per_joule",
            "tokens_per_s", "power_w", "junction_c"]
    write_csv(ctx.out_dir / "pareto_area_tokens_per_joule.csv",
              [{k: r[k] for k in keep} for r in front_rows])
    where = " AND ".join(f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}"
                         for k, v in _SEED_POINT.items())
    _, seed_rows = query(store, f"SELECT area_mm2, tokens_per_joule, tokens_per_s, power_w, "
                                f"junction_c, feasible FROM points WHERE {where}")
    better = None
    if seed_rows:
        a0, e0 = seed_rows[0][0], seed_rows[0][1]
        _, dom = query(store, f"SELECT count(*) FROM points WHERE feasible AND context = 4096 "
                              f"AND area_mm2 <= {a0!r} AND tokens_per_joule >= {e0!r} AND "
                              f"(area_mm2 < {a0!r} OR tokens_per_joule > {e0!r})")
        better = int(dom[0][0])
    _, by_tech = query(store, "SELECT t2_tech, count(*) AS n, sum(CAST(feasible AS INT)) AS "
                              "feasible, max(tokens_per_joule) AS best_tokens_per_joule "
                              "FROM points GROUP BY 1 ORDER BY 1")
    fig_dir = ctx.out_dir / "figures"
    fig_dir.mkdir(exist_ok=True)
    figs = sorted((store / "figures").glob("*.png"))
    for p in figs:  # each figure with its vector PDF (report.plots.save_figure writes both)
        for q in (p, p.with_suffix(".pdf")):
            if q.exists():
                shutil.copyfile(q, fig_dir / q.name)
    # the report links the section's copies; the store inside the section keeps its points
    shutil.rmtree(store / "figures", ignore_errors=True)
    write_json(ctx.out_dir / "summary.json", s.to_dict())

    md = [f"A grid of {s.points_total:,} points around janus-1 (`examples/sweeps/janus-1.toml`): "
          "T1 SRAM 8-64 MiB, T2 64-448 MiB as eDRAM, SRAM or STT-MRAM, 4-32 tiles, "
          "0.5/1/2 GHz, 3/5/7 nm, INT4/INT8 weights, contexts 1K/4K/16K, Llama-2-7B decode; "
          f"roofline and PPA per point. {s.points_evaluated:,} points evaluated in "
          f"{s.seconds:.1f} s on {s.workers} worker(s) ({s.points_per_s:,.0f} points/s), "
          f"{s.points_failed:,} failed; **{s.points_feasible:,}** meet the constraints "
          "(junction <= 105 °C, area <= 150 mm²). The store is queryable: "
          f"`janus1 sweep query` over `{ctx.rel(store)}` (pass `--out` its parent).", "",
          "| T2 technology | points | feasible | best tokens/J |", "|---|---|---|---|"]
    md += [f"| {t} | {n:,} | {fe:,} | {b:.3f} |" for t, n, fe, b in by_tech]
    md += ["", f"Pareto front at context 4096, area (min) against tokens per joule (max), "
           f"feasible points: {len(front_rows)} of {f.points_used:,}.", "",
           "| T1 | T2 | T2 tech | tiles | clock GHz | node | precision | context | mm² | "
           "tokens/J | tokens/s | W |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in front_rows[:12]:
        md.append(f"| {r['tiers_t1_sram_capacity']} | {r['tiers_t2_edram_capacity']} | "
                  f"{r['t2_tech']} | {r['compute_tiles']} | {r['clock'] / 1e9:g} | {r['node']} | "
                  f"{r['precision']} | {r['context']} | {r['area_mm2']:.1f} | "
                  f"{r['tokens_per_joule']:.3f} | {r['tokens_per_s']:.2f} | {r['power_w']:.2f} |")
    if len(front_rows) > 12:
        md.append(f"| ... {len(front_rows) - 12} more in `pareto_area_tokens_per_joule.csv` "
                  "|||||||||||| ")
    if seed_rows:
        a0, e0, t0, p0, j0, feas0 = seed_rows[0]
        md += ["", f"Seed 001's configuration (32 MiB SRAM + 224 MiB eDRAM, 16 tiles, 1 GHz, "
               f"3 nm, INT4, context 4096): {a0:.1f} mm², {e0:.3f} tokens/J, {t0:.2f} "
               f"tokens/s, {p0:.2f} W, Tj {j0:.0f} °C ({'feasible' if feas0 else 'infeasible'}); "
               f"{better:,} feasible points at the same context dominate it in area and "
               "tokens per joule."]
    claims: list[Claim] = []
    techs = _tech_at_seed(query, store)
    if len(techs) == 3:
        claim, rows = _tech_claim(techs)
        claims.append(claim)
        md += ["", "The second tier's technology at the seed's point (everything else as "
               "janus-1):", "", "| T2 | tokens/s | power W | tokens/J | mm² | Tj °C |",
               "|---|---|---|---|---|---|"]
        md += rows
        md += ["", _TECH_RULE]
    md += [""] + [f"![{p.stem}]({ctx.rel(fig_dir / p.name)})" for p in figs]
    return SectionOutput(markdown="\n".join(md), claims=claims,
                         resolved={"sweep": "examples/sweeps/janus-1.toml",
                                   "points": s.points_total, "workers": s.workers,
                                   "seconds": round(s.seconds, 2)})


_TECH_RULE = ("Verdict rule for seed 001's \"eDRAM selected for optimal power-latency "
              "trade-off\" (T2): **refuted** if another technology at the seed's point has "
              "both more tokens/s and less power; **holds** if none does and eDRAM also has "
              "the most tokens per joule; **partly** if eDRAM is on the power/speed front "
              "but another technology gives more tokens per joule.")


def _tech_at_seed(query: Any, store: Any) -> dict[str, tuple[float, ...]]:
    """t2_tech -> (tokens/s, power W, tokens/J, mm², Tj) at the seed's other values."""
    where = " AND ".join(f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}"
                         for k, v in _SEED_POINT.items() if k != "t2_tech")
    _, rows = query(store, "SELECT t2_tech, tokens_per_s, power_w, tokens_per_joule, area_mm2, "
                           f"junction_c FROM points WHERE error IS NULL AND {where}")
    return {r[0]: tuple(r[1:]) for r in rows}


def _tech_claim(techs: dict[str, tuple[float, ...]]) -> tuple[Claim, list[str]]:
    e = techs["edram"]
    dominated = any(v[0] > e[0] and v[1] < e[1] for k, v in techs.items() if k != "edram")
    best_tpj = max(techs, key=lambda k: techs[k][2])
    verdict = "refuted" if dominated else "holds" if best_tpj == "edram" else "partly"
    rows = [f"| {k} | {v[0]:.2f} | {v[1]:.2f} | {v[2]:.3f} | {v[3]:.1f} | {v[4]:.0f} |"
            for k, v in sorted(techs.items())]
    meas = "; ".join(f"{k} {v[0]:.2f} tok/s at {v[1]:.2f} W ({v[2]:.2f} tok/J)"
                     for k, v in sorted(techs.items()))
    note = ("eDRAM is " + ("dominated" if dominated else "on the power/speed front")
            + f"; the most tokens per joule: {best_tpj} (SRAM as itrs-lstp cells, "
            "STT-MRAM with its sense time; Llama-2-7B INT4 at 4096 tokens)")
    return Claim(seed="001", claim="eDRAM chosen for the optimal power-latency trade-off "
                 "(224 MB T2)", claimed="eDRAM optimal", measured=meas, verdict=verdict,
                 note=note), rows


SECTION = Section(name="sweep", title="Design-space sweep around janus-1", order=60, run=run,
                  budget_s=30.0)
