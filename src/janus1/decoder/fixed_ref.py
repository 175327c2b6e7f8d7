"""The bit-accurate fixed-point LLaMA decoder of seed 004 (integer golden model).

Reads like llama2.c's ``run.c``: a config (:class:`FixedConfig`), quantized weights
(:class:`FixedWeights`, built offline from float weights), a run state (the quantized KV
cache and scratch vectors), then one ``forward(token, pos)`` read top to bottom
(:func:`_forward`, numba-compiled), with a shape comment on every tensor line.

Numerics (seed 004, "Design choices and constraints"):

- scalars and every vector between blocks are SFixed 12.20 (``F``: int64 holding Q.20,
  saturated to 32 bits);
- weights are INT8 mantissas with one static PoT exponent per row (Signed 7, [-64, 63]);
  RMSNorm gains are INT16 mantissas with one exponent per vector;
- a vector feeding a matvec is re-quantized to ``act_bits`` mantissas (INT16 by default,
  the MAC's 16-bit operand) with one dynamic PoT exponent per vector (leading-zero count
  and a rounding shift);
- matvecs are INT8 x INT16 -> INT32 MACs; the accumulator has enough guard bits (checked
  at construction) and is narrowed to F by a rounding, saturating shift whose amount fuses
  the weight-row and activation exponents (no multiplies for scaling);
- the KV cache stores each head's row as (INT8 mantissas, exponent); K may be INT16;
- attention is the streaming kernel :func:`~janus1.decoder.fixed_attention.attend_head`
  (online softmax, exp via exp2 + 256-entry LUT); RMSNorm uses an invsqrt LUT seed plus one
  Newton step; RoPE uses cos/sin tables; SiLU uses exp and one integer division;
- logits come out in F: :meth:`FixedDecoder.step` returns their exact float64 value
  (``int * 2**-20``), :attr:`FixedDecoder.last_logits_int` the integers; greedy argmax,
  top-k and top-p are streamed scans over the vocabulary (:func:`scan_argmax`,
  :func:`scan_topk`, :func:`sample_topp`).

Floats appear only offline: quantizing weights, building tables, folding constants
(``sqrt(dim)`` into the RMSNorm gains, ``1/sqrt(head_size)`` into ``wq``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numba import njit

from ..errors import ConfigError
from ..models.spec import ModelSpec
from ..numerics.mac import check_guard_bits, max_act_bits
from ..numerics.pot import pot_quantize_rows, pot_quantize_vector
from ..numerics.primitives import (F_BITS, F_FRAC, ExpTable, InvSqrtTable, exp_fixed,
                                   rmsnorm_fixed, rope_rotate_pair, rope_tables, silu_fixed)
from ..numerics.qformat import Rounding, saturate, shift_round
from .fixed_attention import attend_head

__all__ = ["FixedConfig", "FixedWeights", "FixedDecoder", "quantize_weights", "scan_argmax",
           "scan_topk", "sample_topp", "EPS_FRAC", "HIGH_PRECISION"]

EPS_FRAC = 40  # fraction bits of the RMSNorm epsilon constant (n * eps)


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedConfig:
    """Formats and table sizes of the fixed-point decoder (defaults: seed 004).

    Args:
        weight_bits: mantissa bits of weight matrices (seed: INT8).
        act_bits: mantissa bits of activations feeding a MAC; 0 picks the widest (<= 16)
            that fits ``acc_bits`` with guard bits for the model's largest fan-in.
        acc_bits: accumulator width (seed: INT32).
        k_bits: K-cache mantissa bits (8, or 16 as the issue's option).
        v_bits: V-cache mantissa bits.
        norm_weight_bits: mantissa bits of the RMSNorm gains (one exponent per vector).
        norm_bits: mantissa bits of x inside RMSNorm (the mean square's input).
        exp_lut_bits: log2 entries of the exp2 LUT (seed: 256 entries).
        exp_lut_frac_bits: fraction bits of the exp2 LUT entries.
        exp_interpolate: linear interpolation in the exp2 LUT.
        invsqrt_lut_bits: log2 entries of the invsqrt seed LUT.
        invsqrt_frac_bits: fraction bits of the invsqrt seed and Newton datapath.
        newton_steps: Newton-Raphson steps after the invsqrt seed (seed: one).
        rope_frac_bits: fraction bits of the RoPE cos/sin tables (F: 20).
        rounding: rounding of every run-time narrowing (name of a ``Rounding``).
    """

    weight_bits: int = 8            # seed 004: "mantissa(Act/Wgt :: Signed 8)"
    act_bits: int = 0               # 0 = auto (INT16 for stories260K: the MAC's 16-bit operand)
    acc_bits: int = 32              # seed 004: "Acc = Signed 32"
    k_bits: int = 8                 # seed 004: K rows as Vec HeadDim Signed 8 (16: the option)
    v_bits: int = 8                 # seed 004: V rows as Vec HeadDim Signed 8
    norm_weight_bits: int = 16      # RMSNorm gains, INT16 mantissas
    norm_bits: int = 16             # x mantissa inside RMSNorm
    exp_lut_bits: int = 8           # seed 004: 256-entry exp2 LUT
    exp_lut_frac_bits: int = 20     # LUT entries in Q1.20 (F)
    exp_interpolate: bool = True    # seed 004: "Optional linear interpolation"
    invsqrt_lut_bits: int = 6       # 64-entry seed LUT
    invsqrt_frac_bits: int = 30     # Q1.30 Newton datapath
    newton_steps: int = 1           # seed 004: "one Newton-Raphson iteration"
    rope_frac_bits: int = 20        # seed 004: "sine/cosine tables in F"
    rounding: str = "NEAREST_UP"    # add half an LSB and shift: the cheapest RTL rounding

    def __post_init__(self) -> None:
        if self.rounding not in Rounding.__members__:
            raise ConfigError(f"rounding {self.rounding!r} is not one of "
                              f"{', '.join(Rounding.__members__)}")
        for name, lo, hi in (("weight_bits", 2, 16), ("k_bits", 2, 16), ("v_bits", 2, 16),
                             ("norm_weight_bits", 2, 16), ("norm_bits", 2, 16),
                             ("acc_bits", 16, 62), ("rope_frac_bits", 8, 30)):
            v = getattr(self, name)
            if not lo <= v <= hi:
                raise ConfigError(f"{name} {v} is outside {lo}..{hi}")
        if self.act_bits and not 2 <= self.act_bits <= 24:
            raise ConfigError(f"act_bits {self.act_bits} is outside 2..24 (or 0 for auto)")
        ExpTable(lut_bits=self.exp_lut_bits, lut_frac_bits=self.exp_lut_frac_bits,
                 interpolate=self.exp_interpolate)
        InvSqrtTable(lut_bits=self.invsqrt_lut_bits, frac_bits=self.invsqrt_frac_bits,
                     newton_steps=self.newton_steps)

    @classmethod
    def from_kwargs(cls, **kw: Any) -> FixedConfig:
        """Build from keyword options, rejecting unknown names with a ConfigError."""
        known = {f.name for f in fields(cls)}
        for k in kw:
            if k not in known:
                raise ConfigError(f"unknown fixed-point option {k!r} "
                                  f"(known: {', '.join(sorted(known))})")
        return cls(**kw)

    @property
    def exp_table(self) -> ExpTable:
        """The exp2 LUT description."""
        return ExpTable(lut_bits=self.exp_lut_bits, lut_frac_bits=self.exp_lut_frac_bits,
                        interpolate=self.exp_interpolate)

    @property
    def invsqrt_table(self) -> InvSqrtTable:
        """The invsqrt LUT description."""
        return InvSqrtTable(lut_bits=self.invsqrt_lut_bits, frac_bits=self.invsqrt_frac_bits,
                            newton_steps=self.newton_steps)


#: Every stage at high precision (the error budget's reference): 16-bit weights and K/V,
#: 24-bit activations, 4096-entry Q.30 exp LUT, 4096-entry invsqrt seed and two Newton steps.
HIGH_PRECISION = dict(weight_bits=16, act_bits=24, acc_bits=62, k_bits=16, v_bits=16,
                      exp_lut_bits=12, exp_lut_frac_bits=30, invsqrt_lut_bits=12,
                      newton_steps=2)


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedWeights:
    """Quantized weights: ``*_m`` mantissas, ``*_e`` int8 PoT exponents (one per row).

    Matrices keep llama2.c's [out, in] layout with a leading layer axis.
    """

    emb_m: np.ndarray      # (vocab, dim) token embedding
    emb_e: np.ndarray      # (vocab,)
    cls_m: np.ndarray      # (vocab, dim) classifier (the embedding's arrays when tied)
    cls_e: np.ndarray      # (vocab,)
    rms_att_m: np.ndarray  # (L, dim) gains * sqrt(dim), INT16
    rms_att_e: np.ndarray  # (L,)
    rms_ffn_m: np.ndarray  # (L, dim)
    rms_ffn_e: np.ndarray  # (L,)
    rms_fin_m: np.ndarray  # (dim,)
    rms_fin_e: np.ndarray  # (1,)
    wq_m: np.ndarray       # (L, q_dim, dim), rows scaled by 1/sqrt(head_size)
    wq_e: np.ndarray       # (L, q_dim)
    wk_m: np.ndarray       # (L, kv_dim, dim)
    wk_e: np.ndarray       # (L, kv_dim)
    wv_m: np.ndarray       # (L, kv_dim, dim)
    wv_e: np.ndarray       # (L, kv_dim)
    wo_m: np.ndarray       # (L, dim, q_dim)
    wo_e: np.ndarray       # (L, dim)
    w1_m: np.ndarray       # (L, hidden, dim)
    w1_e: np.ndarray       # (L, hidden)
    w2_m: np.ndarray       # (L, dim, hidden)
    w2_e: np.ndarray       # (L, dim)
    w3_m: np.ndarray       # (L, hidden, dim)
    w3_e: np.ndarray       # (L, hidden)
    exp_lut: np.ndarray    # (2**exp_lut_bits + 1,) int64, the last entry the constant 2.0
    isq_lut: np.ndarray    # (2**invsqrt_lut_bits,) int64
    rope_cos: np.ndarray   # (seq_len, head_size // 2) int64, rope_frac_bits
    rope_sin: np.ndarray   # (seq_len, head_size // 2)
    eps_q: int             # round(dim * eps * 2**EPS_FRAC)
    max_abs_error: dict    # per tensor name: the largest weight quantization error (float)

    def tensors(self) -> dict[str, np.ndarray]:
        """Every array by field name (for the export image)."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if isinstance(getattr(self, f.name), np.ndarray)}


def quantize_weights(spec: ModelSpec, w: Any, cfg: FixedConfig) -> FixedWeights:
    """Quantize float weights offline (the only place floats are used, with the tables).

    Args:
        spec: the architecture.
        w: :class:`~janus1.models.weights.Weights` (float32, llama2.c names).
        cfg: formats.
    """
    errs: dict[str, float] = {}
    wb, nb = cfg.weight_bits, cfg.norm_weight_bits

    def rows(name: str, a: np.ndarray, bits: int = wb) -> tuple[np.ndarray, np.ndarray]:
        t = pot_quantize_rows(np.asarray(a, np.float64), bits)
        errs[name] = t.max_abs_error
        return np.ascontiguousarray(t.mantissa), np.ascontiguousarray(t.exponent)

    sqrt_n = math.sqrt(spec.dim)
    emb_m, emb_e = rows("token_embedding", w.token_embedding)
    if w.tied:
        cls_m, cls_e = emb_m, emb_e
    else:
        cls_m, cls_e = rows("wcls", w.wcls)
    ra_m, ra_e = rows("rms_att", np.asarray(w.rms_att, np.float64) * sqrt_n, nb)
    rf_m, rf_e = rows("rms_ffn", np.asarray(w.rms_ffn, np.float64) * sqrt_n, nb)
    rz_m, rz_e = rows("rms_final", np.asarray(w.rms_final, np.float64)[None] * sqrt_n, nb)
    # 1/sqrt(head_size) of the attention scores folded into wq (RoPE is linear)
    wq_m, wq_e = rows("wq", np.asarray(w.wq, np.float64) / math.sqrt(spec.head_size))
    wk_m, wk_e = rows("wk", w.wk)
    wv_m, wv_e = rows("wv", w.wv)
    wo_m, wo_e = rows("wo", w.wo)
    w1_m, w1_e = rows("w1", w.w1)
    w2_m, w2_e = rows("w2", w.w2)
    w3_m, w3_e = rows("w3", w.w3)
    cos, sin = rope_tables(spec.seq_len, spec.head_size, spec.rope_theta, cfg.rope_frac_bits)
    return FixedWeights(
        emb_m=emb_m, emb_e=emb_e, cls_m=cls_m, cls_e=cls_e,
        rms_att_m=ra_m, rms_att_e=ra_e, rms_ffn_m=rf_m, rms_ffn_e=rf_e,
        rms_fin_m=np.ascontiguousarray(rz_m[0]), rms_fin_e=rz_e,
        wq_m=wq_m, wq_e=wq_e, wk_m=wk_m, wk_e=wk_e, wv_m=wv_m, wv_e=wv_e, wo_m=wo_m, wo_e=wo_e,
        w1_m=w1_m, w1_e=w1_e, w2_m=w2_m, w2_e=w2_e, w3_m=w3_m, w3_e=w3_e,
        exp_lut=cfg.exp_table.table(), isq_lut=cfg.invsqrt_table.table(),
        rope_cos=cos, rope_sin=sin, eps_q=int(round(spec.dim * spec.norm_eps * 2 ** EPS_FRAC)),
        max_abs_error=errs)


# ---------------------------------------------------------------------------------------
# the integer forward pass
# ---------------------------------------------------------------------------------------

# indices into the int64 parameter vector handed to the compiled forward
_P_NAMES = ("dim", "hidden", "n_layers", "n_heads", "n_kv_heads", "head_size", "vocab",
            "seq_len", "act_bits", "k_bits", "v_bits", "exp_lut_bits", "exp_lut_frac",
            "exp_interp", "isq_lut_bits", "isq_frac", "newton_steps", "rope_frac", "rounding",
            "eps_q", "norm_bits", "rope_halves", "acc_bits", "q_bits")


@njit(cache=True)
def _matvec_f(w_m: np.ndarray, w_e: np.ndarray, x_m: np.ndarray, x_e: int, acc_bits: int,
              rounding: int, out: np.ndarray) -> None:
    """``out = W @ x`` in F: INT8 x INT16 MACs, then one rounding, saturating shift per row
    by the fused exponent ``w_e[i] + x_e`` (no scaling multiplies)."""
    rows, n = w_m.shape
    for i in range(rows):
        acc = np.int64(0)
        for j in range(n):
            acc += np.int64(w_m[i, j]) * x_m[j]
        acc = saturate(acc, acc_bits, True, 0)          # a no-op given the guard-bit check
        out[i] = saturate(shift_round(acc, -(np.int64(w_e[i]) + x_e + F_FRAC), rounding),
                          F_BITS, True, 0)


@njit(cache=True)
def _forward(token: int, pos: int, p: np.ndarray,
             emb_m, emb_e, cls_m, cls_e, rms_att_m, rms_att_e, rms_ffn_m, rms_ffn_e,  # noqa: ANN001
             rms_fin_m, rms_fin_e, wq_m, wq_e, wk_m, wk_e, wv_m, wv_e, wo_m, wo_e,  # noqa: ANN001
             w1_m, w1_e, w2_m, w2_e, w3_m, w3_e, exp_lut, isq_lut, rope_cos,  # noqa: ANN001
             rope_sin,  # noqa: ANN001
             key_m, key_e, val_m, val_e, reads, logits) -> None:  # noqa: ANN001
    """One token through the network; integer logits (F) into ``logits``."""
    dim, hidden, n_layers = p[0], p[1], p[2]
    n_heads, n_kv_heads, hs = p[3], p[4], p[5]
    vocab = p[6]
    act_bits, k_bits, v_bits = p[8], p[9], p[10]
    e_lb, e_lf, e_in = p[11], p[12], p[13] != 0
    i_lb, i_fr, i_nw = p[14], p[15], p[16]
    rope_frac, rnd, eps_q, norm_bits = p[17], p[18], p[19], p[20]
    halves, acc_bits = p[21] != 0, p[22]
    q_bits = p[23]                                  # query mantissas (INT16, or fewer with INT16 K)
    q_dim = n_heads * hs
    kv_mul = n_heads // n_kv_heads                  # query heads per KV head (GQA)

    x = np.empty(dim, np.int64)                     # (dim,) residual stream, F
    xb = np.empty(dim, np.int64)                    # (dim,) normalized / projected, F
    xm = np.empty(max(dim, hidden, q_dim), np.int64)  # activation mantissas feeding a MAC
    q = np.empty(q_dim, np.int64)                   # (n_heads * head_size,) F
    k = np.empty(n_kv_heads * hs, np.int64)         # (kv_dim,) F
    v = np.empty(n_kv_heads * hs, np.int64)         # (kv_dim,) F
    att = np.empty(q_dim, np.int64)                 # (n_heads * head_size,) attention out, F
    hb = np.empty(hidden, np.int64)                 # (hidden,) F
    hb2 = np.empty(hidden, np.int64)                # (hidden,) F
    qm = np.empty(hs, np.int64)                     # (head_size,) query mantissas
    st = np.empty(hs + 2, np.int64)                 # (head_size + 2,) attention kernel state
    row = np.empty(hs, np.int64)                    # (head_size,) KV row mantissas

    # ---- token embedding: INT8 row * 2**e into F ----
    ee = np.int64(emb_e[token]) + F_FRAC
    for i in range(dim):
        x[i] = saturate(shift_round(np.int64(emb_m[token, i]), -ee, rnd), F_BITS, True, 0)

    for l in range(n_layers):
        # ---- attention RMSNorm, then one dynamic exponent for the MAC input ----
        rmsnorm_fixed(x, rms_att_m[l], np.int64(rms_att_e[l]), eps_q, EPS_FRAC, isq_lut, i_lb,
                      i_fr, i_nw, norm_bits, rnd, xb)                     # (dim,) F
        xe = pot_quantize_vector(xb, -F_FRAC, act_bits, rnd, xm[:dim])    # (dim,) mantissas

        # ---- q, k, v projections ----
        _matvec_f(wq_m[l], wq_e[l], xm[:dim], xe, acc_bits, rnd, q)       # (q_dim,) F
        _matvec_f(wk_m[l], wk_e[l], xm[:dim], xe, acc_bits, rnd, k)       # (kv_dim,) F
        _matvec_f(wv_m[l], wv_e[l], xm[:dim], xe, acc_bits, rnd, v)       # (kv_dim,) F

        # ---- RoPE from the cos/sin tables (adjacent pairs, or split halves) ----
        half = hs // 2
        for h in range(n_heads):
            for i in range(half):
                a = h * hs + (i if halves else 2 * i)
                b = a + (half if halves else 1)
                c, s = rope_cos[pos, i], rope_sin[pos, i]
                q[a], q[b] = rope_rotate_pair(q[a], q[b], c, s, rope_frac, rnd)
                if h < n_kv_heads:
                    k[a], k[b] = rope_rotate_pair(k[a], k[b], c, s, rope_frac, rnd)

        # ---- KV cache write: each head's row as (mantissas, exponent) ----
        for h in range(n_kv_heads):
            key_e[l, h, pos] = pot_quantize_vector(k[h * hs:(h + 1) * hs], -F_FRAC, k_bits,
                                                   rnd, row)
            for j in range(hs):
                key_m[l, h, pos, j] = row[j]                              # (head_size,)
            val_e[l, h, pos] = pot_quantize_vector(v[h * hs:(h + 1) * hs], -F_FRAC, v_bits,
                                                   rnd, row)
            for j in range(hs):
                val_m[l, h, pos, j] = row[j]

        # ---- streaming attention, one query head at a time ----
        for h in range(n_heads):
            kvh = h // kv_mul
            qe = pot_quantize_vector(q[h * hs:(h + 1) * hs], -F_FRAC, q_bits, rnd, qm)
            attend_head(qm, qe, key_m[l, kvh], key_e[l, kvh], val_m[l, kvh], val_e[l, kvh],
                        pos, exp_lut, e_lb, e_lf, e_in, rnd, st, reads,
                        att[h * hs:(h + 1) * hs])                         # (head_size,) F

        # ---- output projection and residual ----
        xe = pot_quantize_vector(att, -F_FRAC, act_bits, rnd, xm[:q_dim])  # (q_dim,)
        _matvec_f(wo_m[l], wo_e[l], xm[:q_dim], xe, acc_bits, rnd, xb)    # (dim,) F
        for i in range(dim):
            x[i] = saturate(x[i] + xb[i], F_BITS, True, 0)

        # ---- FFN: RMSNorm, w1 and w3, SiLU(w1 x) * (w3 x), w2, residual ----
        rmsnorm_fixed(x, rms_ffn_m[l], np.int64(rms_ffn_e[l]), eps_q, EPS_FRAC, isq_lut, i_lb,
                      i_fr, i_nw, norm_bits, rnd, xb)                     # (dim,) F
        xe = pot_quantize_vector(xb, -F_FRAC, act_bits, rnd, xm[:dim])
        _matvec_f(w1_m[l], w1_e[l], xm[:dim], xe, acc_bits, rnd, hb)      # (hidden,) F
        _matvec_f(w3_m[l], w3_e[l], xm[:dim], xe, acc_bits, rnd, hb2)     # (hidden,) F
        for i in range(hidden):
            sv = silu_fixed(hb[i], exp_lut, e_lb, e_lf, e_in)
            hb[i] = saturate(shift_round(sv * hb2[i], F_FRAC, rnd), F_BITS, True, 0)
        xe = pot_quantize_vector(hb, -F_FRAC, act_bits, rnd, xm[:hidden])  # (hidden,)
        _matvec_f(w2_m[l], w2_e[l], xm[:hidden], xe, acc_bits, rnd, xb)   # (dim,) F
        for i in range(dim):
            x[i] = saturate(x[i] + xb[i], F_BITS, True, 0)

    # ---- final RMSNorm and the classifier, streamed over vocabulary rows ----
    rmsnorm_fixed(x, rms_fin_m, np.int64(rms_fin_e[0]), eps_q, EPS_FRAC, isq_lut, i_lb, i_fr,
                  i_nw, norm_bits, rnd, xb)                               # (dim,) F
    xe = pot_quantize_vector(xb, -F_FRAC, act_bits, rnd, xm[:dim])
    _matvec_f(cls_m, cls_e, xm[:dim], xe, acc_bits, rnd, logits)          # (vocab,) F


# ---------------------------------------------------------------------------------------
# the decoder object (the step-decoder protocol)
# ---------------------------------------------------------------------------------------

class FixedDecoder:
    """The fixed-point decoder: ``reset()``, ``step(token, pos) -> (vocab,) float64``.

    Args:
        spec: the architecture (llama only: RMSNorm, RoPE, SwiGLU).
        weights: float :class:`~janus1.models.weights.Weights` (quantized here, offline).
        config: formats; default :class:`FixedConfig`.

    Raises:
        ConfigError: an architecture it does not model, or formats whose MACs would
            overflow the accumulator.
    """

    def __init__(self, spec: ModelSpec, weights: Any, config: FixedConfig | None = None, *,
                 fixed_weights: FixedWeights | None = None) -> None:
        cfg = config or FixedConfig()
        if spec.arch != "llama" or spec.norm != "rmsnorm" or spec.activation != "swiglu":
            raise ConfigError(f"fixed-point decoder models llama (RMSNorm, RoPE, SwiGLU) only, "
                              f"not {spec.arch}/{spec.norm}/{spec.activation}")
        if spec.head_size % 2:
            raise ConfigError(f"head_size {spec.head_size} must be even for RoPE")
        fan_in = max(spec.dim, spec.hidden_dim, spec.n_heads * spec.head_size)
        act = cfg.act_bits or max_act_bits(cfg.weight_bits, cfg.acc_bits, fan_in)
        if act < 2:
            raise ConfigError(f"acc_bits {cfg.acc_bits} leaves no room for activations with "
                              f"INT{cfg.weight_bits} weights and fan-in {fan_in}")
        for n, what in ((spec.dim, "dim"), (spec.hidden_dim, "hidden_dim"),
                        (spec.n_heads * spec.head_size, "q_dim")):
            check_guard_bits(cfg.weight_bits, act, n, cfg.acc_bits, f"matvec over {what}")
        # the score MAC is K x q: with INT16 K the query narrows to what the accumulator holds
        q_bits = min(act, max_act_bits(cfg.k_bits, cfg.acc_bits, spec.head_size, cap=24))
        if q_bits < 2:
            raise ConfigError(f"acc_bits {cfg.acc_bits} leaves no room for queries with "
                              f"INT{cfg.k_bits} keys")
        check_guard_bits(cfg.k_bits, q_bits, spec.head_size, cfg.acc_bits, "attention scores")
        self.spec = spec
        self.config = cfg
        self.act_bits = act
        self.q_bits = q_bits
        self.weights = (fixed_weights if fixed_weights is not None
                        else quantize_weights(spec, weights, cfg))
        fw = self.weights
        L, hkv, S, hs = spec.n_layers, spec.n_kv_heads, spec.seq_len, spec.head_size
        kdt = np.int8 if cfg.k_bits <= 8 else np.int16
        vdt = np.int8 if cfg.v_bits <= 8 else np.int16
        self.key_m = np.zeros((L, hkv, S, hs), kdt)     # K cache mantissas
        self.key_e = np.zeros((L, hkv, S), np.int8)     # K row exponents
        self.val_m = np.zeros((L, hkv, S, hs), vdt)     # V cache mantissas
        self.val_e = np.zeros((L, hkv, S), np.int8)     # V row exponents
        self.reads = np.zeros((S, 2), np.int64)         # K/V row read counters (all heads)
        self.last_logits_int = np.zeros(spec.vocab_size, np.int64)
        vals = dict(dim=spec.dim, hidden=spec.hidden_dim, n_layers=L, n_heads=spec.n_heads,
                    n_kv_heads=hkv, head_size=hs, vocab=spec.vocab_size, seq_len=S,
                    act_bits=act, k_bits=cfg.k_bits, v_bits=cfg.v_bits,
                    exp_lut_bits=cfg.exp_lut_bits, exp_lut_frac=cfg.exp_lut_frac_bits,
                    exp_interp=int(cfg.exp_interpolate), isq_lut_bits=cfg.invsqrt_lut_bits,
                    isq_frac=cfg.invsqrt_frac_bits, newton_steps=cfg.newton_steps,
                    rope_frac=cfg.rope_frac_bits, rounding=int(Rounding[cfg.rounding]),
                    eps_q=fw.eps_q, norm_bits=cfg.norm_bits,
                    rope_halves=int(spec.rope_layout == "halves"), acc_bits=cfg.acc_bits,
                    q_bits=q_bits)
        self._p = np.array([vals[n] for n in _P_NAMES], np.int64)

    @classmethod
    def from_checkpoint(cls, ckpt: Any, **config: Any) -> FixedDecoder:
        """A decoder for a :class:`~janus1.decoder.checkpoint.Checkpoint`.

        Args:
            ckpt: anything with ``spec`` and ``weights``.
            **config: :class:`FixedConfig` fields.
        """
        return cls(ckpt.spec, ckpt.weights, FixedConfig.from_kwargs(**config))

    @property
    def kv_cache_bytes(self) -> int:
        """Bytes of the quantized KV cache (mantissas and exponents)."""
        return int(self.key_m.nbytes + self.key_e.nbytes + self.val_m.nbytes + self.val_e.nbytes)

    def reset(self) -> None:
        """Clear the KV cache and the read counters."""
        for a in (self.key_m, self.key_e, self.val_m, self.val_e, self.reads):
            a.fill(0)

    def step_int(self, token: int, pos: int) -> np.ndarray:
        """Integer logits (F, Q.20) after feeding ``token`` at ``pos``.

        Raises:
            ConfigError: ``token`` or ``pos`` out of range.
        """
        if not 0 <= pos < self.spec.seq_len:
            raise ConfigError(f"pos {pos} is outside the model's context "
                              f"0..{self.spec.seq_len - 1}")
        if not 0 <= token < self.spec.vocab_size:
            raise ConfigError(f"token {token} is outside the vocabulary "
                              f"0..{self.spec.vocab_size - 1}")
        fw = self.weights
        out = self.last_logits_int
        _forward(int(token), int(pos), self._p, fw.emb_m, fw.emb_e, fw.cls_m, fw.cls_e,
                 fw.rms_att_m, fw.rms_att_e, fw.rms_ffn_m, fw.rms_ffn_e, fw.rms_fin_m,
                 fw.rms_fin_e, fw.wq_m, fw.wq_e, fw.wk_m, fw.wk_e, fw.wv_m, fw.wv_e, fw.wo_m,
                 fw.wo_e, fw.w1_m, fw.w1_e, fw.w2_m, fw.w2_e, fw.w3_m, fw.w3_e, fw.exp_lut,
                 fw.isq_lut, fw.rope_cos, fw.rope_sin, self.key_m, self.key_e, self.val_m,
                 self.val_e, self.reads, out)
        return out.copy()

    def step(self, token: int, pos: int) -> np.ndarray:
        """float64 logits: the exact value of the integer logits (``int * 2**-20``)."""
        return self.step_int(token, pos).astype(np.float64) * (2.0 ** -F_FRAC)


# ---------------------------------------------------------------------------------------
# streamed logits scans: greedy argmax, top-k, top-p (integer only)
# ---------------------------------------------------------------------------------------

@njit(cache=True)
def scan_argmax(logits: np.ndarray) -> int:
    """Greedy token: a running (max, index) over vocabulary rows; the first max wins."""
    best = 0
    for i in range(1, logits.size):
        if logits[i] > logits[best]:
            best = i
    return best


@njit(cache=True)
def scan_topk(logits: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest logits in one pass with a ``k``-entry sorted buffer (insertion),
    as a streaming hardware top-k would keep them. Returns (ids, values), best first;
    ties keep the earlier id first."""
    ids = np.full(k, -1, np.int64)
    vals = np.full(k, np.iinfo(np.int64).min, np.int64)
    for i in range(logits.size):
        v = logits[i]
        if v <= vals[k - 1] and ids[k - 1] >= 0:
            continue
        j = k - 1
        while j > 0 and (ids[j - 1] < 0 or vals[j - 1] < v):
            vals[j] = vals[j - 1]
            ids[j] = ids[j - 1]
            j -= 1
        vals[j] = v
        ids[j] = i
    return ids, vals


@njit(cache=True)
def _xorshift32(s: int) -> int:
    s ^= (s << 13) & 0xFFFFFFFF
    s ^= s >> 17
    s ^= (s << 5) & 0xFFFFFFFF
    return s & 0xFFFFFFFF


@njit(cache=True)
def sample_topp(logits: np.ndarray, k: int, topp_q: int, inv_temp_q: int, exp_lut: np.ndarray,
                lut_bits: int, lut_frac: int, interp: bool,
                rng_state: int) -> tuple[int, int]:
    """Top-k then top-p (nucleus) sampling in fixed point, with an xorshift32 generator.

    ``topp_q`` and ``inv_temp_q`` are Q.20 (``p`` and ``1/temperature``); weights are
    ``exp((l - l_max) / T)`` in F over the ``k`` best logits, the nucleus is the shortest
    prefix whose weight reaches ``topp * total``, and a uniform Q.20 draw picks inside it.
    Returns (token, new generator state).
    """
    ids, vals = scan_topk(logits, k)
    w = np.zeros(k, np.int64)
    tot = np.int64(0)
    for j in range(k):
        if ids[j] < 0:
            break
        z = shift_round((vals[j] - vals[0]) * inv_temp_q, F_FRAC, 1)
        w[j] = exp_fixed(saturate(z, F_BITS, True, 0), exp_lut, lut_bits, lut_frac, interp)
        tot += w[j]
    cut = shift_round(tot * topp_q, F_FRAC, 1)
    csum = np.int64(0)
    n = 0
    for j in range(k):
        if ids[j] < 0:
            break
        csum += w[j]
        n = j + 1
        if csum >= cut:
            break
    rng_state = _xorshift32(rng_state)
    r = shift_round((rng_state >> 12) * csum, F_FRAC, 3)     # uniform in [0, csum)
    acc = np.int64(0)
    for j in range(n):
        acc += w[j]
        if r < acc:
            return ids[j], rng_state
    return ids[n - 1], rng_state
