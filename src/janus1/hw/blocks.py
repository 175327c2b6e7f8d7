"""Per-block cycle counts: the contract the decoder's RTL must match cycle for cycle.

Every function counts from the cycle the block's ``start`` is seen to the cycle its
``done`` is raised (``start`` at cycle 0, ``done`` at cycle N: N cycles). A pipelined
block that issues ``n`` items, one per cycle, through ``lat`` pipeline stages takes
``n + lat`` cycles. Each docstring says which terms are paid **per row** (per item) and which
**once per block** (pipeline fill and drain, LUT and divider latencies).

The MAC engine (seed 004 M2): ``P = mac.lanes`` INT8 x INT16 multipliers lie along one
weight row and feed an adder tree and the row's accumulator; rows follow each other without
a bubble (the accumulator of row ``i`` drains while row ``i + 1`` fills). Weights are INT8
(1 byte); each row's exponent comes from a side ROM read in parallel (no port cycles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ConfigError
from .datapath import DatapathSpec

__all__ = ["MatvecTiming", "matvec_timing", "matvec_cycles", "matvec_fill_cycles",
           "attention_cycles", "attention_row_cycles", "attention_v_offset",
           "attention_tail_cycles", "argmax_cycles", "sampler_cycles", "rmsnorm_cycles",
           "rope_cycles", "residual_cycles", "silu_cycles", "quantize_cycles",
           "embedding_cycles", "kv_write_cycles", "kv_row_beats", "SAMPLERS"]

SAMPLERS = ("argmax", "topk", "topp")


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True, slots=True, kw_only=True)
class MatvecTiming:
    """One matvec's cycles: ``total = compute + port_stall + fill``."""

    rows: int
    cols: int
    compute: int        # rows x ceil(cols / P): the MAC issue cycles at full bandwidth
    port_stall: int     # extra issue cycles waiting for weights (0 when the port keeps up)
    fill: int           # once per block: read latency, MAC pipeline, tree, acc, write-back
    port_bound: bool    # the weight port, not the lanes, sets the issue rate

    @property
    def total(self) -> int:
        """Cycles from start to done."""
        return self.compute + self.port_stall + self.fill

    @property
    def macs(self) -> int:
        """Multiply-accumulates performed."""
        return self.rows * self.cols


def matvec_fill_cycles(dp: DatapathSpec, *, external: bool = False) -> int:
    """The matvec's once-per-block latency: weight read latency (on chip; the external
    memory's first-word latency instead when ``external``), multiplier pipeline, adder tree,
    accumulate and write-back."""
    m = dp.mac
    read = dp.external_latency_cycles if external else dp.weights.read_latency
    return (read + m.pipeline_depth + m.adder_tree_latency + m.accumulate_latency
            + m.writeback_latency)


def matvec_timing(rows: int, cols: int, dp: DatapathSpec, *,
                  external: bool = False) -> MatvecTiming:
    """A ``rows x cols`` INT8 matvec on the engine; see :func:`matvec_cycles`."""
    if rows < 1 or cols < 1:
        raise ConfigError(f"matvec {rows} x {cols}: rows and cols must be >= 1")
    P = dp.mac.lanes
    compute = rows * _ceil(cols, P)
    if external:
        rate = min(float(dp.weights.port_bytes_per_cycle), dp.external_bytes_per_cycle)
        issue = max(compute, math.ceil(rows * cols / rate - 1e-9)) if rate > 0 else compute
    else:
        W = dp.weights.port_bytes_per_cycle
        issue = rows * _ceil(cols, min(P, W))
    return MatvecTiming(rows=rows, cols=cols, compute=compute, port_stall=issue - compute,
                        fill=matvec_fill_cycles(dp, external=external),
                        port_bound=issue > compute)


