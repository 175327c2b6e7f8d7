"""Study section: Janus-Prefetch-1's look-ahead sweep (seed 001), on the seed's trivial
trace and on a realistic LLM decode trace, with tail latencies."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ...models import load_spec
from ...report import write_csv, write_json
from ...sim import SimResult, load_hierarchy, simulate
from ...trace import TraceChunk, decode_trace, sequential_trace
from .. import Claim, Section, SectionOutput, StudyContext, option

__all__ = ["SECTION", "result_row", "realistic_trace", "trace_mix", "REALISTIC", "KV_LAYOUTS",
           "trace_config"]

LOOKAHEADS = (4, 8, 12, 16, 20, 24, 28, 32)  # seed 001: "swept look-ahead depth: 4 -> 32 lines"
SEED_READS = 65_536                          # seed 001: "65520 hits / 65536 reads"
# The realistic trace: the seed's model (Llama-2-7B) at the seed's INT4, one decode step
# at the end of a 4096-token context. Scaled: only the first `layers` layers (each at
# full size) plus the classifier; every layer of the full model behaves the same way.
REALISTIC = {"model": "llama-2-7b", "precision": "int4", "layers": 3, "tokens": 1,
             "access_bytes": 8, "kv_layout": "position-major"}


KV_LAYOUTS = ("position-major", "head-major")


@dataclass(frozen=True, slots=True, kw_only=True)
class SimPrefetchOptions:
    """``--set sim_prefetch.KEY=VALUE``: the hierarchy, the sweep and the realistic trace."""

    hierarchy: str = option("janus-1", help="hierarchy preset or TOML file")
    lookaheads: tuple[int, ...] = option(LOOKAHEADS, min=1, help="stream look-ahead depths")
    model: str = option(REALISTIC["model"], help="model of the realistic decode trace")
    precision: str = option(REALISTIC["precision"], help="its weight and KV precision")
    layers: int | None = option(None, min=1, help="layers traced (3; 8 with --full)")
    tokens: int = option(REALISTIC["tokens"], min=1, help="decode steps traced")
    access_bytes: int = option(REALISTIC["access_bytes"], min=1, help="bytes per access")
    kv_layout: str = option(REALISTIC["kv_layout"], choices=KV_LAYOUTS, help="KV layout")
    context: int | None = option(None, min=0, help="cached tokens (seq_len - tokens)")


def trace_config(opts: Any) -> dict[str, Any]:
    """The ``realistic_trace`` keys of an options object (None = that key's default)."""
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
        from ...trace import MemoryMap

        mm = MemoryMap(kv_layout=kv_layout or str(p["kv_layout"]))
        return decode_trace(spec, precision=p["precision"], context=context, tokens=tokens,
                            n_layers=layers, access_bytes=int(p["access_bytes"]),
                            memory_map=mm)

    return p, make


def trace_mix(chunks: Iterable[TraceChunk]) -> dict[str, int]:
    """Accesses per region and kind (weights, KV reads, KV writes, activations)."""
    from ...trace import MemoryMap

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


def result_row(res: SimResult, **extra: Any) -> dict[str, Any]:
    """A flat table row from a timed result."""
    row: dict[str, Any] = dict(extra)
    for lv in res.levels:
        row[f"{lv.name}_hit_rate"] = lv.hit_rate
        row[f"{lv.name}_misses"] = lv.misses
    row.update({k: res.latency[k] for k in ("p50", "p90", "p99", "p999", "p9999", "max",
                                            "mean")})
    p = res.prefetch
    row.update(pf_issued=p["issued"], pf_useful=p["useful"], pf_late=p["late"],
               pf_dropped=p["dropped"], pf_accuracy=p["accuracy"], pf_coverage=p["coverage"])
    row.update(cycles=res.cycles, stall_cycles=res.stall_cycles,
               dram_bytes=res.memory["bytes_moved"], dram_utilization=res.memory["utilization"],
               refresh_wait_cycles=sum(lv.refresh_wait_cycles for lv in res.levels))
    return row


def run(ctx: StudyContext) -> SectionOutput:
    o = ctx.opts(SimPrefetchOptions)
    hname = o.hierarchy
    h = load_hierarchy(hname)
    t1 = h.level[0].name
    lookaheads = list(o.lookaheads)

    # ---- the seed's trace: 65,536 sequential 8-byte reads ----
    ctx.progress("seed trace")
    seed_chunks = list(sequential_trace(SEED_READS, access_bytes=8))
    seed_rows = [result_row(simulate(h, seed_chunks, prefetcher="none"), trace="seed",
                            prefetcher="none", lookahead=0)]
    for la in lookaheads:
        seed_rows.append(result_row(simulate(h, seed_chunks, prefetcher="stream",
                                             prefetch_options={"lookahead": la}),
                                    trace="seed", prefetcher="stream", lookahead=la))

    # ---- a realistic decode trace ----
    params, make = realistic_trace(trace_config(o), ctx.full)
    mix = trace_mix(make())
    real_rows = []
    ctx.progress("realistic trace, no prefetch")
    real_rows.append(result_row(simulate(h, make(), prefetcher="none"), trace="decode",
                                prefetcher="none", lookahead=0))
    for la in lookaheads:
        ctx.progress(f"realistic trace, look-ahead {la}")
        real_rows.append(result_row(simulate(h, make(), prefetcher="stream",
                                             prefetch_options={"lookahead": la}),
                                    trace="decode", prefetcher="stream", lookahead=la))
    ctx.progress("realistic trace, head-major KV")
    hm_rows = [result_row(simulate(h, make("head-major"), prefetcher=pf,
                                   prefetch_options={"lookahead": 16} if pf == "stream" else {}),
                          trace="decode, head-major KV", prefetcher=pf,
                          lookahead=16 if pf == "stream" else 0)
               for pf in ("none", "stream")]
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
    line_cycles = 64 // int(params["access_bytes"])  # cycles the core spends on one line
    first = real_rows[0]
    dram_lat = h.ns_to_cycles(h.memory.latency_ns)
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
                       f"{h.level[0].hit_latency_cycles} cycles from CACTI); "
                       f"decode: P99 {r16['p99']:.0f}, P99.99 {r16['p9999']:.0f}, max "
                       f"{r16['max']:.0f} cycles (head-major KV: P99 {hm_rows[1]['p99']:.0f}, "
                       f"P99.99 {hm_rows[1]['p9999']:.0f}, max {hm_rows[1]['max']:.0f})",
              verdict="refuted",
              note="P99 can at best equal the T1 hit latency, which CACTI puts at ~3 cycles for "
                   "an 8 MiB slice at 1 GHz; with llama2.c's KV layout the decode P99 is a "
                   "DRAM miss, and the max is refresh and queueing"),
        Claim(seed="001", claim="optimal look-ahead depth", claimed="16 lines",
              measured=f"knee at {knee} lines on the decode trace (mean latency within 1% of "
                       f"its best {best_mean:.1f} cycles; deeper adds nothing, P99 stays "
                       f"{stream_real[-1]['p99']:.0f})",
              verdict="holds" if knee == 16 else "partly",
              note=f"not a property of the prefetcher: the depth must cover the miss latency "
                   f"(~{first['p50']:.0f} cycles, DRAM {dram_lat}) at one line per "
                   f"{line_cycles} cycles, so it moves with the memory and the access rate; "
                   "the hit rate is the same for every depth"),
    ]
    md = _markdown(ctx, h, params, mix, seed_rows, real_rows, fig, t1)
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


