"""Study section: seed 003's KV-cache experiments redone on a real model (stories260K),
measured on this machine, with a roofline verdict from this machine's measured rates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...report import write_csv, write_json
from .. import Claim, Section, SectionOutput, StudyContext, option

__all__ = ["SECTION", "KvstudyOptions", "TIMED_KEYS"]

# What a run measured on the clock or the allocator (and what is derived from the
# machine's measured rates): these go to timings.json, the rest to kvstudy.csv/json,
# which are then the same bytes on every run.
TIMED_KEYS = ("seconds", "prefill_seconds", "tokens_per_s", "latency_p50_ms", "latency_p95_ms",
              "peak_mem_bytes", "ridge", "roofline_tokens_per_s", "achieved_flops_per_s",
              "achieved_bytes_per_s", "fraction_of_roofline", "roofline_regime", "verdict")
_RUN_KEY = ("backend", "cache", "batch", "prompt_len", "gen_len")


@dataclass(frozen=True, slots=True, kw_only=True)
class KvstudyOptions:
    """``--set kvstudy.KEY=VALUE``; None = derived from the model or the run's depth."""

    model: str = option("stories260k", help="checkpoint: shipped name, .bin, .gguf, or a "
                        "Hugging Face folder (llama or GPT-2 family)")
    lengths: tuple[int, ...] | None = option(None, min=4, help="sequence lengths (prompt 1/4)")
    batches: tuple[int, ...] = option((1, 2, 4, 8), min=1, help="batch sizes with a cache")
    nocache_batches: tuple[int, ...] | None = option(None, min=1,
                                                     help="batch sizes without a cache")
    nocache_lengths: tuple[int, ...] | None = option(None, min=4,
                                                     help="lengths without a cache")
    torch: bool = option(True, help="also run the torch backend when installed")


