"""Seed 003's decode experiments on PyTorch + transformers (optional extra).

Runs ``LlamaForCausalLM`` from a Hugging Face folder (for stories260K, the folder
:func:`janus1.decoder.hf_export.export_hf` writes) on CUDA when present, else CPU,
with and without its KV cache (``past_key_values``), and returns the same
:class:`~janus1.decoder.kvstudy.DecodeRun` records as the numpy backend.

Memory: on CUDA, ``torch.cuda.max_memory_allocated`` (reset before the run); on CPU,
the process's peak resident set (``VmHWM``, reset through ``/proc/self/clear_refs``)
minus the resident set before the run. KV bytes: the sum of ``nbytes`` of every key
and value tensor in the returned cache.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from .kvstudy import DecodeRun, decode_flops_per_token, kv_formula_bytes

__all__ = ["torch_available", "load_hf_model", "run_decode_torch"]


def torch_available() -> bool:
    """True when torch and transformers import."""
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


def load_hf_model(folder: str | Path, device: str | None = None) -> tuple[Any, str]:
    """``(model, device)``: the folder's causal LM (LlamaForCausalLM, GPT2LMHeadModel)
    in float32, eval mode, on ``device``
    (default: cuda when available, else cpu)."""
    try:
        import torch
        import transformers
    except ImportError:
        raise InputError("the torch backend needs the optional extras torch and "
                         "transformers") from None
    dev = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = transformers.AutoModelForCausalLM.from_pretrained(str(folder),
                                                              torch_dtype=torch.float32)
    return model.to(dev).eval(), dev


def _rss_kib(field: str) -> int:
    with open("/proc/self/status", encoding="utf-8") as fh:
        for ln in fh:
            if ln.startswith(field):
                return int(ln.split()[1])
    return 0


def _cache_bytes(past: Any) -> int:
    total = 0
    layers = getattr(past, "layers", None)
    if layers is not None:
        for layer in layers:
            for name in ("keys", "values"):
                t = getattr(layer, name, None)
                if t is not None and hasattr(t, "nbytes"):
                    total += int(t.nbytes)
        return total
    for name in ("key_cache", "value_cache"):
        for t in getattr(past, name, []) or []:
            total += int(t.nbytes)
    if total == 0 and isinstance(past, (tuple, list)):
        for kv in past:
            total += sum(int(t.nbytes) for t in kv)
    return total


def run_decode_torch(model: Any, device: str, spec: Any, *, batch: int, prompt_len: int,
                     gen_len: int, cache: bool, prompts: np.ndarray) -> DecodeRun:
    """Greedy decode of ``batch`` prompts with or without the KV cache, measured."""
    import torch

    cuda = device.startswith("cuda")

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    ids = torch.tensor(np.asarray(prompts)[:batch, :prompt_len], device=device)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        try:
            with open("/proc/self/clear_refs", "w", encoding="utf-8") as fh:
                fh.write("5")   # reset VmHWM (Linux >= 4.0)
        except OSError:
            pass
        base = _rss_kib("VmRSS:") * 1024
    lat = np.empty(gen_len)
    kv = 0
    # transformers >= 5 names the cache argument and output "cache" (past_key_values before)
    import inspect

    cache_kw = "cache" if "cache" in inspect.signature(model.forward).parameters else \
        "past_key_values"

    def cache_of(o: Any) -> Any:
        return o.get("cache", None) if o.get("cache", None) is not None else \
            o.get("past_key_values", None)

    with torch.inference_mode():
        sync()
        t0 = time.perf_counter()
        out = model(input_ids=ids, use_cache=cache)
        logits = out.logits[:, -1]
        past = cache_of(out) if cache else None
        seq = ids
        sync()
        t1 = time.perf_counter()
        for i in range(gen_len):
            s = time.perf_counter()
            nxt = logits.argmax(dim=-1, keepdim=True)               # (B, 1)
            if cache:
                out = model(input_ids=nxt, use_cache=True, **{cache_kw: past})
                past = cache_of(out)
            else:
                seq = torch.cat([seq, nxt], dim=1)
                out = model(input_ids=seq, use_cache=False)
            logits = out.logits[:, -1]
            sync()
            lat[i] = time.perf_counter() - s
        t2 = time.perf_counter()
        if cache:
            kv = _cache_bytes(past)
    if cuda:
        peak = int(torch.cuda.max_memory_allocated() - base)
        method = "torch.cuda.max_memory_allocated above the weights"
    else:
        peak = max(_rss_kib("VmHWM:") * 1024 - base, 0)
        method = "peak RSS (VmHWM) above the RSS before the run"
    T = prompt_len + gen_len
    return DecodeRun(backend=f"torch-{'cuda' if cuda else 'cpu'}", cache=cache, batch=batch,
                     prompt_len=prompt_len, gen_len=gen_len, seconds=t2 - t1,
                     prefill_seconds=t1 - t0, tokens_per_s=batch * gen_len / (t2 - t1),
                     latency_p50_ms=float(np.percentile(lat, 50) * 1e3),
                     latency_p95_ms=float(np.percentile(lat, 95) * 1e3), peak_mem_bytes=peak,
                     mem_method=method, kv_bytes_measured=kv,
                     kv_bytes_formula=kv_formula_bytes(spec, T, batch) if cache else 0,
                     flops_per_token=decode_flops_per_token(spec, prompt_len + gen_len / 2))