def _markdown(ctx: StudyContext, h: Any, params: dict[str, Any], mix: dict[str, int],
              seed_rows: list[dict[str, Any]], real_rows: list[dict[str, Any]], fig: str,
              t1: str) -> str:
    lv = h.level
    md = [
        f"Hierarchy `{h.name}`: " + ", ".join(
            f"{x.name} {x.size_bytes >> 20} MiB {x.n_ways}-way, {x.hit_latency_cycles} cycles"
            for x in lv) + f", {h.memory.name} {h.memory.latency_ns:.0f} ns, "
        f"{h.memory.bandwidth_bytes_per_s / 1e9:.1f} GB/s; clock {h.clock_hz / 1e9:.1f} GHz. "
        "Latencies are in cycles from the access's issue to its data, including waits for "
        "lines in flight, banks, eDRAM refresh, MSHRs and the DRAM queue. The core issues one "
        "access per cycle.",
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
        "column): at one access per cycle a line lasts 8 cycles, so the depth must cover "
        "the ~118-cycle miss latency, about 15 lines. Beyond the knee nothing improves. A "
        "decode step streams every weight once (it does not fit in T1+T2), so T1 only hits "
        "what the prefetcher brought; at 8 bytes per cycle the step uses 16% of LPDDR5's "
        "bandwidth, so it is latency-bound and prefetching hides the latency, except for "
        "the KV reads below.",
    ]
    return "\n".join(md)


SECTION = Section(name="sim_prefetch", title="Janus-Prefetch-1 look-ahead sweep (seed 001)",
                  order=40, run=run, budget_s=45.0, options=SimPrefetchOptions)