def matvec_cycles(rows: int, cols: int, dp: DatapathSpec, *, external: bool = False) -> int:
    """Cycles of ``out = W @ x`` for an INT8 ``rows x cols`` W on the MAC engine.

    Per row: ``ceil(cols / min(P, W))`` issue cycles, where ``P = mac.lanes`` and ``W =
    weights.port_bytes_per_cycle`` (rows start on a port word: with ``W >= P`` a row takes
    ``ceil(cols / P)`` cycles; with ``W < P`` the port sets the pace, port-bound). With
    ``external`` weights streaming from the external memory (a FIFO decouples rows), the
    issue cycles are ``max(rows * ceil(cols / P), ceil(rows * cols / r))`` with ``r`` the
    smaller of the port width and the memory's bytes per cycle.

    Once per block: :func:`matvec_fill_cycles` (weight read latency + ``mac.pipeline_depth``
    + ``mac.adder_tree_latency`` + ``mac.accumulate_latency`` + ``mac.writeback_latency``).

    So with full-bandwidth on-chip weights: ``rows * ceil(cols / P) + fill``.
    """
    return matvec_timing(rows, cols, dp, external=external).total


def kv_row_beats(head_size: int, dp: DatapathSpec) -> tuple[int, int]:
    """KV-RAM beats of one K row and one V row: ``ceil(head_size * bytes / width)``."""
    kv = dp.kv_ram
    return (_ceil(head_size * kv.k_bytes, kv.width_bytes),
            _ceil(head_size * kv.v_bytes, kv.width_bytes))


def attention_row_cycles(head_size: int, dp: DatapathSpec) -> int:
    """Cycles per cached position (per row): ``max(K beats, V beats)``; the K and V RAMs are
    read in parallel, each on its own read port, and the online-softmax recurrences (running
    max, denominator, accumulators) close in one cycle."""
    kb, vb = kv_row_beats(head_size, dp)
    return max(kb, vb)


def attention_v_offset(dp: DatapathSpec) -> int:
    """Cycles between issuing K row ``t`` and V row ``t``: the score (dot + shift) and the
    softmax update (compare/select + exp2), so V data meets its weight ``w`` and scale."""
    a = dp.attention
    return a.score_latency + a.softmax_latency + dp.lut.exp2_latency


def attention_tail_cycles(head_size: int, dp: DatapathSpec) -> int:
    """After the last V beat: KV read latency, the accumulator update, then ``head_size``
    divides through the pipelined divider (``head_size + divider_latency``)."""
    return (dp.kv_ram.read_latency + dp.attention.update_latency + head_size
            + dp.lut.divider_latency)


def attention_cycles(pos: int, head_size: int, dp: DatapathSpec) -> int:
    """Cycles of the streaming attention kernel for one query head over rows ``0..pos``.

    ``q_latch + pos * R + v_offset + Vb + tail`` where

    - once per block: ``attention.q_latch`` (the query's PoT exponent and register load);
      ``v_offset`` (:func:`attention_v_offset`: score + softmax + exp2 latency); ``Vb`` (the
      last row's V beats); the tail (:func:`attention_tail_cycles`: KV read latency, acc
      update, ``head_size`` divides through the pipelined divider);
    - per row (each of the first ``pos`` rows): ``R = max(K beats, V beats)``
      (:func:`attention_row_cycles`), a K row read, the score MAC, the online-softmax update,
      a V row read and its accumulate, overlapped.

    Guard bubbles (waiting for the row being written) are not included: the layer's
    controller adds them (see :mod:`janus1.hw.prefill`).
    """
    if pos < 0:
        raise ConfigError(f"pos {pos} must be >= 0")
    _, vb = kv_row_beats(head_size, dp)
    return (dp.attention.q_latch + pos * attention_row_cycles(head_size, dp)
            + attention_v_offset(dp) + vb + attention_tail_cycles(head_size, dp))


