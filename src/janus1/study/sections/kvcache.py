"""Study section: KV-cache bytes per precision, and the KV claims of seeds 001 and 003."""

from __future__ import annotations

from ...models import load_spec
from ...precision import PRECISION_NAMES
from ...report import write_csv, write_json
from ...workload.analysis import analyze, kv_bytes_per_token
from dataclasses import dataclass

from .. import Claim, Section, SectionOutput, StudyContext, option

__all__ = ["SECTION"]

MIB = 2**20
# the seeds' models (001: Llama-2-7B; 003: DistilGPT2; the shipped real model) plus GQA
# examples, so the table shows what n_kv_heads does
MODELS = ("llama-2-7b", "llama-3-8b", "tinyllama-1.1b", "distilgpt2", "gpt2", "stories260k")
PRECISIONS = PRECISION_NAMES


@dataclass(frozen=True, slots=True, kw_only=True)
class KvcacheOptions:
    """``--set kvcache.KEY=VALUE``."""

    context: int = option(4096, min=1, help="tokens in the KV cache of the table")
    group_size: int = option(128, min=1, help="elements per FP16 scale + zero point")


def run(ctx: StudyContext) -> SectionOutput:
    o = ctx.opts(KvcacheOptions)
    context, group = o.context, o.group_size
    rows = []
    for m in MODELS:
        spec = load_spec(m)
        for p in PRECISIONS:
            per_tok, _ = kv_bytes_per_token(spec, p)
            a = analyze(spec, context=context, precision="fp16", kv_precision=p)
            g = analyze(spec, context=context, precision="fp16", kv_precision=p, group_size=group)
            rows.append({
                "model": m, "kv_precision": p, "layers": spec.n_layers,
                "kv_heads": spec.n_kv_heads, "head_dim": spec.head_dim,
                "bytes_per_token": per_tok, "context": context,
                "kv_mib": a.kv_bytes / MIB,
                f"kv_mib_g{group}_fp16_scale_zero": g.kv_bytes / MIB,
                "trained_context": spec.seq_len,
            })
    write_csv(ctx.out_dir / "kv_cache.csv", rows)
    write_json(ctx.out_dir / "kv_cache.json", rows)
    ctx.progress("figure")
    fig_path = _figure(ctx, context)

    llama = load_spec("llama-2-7b")
    kv = {p: analyze(llama, context=4096, precision=p).kv_bytes / MIB for p in PRECISIONS}
    kv_g = analyze(llama, context=4096, precision="int4", group_size=128).kv_bytes / MIB
    kv_int4_2048 = analyze(llama, context=2048, precision="int4").kv_bytes / MIB
    w_int4_gib = analyze(llama, context=4096, precision="int4").weight_bytes / 2**30
    distil = load_spec("distilgpt2")
    d_tok, _ = kv_bytes_per_token(distil, "fp16")
    d_512 = d_tok * 512 / MIB
    d_562 = d_tok * 562 / MIB
    claims = [
        Claim(seed="001", claim="Llama-2-7B KV cache at 4096 tokens, FP16", claimed="2048 MB",
              measured=f"{kv['fp16']:.0f} MiB", verdict="holds",
              note="2 x 32 layers x 32 KV heads x 128 x 2 B = 512 KiB per token (MB here means MiB)"),
        Claim(seed="001", claim="Llama-2-7B KV cache at 4096 tokens, INT8", claimed="1024 MB",
              measured=f"{kv['int8']:.0f} MiB", verdict="holds"),
        Claim(seed="001", claim="Llama-2-7B KV cache at 4096 tokens, INT4", claimed="256 MB",
              measured=f"{kv['int4']:.0f} MiB ({kv_g:.0f} MiB with FP16 scale+zero per 128)",
              verdict="refuted",
              note=f"wrong by 2x: {kv_int4_2048:.0f} MiB is INT4 at 2048 tokens, not 4096"),
        Claim(seed="001", claim="the 256 MB on-chip memory (32 MB SRAM + 224 MB eDRAM) holds "
              "the INT4 KV cache of a 4096-token context", claimed="256 MB suffices",
              measured=f"needs {kv['int4']:.0f} MiB (+ {w_int4_gib:.2f} GiB of INT4 weights)",
              verdict="refuted",
              note="the KV cache alone is twice the on-chip capacity; only 2048 tokens fit"),
        Claim(seed="003", claim="DistilGPT2 KV cache per token (FP16)", claimed="18432 B (18 KB)",
              measured=f"{d_tok:,.0f} B", verdict="holds",
              note="2 x 6 layers x 12 heads x 64 x 2 B"),
        Claim(seed="003", claim="DistilGPT2 KV cache for a 512-token sequence",
              claimed="~9.2 MB per layer; measured 9.88 MB matches",
              measured=f"{d_512:.2f} MiB for all 6 layers at 512 tokens; {d_562:.2f} MiB at 562",
              verdict="refuted",
              note="18 KB x 512 is the total over 6 layers, not per layer; 9.88 MB is the "
                   "FP16 size at 562 tokens (the seed's own Exp. 3), not at 512"),
        Claim(seed="003", claim="KV cache grows linearly, slope 0.0176 MB/token",
              claimed="0.0176 MB/token", measured=f"{d_tok / MIB:.4f} MiB/token",
              verdict="holds"),
    ]
    md = [
        f"KV-cache bytes = 2 x n_layers x n_kv_heads x head_dim x context x bytes per element "
        f"(GQA models use n_kv_heads). Context {context}; the grouped column adds an FP16 scale "
        f"and an FP16 zero point per group of {group} elements of each K or V row (integer "
        "precisions only).", "",
        f"| model | layers x KV heads x head dim | bytes/token FP16 | FP16 MiB | INT8 MiB | "
        f"INT4 MiB | INT4 g{group} MiB |", "|---|---|---|---|---|---|---|",
    ]
    for m in MODELS:
        r = {x["kv_precision"]: x for x in rows if x["model"] == m}
        f16 = r["fp16"]
        md.append(f"| {m} | {f16['layers']} x {f16['kv_heads']} x {f16['head_dim']} | "
                  f"{f16['bytes_per_token']:,.0f} | {f16['kv_mib']:.1f} | {r['int8']['kv_mib']:.1f} "
                  f"| {r['int4']['kv_mib']:.1f} | "
                  f"{r['int4'][f'kv_mib_g{group}_fp16_scale_zero']:.1f} |")
    md += ["", f"Contexts beyond a model's trained context (e.g. GPT-2's 1024, stories260K's 512) "
           "are shown for comparison only.", "",
           f"![KV cache vs context](kvcache/{fig_path.name})", "",
           "Tables: `kvcache/kv_cache.csv`, `kvcache/kv_cache.json`."]
    return SectionOutput(markdown="\n".join(md), claims=claims,
                         resolved={"context": context, "group_size": group, "models": MODELS})


