"""Study section: weight and KV-cache quantization measured by perplexity on a real model,
and seed 001's / seed 003's accuracy claims about INT8 and INT4."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...report import write_csv, write_json
from .. import Claim, Section, SectionOutput, StudyContext, option

__all__ = ["SECTION"]

# (target, scheme) rows of the table; --full adds group/asymmetric/PoT/per-channel-KV variants
DEFAULT_ROWS = (("weights", "none"), ("weights", "fp16"), ("weights", "int8"),
                ("weights", "int4"), ("weights", "int4:g32"),
                ("kv", "fp16"), ("kv", "int8"), ("kv", "int4"), ("kv", "int4:g8"))
FULL_ROWS = (("weights", "int8:g32"), ("weights", "int8:pot"), ("weights", "int4:g32:asym"),
             ("weights", "int4:g64"), ("kv", "int8:pot"), ("kv", "int4:asym"),
             ("kv", "int4:channel:g32"), ("kv", "int8:channel:g32"))


@dataclass(frozen=True, slots=True, kw_only=True)
class QuantOptions:
    """``--set quant.KEY=VALUE``; None = the default of the run's depth (--full or not)."""

    model: str = option("stories260k", help="checkpoint (preset name or file)")
    max_tokens: int | None = option(None, min=2, help="WikiText tokens (16384; 65536 --full)")
    context: int = option(256, min=2, help="window length in tokens")
    token_ids: str | None = option(None, help="file of token ids (BOS first) evaluated "
                                   "instead of WikiText, for checkpoints without a tokenizer")


