"""Study section: the bit-accurate fixed-point decoder of seed 004 on stories260K.

Measures the teacher-forced agreement with the float reference on WikiText (issue 6's
protocol), the greedy-sequence agreement and where the greedy outputs part, the error
budget (which stage, at the seed's formats, costs what), each primitive's measured error
against its documented bound, M1 (the streaming kernel against full-window softmax) and the
speed of both decoders.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...decoder.checkpoint import load_checkpoint, make_decoder
from ...decoder.evaluate import log_softmax, perplexity_windows, window_logits
from ...decoder.fixed_eval import greedy_metrics
from ...decoder.fixed_ref import HIGH_PRECISION, FixedConfig, FixedDecoder
from ...models import asset_path
from ...report import write_csv, write_json
from .. import Claim, Section, SectionOutput, StudyContext, option

__all__ = ["SECTION"]

# issue 6, "Must hold": teacher-forced bars on the first 4,096 WikiText tokens and on the
# float greedy sequence
BARS = {"top1_agreement": 0.87, "ppl_delta_pct": 4.0, "kl_mean": 0.035,
        "greedy_top1_agreement": 0.93, "greedy_kl_mean": 0.01, "greedy_agree_tokens": 16}

_DEFAULT = FixedConfig()
# stage -> the FixedConfig fields that make it (default = the seed's formats)
STAGES = {
    "weights (INT8 rows, PoT)": ("weight_bits",),
    "activations (INT16, PoT per vector)": ("act_bits",),
    "K cache (INT8 rows)": ("k_bits",),
    "V cache (INT8 rows)": ("v_bits",),
    "LUTs (exp 256, invsqrt 64 + 1 Newton)": ("exp_lut_bits", "exp_lut_frac_bits",
                                              "invsqrt_lut_bits", "newton_steps"),
}


def _metrics(ref: list[np.ndarray], got: list[np.ndarray], tgts: list[np.ndarray]) -> dict:
    """ppl delta, mean KL(ref || got), top-1 agreement over cached window logits."""
    nll_r = nll_q = kl = 0.0
    top1 = n = 0
    for lr, lq, t in zip(ref, got, tgts):
        pr, pq = log_softmax(lr), log_softmax(lq)
        idx = np.arange(len(t))
        nll_r -= float(pr[idx, t].sum())
        nll_q -= float(pq[idx, t].sum())
        kl += float((np.exp(pr) * (pr - pq)).sum())
        top1 += int((lr.argmax(-1) == lq.argmax(-1)).sum())
        n += len(t)
    ppl_r, ppl_q = float(np.exp(nll_r / n)), float(np.exp(nll_q / n))
    return {"ppl_reference": ppl_r, "ppl": ppl_q, "ppl_delta_pct": 100 * (ppl_q / ppl_r - 1),
            "kl_mean": kl / n, "top1_agreement": top1 / n, "tokens": n}


def _window_logits(dec: Any, ids: np.ndarray, wins: list, context: int) -> tuple[list, list]:
    lg, tg = [], []
    for _, lq, t in window_logits(dec, ids, wins, context, 1):
        lg.append(np.asarray(lq, np.float64))
        tg.append(t)
    return lg, tg


def _primitive_table() -> list[dict[str, Any]]:
    """Measured max error against the documented bound (dense sweeps; the tests go wider)."""
    from ...numerics import (ExpTable, InvSqrtTable, exp_fixed_array, invsqrt_fixed_array,
                             silu_error_bound, silu_fixed_array)

    F = 2.0 ** -20
    rows = []
    for name, t in (("exp, 256-entry LUT + interpolation", ExpTable()),
                    ("exp, 256-entry LUT, nearest entry", ExpTable(interpolate=False))):
        x = np.arange(-(4 << 20), 1, dtype=np.int64)           # every F input in [-4, 0]
        q = exp_fixed_array(x, t.table(), t.lut_bits, t.lut_frac_bits, t.interpolate) * F
        err = np.abs(q - np.exp(x * F))
        rows.append({"primitive": name, "inputs": "every F value in [-4, 0]",
                     "measured_max_abs_error": float(err.max()),
                     "documented_bound": t.max_error(),
                     "within": bool(np.all(err <= t.error_bound(x * F)))})
    t = InvSqrtTable()
    v = np.arange(1, 1 << 20, dtype=np.int64)
    y, k = invsqrt_fixed_array(v, t.table(), t.lut_bits, t.frac_bits, t.newton_steps)
    got = y * np.exp2(-(t.frac_bits + k).astype(np.float64))
    rel = np.abs(got * np.sqrt(v.astype(np.float64)) - 1)
    rows.append({"primitive": "invsqrt, 64-entry seed + 1 Newton step (relative)",
                 "inputs": "every integer in [1, 2**20)",
                 "measured_max_abs_error": float(rel.max()),
                 "documented_bound": t.rel_error_bound(),
                 "within": bool(rel.max() <= t.rel_error_bound())})
    e = ExpTable()
    x = np.arange(-(16 << 20), 16 << 20, 13, dtype=np.int64)
    q = silu_fixed_array(x, e.table(), e.lut_bits, e.lut_frac_bits, e.interpolate) * F
    xf = x * F
    err = np.abs(q - xf / (1 + np.exp(-xf)))
    b = silu_error_bound(xf, e)
    rows.append({"primitive": "SiLU (exp + one division)",
                 "inputs": "every 13th F value in [-16, 16)",
                 "measured_max_abs_error": float(err.max()), "documented_bound": float(b.max()),
                 "within": bool(np.all(err <= b))})
    return rows


def _m1(seed: int) -> float:
    """Worst |streamed - full-window| / max|v| over random q/k/v, SeqLen 16, HeadDim 8."""
    from ...decoder.fixed_attention import attend_head
    from ...numerics import ExpTable, pot_quantize_vector_array

    F = 2.0 ** -20
    rng = np.random.default_rng(seed)
    lut = ExpTable().table()
    worst = 0.0
    S, hd = 16, 8

    def rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = np.empty(a.shape, np.int8)
        e = np.empty(S, np.int8)
        for i in range(S):
            m[i], e[i] = pot_quantize_vector_array(np.round(a[i] / F).astype(np.int64), -20, 8, 1)
        return m, e

    for _ in range(20):
        qm, qe = pot_quantize_vector_array(np.round(rng.standard_normal(hd) / F).astype(np.int64),
                                           -20, 16, 1)
        km, ke = rows(rng.standard_normal((S, hd)))
        vm, ve = rows(rng.standard_normal((S, hd)))
        kd = km * np.ldexp(1.0, ke.astype(np.int64))[:, None]
        vd = vm * np.ldexp(1.0, ve.astype(np.int64))[:, None]
        for pos in range(S):
            out = np.zeros(hd, np.int64)
            attend_head(qm, qe, km, ke, vm, ve, pos, lut, 8, 20, True, 1,
                        np.zeros(hd + 2, np.int64), np.zeros((S, 2), np.int64), out)
            s = kd[:pos + 1] @ (qm * 2.0 ** qe)
            p = np.exp(s - s.max())
            p /= p.sum()
            worst = max(worst, float(np.abs(out * F - p @ vd[:pos + 1]).max()
                                     / np.abs(vd[:pos + 1]).max()))
    return worst


def _speed(fl: Any, fx: Any, toks: list[int]) -> tuple[float, float]:
    rates = []
    for dec in (fl, fx):
        best = float("inf")
        for _ in range(3):
            dec.reset()
            t0 = time.perf_counter()
            for pos, t in enumerate(toks):
                dec.step(t, pos)
            best = min(best, time.perf_counter() - t0)
        rates.append(len(toks) / best)
    return rates[0], rates[1]


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedOptions:
    """``--set fixed.KEY=VALUE``; None = the default of the run's depth (--full or not)."""

    max_tokens: int | None = option(None, min=2, help="WikiText tokens (4096; 16384 --full)")
    budget_tokens: int | None = option(None, min=2,
                                       help="tokens of the error budget (2048; all --full)")
    context: int = option(256, min=2, help="window length in tokens")
    greedy_steps: int = option(256, min=1, help="greedy tokens compared against float")


