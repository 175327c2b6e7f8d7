"""Seed 003's KV-cache experiments on a real checkpoint, measured on this machine.

One run (:func:`run_decode`) decodes ``batch`` sequences: a prompt of ``prompt_len``
tokens, then ``gen_len`` greedy tokens, either

- with a KV cache (:class:`~janus1.decoder.float_ref.FloatDecoder` ``step_batch``:
  each new token attends to cached keys and values), or
- without one (each new token re-runs the whole prefix through ``forward_batch``
  and keeps the last position's logits, as a cache-less ``generate`` does).

Measured: wall time of every generation step (latency P50/P95 in ms per step, i.e.
per token of each sequence), throughput (generated tokens of all sequences per
second), peak Python-heap memory during the run (``tracemalloc``, which sees every
numpy allocation) and the bytes of the allocated KV arrays against the formula
``2 * n_layers * n_kv_heads * head_dim * tokens * batch * 4`` (float32).

:func:`measure_machine` measures this machine's memory bandwidth (large array copy)
and float32 FLOP rate (matrix product), and :func:`roofline` places each run on
that roofline using the run's achieved FLOP/s and its FLOPs and bytes per token.
"""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import asdict, dataclass

import numpy as np

from ..models.spec import ModelSpec
from ..workload.analysis import analyze, kv_bytes_per_token, roofline_point
from .checkpoint import Checkpoint
from .float_ref import FloatDecoder