def run(ctx: StudyContext) -> SectionOutput:
    from ...decoder import FloatDecoder, blas_threads, load_checkpoint
    from ...decoder.evaluate import compare, protocol_text
    from ...decoder.quant import kv_bytes_per_token, parse_scheme, weight_bytes
    from ...models import asset_path

    o = ctx.opts(QuantOptions)
    model = o.model
    max_tokens = o.max_tokens if o.max_tokens is not None else (65536 if ctx.full else 16384)
    context = o.context
    ckpt = load_checkpoint(model)
    if o.token_ids is not None:   # a checkpoint without tokenizer: ids as given, first = BOS
        from ...decoder.checkpoint import read_token_ids

        ids = read_token_ids(o.token_ids, ckpt.spec.vocab_size)[:max_tokens]
        bos_id, stream = ids[0], f"token-id file {o.token_ids}"
    else:
        tok = ckpt.require_tokenizer("--set quant.token_ids=FILE")
        text_path = asset_path("wikitext", "wiki.test.raw")
        ids = tok.encode(text_path.read_text(encoding="utf-8"), max_tokens=max_tokens)
        bos_id, stream = tok.bos_id, tok.source
    spec = ckpt.spec
    ref = FloatDecoder.from_checkpoint(ckpt)
    rows: list[dict[str, Any]] = []
    plan = DEFAULT_ROWS + (FULL_ROWS if ctx.full else ())
    w_fp32 = weight_bytes(spec, parse_scheme("none"))
    kv_fp32 = kv_bytes_per_token(spec, parse_scheme("none", kv=True))
    with blas_threads(1):
        for i, (target, scheme) in enumerate(plan):
            ctx.progress(f"{target} {scheme} ({i + 1}/{len(plan)})")
            kw = {"weights_scheme": scheme} if target == "weights" else {"kv_scheme": scheme}
            dec = FloatDecoder.from_checkpoint(ckpt, **kw)
            r = compare(ref, dec, ids, context=context, bos_id=bos_id)
            s = dec.wscheme if target == "weights" else dec.kvscheme
            if target == "weights":
                nbytes = weight_bytes(spec, s)
                ratio = nbytes / w_fp32
            else:
                nbytes = kv_bytes_per_token(spec, s)
                ratio = nbytes / kv_fp32
            rows.append({
                "target": target, "scheme": s.text, "bits": s.bits,
                "bytes": nbytes if target == "weights" else None,
                "kv_bytes_per_token": nbytes if target == "kv" else None,
                "kv_bytes_at_context": nbytes * spec.seq_len if target == "kv" else None,
                "footprint_vs_fp32": ratio, "ppl": r.ppl, "ppl_reference": r.ppl_reference,
                "ppl_delta_pct": r.ppl_delta_pct, "kl_mean": r.kl_mean,
                "top1_agreement": r.top1_agreement, "top5_agreement": r.top5_agreement,
                "logit_mse": r.logit_mse, "tokens_scored": r.tokens,
            })
    write_csv(ctx.out_dir / "quant.csv", rows)
    write_json(ctx.out_dir / "quant.json", rows)
    fig = _figure(ctx, rows)
    by = {(r["target"], r["scheme"]): r for r in rows}
    base = rows[0]["ppl_reference"]

    def d(t: str, s: str) -> float:
        return float(by[(t, s)]["ppl_delta_pct"])

    claims = _claims(d)
    md = [
        f"Model `{model}` ({spec.source}); text: "
        + (f"the first {len(ids):,} ids of the {stream}" if o.token_ids is not None else
           f"WikiText test (`wiki.test.raw`), first {len(ids):,} tokens of the {stream} "
           "token stream") + "; protocol: "
        f"{protocol_text(context, None)}. Float perplexity **{base:.3f}**.",
        "",
        "Weights: round-to-nearest (RTN), symmetric, one scale per output channel unless "
        "a group `gN` is named; every matrix (embedding/classifier included) is quantized, "
        "the RMSNorm gains stay FP32. KV cache: keys and values quantized as they are "
        "written, one scale per token per layer (the whole kv_dim row) unless `gN` "
        "(per group of N channels) or `channel` (per channel over blocks of N tokens). "
        "Bytes count FP16 scales (and zero points when asymmetric).",
        "",
        "| target | scheme | bits | bytes (weights) / per token (KV) | vs FP32 | perplexity | "
        "Δ ppl | KL (nats) | top-1 | top-5 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        b = r["bytes"] if r["target"] == "weights" else r["kv_bytes_per_token"]
        md.append(f"| {r['target']} | `{r['scheme']}` | {r['bits']} | {b:,.0f} | "
                  f"{r['footprint_vs_fp32']:.3f} | {r['ppl']:.3f} | {r['ppl_delta_pct']:+.2f}% | "
                  f"{r['kl_mean']:.4f} | {r['top1_agreement']:.3f} | {r['top5_agreement']:.3f} |")
    md += ["", f"![perplexity cost against footprint]({ctx.rel(fig)})", "",
           f"What INT4 costs here: per-channel INT4 weights {d('weights', 'int4'):+.1f}% "
           f"perplexity, with groups of 32 {d('weights', 'int4:g32'):+.1f}%; an INT4 KV cache "
           f"with one scale per token {d('kv', 'int4'):+.1f}%, per group of 8 channels "
           f"{d('kv', 'int4:g8'):+.1f}%. INT8 costs {d('weights', 'int8'):+.2f}% (weights) and "
           f"{d('kv', 'int8'):+.2f}% (KV); FP16 is indistinguishable from FP32 "
           f"({d('weights', 'fp16'):+.3f}% / {d('kv', 'fp16'):+.3f}%).",
           "",
           "stories260K has 260K parameters and no redundancy to absorb INT4 rounding noise; "
           "published INT4 costs on Llama-2-7B are smaller (ANCHORS: RTN W4 g128 5.47 → "
           "5.73, +4.8%; naive INT4 KV 5.12 → 5.66, +10.5%). The pattern, not the size of "
           "the INT4 cost, is what transfers: FP16 and INT8 near-lossless, INT4 costly and "
           "sensitive to the grouping."]
    return SectionOutput(markdown="\n".join(md), claims=claims,
                         resolved={"model": model, "max_tokens": max_tokens, "context": context,
                                   "tokens": len(ids), "tokenizer": stream,
                                   "schemes": [f"{t}:{s}" for t, s in plan]})


def _claims(d: Any) -> list[Claim]:
    i8w, i4w, i4wg = d("weights", "int8"), d("weights", "int4"), d("weights", "int4:g32")
    i8k, i4k, i4kg = d("kv", "int8"), d("kv", "int4"), d("kv", "int4:g8")
    f16w, f16k = d("weights", "fp16"), d("kv", "fp16")
    return [
        Claim(seed="001", claim="INT8 quantization costs +6.8% perplexity (5.42 → 5.79)",
              claimed="+6.8%",
              measured=f"{i8w:+.2f}% (INT8 weights, per channel); {i8k:+.2f}% (INT8 KV, per token)",
              verdict="refuted" if max(abs(i8w), abs(i8k)) < 2.0 else "partly",
              note="round-to-nearest INT8 is near-lossless on a real model; published W8A8 "
                   "costs +0.75% on Llama-2-7B (ANCHORS), so +6.8% implies a broken scheme"),
        Claim(seed="001", claim="INT4 quantization costs +11.4% perplexity (→ 6.04)",
              claimed="+11.4%",
              measured=f"weights {i4w:+.1f}% per channel, {i4wg:+.1f}% g32; KV {i4k:+.1f}% per "
                       f"token, {i4kg:+.1f}% g8",
              verdict="partly",
              note="INT4 does cost far more than INT8 and depends on the grouping, which the "
                   "seed does not state; on a 260K-parameter model the cost is larger than on "
                   "Llama-2-7B, so the number itself cannot be checked here, only the pattern"),
        Claim(seed="001", claim="INT4 is an acceptable degradation where INT8 is not far better",
              claimed="INT8 +6.8% vs INT4 +11.4% (INT4 costs 1.7x INT8)",
              measured=f"INT4/INT8 cost ratio: weights {i4w / max(i8w, 1e-3):.0f}x, KV "
                       f"{i4k / max(i8k, 1e-3):.0f}x",
              verdict="refuted",
              note="INT8 is almost free and INT4 costs an order of magnitude more; the seed's "
                   "INT8 number makes INT4 look cheap by comparison"),
        Claim(seed="003", claim="FP16 KV cache: ~5% accuracy loss", claimed="~5%",
              measured=f"{f16k:+.3f}% perplexity (FP16 weights {f16w:+.3f}%)",
              verdict="refuted" if abs(f16k) < 0.5 else "partly",
              note="half precision rounds at 2^-11 relative; next-token distributions barely move"),
        Claim(seed="003", claim="INT8 KV cache: ~10% accuracy loss", claimed="~10%",
              measured=f"{i8k:+.2f}% perplexity (one scale per token)",
              verdict="refuted" if abs(i8k) < 2.0 else "partly",
              note="INT8 with a per-token scale keeps 8 bits of each vector's range"),
    ]


def _figure(ctx: StudyContext, rows: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    from ...report.plots import new_figure, save_figure

    fig, axes = new_figure(10, 4, ncols=2)
    for ax, target in zip(axes, ("weights", "kv")):
        rs = [r for r in rows if r["target"] == target]
        x = [r["footprint_vs_fp32"] for r in rs]
        # the change can be negative (rounding noise helps): a symmetric-log axis shows
        # every value, linear within +-0.01 %, instead of clamping to a floor on a log axis
        y = [r["ppl_delta_pct"] for r in rs]
        ax.scatter(x, y)
        for r, xi, yi in zip(rs, x, y):
            ax.annotate(r["scheme"], (xi, yi), fontsize=8, xytext=(3, 3),
                        textcoords="offset points")
        ax.set_yscale("symlog", linthresh=0.01)
        ax.axhline(0.0, color="grey", lw=0.6)
        ax.set_xlabel("footprint (fraction of FP32)")
        ax.set_ylabel("perplexity change (%, symlog)")
        ax.set_title(f"{target} quantization (stories260K, WikiText)")
        ax.grid(alpha=0.3)
    return save_figure(fig, ctx.out_dir / "quant.png")


SECTION = Section(name="quant",
                  title="Quantization: perplexity against footprint (seed 001 step 2)",
                  order=30, run=run, budget_s=60.0, options=QuantOptions)
