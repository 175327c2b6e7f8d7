"""Study section: Janus-Prefetch-1's look-ahead sweep (seed 001), on the seed's trivial
trace and on a realistic LLM decode trace, with tail latencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...precision import PRECISION_NAMES
from ...report import write_csv, write_json
from ...sim import simulate
from ...trace import sequential_trace
from .. import Claim, Section, SectionOutput, StudyContext, option
from ..helpers import KV_LAYOUTS, REALISTIC, realistic_trace, result_row, study_hierarchy
from ..helpers import memory_text, trace_config, trace_mix

__all__ = ["SECTION", "SimPrefetchOptions"]

LOOKAHEADS = (4, 8, 12, 16, 20, 24, 28, 32)  # seed 001: "swept look-ahead depth: 4 -> 32 lines"
SEED_READS = 65_536                          # seed 001: "65520 hits / 65536 reads"


@dataclass(frozen=True, slots=True, kw_only=True)
class SimPrefetchOptions:
    """``--set sim_prefetch.KEY=VALUE``: the memory, the sweep and the realistic trace."""

    design: str = option("janus-1", help="design whose memory is simulated (as ppa --simulate)")
    hierarchy: str | None = option(None, help="hierarchy preset or TOML file instead of "
                                              "the design's memory")
    lookaheads: tuple[int, ...] = option(LOOKAHEADS, min=1, help="stream look-ahead depths")
    model: str = option(REALISTIC["model"], help="model of the realistic decode trace")
    precision: str = option(REALISTIC["precision"], choices=PRECISION_NAMES,
                            help="its weight and KV precision")
    layers: int | None = option(None, min=1, help="layers traced (3; 8 with --full)")
    tokens: int = option(REALISTIC["tokens"], min=1, help="decode steps traced")
    access_bytes: int = option(REALISTIC["access_bytes"], min=1, help="bytes per access")
    kv_layout: str = option(REALISTIC["kv_layout"], choices=KV_LAYOUTS, help="KV layout")
    context: int | None = option(None, min=0, help="cached tokens (seq_len - tokens)")


def run(ctx: StudyContext) -> SectionOutput:
    o = ctx.opts(SimPrefetchOptions)
    hname, h, k = study_hierarchy(o.hierarchy, o.design)
    t1 = h.level[0].name
    lookaheads = list(o.lookaheads)

    # ---- the seed's trace: 65,536 sequential 8-byte reads ----
    ctx.progress("seed trace")
    seed_chunks = list(sequential_trace(SEED_READS, access_bytes=8))

    def row(chunks: Any, pf: str, la: int, trace: str) -> dict[str, Any]:
        opts = {"lookahead": la} if pf == "stream" else {}
        return result_row(simulate(h, chunks, prefetcher=pf, prefetch_options=opts), k,
                          trace=trace, prefetcher=pf, lookahead=la)

    seed_rows = [row(seed_chunks, "none", 0, "seed")]
    seed_rows += [row(seed_chunks, "stream", la, "seed") for la in lookaheads]

    # ---- a realistic decode trace ----
    params, make = realistic_trace(trace_config(o), ctx.full)
    mix = trace_mix(make())
    ctx.progress("realistic trace, no prefetch")
    real_rows = [row(make(), "none", 0, "decode")]
    for la in lookaheads:
        ctx.progress(f"realistic trace, look-ahead {la}")
        real_rows.append(row(make(), "stream", la, "decode"))
    ctx.progress("realistic trace, head-major KV")
    hm_rows = [row(make("head-major"), pf, 16 if pf == "stream" else 0,
                   "decode, head-major KV") for pf in ("none", "stream")]
    rows = seed_rows + real_rows + hm_rows
    write_csv(ctx.out_dir / "lookahead_sweep.csv", rows)
    write_json(ctx.out_dir / "lookahead_sweep.json",
               {"hierarchy": hname, "realistic_trace": params, "trace_mix": mix, "rows": rows})
    ctx.progress("figure")
    fig = _figure(ctx, seed_rows, real_rows, t1)

    # ---- claims ----
    s16 = next((r for r in seed_rows if r["lookahead"] == 16), seed_rows[-1])
    r16 = next((r for r in real_rows if r["lookahead"] == 16), real_rows[-1])
    key = f"{t1}_hit_rate"
    stream_real = [r for r in real_rows if r["prefetcher"] == "stream"]
    best_mean = min(r["mean"] for r in stream_real)
    # the knee: the smallest depth whose mean latency is within 1% of the best
    knee = min(r["lookahead"] for r in stream_real if r["mean"] <= 1.01 * best_mean)
    line_cycles = 64 // int(params["access_bytes"])  # design cycles the core spends on a line
    first = real_rows[0]
    dram_lat = h.ns_to_cycles(h.memory.latency_ns) / k
    t1_lat = h.level[0].hit_latency_cycles / k
    claims = [
        Claim(seed="001", claim="T1 SRAM hit rate with Janus-Prefetch-1",
              claimed="99.99% (65520/65536 reads)",
              measured=f"{s16[key]:.4%} on the seed's 65,536 sequential reads; "
                       f"{r16[key]:.2%} on a {params['model']} {params['precision']} decode step",
              verdict="partly",
              note="reproduced only on the seed's trace, where 8 consecutive reads share a line "
                   "and any prefetcher wins; a decode step streams more bytes than T1+T2 hold"),
        Claim(seed="001", claim="read latency P99", claimed="1.0 cycle",
              measured=f"{s16['p99']:.0f} cycles (seed trace; T1 hit = "
                       f"{t1_lat:.3g} cycles from the tech model); "
                       f"decode: P99 {r16['p99']:.0f}, P99.99 {r16['p9999']:.0f}, max "
                       f"{r16['max']:.0f} cycles (head-major KV: P99 {hm_rows[1]['p99']:.0f}, "
                       f"P99.99 {hm_rows[1]['p9999']:.0f}, max {hm_rows[1]['max']:.0f})",
              verdict="refuted",
              note=f"P99 can at best equal the T1 hit latency, which the tech model puts at "
                   f"{t1_lat:.3g} cycles for T1's banks; with llama2.c's KV layout the decode "
                   f"P99 is a DRAM miss, and the max is refresh and queueing"),
        Claim(seed="001", claim="optimal look-ahead depth", claimed="16 lines",
              measured=f"knee at {knee} lines on the decode trace (mean latency within 1% of "
                       f"its best {best_mean:.1f} cycles; deeper adds nothing, P99 stays "
                       f"{stream_real[-1]['p99']:.0f})",
              verdict="holds" if knee == 16 else "partly",
              note=f"not a property of the prefetcher: the depth must cover the miss latency "
                   f"(~{first['p50']:.0f} cycles, DRAM idle {dram_lat:.0f}) at one line per "
                   f"{line_cycles} cycles, so it moves with the memory and the access rate; "
                   "the hit rate is the same for every depth"),
    ]
    md = _markdown(ctx, h, k, params, mix, seed_rows, real_rows, fig, t1)
    md += ("\n\nThe same decode step with the KV cache laid out head-major "
           "(K[layer][head][pos][head_dim], so one head's keys are a sequential stream; "
           "llama2.c's layout interleaves all heads per position):\n\n"
           + "\n".join(_table(hm_rows, t1)) + "\n\nThe P99 of the position-major runs is "
           "the KV reads: each head's slice of a position row is a new line a stream "
           "prefetcher cannot follow. Laid out head-major, they stream too.")
    resolved = {"hierarchy": hname, "lookaheads": lookaheads, "seed_reads": SEED_READS,
                "realistic_trace": params, "trace_mix": mix}
    return SectionOutput(markdown=md, claims=claims, resolved=resolved)


def _figure(ctx: StudyContext, seed_rows: list[dict[str, Any]],
            real_rows: list[dict[str, Any]], t1: str) -> str:
    from ...report.plots import new_figure, save_figure

    key = f"{t1}_hit_rate"
    fig, (a, b) = new_figure(10, 4, ncols=2)
    for rows, label, mk in ((seed_rows, "seed: 65,536 sequential reads", "o"),
                            (real_rows, "LLM decode step", "s")):
        st = [r for r in rows if r["prefetcher"] == "stream"]
        a.plot([r["lookahead"] for r in st], [100 * r[key] for r in st], marker=mk, label=label)
        base = next(r for r in rows if r["prefetcher"] == "none")
        a.axhline(100 * base[key], ls=":", color=a.lines[-1].get_color())
    a.set_xlabel("look-ahead depth (lines)")
    a.set_ylabel(f"{t1} hit rate (%)")
    a.set_title("hit rate (dotted: no prefetch)")
    a.legend(fontsize=8)
    st = [r for r in real_rows if r["prefetcher"] == "stream"]
    for q in ("p50", "p99", "p999", "p9999", "max"):
        pts = [(r["lookahead"], r[q]) for r in st if r[q] > 0]  # log axis: > 0 only
        b.plot([p[0] for p in pts], [p[1] for p in pts], marker=".", label=q)
    b.set_yscale("log")
    b.set_xlabel("look-ahead depth (lines)")
    b.set_ylabel("latency (cycles)")
    b.set_title("decode trace: latency percentiles")
    b.legend(fontsize=8)
    return ctx.rel(save_figure(fig, ctx.out_dir / "lookahead_sweep.png"))


def _table(rows: list[dict[str, Any]], t1: str) -> list[str]:
    key = f"{t1}_hit_rate"
    out = ["| prefetcher | look-ahead | T1 hit rate | p50 | p99 | p99.9 | p99.99 | max | mean "
           "| accuracy | coverage | late | DRAM util. |", "|" + "---|" * 13]
    for r in rows:
        out.append(f"| {r['prefetcher']} | {r['lookahead'] or '-'} | {r[key]:.4%} | "
                   f"{r['p50']:.0f} | {r['p99']:.0f} | {r['p999']:.0f} | {r['p9999']:.0f} | "
                   f"{r['max']:.0f} | {r['mean']:.1f} | {r['pf_accuracy']:.3f} | "
                   f"{r['pf_coverage']:.3f} | {r['pf_late']} | {r['dram_utilization']:.2f} |")
    return out


def _markdown(ctx: StudyContext, h: Any, k: int, params: dict[str, Any], mix: dict[str, int],
              seed_rows: list[dict[str, Any]], real_rows: list[dict[str, Any]], fig: str,
              t1: str) -> str:
    lv = h.level
    ab = int(params["access_bytes"])
    design_hz = h.clock_hz / k
    first = real_rows[0]
    miss = first["p50"]
    util = first["dram_utilization"] or 0.0
    md = [
        f"Hierarchy `{h.name}`: " + ", ".join(
            f"{x.name} {x.size_bytes >> 20} MiB {x.n_ways}-way {x.total_banks} banks, "
            f"{x.hit_latency_cycles / k:.3g} cycles" for x in lv)
        + f", {memory_text(h.memory)}. Latencies are in cycles of the "
        f"{design_hz / 1e9:g} GHz design clock (the simulator runs at {h.clock_hz / 1e9:g} GHz, "
        f"{k} cycles per design cycle), from the access's issue to its data, including waits "
        "for lines in flight, banks, eDRAM refresh, MSHRs and the DRAM queue. The core issues "
        "one access per design cycle.",
        "",
        "**Seed trace**: 65,536 sequential 8-byte reads (the trace behind seed 001's "
        "\"65520 hits / 65536 reads\"). **Decode trace**: one decode step of "
        f"{params['model']} at {params['precision']} with {params['context']} tokens cached; "
        f"scaled to its first {params['layers']} layers (each full size) plus the "
        f"classifier, {params['access_bytes']}-byte accesses. Mix: "
        f"{mix['weights']:,} weight reads, {mix['kv_reads']:,} KV reads, "
        f"{mix['kv_writes']:,} KV writes, {mix['activations']:,} activation accesses "
        f"({mix['total']:,} in all).",
        "",
        f"![look-ahead sweep]({fig})",
        "",
        "Seed trace:",
        "",
        *_table(seed_rows, t1),
        "",
        "Decode trace:",
        "",
        *_table(real_rows, t1),
        "",
        "Reading: eight 8-byte reads share each line, so even without prefetching 7 in 8 "
        "reads hit T1 (87.5%) and the hit rate barely moves with the depth. What the depth "
        "changes is whether a prefetched line has arrived when it is read (the `late` "
        f"column): at one access per cycle a line lasts {64 // ab} cycles, so the depth must "
        f"cover the ~{miss:.0f}-cycle miss latency, about {miss / (64 // ab):.0f} lines. Beyond "
        "the knee nothing improves. A decode step streams every weight once (it does not fit "
        f"in T1+T2), so T1 only hits what the prefetcher brought; at {ab} bytes per cycle the "
        f"step uses {util:.0%} of {h.memory.name}'s bandwidth, so it is latency-bound and "
        "prefetching hides the latency, except for the KV reads below.",
    ]
    return "\n".join(md)


SECTION = Section(name="sim_prefetch", title="Janus-Prefetch-1 look-ahead sweep (seed 001)",
                  order=40, run=run, budget_s=45.0, options=SimPrefetchOptions)