def run(ctx: StudyContext) -> SectionOutput:
    o = ctx.opts(FixedOptions)
    max_tokens = o.max_tokens if o.max_tokens is not None else (16384 if ctx.full else 4096)
    budget_tokens = o.budget_tokens if o.budget_tokens is not None else (
        max_tokens if ctx.full else 2048)
    context = o.context
    steps = o.greedy_steps
    ck = load_checkpoint("stories260k")
    fl = make_decoder(ck)
    fx = make_decoder(ck, numerics="fixed")
    with open(asset_path("wikitext", "wiki.test.raw"), encoding="utf-8") as fh:
        ids = np.asarray(ck.tokenizer.encode(fh.read(), bos=True, max_tokens=max_tokens))

    # ---- teacher-forced on WikiText, float logits cached for the error budget ----
    ctx.progress("float reference logits")
    wins = perplexity_windows(len(ids), context)
    ref, tg = _window_logits(fl, ids, wins, context)
    ctx.progress("fixed-point logits")
    got, _ = _window_logits(fx, ids, wins, context)
    tf = _metrics(ref, got, tg)

    # ---- greedy sequence from BOS ----
    ctx.progress("greedy sequence")
    g = greedy_metrics(fl, fx, steps=steps, bos_id=ck.tokenizer.bos_id)
    toks = [ck.tokenizer.bos_id] + g["greedy_token_ids"][:-1]
    part = g["greedy_part_pos"]
    part_text = ("the greedy outputs never part" if part is None else
                 f"the greedy outputs part at position {part}: float picks "
                 f"{ck.tokenizer.decode([g['greedy_part_float_token']])!r}, fixed "
                 f"{ck.tokenizer.decode([g['greedy_part_fixed_token']])!r}, with a float "
                 f"top-two gap of {g['greedy_part_float_gap']:.4f}")

    # ---- error budget: each stage alone at the seed's format, the rest at high precision ----
    n_budget = sum(1 for b, _ in wins if b + context <= budget_tokens) or 1
    bref, btg = ref[:n_budget], tg[:n_budget]
    budget_rows = []
    configs: list[tuple[str, dict[str, Any]]] = [
        ("all stages at the seed's formats (the decoder)", {}),
        ("all stages high precision (SFixed 12.20 floor)", dict(HIGH_PRECISION))]
    for stage, keys in STAGES.items():
        cfg = dict(HIGH_PRECISION)
        for k in keys:
            cfg[k] = getattr(_DEFAULT, k)
        configs.append((f"only {stage}", cfg))
    configs.append(("seed-literal INT8 activations (act_bits=8)", {"act_bits": 8}))
    configs.append(("exp LUT without interpolation", {"exp_interpolate": False}))
    configs.append(("the decoder with INT16 K (the issue's option)", {"k_bits": 16}))
    for name, cfg in configs:
        ctx.progress(f"budget: {name}")
        dec = FixedDecoder.from_checkpoint(ck, **cfg)
        lg, _ = _window_logits(dec, ids, wins[:n_budget], context)
        m = _metrics(bref, lg, btg)
        budget_rows.append({"configuration": name, **{k: m[k] for k in
                            ("kl_mean", "top1_agreement", "ppl_delta_pct", "tokens")},
                            "options": ",".join(f"{k}={v}" for k, v in cfg.items()) or "default"})
    floor = budget_rows[1]["kl_mean"]
    for r in budget_rows:
        r["kl_over_floor"] = r["kl_mean"] - floor

    ctx.progress("primitives and M1")
    prim = _primitive_table()
    m1 = _m1(ctx.seed)
    ctx.progress("speed")
    r_float, r_fixed = _speed(fl, fx, toks)

    g_out = {k: v for k, v in g.items() if k != "greedy_token_ids"}
    write_json(ctx.out_dir / "fixed.json", {"teacher_forced": tf, "greedy": g_out,
                                             "error_budget": budget_rows, "primitives": prim,
                                             "m1_worst_rel": m1})
    write_csv(ctx.out_dir / "error_budget.csv", budget_rows)
    write_csv(ctx.out_dir / "primitives.csv", prim)
    fig = _figure(ctx, budget_rows)

    md = [f"Decoder: seed 004's formats on stories260K (INT8 PoT weights, INT{fx.act_bits} "
          "PoT activations, INT32 accumulators, SFixed 12.20 between blocks, INT8 K/V rows, "
          "256-entry exp2 LUT with interpolation, 64-entry invsqrt seed + 1 Newton step). "
          "Floats only offline; the compiled forward contains no floating-point instruction "
          "(tested).", "",
          f"Teacher-forced, first {len(ids)} WikiText tokens, windows of {context} with BOS, "
          f"second half scored ({tf['tokens']} predictions):", "",
          "| metric | fixed point | bar (issue 6) |", "|---|---|---|",
          f"| top-1 agreement | {tf['top1_agreement']:.4f} | >= 0.87 |",
          f"| perplexity (float -> fixed) | {tf['ppl_reference']:.3f} -> {tf['ppl']:.3f} "
          f"({tf['ppl_delta_pct']:+.2f}%) | within 4% |",
          f"| mean KL | {tf['kl_mean']:.4f} nats | <= 0.035 |", "",
          f"Float greedy sequence ({g['greedy_steps']} tokens from BOS):", "",
          "| metric | fixed point | bar |", "|---|---|---|",
          f"| top-1 agreement | {g['greedy_top1_agreement']:.4f} | >= 0.93 |",
          f"| mean KL | {g['greedy_kl_mean']:.4f} nats | <= 0.01 |",
          f"| gap violations (float gap >= 1, argmax differs) | {g['greedy_gap_violations']} | 0 |",
          f"| leading tokens equal | {g['greedy_agree_tokens']} | >= 16 |", "",
          f"{part_text}; float's smallest top-two gap on the sequence is "
          f"{g['greedy_min_gap']:.4f}.", "",
          f"Error budget (first {sum(len(t) for t in btg)} scored tokens; each stage "
          "alone at the seed's format with every other stage at high precision: 16-bit "
          "weights and K/V, 24-bit activations, 4096-entry Q.30 exp LUT, 4096-entry invsqrt "
          "seed + 2 Newton steps; `kl_over_floor` = what the stage costs):", "",
          "| configuration | mean KL | KL over floor | top-1 | ppl delta % |",
          "|---|---|---|---|---|"]
    for r in budget_rows:
        md.append(f"| {r['configuration']} | {r['kl_mean']:.5f} | {r['kl_over_floor']:+.5f} | "
                  f"{r['top1_agreement']:.4f} | {r['ppl_delta_pct']:+.2f} |")
    md += ["", f"![error budget]({ctx.rel(fig)})", "",
           "Primitives, measured against their documented bounds:", "",
           "| primitive | inputs | measured max error | documented bound | within |",
           "|---|---|---|---|---|"]
    for r in prim:
        md.append(f"| {r['primitive']} | {r['inputs']} | {r['measured_max_abs_error']:.3e} | "
                  f"{r['documented_bound']:.3e} | {r['within']} |")
    md += ["", f"M1 (SeqLen 16, HeadDim 8, 20 random q/k/v sets, every pos): worst "
           f"|streamed - full-window softmax| = {m1:.2e} of max|v|; every K and V row read "
           "once per step; kernel state HeadDim + 2 words.", "",
           f"Speed on this machine (one step at a time, {len(toks)} positions): float reference "
           f"{r_float:.0f} tokens/s, fixed point {r_fixed:.0f} tokens/s "
           f"(ratio {r_fixed / r_float:.2f}; bar >= 0.33)."]

    bars_ok = (tf["top1_agreement"] >= BARS["top1_agreement"]
               and abs(tf["ppl_delta_pct"]) <= BARS["ppl_delta_pct"]
               and tf["kl_mean"] <= BARS["kl_mean"]
               and g["greedy_top1_agreement"] >= BARS["greedy_top1_agreement"]
               and g["greedy_kl_mean"] <= BARS["greedy_kl_mean"]
               and g["greedy_gap_violations"] == 0
               and g["greedy_agree_tokens"] >= BARS["greedy_agree_tokens"])
    a8 = next(r for r in budget_rows if r["configuration"].startswith("seed-literal"))
    noint = next(r for r in budget_rows if r["configuration"].startswith("exp LUT without"))
    e_int, e_near = prim[0]["measured_max_abs_error"], prim[1]["measured_max_abs_error"]
    claims = [
        Claim(seed="004", claim="PoT INT8 weights, SFixed 12.20, INT32 MACs and LUT math keep "
              "a LLaMA decoder close to float (validated against a float baseline)",
              claimed="'as high as possible'", verdict="holds" if bars_ok else "refuted",
              measured=f"top-1 {tf['top1_agreement']:.3f}, KL {tf['kl_mean']:.4f}, ppl "
                       f"{tf['ppl_delta_pct']:+.2f}% (WikiText); greedy top-1 "
                       f"{g['greedy_top1_agreement']:.3f}, KL {g['greedy_kl_mean']:.4f}",
              note="with INT16 activations (the MAC's 16-bit operand); issue-6 bars"),
        Claim(seed="004", claim="activations as Signed 8 mantissas with a per-vector exponent",
              claimed="Act :: Signed 8", measured=f"KL {a8['kl_mean']:.4f}, top-1 "
              f"{a8['top1_agreement']:.3f}, ppl {a8['ppl_delta_pct']:+.2f}% (first "
              f"{a8['tokens']} tokens)",
              verdict="holds" if (a8["kl_mean"] <= BARS["kl_mean"]
                                  and a8["top1_agreement"] >= BARS["top1_agreement"]) else "partly",
              note="INT8 activations against the teacher-forced bars; the decoder uses INT16"),
        Claim(seed="004", claim="linear interpolation reduces the 256-entry exp2 LUT error",
              claimed="optional interpolation", verdict="holds" if e_int < e_near else "refuted",
              measured=f"max |error| {e_near:.2e} -> {e_int:.2e}; decoder KL "
                       f"{noint['kl_mean']:.5f} without vs {budget_rows[0]['kl_mean']:.5f} with",
              note="the LUT's own cost is below the decoder's noise: the K cache dominates"),
        Claim(seed="004", claim="M1: the streamed kernel matches full-window attention for all pos",
              claimed="within FP tolerance", measured=f"{m1:.2e} of max|v|",
              verdict="holds" if m1 < 1e-4 else "refuted",
              note="SeqLen 16, HeadDim 8, random q/k/v, INT8 K/V rows"),
    ]
    resolved = {"model": "stories260k", "max_tokens": int(len(ids)), "context": context,
                "greedy_steps": steps, "budget_tokens": budget_tokens,
                "config": {"act_bits": fx.act_bits, **{k: getattr(_DEFAULT, k) for k in
                                                        ("weight_bits", "k_bits", "v_bits",
                                                         "exp_lut_bits", "invsqrt_lut_bits")}}}
    return SectionOutput(markdown="\n".join(md), claims=claims, resolved=resolved,
                         timings={"tokens_per_s": {"float": r_float, "fixed": r_fixed},
                                  "positions": len(toks)})


def _figure(ctx: StudyContext, rows: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    from ...report.plots import new_figure, save_figure

    fig, ax = new_figure()
    names = [r["configuration"] for r in rows]
    # a dot per configuration (bars on a log axis would start at an arbitrary floor); a KL
    # of exactly zero (bit-identical logits) has no place on a log axis and is left out
    colors = ["C3", "C7"] + ["C0"] * (len(rows) - 2)
    for i, (r, c) in enumerate(zip(rows, colors)):
        if r["kl_mean"] > 0:
            ax.plot([r["kl_mean"]], [i], "o", color=c)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.grid(axis="x", alpha=0.3)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(names, fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("mean KL(float || fixed) (nats/token)")
    ax.set_title("stories260K fixed-point error budget")
    return save_figure(fig, ctx.out_dir / "error_budget.png")


SECTION = Section(name="fixed", title="Bit-accurate fixed-point decoder (seed 004)", order=35,
                  run=run, budget_s=90, options=FixedOptions)
