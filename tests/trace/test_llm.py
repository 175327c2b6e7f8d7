"""LLM traces: bytes per token against ModelSpec's closed forms, bounded chunks."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

from janus1.errors import ConfigError
from janus1.models import load_spec
from janus1.sim import simulate
from janus1.trace import MemoryMap, decode_trace, layout, prefill_trace
from janus1.workload import parse_precision


def _split(chunks, mm: MemoryMap):
    """Bytes loaded / stored in the weight, KV and activation regions (8 B accesses)."""
    out = {"w_ld": 0, "kv_ld": 0, "kv_st": 0, "act": 0, "w_st": 0}
    for c in chunks:
        st = c.kind.astype(bool)
        w = c.addr < mm.kv_base
        kv = (c.addr >= mm.kv_base) & (c.addr < mm.act_base)
        out["w_ld"] += int(np.count_nonzero(w & ~st)) * c.access_bytes
        out["w_st"] += int(np.count_nonzero(w & st)) * c.access_bytes
        out["kv_ld"] += int(np.count_nonzero(kv & ~st)) * c.access_bytes
        out["kv_st"] += int(np.count_nonzero(kv & st)) * c.access_bytes
        out["act"] += int(np.count_nonzero(c.addr >= mm.act_base))
    return out


@pytest.mark.parametrize("model,precision", [("stories15m", "int8"), ("stories260k", "fp16"),
                                             ("tinyllama-1.1b", "int4")])
def test_decode_bytes_match_the_model(model: str, precision: str) -> None:
    spec = load_spec(model)
    bpe = parse_precision(precision).bytes
    layers = min(spec.n_layers, 2)
    ctx = 100
    mm = MemoryMap()
    got = _split(decode_trace(spec, precision=precision, context=ctx, n_layers=layers,
                              access_bytes=8), mm)
    # weights: every matrix once (q, k, v, o, FFN; classifier) + norms + one embedding row,
    # each tensor rounded up to whole 8-byte accesses
    per_layer = (spec.dim * spec.q_dim + 2 * spec.dim * spec.kv_dim + spec.q_dim * spec.dim
                 + (3 if spec.gated_ffn else 2) * spec.dim * spec.hidden_dim)
    matmul = layers * per_layer + spec.vocab_size * spec.dim
    norms = (2 * layers + 1) * spec.dim
    expected = (matmul + norms + spec.dim) * bpe
    tensors = layers * (8 if spec.gated_ffn else 7) + 3
    assert expected <= got["w_ld"] <= expected + 8 * tensors
    assert got["w_st"] == 0
    # KV: the new token's K and V rows stored; every cached position's K and V read once
    # per KV head (GQA: once per group): 2 * layers * (ctx + 1) * kv_dim * bytes
    row = math.ceil(spec.kv_dim * bpe)
    assert got["kv_st"] == pytest.approx(2 * layers * row, abs=16 * layers)
    head = max(1, row // spec.n_kv_heads)
    kv_read = 2 * layers * (ctx + 1) * spec.n_kv_heads * 8 * math.ceil(head / 8)
    assert got["kv_ld"] == kv_read
    assert got["act"] > 0


@pytest.mark.parametrize("kv_layout", ["position-major", "head-major"])
def test_gqa_reads_each_kv_head_once_per_group(kv_layout: str) -> None:
    spec = load_spec("llama-3-8b")  # 32 query heads over 8 KV heads
    mm = MemoryMap(kv_layout=kv_layout)
    got = _split(decode_trace(spec, precision="fp16", context=63, n_layers=1, memory_map=mm),
                 mm)
    assert got["kv_ld"] == 2 * 64 * spec.kv_dim * 2  # not 4x that (n_rep = 4)
    assert got["kv_st"] == 2 * spec.kv_dim * 2


def test_prefill_writes_every_prompt_position() -> None:
    spec = load_spec("stories260k")
    mm = MemoryMap()
    got = _split(prefill_trace(spec, precision="int8", prompt=100), mm)
    assert got["kv_st"] == 2 * spec.n_layers * 100 * 8 * math.ceil(spec.kv_dim / 8)


def test_chunks_are_bounded_and_memory_stays_bounded_on_1e8_accesses() -> None:
    # given a decode trace of more than 10^8 accesses (Llama-2-7B INT8, 4 layers + classifier)
    spec = load_spec("llama-2-7b")
    chunk = 1 << 18
    gen = decode_trace(spec, precision="int8", context=1, n_layers=4, chunk_accesses=chunk)
    lay = layout(spec, bytes_per_element=1.0, positions=2, n_layers=4)
    assert lay.weight_bytes // 8 > 10**8

    # when it is simulated chunk by chunk (counts only)
    tracemalloc.start()
    sizes = []

    def sized():
        for c in gen:
            sizes.append(len(c))
            yield c

    res = simulate("two-level", sized(), prefetcher="none", counts_only=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    # then every chunk is bounded, all accesses were seen and the peak stays small
    assert max(sizes) <= chunk
    assert res.accesses == sum(sizes) > 10**8
    assert peak < 64 << 20


def test_bad_arguments() -> None:
    spec = load_spec("stories260k")
    with pytest.raises(ConfigError, match="exceeds the model's seq_len 512"):
        decode_trace(spec, context=600)
    with pytest.raises(Exception, match="unknown precision"):
        decode_trace(spec, precision="int3")