def _figure(ctx: StudyContext, context: int):  # type: ignore[no-untyped-def]
    import numpy as np

    from ...report.plots import new_figure, save_figure

    fig, ax = new_figure()
    ctxs = np.array([128, 256, 512, 1024, 2048, 4096, 8192])
    for m, color in zip(("llama-2-7b", "llama-3-8b", "distilgpt2"), ("C0", "C1", "C2")):
        spec = load_spec(m)
        for p, style in (("fp16", "-"), ("int8", "--"), ("int4", ":")):
            per_tok, _ = kv_bytes_per_token(spec, p)
            ax.plot(ctxs, per_tok * ctxs / MIB, style, color=color, label=f"{m} {p}")
    ax.axhline(256, color="grey", lw=0.8)
    ax.text(130, 290, "Janus-1 on-chip 256 MB", color="grey", fontsize=8)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("context (tokens)")
    ax.set_ylabel("KV cache, one sequence (MiB)")
    ax.set_title("KV-cache size per precision")
    ax.legend(fontsize=7, ncol=3)
    return save_figure(fig, ctx.out_dir / "kv_cache.png")


SECTION = Section(name="kvcache", title="KV-cache sizing (seeds 001 and 003)", order=10, run=run,
                  budget_s=5, options=KvcacheOptions)