def sampler_cycles(sampler: str, top_k: int, dp: DatapathSpec) -> int:
    """Cycles of the token choice after the classifier scan's last row.

    - ``argmax``: ``argmax_latency`` (the running compare-select drains), once;
    - ``topk``: one more stage (the ``k``-entry insertion network, one row per cycle);
    - ``topp``: top-k, then ``k + exp2_latency`` for the weights, 1 for the cut multiply,
      ``k`` for the cumulative scan, 1 for the xorshift draw and ``k`` for the pick.
    """
    if sampler not in SAMPLERS:
        raise ConfigError(f"sampler {sampler!r} is not one of {SAMPLERS}")
    c = dp.argmax_latency
    if sampler in ("topk", "topp"):
        c += 1
    if sampler == "topp":
        c += (top_k + dp.lut.exp2_latency) + 1 + top_k + 1 + top_k
    return c


def argmax_cycles(vocab: int, dim: int, dp: DatapathSpec, *, external: bool = False) -> int:
    """The classifier as a streamed vocabulary scan with a running argmax (M3).

    Per row: the matvec's ``ceil(dim / min(P, W))`` (the logit of row ``i`` leaves the
    write-back stage and meets the running (max, index) register; the first max wins).
    Once per block: the matvec's fill plus ``argmax_latency``:
    ``matvec_cycles(vocab, dim) + argmax_latency``.
    """
    return matvec_cycles(vocab, dim, dp, external=external) + dp.argmax_latency


def quantize_cycles(dp: DatapathSpec) -> int:
    """A vector's dynamic PoT exponent: 1 cycle (a leading-zero count of its max |v|, which
    the producer tracks as it writes the vector); the shift sits in the consumer's operand
    path."""
    return 1


def rmsnorm_cycles(n: int, dp: DatapathSpec) -> int:
    """RMSNorm over ``n`` elements: the mean-square pass (``ceil(n / lanes)`` per element
    group, then ``reduce_latency`` once), ``invsqrt_latency`` once, the scale pass
    (``ceil(n / lanes)`` + ``mul_latency``). The input's max |x| (its normalizing shift) is
    tracked as the residual is written."""
    v = dp.vector
    return (2 * _ceil(n, v.lanes) + v.reduce_latency + dp.lut.invsqrt_latency
            + v.mul_latency)


def rope_cycles(q_dim: int, kv_dim: int, dp: DatapathSpec) -> int:
    """RoPE on q and k: ``ceil((q_dim + kv_dim) / lanes)`` (pairs rotated in place from the
    cos/sin tables) + ``mul_latency`` once."""
    return _ceil(q_dim + kv_dim, dp.vector.lanes) + dp.vector.mul_latency


def residual_cycles(n: int, dp: DatapathSpec) -> int:
    """``x += xb`` with saturation: ``ceil(n / lanes) + 1``."""
    return _ceil(n, dp.vector.lanes) + 1


def silu_cycles(hidden: int, dp: DatapathSpec) -> int:
    """``SiLU(w1 x) * (w3 x)`` through one pipelined unit (an exp2 LUT port and the
    divider), one element per cycle: ``hidden`` + exp2 + divider latency + 2 multiplies."""
    return hidden + dp.lut.exp2_latency + dp.lut.divider_latency + 2


def embedding_cycles(dim: int, dp: DatapathSpec, *, external: bool = False) -> int:
    """The token's INT8 embedding row read and shifted into F: ``ceil(dim / W)`` + read
    latency + 1 (the shift)."""
    if external:
        rate = min(float(dp.weights.port_bytes_per_cycle), dp.external_bytes_per_cycle)
        return math.ceil(dim / rate - 1e-9) + dp.external_latency_cycles + 1
    return _ceil(dim, dp.weights.port_bytes_per_cycle) + dp.weights.read_latency + 1


def kv_write_cycles(n_kv_heads: int, head_size: int, dp: DatapathSpec) -> int:
    """The KV write of one position: per KV head a 1-cycle leading-zero count of the K and
    V rows (their exponents), then ``max(K beats, V beats)`` beats into the two RAMs."""
    kb, vb = kv_row_beats(head_size, dp)
    return n_kv_heads * (1 + max(kb, vb))