__all__ = ["DecodeRun", "MachineRates", "run_decode", "measure_machine", "roofline",
           "decode_flops_per_token", "decode_bytes_per_token", "kv_formula_bytes", "decode_prompts"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodeRun:
    """One measured decode."""

    backend: str                # "numpy" or "torch-cpu" / "torch-cuda"
    cache: bool                 # with a KV cache
    batch: int
    prompt_len: int
    gen_len: int
    seconds: float              # generation phase wall time
    prefill_seconds: float      # prompt phase wall time
    tokens_per_s: float         # batch * gen_len / seconds
    latency_p50_ms: float       # per generation step (one token for each sequence)
    latency_p95_ms: float
    peak_mem_bytes: int         # tracemalloc peak (numpy) or device peak (torch CUDA)
    mem_method: str
    kv_bytes_measured: int      # bytes of the allocated K and V arrays (0 without cache)
    kv_bytes_formula: int       # 2 * L * n_kv * hs * (prompt + gen) * batch * 4
    flops_per_token: float      # model FLOPs per generated token (at the mean position)

    def to_dict(self) -> dict[str, object]:
        """Plain dict."""
        return asdict(self)


_BYTES_PRECISION = {4: "fp32", 2: "fp16", 1: "int8"}


def kv_formula_bytes(spec: ModelSpec, tokens: int, batch: int, bytes_per_value: int = 4) -> int:
    """ANCHORS formula (:func:`janus1.workload.analysis.kv_bytes_per_token`):
    2 * n_layers * n_kv_heads * head_dim * bytes per token, times tokens and batch."""
    per_token, _ = kv_bytes_per_token(spec, _BYTES_PRECISION[bytes_per_value])
    return int(per_token) * tokens * batch


def _decode(spec: ModelSpec, pos: float, batch: int, bytes_per_value: int) -> object:
    # the workload analysis of one cached decode step attending to pos + 1 keys; GenZ
    # counting leaves out the KV write of the new token (this study reads, it does
    # not count writes)
    return analyze(spec, context=pos + 1, batch=batch,  # type: ignore[arg-type]
                   precision=_BYTES_PRECISION[bytes_per_value], counting="genz").decode


def decode_flops_per_token(spec: ModelSpec, pos: float) -> float:
    """FLOPs of one cached decode step at position ``pos`` (2 per multiply-add):
    all matrix products plus attention scores and the weighted sum over pos + 1 keys
    (:func:`janus1.workload.analysis.analyze`)."""
    return _decode(spec, pos, 1, 4).flops_per_token  # type: ignore[attr-defined]


def decode_bytes_per_token(spec: ModelSpec, pos: float, batch: int = 1,
                           bytes_per_value: int = 4) -> float:
    """Bytes one cached decode step must read per generated token: every weight once
    per step (shared by the batch) plus this sequence's K and V up to ``pos``
    (:func:`janus1.workload.analysis.analyze`)."""
    return _decode(spec, pos, batch, bytes_per_value).bytes_per_token  # type: ignore[attr-defined]


def start_token(ckpt: Checkpoint) -> int:
    """The id a story starts from: the tokenizer's BOS; without a tokenizer, GPT-2's
    ``<|endoftext|>`` (the last id of the GPT-2 vocabulary) or llama's BOS 1."""
    if ckpt.tokenizer is not None:
        return int(ckpt.tokenizer.bos_id)
    return ckpt.spec.vocab_size - 1 if ckpt.spec.arch == "gpt2" else 1


def decode_prompts(ckpt: Checkpoint, batch: int, prompt_len: int) -> np.ndarray:
    """``batch`` different prompts of ``prompt_len`` tokens (BOS first): slices of a
    greedy story from the model itself, so they are in-distribution."""
    from .evaluate import generate

    dec = FloatDecoder.from_checkpoint(ckpt)
    bos = start_token(ckpt)
    story = generate(dec, [bos], min(ckpt.spec.seq_len - 1, prompt_len + 8 * batch)).token_ids
    out = np.empty((batch, prompt_len), np.int64)
    for b in range(batch):
        out[b, 0] = bos
        s = story[b * 8:b * 8 + prompt_len - 1]
        s = (s * ((prompt_len // max(len(s), 1)) + 1))[:prompt_len - 1]
        out[b, 1:] = s
    return out


def run_decode(ckpt: Checkpoint, *, batch: int, prompt_len: int, gen_len: int, cache: bool,
               prompts: np.ndarray | None = None) -> DecodeRun:
    """Decode greedily with or without a KV cache and measure it (see the module doc)."""
    spec = ckpt.spec
    T = prompt_len + gen_len
    if T > spec.seq_len:
        raise ValueError(f"prompt + generation {T} exceeds the context {spec.seq_len}")
    toks = prompts if prompts is not None else decode_prompts(ckpt, batch, prompt_len)
    peak = _peak_memory(ckpt, batch, T, cache, toks)
    dec = FloatDecoder(spec, ckpt.weights, batch=batch if cache else 1, max_seq_len=T)
    lat = np.empty(gen_len)
    t0 = time.perf_counter()
    if cache:
        for pos in range(prompt_len):
            logits = dec.step_batch(toks[:, pos], pos)                # (B, vocab)
        t1 = time.perf_counter()
        for i in range(gen_len):
            s = time.perf_counter()
            nxt = logits.argmax(axis=-1)                              # (B,)
            logits = dec.step_batch(nxt, prompt_len + i)              # (B, vocab)
            lat[i] = time.perf_counter() - s
        kv = dec.kv_cache_bytes
    else:
        seq = np.empty((batch, T), np.int64)
        seq[:, :prompt_len] = toks
        logits = dec.forward_batch(seq[:, :prompt_len], last_only=True)  # (B, vocab)
        t1 = time.perf_counter()
        for i in range(gen_len):
            s = time.perf_counter()
            seq[:, prompt_len + i] = logits.argmax(axis=-1)
            # no cache: recompute every position of the prefix
            logits = dec.forward_batch(seq[:, :prompt_len + i + 1], last_only=True)
            lat[i] = time.perf_counter() - s
        kv = 0
    t2 = time.perf_counter()
    return DecodeRun(backend="numpy", cache=cache, batch=batch, prompt_len=prompt_len,
                     gen_len=gen_len, seconds=t2 - t1, prefill_seconds=t1 - t0,
                     tokens_per_s=batch * gen_len / (t2 - t1),
                     latency_p50_ms=float(np.percentile(lat, 50) * 1e3),
                     latency_p95_ms=float(np.percentile(lat, 95) * 1e3),
                     peak_mem_bytes=int(peak), mem_method="tracemalloc peak (numpy heap)",
                     kv_bytes_measured=int(kv),
                     kv_bytes_formula=kv_formula_bytes(spec, T, batch) if cache else 0,
                     flops_per_token=decode_flops_per_token(spec, prompt_len + gen_len / 2))


def _peak_memory(ckpt: Checkpoint, batch: int, T: int, cache: bool, toks: np.ndarray) -> int:
    """tracemalloc peak of a run's largest moment, measured apart from the timed run
    (tracemalloc slows every allocation): the decoder with its cache allocated plus
    the last (longest) step; without a cache, one forward over T - 1 positions."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        dec = FloatDecoder(ckpt.spec, ckpt.weights, batch=batch if cache else 1, max_seq_len=T)
        if cache:
            dec.step_batch(toks[:, 0], T - 1)   # attention over all T cached positions
        else:
            seq = np.resize(toks, (batch, T - 1))
            dec.forward_batch(seq, last_only=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return int(peak)


@dataclass(frozen=True, slots=True, kw_only=True)
class MachineRates:
    """Measured rates of this machine (numpy, all threads numpy uses)."""

    bandwidth_bytes_per_s: float     # large-array copy: 2 * size bytes moved per copy
    flops_per_s: float               # float32 matrix product, 2 * n^3 per product
    copy_bytes: int                  # array size of the copy test
    matmul_n: int                    # matrix size of the FLOP test

    @property
    def ridge_flops_per_byte(self) -> float:
        """Arithmetic intensity where the roofs meet."""
        return self.flops_per_s / self.bandwidth_bytes_per_s


def measure_machine(*, copy_bytes: int = 256 << 20, matmul_n: int = 1024,
                    repeats: int = 5) -> MachineRates:
    """Best-of-``repeats`` memory bandwidth and FLOP rate (a STREAM-copy-like test and an
    SGEMM), far larger than any cache so the bandwidth is DRAM's."""
    a = np.ones(copy_bytes // 4, np.float32)
    b = np.empty_like(a)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t)
    bw = 2 * a.nbytes / best
    del a, b
    rng = np.random.default_rng(0)
    x = rng.standard_normal((matmul_n, matmul_n)).astype(np.float32)
    y = rng.standard_normal((matmul_n, matmul_n)).astype(np.float32)
    x @ y
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        x @ y
        best = min(best, time.perf_counter() - t)
    return MachineRates(bandwidth_bytes_per_s=bw, flops_per_s=2 * matmul_n ** 3 / best,
                        copy_bytes=copy_bytes, matmul_n=matmul_n)


def roofline(run: DecodeRun, spec: ModelSpec, rates: MachineRates) -> dict[str, object]:
    """Where a decode run sits on this machine's roofline.

    Returns the arithmetic intensity (FLOPs per byte that must be read, weights shared
    by the batch), the roofline bound in tokens/s, the achieved FLOP/s and bytes/s, the
    fraction of the bound reached, the regime the roofline predicts (memory- or
    compute-bound: intensity below or above the ridge) and a measured verdict: a run
    is ``memory-bound`` only if it moves at least half the measured bandwidth,
    ``compute-bound`` only if it reaches half the measured FLOP rate, and
    ``overhead-bound`` when it is below half of both roofs (its time goes to neither
    DRAM traffic nor arithmetic but to per-operation dispatch).
    """
    pos = run.prompt_len + run.gen_len / 2
    flops = decode_flops_per_token(spec, pos)
    byts = decode_bytes_per_token(spec, pos, run.batch)
    pt = roofline_point(flops, byts, peak_flops_per_s=rates.flops_per_s,
                        seconds_per_byte=1.0 / rates.bandwidth_bytes_per_s)
    ai = pt.intensity
    bound = 1.0 / pt.seconds  # tokens/s
    achieved_flops = run.tokens_per_s * flops
    achieved_bytes = run.tokens_per_s * byts
    regime = "memory-bound" if ai < rates.ridge_flops_per_byte else "compute-bound"
    if achieved_bytes >= 0.5 * rates.bandwidth_bytes_per_s:
        verdict = "memory-bound"
    elif achieved_flops >= 0.5 * rates.flops_per_s:
        verdict = "compute-bound"
    else:
        verdict = "overhead-bound"
    return {"arithmetic_intensity": ai, "ridge": rates.ridge_flops_per_byte,
            "roofline_tokens_per_s": bound, "achieved_flops_per_s": achieved_flops,
            "achieved_bytes_per_s": achieved_bytes,
            "fraction_of_roofline": run.tokens_per_s / bound, "roofline_regime": regime,
            "verdict": verdict}
