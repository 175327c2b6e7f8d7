"""The streaming attention kernel of seed 004 (its "Stage3", milestone M1).

One query head attends over the quantized KV cache rows ``0..pos`` in a single pass with the
online softmax: for each position ``t`` it reads the K row (``(Vec HeadDim Signed 8, ExpS)``),
forms the score ``q . k_t`` with an INT16 x INT8 MAC and a shift (the ``1/sqrt(head_size)``
is folded into ``wq`` offline), updates the running max ``m``, denominator ``d`` and the
weighted value sum ``acc`` (rescaling both by ``exp(m_old - m_new)`` when the max grows),
then reads the V row and accumulates it. After ``t = pos`` it emits ``acc / d``, rounded
to nearest by an integer divider (quotient and remainder, exact for any ``|acc| < 2**62``).

The kernel's whole state is the caller's ``state`` array of ``head_size + 2`` int64 words
(``m``, ``d``, ``acc``): O(HeadDim), independent of ``pos``. It counts the K and V rows it
reads in ``reads`` (a BRAM port activity counter), so tests can check that every row is read
exactly once per step.

Numerics: scores, exp and ``acc`` are SFixed 12.20 (Q.20 in int64; ``acc`` is wider than 32
bits in the way a hardware accumulator gets guard bits: ``|acc| <= (pos+1) * 2**31``).
Rescaling multiplies ``acc`` by a Q.20 factor with a two-limb product, exact for any
``|acc| < 2**62``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..numerics.primitives import F_BITS, F_FRAC, exp_fixed
from ..numerics.qformat import saturate, shift_round

__all__ = ["attend_head", "state_words", "mul_q20"]

_NEAR_UP = 1


def state_words(head_size: int) -> int:
    """Words of kernel state for one head: ``m``, ``d`` and ``head_size`` accumulators."""
    return head_size + 2


@njit(cache=True, inline="always")
def mul_q20(a: int, sc: int, rounding: int) -> int:
    """``round(a * sc / 2**20)`` for ``|a| < 2**62`` and ``0 <= sc <= 2**20``, without
    overflow: ``a = hi * 2**20 + lo`` (``0 <= lo < 2**20``), ``hi * sc`` is exact."""
    hi = a >> F_FRAC
    lo = a - (hi << F_FRAC)
    return hi * sc + shift_round(lo * sc, F_FRAC, rounding)


@njit(cache=True)
def attend_head(q_m: np.ndarray, q_e: int, k_m: np.ndarray, k_e: np.ndarray,
                v_m: np.ndarray, v_e: np.ndarray, pos: int, exp_lut: np.ndarray,
                lut_bits: int, lut_frac: int, interp: bool, rounding: int,
                state: np.ndarray, reads: np.ndarray, out: np.ndarray) -> None:
    """Attend one query head over cache rows ``0..pos``; write F outputs to ``out``.

    Args:
        q_m: (head_size,) int64 query mantissas; the query is ``q_m * 2**q_e``.
        q_e: the query's dynamic PoT exponent.
        k_m: (seq_len, head_size) int8/int16 K mantissas of this KV head.
        k_e: (seq_len,) int8 K row exponents.
        v_m: (seq_len, head_size) int8/int16 V mantissas.
        v_e: (seq_len,) int8 V row exponents.
        pos: the last position to attend to (inclusive).
        exp_lut: the exp2 table (:class:`~janus1.numerics.primitives.ExpTable`).
        lut_bits: log2 of the table's entries.
        lut_frac: fraction bits of the table.
        interp: linear interpolation in the table.
        rounding: :class:`~janus1.numerics.qformat.Rounding` of every narrowing.
        state: (head_size + 2,) int64 scratch: ``[m, d, acc...]``, the kernel's only state.
        reads: (seq_len, 2) int64 counters of K (column 0) and V (column 1) row reads.
        out: (head_size,) int64 F outputs.
    """
    hs = q_m.size
    one = np.int64(1) << F_FRAC
    for t in range(pos + 1):
        # ---- read K row t, score = q . k_t (INT16 x INT8 -> INT32), scale by shifts ----
        reads[t, 0] += 1
        dot = np.int64(0)
        for j in range(hs):
            dot += q_m[j] * np.int64(k_m[t, j])
        s = saturate(shift_round(dot, -(q_e + np.int64(k_e[t]) + F_FRAC), rounding),
                     F_BITS, True, 0)
        # ---- online softmax update: weight of row t, rescale of the past ----
        if t == 0:
            w = one
            sc = one
            state[0] = s
            state[1] = 0
            for j in range(hs):
                state[2 + j] = 0
        elif s > state[0]:
            w = one
            sc = exp_fixed(saturate(state[0] - s, F_BITS, True, 0), exp_lut, lut_bits,
                           lut_frac, interp)
            state[0] = s
        else:
            w = exp_fixed(saturate(s - state[0], F_BITS, True, 0), exp_lut, lut_bits,
                          lut_frac, interp)
            sc = one
        # ---- read V row t, acc = acc * sc + w * v_t (in F) ----
        reads[t, 1] += 1
        ve = np.int64(v_e[t]) + F_FRAC
        if sc != one:
            state[1] = mul_q20(state[1], sc, rounding)
        state[1] += w
        for j in range(hs):
            vf = shift_round(np.int64(v_m[t, j]), -ve, rounding)      # V element in F
            a = state[2 + j]
            if sc != one:
                a = mul_q20(a, sc, rounding)
            if w == one:
                a += vf
            else:
                a += shift_round(w * vf, F_FRAC, rounding)
            state[2 + j] = a
    # ---- emit acc / d: an exact rounded division (quotient, then remainder) ----
    d = state[1]                                                   # >= 1.0 (the max's own 1)
    for j in range(hs):
        a = state[2 + j]
        q = a // d                                                 # floor; 0 <= r < d
        r = a - q * d
        out[j] = saturate((q << F_FRAC) + ((r << F_FRAC) + (d >> 1)) // d, F_BITS, True, 0)