def run(ctx: StudyContext) -> SectionOutput:
    from ...decoder import blas_threads, load_checkpoint
    from ...decoder.kvstudy import decode_prompts, measure_machine, roofline, run_decode

    o = ctx.opts(KvstudyOptions)
    model = o.model
    ckpt = load_checkpoint(model)
    spec = ckpt.spec
    ctxlen = spec.seq_len
    # lengths (prompt + generation) scaled up to the model's context; prompt = 1/4
    lengths = o.lengths or (ctxlen // 4, ctxlen // 2, ctxlen)
    batches = o.batches
    nc_batches = o.nocache_batches or (batches if ctx.full else (1, 4))
    nc_lengths = o.nocache_lengths or (lengths if ctx.full else lengths[:2])
    rows: list[dict[str, Any]] = []
    ctx.progress("measuring memory bandwidth and FLOP rate")
    with blas_threads(1):
        rates = measure_machine()
        prompts = decode_prompts(ckpt, max(batches + nc_batches), max(lengths) // 4)
        plan = [(b, n, True) for n in lengths for b in batches] + \
               [(b, n, False) for n in nc_lengths for b in nc_batches]
        for i, (b, n, cache) in enumerate(plan):
            ctx.progress(f"numpy {'cache' if cache else 'no cache'} batch {b} length {n} "
                         f"({i + 1}/{len(plan)})")
            # cached runs are short: keep the faster of two (the machine is shared)
            r = max((run_decode(ckpt, batch=b, prompt_len=n // 4, gen_len=n - n // 4,
                                cache=cache, prompts=prompts[:b, :n // 4])
                     for _ in range(2 if cache else 1)), key=lambda x: x.tokens_per_s)
            rows.append({**r.to_dict(), **roofline(r, spec, rates)})
    torch_note = ""
    if o.torch:
        torch_rows, torch_note = _torch_runs(ctx, ckpt, prompts, batches, lengths)
        rows += torch_rows
    fixed_rows = [{k: v for k, v in r.items() if k not in TIMED_KEYS} for r in rows]
    write_csv(ctx.out_dir / "kvstudy.csv", fixed_rows)
    write_json(ctx.out_dir / "kvstudy.json", {"machine": {
        "copy_bytes": rates.copy_bytes, "matmul_n": rates.matmul_n, "blas_threads": 1},
        "runs": fixed_rows, "measured": "timings.json, section kvstudy"})
    timings = {"machine": {"bandwidth_bytes_per_s": rates.bandwidth_bytes_per_s,
                           "flops_per_s": rates.flops_per_s,
                           "ridge_flops_per_byte": rates.ridge_flops_per_byte},
               "runs": [{**{k: r[k] for k in _RUN_KEY},
                         **{k: r[k] for k in TIMED_KEYS if k in r}} for r in rows]}
    fig = _figure(ctx, rows, lengths, batches)

    def get(backend: str, cache: bool, b: int, n: int) -> dict[str, Any] | None:
        for r in rows:
            if (r["backend"], r["cache"], r["batch"], r["prompt_len"] + r["gen_len"]) == \
                    (backend, cache, b, n):
                return r
        return None

    md = [
        f"Model `{model}`: {spec.n_layers} layers, {spec.n_kv_heads} KV heads × {spec.head_size}, "
        f"context {ctxlen}. Each run: a prompt of 1/4 of the length, then greedy decoding to "
        "the full length; per-step latency (one token for every sequence of the batch), "
        "throughput = generated tokens of all sequences per second. Numpy runs use one BLAS "
        "thread (on this shared 2-core machine OpenBLAS threads slowed small products "
        "10-40x); peak memory is the tracemalloc peak of the run's largest moment "
        "(the allocated cache plus the last step); KV bytes are the allocated K and V arrays. "
        "Torch on CPU reports peak-RSS growth, which understates (the allocator reuses "
        "memory freed by earlier runs); on CUDA it is the allocator's peak. The roofline "
        "regime compares the intensity with the ridge; the measured verdict asks whether "
        "the run actually reaches half of either roof.",
        "",
        f"This machine, measured: memory bandwidth "
        f"**{rates.bandwidth_bytes_per_s / 1e9:.1f} GB/s** (copy of {rates.copy_bytes >> 20} MiB), "
        f"float32 **{rates.flops_per_s / 1e9:.1f} GFLOP/s** (SGEMM {rates.matmul_n}³, one "
        f"thread), ridge {rates.ridge_flops_per_byte:.2f} FLOP/byte.",
        "",
        "| backend | cache | batch | length | tokens/s | P50 ms | P95 ms | peak mem KiB | "
        "KV bytes measured | KV bytes formula | FLOP/byte | roofline regime | % of roofline | "
        "measured verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        ai = r.get("arithmetic_intensity")
        frac = r.get("fraction_of_roofline")
        md.append(
            f"| {r['backend']} | {'yes' if r['cache'] else 'no'} | {r['batch']} | "
            f"{r['prompt_len'] + r['gen_len']} | {r['tokens_per_s']:,.0f} | "
            f"{r['latency_p50_ms']:.2f} | {r['latency_p95_ms']:.2f} | "
            f"{r['peak_mem_bytes'] / 1024:,.0f} | {r['kv_bytes_measured']:,} | "
            f"{r['kv_bytes_formula']:,} | {'' if ai is None else f'{ai:.2f}'} | "
            f"{r.get('roofline_regime', '')} | "
            f"{'' if frac is None else f'{100 * frac:.2f}'} | {r.get('verdict', '')} |")
    md += ["", f"![throughput and latency]({ctx.rel(fig)})", ""]
    if torch_note:
        md += [torch_note, ""]
    claims, summary = _claims(get, lengths, batches, nc_lengths, rates)
    md += summary
    return SectionOutput(markdown="\n".join(md), claims=claims, resolved={
        "model": model, "lengths": list(lengths), "batches": list(batches),
        "nocache_batches": list(nc_batches), "nocache_lengths": list(nc_lengths),
        "torch": o.torch}, timings=timings)


def _torch_runs(ctx: StudyContext, ckpt: Any, prompts: Any, batches: tuple[int, ...],
                lengths: tuple[int, ...]) -> tuple[list[dict[str, Any]], str]:
    from ...decoder.hf_export import export_hf
    from ...decoder.torch_backend import load_hf_model, run_decode_torch, torch_available

    if not torch_available():
        return [], "The torch backend was skipped: torch/transformers are not installed."
    import torch

    from pathlib import Path

    if ckpt.spec.arch == "gpt2":   # GPT-2 family: read from its own Hugging Face folder
        folder = Path(ckpt.source)
    else:
        folder = export_hf(ckpt, ctx.out_dir / "hf_model")
    model, dev = load_hf_model(folder)
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    rows = []
    try:
        gpu = dev.startswith("cuda")
        tb = batches if ctx.full or gpu else tuple(b for b in batches if b in (1, 4)) or batches[:1]
        tl = lengths if ctx.full or gpu else lengths[:2]
        # one unrecorded run first: CUDA context, kernels and allocator warm up
        run_decode_torch(model, dev, ckpt.spec, batch=1, prompt_len=8, gen_len=8, cache=True,
                         prompts=prompts[:1, :8])
        for n in tl:
            for b in tb:
                for cache in (True, False):
                    ctx.progress(f"torch-{dev} {'cache' if cache else 'no cache'} batch {b} "
                                 f"length {n}")
                    r = run_decode_torch(model, dev, ckpt.spec, batch=b, prompt_len=n // 4,
                                         gen_len=n - n // 4, cache=cache,
                                         prompts=prompts[:b, :n // 4])
                    rows.append(r.to_dict())
    finally:
        torch.set_num_threads(old)
    where = (f"the model's own folder (`{folder.name}`)" if ckpt.spec.arch == "gpt2" else
             f"the Hugging Face folder janus1 exported (`{ctx.rel(folder)}`)")
    note = (f"Torch backend: transformers `{type(model).__name__}` on **{dev}** (one intra-op "
            f"thread on CPU), loaded from {where}; cache = `use_cache` with the returned cache "
            "object, "
            "no cache = the whole prefix re-run each step.")
    return rows, note


def _claims(get: Any, lengths: tuple[int, ...], batches: tuple[int, ...],
            nc_lengths: tuple[int, ...], rates: Any) -> tuple[list[Claim], list[str]]:
    import numpy as np

    n0, nmax = lengths[0], lengths[-1]
    c0, u0 = get("numpy", True, 1, n0), get("numpy", False, 1, n0)
    speed = c0["tokens_per_s"] / u0["tokens_per_s"]
    b1 = get("numpy", True, 1, n0)
    b4 = get("numpy", True, 4, n0) if 4 in batches else get("numpy", True, batches[-1], n0)
    scale = b4["tokens_per_s"] / b1["tokens_per_s"]
    mem = b4["peak_mem_bytes"] / b1["peak_mem_bytes"]
    kv_all = [r for r in (get("numpy", True, b, n) for b in batches for n in lengths) if r]
    kv_exact = all(r["kv_bytes_measured"] == r["kv_bytes_formula"] for r in kv_all)
    l_small, l_big = get("numpy", True, 1, n0), get("numpy", True, 1, nmax)
    nc_big = get("numpy", False, 1, nc_lengths[-1])
    nc_small = get("numpy", False, 1, nc_lengths[0])
    growth_nc = nc_big["seconds"] / nc_small["seconds"]
    c_big = get("numpy", True, 1, nc_lengths[-1])
    growth_c = c_big["seconds"] / c0["seconds"]
    ratio_len = nc_lengths[-1] / nc_lengths[0]
    verdict_b1 = b1["verdict"]
    claims = [
        Claim(seed="003", claim="the KV cache is slower than recomputation for short sequences",
              claimed="1.28x slowdown with cache (DistilGPT2, ~100 tokens)",
              measured=f"cache {speed:.1f}x faster at {n0} tokens, batch 1",
              verdict="refuted" if speed > 1.0 else "holds",
              timed=True,
              note="with a cache each step is a fixed-size product; without one it re-runs "
                   "the prefix; the seed's slowdown reflects its timing setup, not caching"),
        Claim(seed="003", claim="throughput scales 7.03x from batch 1 to 4",
              claimed="7.03x", measured=f"{scale:.2f}x (batch {b4['batch']} vs 1, {n0} tokens)",
              verdict="refuted" if scale < 4.0 else "partly",
              timed=True,
              note="more than the 4x of four sequences is impossible per step; a super-linear "
                   "figure means batch 1 was under-measured"),
        Claim(seed="003", claim="peak memory grows only 1.03x from batch 1 to 4",
              claimed="1.03x", measured=f"{mem:.2f}x (activations + KV cache, numpy heap)",
              verdict="holds" if mem < 1.5 else "partly",
              timed=True,
              note="on a large model the weights dominate and the ratio is near 1; here the "
                   "KV cache and activations are a visible share of the run's own allocations"),
        Claim(seed="003", claim="KV-cache bytes match the formula and grow linearly with length",
              claimed="9.88 MB measured vs theory (DistilGPT2)",
              measured=("allocated K+V bytes equal 2·L·n_kv·hs·T·B·4 in every run"
                        if kv_exact else "mismatch in some run"),
              verdict="holds" if kv_exact else "refuted"),
        Claim(seed="003", claim="latency per token grows with sequence length (with cache)",
              claimed="2.69 → 4.08 ms from 82 to 562 tokens",
              measured=f"P50 {l_small['latency_p50_ms']:.3f} → {l_big['latency_p50_ms']:.3f} ms "
                       f"from {n0} to {nmax} tokens",
              verdict="holds" if l_big["latency_p50_ms"] > l_small["latency_p50_ms"] else "refuted",
              timed=True,
              note="attention reads every cached key and value, so the step grows with T"),
        Claim(seed="003", claim="without a cache generation time grows quadratically, "
              "with one linearly", claimed="O(S^2) vs O(S)",
              measured=f"{ratio_len:.0f}x longer: no cache {growth_nc:.1f}x the time "
                       f"(~S^{np.log(growth_nc) / np.log(ratio_len):.1f}), cache "
                       f"{growth_c:.1f}x (~S^{np.log(growth_c) / np.log(ratio_len):.1f})",
              verdict="holds" if growth_nc > growth_c else "refuted",
              timed=True,
              note="total generation time; without a cache each step re-runs the prefix "
                   "(and its T^2 attention), with one each step adds one token's work"),
        Claim(seed="003", claim="decode is memory-bound", claimed="AI 0.49 FLOP/byte << ridge 36",
              measured=f"AI {b1['arithmetic_intensity']:.2f} FLOP/byte vs ridge "
                       f"{rates.ridge_flops_per_byte:.2f} here, but "
                       f"{100 * b1['fraction_of_roofline']:.1f}% of the roofline reached",
              verdict="partly",
              timed=True,
              note=f"by the roofline it is memory-bound; measured it is {verdict_b1}: a "
                   "1 MB model stays in cache and the time goes to per-operation dispatch, "
                   "so neither DRAM bandwidth nor FLOPs limit it"),
    ]
    summary = [
        f"With a cache, batch 1 decodes {c0['tokens_per_s']:,.0f} tokens/s at {n0} tokens "
        f"against {u0['tokens_per_s']:,.0f} without ({speed:.1f}x). Batching {b4['batch']} "
        f"sequences gives {scale:.2f}x the throughput of one. The KV arrays hold exactly the "
        "formula's bytes. The roofline classes batch-1 decode as memory-bound "
        f"(arithmetic intensity {b1['arithmetic_intensity']:.2f} < ridge "
        f"{rates.ridge_flops_per_byte:.2f}), but the achieved rate is "
        f"{100 * b1['fraction_of_roofline']:.1f}% of the roofline bound ({b1['verdict']}): "
        "the 1 MB model stays in the CPU caches and the time goes to per-operation "
        "dispatch, which is what batching amortises. Timings come from a 2-core machine "
        "shared with other jobs, so single rows can be noisy (P95 shows it).",
    ]
    return claims, summary


def _figure(ctx: StudyContext, rows: list[dict[str, Any]], lengths: tuple[int, ...],
            batches: tuple[int, ...]):  # type: ignore[no-untyped-def]
    from ...report.plots import new_figure, save_figure

    fig, axes = new_figure(14, 4, ncols=3)
    backends = sorted({r["backend"] for r in rows})
    for be in backends:
        for n in lengths:
            rs = sorted((r for r in rows if r["backend"] == be and r["cache"]
                         and r["prompt_len"] + r["gen_len"] == n), key=lambda r: r["batch"])
            if rs:
                axes[0].plot([r["batch"] for r in rs], [r["tokens_per_s"] for r in rs], "o-",
                             label=f"{be} cache, {n} tok")
        rs = sorted((r for r in rows if r["backend"] == be and not r["cache"]
                     and r["prompt_len"] + r["gen_len"] == lengths[0]), key=lambda r: r["batch"])
        if rs:
            axes[0].plot([r["batch"] for r in rs], [r["tokens_per_s"] for r in rs], "x--",
                         label=f"{be} no cache, {lengths[0]} tok")
        for cache in (True, False):
            rs = sorted((r for r in rows if r["backend"] == be and r["cache"] == cache
                         and r["batch"] == 1), key=lambda r: r["prompt_len"] + r["gen_len"])
            if rs:
                x = [r["prompt_len"] + r["gen_len"] for r in rs]
                axes[1].plot(x, [r["latency_p50_ms"] for r in rs], "o-" if cache else "x--",
                             label=f"{be} {'cache' if cache else 'no cache'} P50")
                axes[1].plot(x, [r["latency_p95_ms"] for r in rs], ":", alpha=0.6,
                             label=f"{be} {'cache' if cache else 'no cache'} P95")
    axes[0].set(xlabel="batch (sequences)", ylabel="throughput (tokens/s)", yscale="log",
                title="throughput")
    axes[0].set_xscale("log", base=2)
    shown = sorted({r["batch"] for r in rows})
    axes[0].set_xticks(shown, [str(b) for b in shown])
    axes[0].set_xticks([], minor=True)
    axes[1].set(xlabel="sequence length (tokens)", ylabel="latency per step (ms)",
                yscale="log", title="latency per step, batch 1")
    rs = [r for r in rows if r["backend"] == "numpy" and r["cache"]]
    axes[2].scatter([r["kv_bytes_formula"] / 1024 for r in rs],
                    [r["kv_bytes_measured"] / 1024 for r in rs], label="KV measured")
    axes[2].scatter([r["kv_bytes_formula"] / 1024 for r in rs],
                    [r["peak_mem_bytes"] / 1024 for r in rs], marker="^", label="peak memory")
    m = max(r["peak_mem_bytes"] for r in rs) / 1024
    axes[2].plot([0, m], [0, m], "k:", lw=0.8)
    axes[2].set(xlabel="KV bytes by formula (KiB)", ylabel="measured (KiB)",
                title="memory (numpy)")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return save_figure(fig, ctx.out_dir / "kvstudy.png")


SECTION = Section(name="kvstudy", title="KV cache on a real model: seed 003's experiments redone",
                  order=31, run=run, budget_s=90.0, options=KvstudyOptions)
