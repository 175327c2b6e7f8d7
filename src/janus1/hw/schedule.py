"""The decode-step schedule: the fixed decoder's forward, operation by operation, in cycles.

One global FSM runs the operations of ``FixedDecoder``'s ``_forward`` in order, one at a time
(seed 004's single controller; M2's one shared MAC engine): the token's embedding row; per
layer RMSNorm, the input's PoT exponent, the Q, K and V projections, RoPE, the KV write of
position ``pos`` on the KV RAM's write port while the streaming attention kernel reads rows
``0..pos`` on its read port (one query head after another), the O projection and residual,
RMSNorm, w1 and w3, SiLU(w1 x) * (w3 x), w2 and residual; the final RMSNorm; the classifier
as a streamed vocabulary scan with a running argmax (M3; top-k / top-p as options).

Cycle counts come from :mod:`janus1.hw.blocks` (the RTL contract); the KV write and
attention stage runs cycle by cycle (:func:`janus1.hw._kv.attention_stage`) so its guard
bubbles are counted, not assumed. Classes: ``matvec`` (projections and FFN at full weight
bandwidth, fills included), ``attention`` (the KV write and attention stage), ``classifier``
(the vocabulary scan and the token choice), ``norm_lut_div`` (RMSNorm, RoPE, SiLU, PoT
exponents, residual adds, the embedding read: the norms, LUTs, divides and element-wise
work), ``stall`` (issue cycles lost to a weight port that cannot keep up, and KV guard
bubbles).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..models.spec import ModelSpec
from . import blocks as B
from .datapath import DatapathSpec, check_fits, weights_on_chip

__all__ = ["Op", "DecodeStep", "DecodeSchedule", "layer_ops", "final_ops", "decode_step",
           "decode_schedule", "macs_per_token", "CLASSES"]

CLASSES = ("matvec", "attention", "classifier", "norm_lut_div", "stall")


@dataclass(frozen=True, slots=True, kw_only=True)
class Op:
    """One operation of the forward pass (per layer for layer operations)."""

    name: str                 # e.g. "wq", "rmsnorm_att", "attention"
    cls: str                  # one of CLASSES (its main class)
    unit: str                 # "engine" (the MAC engine), "local" or "attention"
    cycles: int               # start to done
    stall: int = 0            # of which weight-port stall cycles
    macs: int = 0             # multiply-accumulates
    weight_bytes: int = 0     # bytes read from the weight memory


def _mv(name: str, rows: int, cols: int, dp: DatapathSpec, ext: bool,
        cls: str = "matvec") -> Op:
    t = B.matvec_timing(rows, cols, dp, external=ext)
    return Op(name=name, cls=cls, unit="engine", cycles=t.total, stall=t.port_stall,
              macs=t.macs, weight_bytes=rows * cols)


def _v(name: str, cycles: int) -> Op:
    return Op(name=name, cls="norm_lut_div", unit="local", cycles=cycles)


def layer_ops(spec: ModelSpec, dp: DatapathSpec) -> tuple[list[Op], list[Op]]:
    """One layer's operations before and after the KV-write + attention stage."""
    ext = not weights_on_chip(spec, dp)
    d, h, q, kv = spec.dim, spec.hidden_dim, spec.q_dim, spec.kv_dim
    pre = [_v("rmsnorm_att", B.rmsnorm_cycles(d, dp)), _v("quantize_x", B.quantize_cycles(dp)),
           _mv("wq", q, d, dp, ext), _mv("wk", kv, d, dp, ext), _mv("wv", kv, d, dp, ext),
           _v("rope", B.rope_cycles(q, kv, dp))]
    post = [_v("quantize_att", B.quantize_cycles(dp)), _mv("wo", d, q, dp, ext),
            _v("residual_att", B.residual_cycles(d, dp)),
            _v("rmsnorm_ffn", B.rmsnorm_cycles(d, dp)), _v("quantize_x", B.quantize_cycles(dp)),
            _mv("w1", h, d, dp, ext), _mv("w3", h, d, dp, ext),
            _v("silu_mul", B.silu_cycles(h, dp)), _v("quantize_h", B.quantize_cycles(dp)),
            _mv("w2", d, h, dp, ext), _v("residual_ffn", B.residual_cycles(d, dp))]
    return pre, post


def final_ops(spec: ModelSpec, dp: DatapathSpec, sampler: str = "argmax",
              top_k: int = 40) -> list[Op]:
    """The final RMSNorm, the exponent and the classifier scan with the token choice."""
    ext = not weights_on_chip(spec, dp)
    cls = _mv("classifier", spec.vocab_size, spec.dim, dp, ext, cls="classifier")
    extra = B.sampler_cycles(sampler, top_k, dp)
    cls = Op(name=f"classifier_{sampler}", cls="classifier", unit="engine",
             cycles=cls.cycles + extra, stall=cls.stall, macs=cls.macs,
             weight_bytes=cls.weight_bytes)
    return [_v("rmsnorm_final", B.rmsnorm_cycles(spec.dim, dp)),
            _v("quantize_final", B.quantize_cycles(dp)), cls]


