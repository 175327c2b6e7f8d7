"""Address traces of LLM inference from a ModelSpec, a precision and a memory map.

The trace is what a single accelerator stream engine reads and writes, in program
order, for decode steps or a prefill pass. Per layer (llama2.c's ``forward`` order):

1. read the activation ``x`` and the attention-norm weights;
2. stream ``wq``, ``wk``, ``wv`` (read once per step, shared by the whole batch);
   write ``q``, ``k``, ``v`` activations per sequence;
3. store the new token's key and value rows into the KV cache (per sequence);
4. per sequence and KV head, read the key rows of every cached position (the head's
   ``head_dim`` slice of each row, a strided stream), write and read the scores of the
   ``n_rep`` query heads sharing that KV head (GQA: the KV head is read once for its
   group), then read the value rows the same way;
5. stream ``wo``, the FFN norm, ``w1``, ``w3`` (if gated) and ``w2``.

Then the final norm and the classifier stream (the embedding table when tied), and the
logits (FP32) are written. Prefill streams each weight matrix once for the whole
prompt (a weight-stationary schedule that keeps the prompt's activations on chip),
stores all prompt positions' keys and values, and reads the KV rows once per block of
``q_block`` queries (as FlashAttention-style tiling does).

Weights occupy ``ceil(numel * bytes_per_element)`` bytes (no quantisation scales);
activations use the precision's bytes (at least 1); scores and logits are FP32.
Every segment is cut into accesses of ``access_bytes`` (the last rounded up).
Chunks hold at most ``chunk_accesses`` accesses, so memory stays bounded for traces of
any length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from ..limits import check_buffer, check_int
from ..models.spec import ModelSpec
from .chunk import LOAD, STORE, TraceChunk

__all__ = ["MemoryMap", "Layout", "layout", "decode_trace", "prefill_trace", "model_trace",
           "trace_length"]

_ALIGN = 4096  # regions start on 4 KiB boundaries (a page)
_ADDR_END = 1 << 62  # every address of a trace lies below this (int64 headroom)
MAX_BATCH = 1 << 16  # sequences per trace


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryMap:
    """Where the regions of a model live in the address space (byte addresses).

    Defaults place weights at 0, the KV cache at 4 GiB and activations at 12 GiB, far
    apart so no two regions share a line or a set pattern by accident. Each region is
    packed contiguously from its base (tensors 4 KiB aligned).
    """

    weights_base: int = 0                 # first weight byte
    kv_base: int = 4 << 30                # first KV-cache byte
    act_base: int = 12 << 30              # first activation byte
    kv_layout: str = "position-major"     # K[layer][pos][kv_dim] (llama2.c) or "head-major"
    #                                       (K[layer][head][pos][head_dim]: a head's keys in a row)

    def __post_init__(self) -> None:
        for name in ("weights_base", "kv_base", "act_base"):
            check_int(getattr(self, name), f"memory map: {name}", lo=0, hi=_ADDR_END)
        if self.kv_layout not in ("position-major", "head-major"):
            raise ConfigError(f"memory map: kv_layout {self.kv_layout!r} is not "
                              "position-major or head-major")


def _align(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """Resolved addresses of every tensor (see :func:`layout`)."""

    weights: dict[str, tuple[int, int]]   # name -> (address, bytes); per layer "l3.wq"
    kv_k: list[int]                       # per layer: base of K (sequence 0)
    kv_v: list[int]                       # per layer: base of V (sequence 0)
    kv_seq_bytes: int                     # bytes of one sequence's whole KV cache
    kv_row_bytes: int                     # bytes of one position's K (or V) row
    kv_positions: int                     # positions allocated per sequence
    kv_head_major: bool = False           # K[layer][head][pos][head_dim] instead of [pos][kv_dim]
    act: dict[str, tuple[int, int]] = field(default_factory=dict)  # per sequence 0
    act_seq_bytes: int = 0                # activation bytes per sequence
    weight_bytes: int = 0                 # total weight bytes


def _nbytes(numel: int, bpe: float) -> int:
    return int(math.ceil(numel * bpe))


def layout(spec: ModelSpec, *, bytes_per_element: float, positions: int, batch: int = 1,
           memory_map: MemoryMap | None = None, n_layers: int | None = None) -> Layout:
    """Place weights, KV cache and activations of ``spec`` in memory.

    Args:
        spec: a :class:`janus1.models.ModelSpec`.
        bytes_per_element: weight and KV bytes per element (``parse_precision(p).bytes``).
        positions: KV positions allocated per sequence.
        batch: sequences.
        memory_map: region bases (default :class:`MemoryMap`).
        n_layers: simulate only the first ``n_layers`` layers (default: all).
    """
    mm = memory_map or MemoryMap()
    s = spec
    L = s.n_layers if n_layers is None else n_layers
    bpe = bytes_per_element
    act_b = max(1.0, bpe)
    w: dict[str, tuple[int, int]] = {}
    addr = mm.weights_base

    def put(name: str, numel: int) -> None:
        nonlocal addr
        nb = _nbytes(numel, bpe)
        w[name] = (addr, nb)
        addr = _align(addr + nb)

    dim, hid = s.dim, s.hidden_dim
    qd, kvd = s.q_dim, s.kv_dim
    put("tok_embeddings", s.vocab_size * dim)
    for layer in range(L):
        put(f"l{layer}.attn_norm", dim)
        put(f"l{layer}.wq", dim * qd)
        put(f"l{layer}.wk", dim * kvd)
        put(f"l{layer}.wv", dim * kvd)
        put(f"l{layer}.wo", qd * dim)
        put(f"l{layer}.ffn_norm", dim)
        put(f"l{layer}.w1", dim * hid)
        if s.gated_ffn:
            put(f"l{layer}.w3", dim * hid)
        put(f"l{layer}.w2", hid * dim)
    put("final_norm", dim)
    if not s.tied_classifier:
        put("classifier", s.vocab_size * dim)
    else:
        w["classifier"] = w["tok_embeddings"]
    weight_bytes = addr - mm.weights_base
    row = _nbytes(kvd, bpe)
    region = _align(row * positions)
    kv_k = [mm.kv_base + (2 * layer) * region for layer in range(L)]
    kv_v = [mm.kv_base + (2 * layer + 1) * region for layer in range(L)]
    seq_bytes = 2 * L * region
    act: dict[str, tuple[int, int]] = {}
    a = mm.act_base
    for name, nb in (("x", _nbytes(dim, act_b)), ("xb", _nbytes(max(dim, qd), act_b)),
                     ("q", _nbytes(qd, act_b)), ("k", _nbytes(kvd, act_b)),
                     ("v", _nbytes(kvd, act_b)), ("att", 4 * s.n_heads * positions),
                     ("hb", _nbytes(hid, act_b)), ("hb2", _nbytes(hid, act_b)),
                     ("logits", 4 * s.vocab_size)):
        act[name] = (a, nb)
        a = _align(a + nb)
    return Layout(weights=w, kv_k=kv_k, kv_v=kv_v, kv_seq_bytes=seq_bytes, kv_row_bytes=row,
                  kv_positions=positions, kv_head_major=mm.kv_layout == "head-major",
                  act=act, act_seq_bytes=a - mm.act_base,
                  weight_bytes=weight_bytes)


class _Emitter:
    """Cuts (starts, segment bytes, kind) blocks into accesses and packs bounded chunks."""

    def __init__(self, access_bytes: int, chunk_accesses: int) -> None:
        self.ab = access_bytes
        self.cap = chunk_accesses
        self.addr = np.empty(chunk_accesses, np.int64)
        self.kind = np.empty(chunk_accesses, np.uint8)
        self.n = 0

    def _flush(self) -> TraceChunk:
        c = TraceChunk(addr=self.addr[: self.n].copy(), kind=self.kind[: self.n].copy(),
                       access_bytes=self.ab)
        self.n = 0
        return c

    def block(self, starts: np.ndarray, seg_bytes: int, kind: int) -> Iterator[TraceChunk]:
        """Emit ``len(starts)`` segments of ``seg_bytes`` bytes each, in order."""
        if seg_bytes <= 0 or starts.size == 0:
            return
        per = -(-seg_bytes // self.ab)
        if per > self.cap // 4:  # long streams: one segment at a time, in pieces
            for s0 in starts.tolist():
                done = 0
                while done < per:
                    room = self.cap - self.n
                    m = min(room, per - done)
                    self.addr[self.n: self.n + m] = s0 + self.ab * np.arange(done, done + m)
                    self.kind[self.n: self.n + m] = kind
                    self.n += m
                    done += m
                    if self.n == self.cap:
                        yield self._flush()
            return
        offs = self.ab * np.arange(per, dtype=np.int64)
        i = 0
        while i < starts.size:
            room = (self.cap - self.n) // per
            if room == 0:
                yield self._flush()
                continue
            part = starts[i: i + room]
            m = part.size * per
            self.addr[self.n: self.n + m] = (part[:, None] + offs[None, :]).ravel()
            self.kind[self.n: self.n + m] = kind
            self.n += m
            i += part.size
            if self.n == self.cap:
                yield self._flush()

    def one(self, region: tuple[int, int], kind: int) -> Iterator[TraceChunk]:
        yield from self.block(np.array([region[0]], np.int64), region[1], kind)

    def rest(self) -> Iterator[TraceChunk]:
        if self.n:
            yield self._flush()


def _check(spec: ModelSpec, precision: str, batch: int, access_bytes: int,
           chunk_accesses: int, n_layers: int | None, memory_map: object = None) -> float:
    from ..workload import parse_precision

    from .formats import MAX_ACCESS_BYTES, MAX_CHUNK_ACCESSES

    if not isinstance(spec, ModelSpec):
        raise ConfigError(f"expected a ModelSpec, not {type(spec).__name__}")
    if not isinstance(precision, str):
        raise ConfigError(f"precision must be a name, not {precision!r}")
    bpe = parse_precision(precision).bytes
    check_int(batch, "batch", lo=1, hi=MAX_BATCH)
    check_int(access_bytes, "access_bytes", lo=1, hi=MAX_ACCESS_BYTES)
    check_int(chunk_accesses, "chunk_accesses", lo=1024, hi=MAX_CHUNK_ACCESSES)
    check_buffer(9 * chunk_accesses, "a trace chunk buffer", error=ConfigError)
    nl = spec.n_layers
    if n_layers is not None:
        check_int(n_layers, "n_layers", lo=1, hi=nl)
    if memory_map is not None and not isinstance(memory_map, MemoryMap):
        raise ConfigError(f"memory_map must be a MemoryMap, not {type(memory_map).__name__}")
    return bpe


def _check_layout(lay: Layout, batch: int, mm: MemoryMap | None) -> None:
    """Refuse a layout whose regions reach 2^62 (addresses would overflow int64)."""
    mm = mm or MemoryMap()
    ends = {"weights": mm.weights_base + lay.weight_bytes,
            "KV cache": mm.kv_base + batch * lay.kv_seq_bytes,
            "activations": mm.act_base + batch * lay.act_seq_bytes}
    for name, end in ends.items():
        if end >= _ADDR_END:
            raise ConfigError(f"the {name} region would end at byte {end}, beyond the 2^62 "
                              "address space of a trace (smaller model, context or batch)")


def _attention_reads(em: _Emitter, lay: Layout, spec: ModelSpec, layer: int, seq: int,
                     npos: int, act_off: int) -> Iterator[TraceChunk]:
    """KV reads of ``npos`` cached positions for every KV head (GQA: once per group)."""
    s = spec
    hd = s.head_dim
    row = lay.kv_row_bytes
    head_bytes = max(1, row // s.n_kv_heads)
    base_off = seq * lay.kv_seq_bytes
    pos = np.arange(npos, dtype=np.int64)
    att = lay.act["att"][0] + act_off
    for h in range(s.n_kv_heads):
        for kind_base in (lay.kv_k[layer], lay.kv_v[layer]):
            if kind_base == lay.kv_v[layer]:
                # scores of the n_rep query heads: written after K, read before V
                scores = np.array([att], np.int64)
                yield from em.block(scores, 4 * npos * s.n_rep, STORE)
                yield from em.block(scores, 4 * npos * s.n_rep, LOAD)
            if lay.kv_head_major:
                # one head's positions are contiguous: a sequential stream
                starts = np.array([kind_base + base_off + h * lay.kv_positions * head_bytes],
                                  np.int64)
                yield from em.block(starts, npos * head_bytes, LOAD)
            else:
                starts = kind_base + base_off + pos * row + h * head_bytes
                yield from em.block(starts, head_bytes if hd else row, LOAD)


def _kv_store(em: _Emitter, lay: Layout, spec: ModelSpec, base: int, pos: np.ndarray
              ) -> Iterator[TraceChunk]:
    """Store the K (or V) rows of positions ``pos`` at ``base`` in the layout's order."""
    r = lay.kv_row_bytes
    if not lay.kv_head_major:
        yield from em.block(base + pos * r, r, STORE)
        return
    hb = max(1, r // spec.n_kv_heads)
    for h in range(spec.n_kv_heads):
        yield from em.block(base + h * lay.kv_positions * hb + pos * hb, hb, STORE)


def _layer_weights_1(em: _Emitter, lay: Layout, layer: int) -> Iterator[TraceChunk]:
    for name in ("attn_norm", "wq", "wk", "wv"):
        yield from em.one(lay.weights[f"l{layer}.{name}"], LOAD)


def _layer_weights_2(em: _Emitter, lay: Layout, layer: int, gated: bool
                     ) -> Iterator[TraceChunk]:
    yield from em.one(lay.weights[f"l{layer}.wo"], LOAD)
    yield from em.one(lay.weights[f"l{layer}.ffn_norm"], LOAD)
    yield from em.one(lay.weights[f"l{layer}.w1"], LOAD)
    if gated:
        yield from em.one(lay.weights[f"l{layer}.w3"], LOAD)
    yield from em.one(lay.weights[f"l{layer}.w2"], LOAD)


def decode_trace(spec: ModelSpec, *, precision: str = "int8", context: int = 0, batch: int = 1,
                 memory_map: MemoryMap | None = None, tokens: int = 1,
                 access_bytes: int = 8, chunk_accesses: int = 1 << 20,
                 n_layers: int | None = None) -> Iterator[TraceChunk]:
    """The address trace of ``tokens`` decode steps, in bounded chunks.

    Args:
        spec: the model (:func:`janus1.models.load_spec`).
        precision: weight and KV precision (``int8``, ``int4``, ``fp16``, ...).
        context: tokens already in the KV cache when the first step starts; step ``k``
            attends to ``context + k + 1`` positions.
        batch: sequences decoded together (weights are read once per step for all).
        memory_map: region bases (default :class:`MemoryMap`).
        tokens: decode steps.
        access_bytes: bytes per access (8 = the ``.npy`` trace convention).
        chunk_accesses: the most accesses per chunk.
        n_layers: simulate only the first layers (a scaled-down run; default all).

    Yields:
        :class:`TraceChunk` objects of at most ``chunk_accesses`` accesses.

    Raises:
        ConfigError: a bad argument (unknown precision, context beyond the model).
    """
    bpe = _check(spec, precision, batch, access_bytes, chunk_accesses, n_layers, memory_map)
    check_int(context, "context", lo=0)
    check_int(tokens, "tokens", lo=1)
    if context + tokens > spec.seq_len:
        raise ConfigError(f"context {context} + {tokens} token(s) exceeds the model's "
                          f"seq_len {spec.seq_len}")
    positions = context + tokens
    lay = layout(spec, bytes_per_element=bpe, positions=positions, batch=batch,
                 memory_map=memory_map, n_layers=n_layers)
    _check_layout(lay, batch, memory_map)
    return _decode(spec, lay, context, tokens, batch, access_bytes, chunk_accesses,
                   n_layers)


def _decode(spec: ModelSpec, lay: Layout, context: int, tokens: int, batch: int,
            access_bytes: int, chunk_accesses: int, n_layers: int | None
            ) -> Iterator[TraceChunk]:
    s = spec
    L = s.n_layers if n_layers is None else n_layers
    em = _Emitter(access_bytes, chunk_accesses)
    A = lay.act
    seqs = range(batch)
    for step in range(tokens):
        pos = context + step
        for b in seqs:  # token embedding row
            off = b * lay.act_seq_bytes
            emb, _ = lay.weights["tok_embeddings"]
            row = lay.weights["tok_embeddings"][1] // s.vocab_size
            tok = pos % s.vocab_size  # the token id does not matter: any one row
            yield from em.block(np.array([emb + tok * row], np.int64), row, LOAD)
            yield from em.one((A["x"][0] + off, A["x"][1]), STORE)
        for layer in range(L):
            for b in seqs:
                yield from em.one((A["x"][0] + b * lay.act_seq_bytes, A["x"][1]), LOAD)
            yield from _layer_weights_1(em, lay, layer)
            for b in seqs:
                off = b * lay.act_seq_bytes
                for name in ("q", "k", "v"):
                    yield from em.one((A[name][0] + off, A[name][1]), STORE)
                kvo = b * lay.kv_seq_bytes
                for kb in (lay.kv_k[layer], lay.kv_v[layer]):
                    yield from _kv_store(em, lay, spec, kb + kvo, np.array([pos], np.int64))
                yield from em.one((A["q"][0] + off, A["q"][1]), LOAD)
                yield from _attention_reads(em, lay, spec, layer, b, pos + 1, off)
                yield from em.one((A["xb"][0] + off, A["xb"][1]), STORE)
            yield from _layer_weights_2(em, lay, layer, s.gated_ffn)
            for b in seqs:
                off = b * lay.act_seq_bytes
                yield from em.one((A["hb"][0] + off, A["hb"][1]), STORE)
                yield from em.one((A["x"][0] + off, A["x"][1]), STORE)
        yield from em.one(lay.weights["final_norm"], LOAD)
        yield from em.one(lay.weights["classifier"], LOAD)
        for b in seqs:
            off = b * lay.act_seq_bytes
            yield from em.one((A["logits"][0] + off, A["logits"][1]), STORE)
    yield from em.rest()


def prefill_trace(spec: ModelSpec, *, precision: str = "int8", prompt: int = 128, batch: int = 1,
                  memory_map: MemoryMap | None = None, q_block: int = 64,
                  access_bytes: int = 8, chunk_accesses: int = 1 << 20,
                  n_layers: int | None = None) -> Iterator[TraceChunk]:
    """The address trace of a prefill pass over ``prompt`` tokens, in bounded chunks.

    Args:
        spec: the model.
        precision: weight and KV precision.
        prompt: prompt tokens.
        batch: sequences.
        memory_map: region bases.
        q_block: queries per attention tile (KV rows are read once per tile).
        access_bytes: bytes per access.
        chunk_accesses: the most accesses per chunk.
        n_layers: simulate only the first layers.

    Yields:
        :class:`TraceChunk` objects.
    """
    bpe = _check(spec, precision, batch, access_bytes, chunk_accesses, n_layers, memory_map)
    check_int(prompt, "prompt", lo=1)
    check_int(q_block, "q_block", lo=1)
    if prompt > spec.seq_len:
        raise ConfigError(f"prompt {prompt} exceeds the model's seq_len "
                          f"{spec.seq_len}")
    lay = layout(spec, bytes_per_element=bpe, positions=prompt, batch=batch,
                 memory_map=memory_map, n_layers=n_layers)
    _check_layout(lay, batch, memory_map)
    return _prefill(spec, lay, prompt, batch, q_block, access_bytes, chunk_accesses,
                    n_layers)


def _prefill(spec: ModelSpec, lay: Layout, prompt: int, batch: int, q_block: int,
             access_bytes: int, chunk_accesses: int, n_layers: int | None
             ) -> Iterator[TraceChunk]:
    s = spec
    L = s.n_layers if n_layers is None else n_layers
    em = _Emitter(access_bytes, chunk_accesses)
    pos = np.arange(prompt, dtype=np.int64)
    for layer in range(L):
        yield from _layer_weights_1(em, lay, layer)
        for b in range(batch):
            kvo = b * lay.kv_seq_bytes
            for kb in (lay.kv_k[layer], lay.kv_v[layer]):
                yield from _kv_store(em, lay, spec, kb + kvo, pos)
            for q0 in range(0, prompt, q_block):
                npos = min(prompt, q0 + q_block)
                yield from _attention_reads(em, lay, spec, layer, b, npos,
                                            b * lay.act_seq_bytes)
        yield from _layer_weights_2(em, lay, layer, s.gated_ffn)
    yield from em.one(lay.weights["final_norm"], LOAD)
    yield from em.one(lay.weights["classifier"], LOAD)
    yield from em.rest()


def model_trace(spec: ModelSpec, *, phase: str = "decode", precision: str = "int8",
                context: int = 0, batch: int = 1, memory_map: MemoryMap | None = None,
                tokens: int = 1, access_bytes: int = 8, chunk_accesses: int = 1 << 20,
                n_layers: int | None = None) -> Iterator[TraceChunk]:
    """:func:`decode_trace` (``phase="decode"``) or :func:`prefill_trace` (``context``
    is then the prompt length)."""
    if phase == "decode":
        return decode_trace(spec, precision=precision, context=context, batch=batch,
                            memory_map=memory_map, tokens=tokens, access_bytes=access_bytes,
                            chunk_accesses=chunk_accesses, n_layers=n_layers)
    if phase == "prefill":
        check_int(context, "context", lo=0)
        return prefill_trace(spec, precision=precision, prompt=max(1, context), batch=batch,
                             memory_map=memory_map, access_bytes=access_bytes,
                             chunk_accesses=chunk_accesses, n_layers=n_layers)
    raise ConfigError(f"phase {phase!r} is not decode or prefill")


def trace_length(chunks: Iterator[TraceChunk]) -> int:
    """Count the accesses of a trace by running through it (bounded memory)."""
    return sum(len(c) for c in chunks)