def embedding_op(spec: ModelSpec, dp: DatapathSpec) -> Op:
    """The token's embedding row."""
    ext = not weights_on_chip(spec, dp)
    return Op(name="embedding", cls="norm_lut_div", unit="local",
              cycles=B.embedding_cycles(spec.dim, dp, external=ext), weight_bytes=spec.dim)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttentionStage:
    """The KV write + attention stage of one layer at one position."""

    cycles: int
    bubbles: int
    kv_reads: int          # row beats read (K and V)
    kv_writes: int         # row beats written
    violations: int        # reads that returned stale data (0 with the guard)
    macs: int              # score MACs + value accumulates, all heads


def attention_params(spec: ModelSpec, dp: DatapathSpec) -> dict[str, int]:
    """The kernel's timing parameters (see :func:`janus1.hw._kv.attention_stage`)."""
    kb, vb = B.kv_row_beats(spec.head_size, dp)
    return dict(kb=kb, vb=vb, row_cycles=B.attention_row_cycles(spec.head_size, dp),
                q_latch=dp.attention.q_latch, v_offset=B.attention_v_offset(dp),
                tail=B.attention_tail_cycles(spec.head_size, dp))


def attention_stage_at(spec: ModelSpec, dp: DatapathSpec, pos: int) -> AttentionStage:
    """Run the stage for one layer at ``pos`` with rows ``0..pos-1`` written long before."""
    from ._kv import N_STATS, NEVER, STAT_BUBBLES, STAT_HAZARDS, STAT_READS, STAT_WRITES
    from ._kv import attention_stage

    a = attention_params(spec, dp)
    G = spec.n_kv_heads
    wk = np.full((G, pos + 1, a["kb"]), -(1 << 40), np.int64)
    wv = np.full((G, pos + 1, a["vb"]), -(1 << 40), np.int64)
    wk[:, pos] = NEVER                                   # row pos: written in this step
    wv[:, pos] = NEVER
    st = np.zeros(N_STATS, np.int64)
    end = attention_stage(0, pos, spec.n_heads, spec.n_heads // G, G, a["kb"], a["vb"],
                          a["row_cycles"], a["q_latch"], a["v_offset"], a["tail"], wk, wv,
                          dp.kv_ram.collision == "write_first", dp.kv_ram.guard,
                          dp.kv_ram.collision == "write_first", st)
    return AttentionStage(cycles=int(end), bubbles=int(st[STAT_BUBBLES]),
                          kv_reads=int(st[STAT_READS]), kv_writes=int(st[STAT_WRITES]),
                          violations=int(st[STAT_HAZARDS]),
                          macs=2 * spec.n_heads * (pos + 1) * spec.head_size)


def macs_per_token(spec: ModelSpec, pos: int) -> int:
    """Closed form of the decoder's multiply-accumulates at ``pos``: every matvec
    (``rows x cols``, classifier included) and, per layer and query head, ``head_size``
    score MACs and ``head_size`` value accumulates per cached row ``0..pos``."""
    d, h, q, kv = spec.dim, spec.hidden_dim, spec.q_dim, spec.kv_dim
    per_layer = q * d + 2 * kv * d + d * q + 3 * h * d
    attn = 2 * spec.n_heads * (pos + 1) * spec.head_size
    return spec.n_layers * (per_layer + attn) + spec.vocab_size * d


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodeStep:
    """One decode step at ``pos``."""

    pos: int
    cycles: int
    by_class: dict[str, int]          # CLASSES -> cycles (they sum to ``cycles``)
    by_op: dict[str, int]             # operation -> cycles over all layers
    macs: int
    weight_bytes: int
    kv_reads: int                     # KV-RAM row beats read
    kv_writes: int                    # KV-RAM row beats written
    kv_guard_bubbles: int
    mac_utilisation: float            # engine MACs / (lanes x cycles)
    weight_port_utilisation: float    # weight bytes / (bytes per cycle x cycles)
    port_bound: bool                  # some matvec waits on the weight port
    tokens_per_s: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        from ..config import to_dict

        return to_dict(self)


def decode_step(spec: ModelSpec, dp: DatapathSpec, pos: int, *, sampler: str = "argmax",
                top_k: int = 40, check: bool = True) -> DecodeStep:
    """The schedule of one decode step at ``pos`` (see the module docstring).

    Raises:
        ConfigError: the datapath cannot hold the model (:func:`check_fits`).
        ConfigError: ``pos`` outside ``0..seq_len-1``.
    """
    if not 0 <= pos < spec.seq_len:
        raise ConfigError(f"pos {pos} is outside 0..{spec.seq_len - 1}")
    if check:
        check_fits(spec, dp)
    pre, post = layer_ops(spec, dp)
    fin = final_ops(spec, dp, sampler, top_k)
    emb = embedding_op(spec, dp)
    att = attention_stage_at(spec, dp, pos)
    L = spec.n_layers
    by_class = dict.fromkeys(CLASSES, 0)
    by_op: dict[str, int] = {}

    def add(op: Op, n: int) -> None:
        by_class[op.cls] += n * (op.cycles - op.stall)
        by_class["stall"] += n * op.stall
        by_op[op.name] = by_op.get(op.name, 0) + n * op.cycles

    add(emb, 1)
    for op in pre + post:
        add(op, L)
    by_class["attention"] += L * (att.cycles - att.bubbles)
    by_class["stall"] += L * att.bubbles
    by_op["kv_write+attention"] = L * att.cycles
    for op in fin:
        add(op, 1)
    cycles = sum(by_class.values())
    engine = [op for op in pre + post] + [fin[-1]]
    macs = sum(op.macs * (L if op is not fin[-1] else 1) for op in engine) + L * att.macs
    engine_macs = macs - L * att.macs
    wbytes = emb.weight_bytes + sum(op.weight_bytes * (L if op is not fin[-1] else 1)
                                    for op in engine)
    ext = not weights_on_chip(spec, dp)
    rate = (min(float(dp.weights.port_bytes_per_cycle), dp.external_bytes_per_cycle) if ext
            else float(dp.weights.port_bytes_per_cycle))
    return DecodeStep(
        pos=pos, cycles=cycles, by_class=by_class, by_op=by_op, macs=macs, weight_bytes=wbytes,
        kv_reads=L * att.kv_reads, kv_writes=L * att.kv_writes,
        kv_guard_bubbles=L * att.bubbles,
        mac_utilisation=engine_macs / (dp.mac.lanes * cycles),
        weight_port_utilisation=wbytes / (rate * cycles),
        port_bound=any(op.stall > 0 for op in engine), tokens_per_s=dp.clock_hz / cycles)


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodeSchedule:
    """Decode over a whole sequence: pos 0, the middle, ``seq_len - 1`` and the mean."""

    model: str
    datapath: str
    clock_hz: float
    lanes: int
    engines: str
    sampler: str
    weights_on_chip: bool
    cycles: float                     # per token, mean over pos 0..seq_len-1
    tokens_per_s: float               # clock / mean cycles
    by_class: dict[str, float]        # mean over the sequence
    macs: float                       # mean per token
    kv_reads: float                   # mean per token
    kv_writes: int                    # per token
    mac_utilisation: float            # at the mean
    weight_port_utilisation: float
    port_bound: bool
    positions: dict[str, DecodeStep] = field(default_factory=dict)  # "first", "middle", "last"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        from ..config import to_dict

        return to_dict(self)


def decode_schedule(spec: ModelSpec, dp: DatapathSpec, *, sampler: str = "argmax",
                    top_k: int = 40) -> DecodeSchedule:
    """Decode steps at every position; the three named positions kept whole.

    Raises:
        ConfigError: the datapath cannot hold the model.
    """
    check_fits(spec, dp)
    S = spec.seq_len
    steps = [decode_step(spec, dp, p, sampler=sampler, top_k=top_k, check=False)
             for p in range(S)]
    n = float(S)
    cyc = sum(s.cycles for s in steps) / n
    macs = sum(s.macs for s in steps) / n
    by_class = {c: sum(s.by_class[c] for s in steps) / n for c in CLASSES}
    engine_macs = macs - spec.n_layers * spec.n_heads * spec.head_size * (S + 1)
    wbytes = steps[0].weight_bytes
    ext = not weights_on_chip(spec, dp)
    rate = (min(float(dp.weights.port_bytes_per_cycle), dp.external_bytes_per_cycle) if ext
            else float(dp.weights.port_bytes_per_cycle))
    return DecodeSchedule(
        model=spec.name, datapath=dp.name, clock_hz=dp.clock_hz, lanes=dp.mac.lanes,
        engines=dp.engines, sampler=sampler, weights_on_chip=not ext, cycles=cyc,
        tokens_per_s=dp.clock_hz / cyc, by_class=by_class, macs=macs,
        kv_reads=sum(s.kv_reads for s in steps) / n, kv_writes=steps[0].kv_writes,
        mac_utilisation=engine_macs / (dp.mac.lanes * cyc),
        weight_port_utilisation=wbytes / (rate * cyc), port_bound=steps[0].port_bound,
        positions={"first": steps[0], "middle": steps[S // 2], "last": steps[S - 1]})
