"""Fixed-point math primitives of seed 004: exp via exp2 + LUT, online softmax, inverse
square root (LUT seed + Newton-Raphson), RMSNorm, RoPE tables and rotation, SiLU.

Everything at run time is integer arithmetic on int64 scalars (numba-compiled). Tables are
built offline in float64 and rounded once, as weights are. Scalars are SFixed 12.20 integers
(``F_FRAC = 20`` fraction bits, 32 bits). Table sizes and formats are parameters
(:class:`ExpTable`, :class:`InvSqrtTable`, :func:`rope_tables`).

Each primitive states its worst-case error against the exact real function, as a function
that the property tests (``tests/numerics``) check over the whole input range:
:meth:`ExpTable.error_bound`, :meth:`InvSqrtTable.rel_error_bound`, :func:`softmax_error_bound`,
:func:`rmsnorm_error_bound`, :func:`rope_error_bound`, :func:`silu_error_bound`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..errors import ConfigError
from .qformat import bit_length, saturate, shift_round

__all__ = ["F_FRAC", "F_BITS", "ExpTable", "InvSqrtTable", "exp_fixed", "exp_fixed_array",
           "softmax_fixed", "softmax_error_bound", "invsqrt_fixed", "invsqrt_fixed_array",
           "rmsnorm_fixed", "rmsnorm_error_bound", "rope_tables", "rope_rotate_pair",
           "rope_error_bound", "sigmoid_fixed", "silu_fixed", "silu_fixed_array",
           "silu_error_bound", "LOG2E_FRAC"]

F_FRAC = 20            # SFixed 12.20 fraction bits (seed 004, "Numeric formats")
F_BITS = 32            # SFixed 12.20 total width
LOG2E_FRAC = 30        # fraction bits of the log2(e) constant in the exp2 decomposition
_NEAR_UP = 1           # Rounding.NEAREST_UP: add half an LSB and shift (the RTL-cheap mode)


# ---------------------------------------------------------------------------------------
# exp(x) = 2**(x * log2 e) = 2**n * 2**f, n = floor, f in [0, 1) looked up in a LUT
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class ExpTable:
    """The exp2 LUT: ``2**(i / 2**lut_bits)`` for ``i`` in ``[0, 2**lut_bits)``.

    Args:
        lut_bits: log2 of the number of entries (seed: 256 entries, 8 bits).
        lut_frac_bits: fraction bits of each entry (values in [1, 2)).
        interpolate: linear interpolation between neighbouring entries (the upper end of
            the last interval is the constant 2.0, not a table entry).
    """

    lut_bits: int = 8          # 256 entries (seed 004, "Math primitives")
    lut_frac_bits: int = 20    # entries in Q1.20, like F
    interpolate: bool = True   # linear interpolation on the remaining fraction bits

    def __post_init__(self) -> None:
        if not 1 <= self.lut_bits <= F_FRAC:
            raise ConfigError(f"exp lut_bits {self.lut_bits} is outside 1..{F_FRAC}")
        if not F_FRAC <= self.lut_frac_bits <= 40:
            raise ConfigError(f"exp lut_frac_bits {self.lut_frac_bits} is outside "
                              f"{F_FRAC}..40")

    @property
    def entries(self) -> int:
        """Table entries."""
        return 1 << self.lut_bits

    def table(self) -> np.ndarray:
        """int64 ``(entries + 1,)``: the LUT plus the constant ``2.0`` at the end."""
        i = np.arange(self.entries + 1, dtype=np.float64)
        return np.rint(np.exp2(i / self.entries) * 2.0 ** self.lut_frac_bits).astype(np.int64)

    def lut_rel_error(self) -> float:
        """Bound on the error of the looked-up (and interpolated) ``2**f``, relative to
        ``2**f`` (and so to ``exp(x)``, since the error is scaled by ``2**n <= exp(x)``)."""
        h = 1.0 / self.entries
        entry = 2.0 ** -(self.lut_frac_bits + 1)
        if self.interpolate:
            # chord of 2**f over [f0, f0 + h]: at most (ln2 h)**2 / 8 * 2**(f0 + h); rounded
            # entries and the rounded interpolation step add one half-LSB each
            return (math.log(2) * h) ** 2 / 8 * 2.0 ** h + 2 * entry
        # nearest entry f0 within h/2: |2**f - 2**f0| <= 2**f * 2**(h/2) * (2**(h/2) - 1)
        return 2.0 ** (h / 2) * (2.0 ** (h / 2) - 1) + entry

    def error_bound(self, x: np.ndarray | float) -> np.ndarray:
        """Worst-case ``|exp_fixed(x) - exp(x)|`` (real units) for F inputs ``x <= 0``.

        Terms: the log2(e) constant (half an LSB of Q.30, times ``|x|``) and the rounding of
        ``y = x log2 e`` to F (half an LSB) move the exponent, ``exp(x) * ln2 * dy``; the
        LUT (:meth:`lut_rel_error`) scaled by ``2**n <= exp(x) * 2**dy``; the final shift
        into F, half an LSB. A 1% margin covers the second-order terms of these products.
        """
        xa = np.abs(np.asarray(x, dtype=np.float64))
        ex = np.exp(-xa)
        dy = xa * 2.0 ** -(LOG2E_FRAC + 1) + 2.0 ** -(F_FRAC + 1)
        rel = math.log(2) * dy + self.lut_rel_error()
        return ex * rel * 1.01 + 2.0 ** -(F_FRAC + 1)

    def max_error(self) -> float:
        """The largest :meth:`error_bound` over all F inputs ``x <= 0`` (attained near 0)."""
        xs = np.linspace(0.0, 4.0, 4097)
        return float(np.max(self.error_bound(-xs)))


LOG2E_Q = int(round(math.log2(math.e) * 2 ** LOG2E_FRAC))   # log2(e) in Q.30


@njit(cache=True)
def exp_fixed(x: int, lut: np.ndarray, lut_bits: int, lut_frac: int, interp: bool) -> int:
    """``exp(x)`` for an F (Q.20) integer ``x <= 0``, returned in F. Positive ``x`` -> exp(0).

    ``y = x * log2(e)`` (constant in Q.30), ``n = floor(y)``, ``f = y - n`` in [0, 1); the top
    ``lut_bits`` bits of ``f`` index the LUT, the rest interpolate (optional); the result
    ``2**n * LUT`` is one rounding right shift.
    """
    if x > 0:
        x = 0
    y = shift_round(np.int64(x) * LOG2E_Q, LOG2E_FRAC, _NEAR_UP)   # Q.20, <= 0
    n = y >> F_FRAC                                                 # floor, <= 0
    f = y - (n << F_FRAC)                                           # [0, 2**20)
    rb = F_FRAC - lut_bits
    if interp:
        idx = f >> rb
        r = f - (idx << rb)
        lo = lut[idx]
        v = lo + shift_round((lut[idx + 1] - lo) * r, rb, _NEAR_UP)
    else:
        idx = shift_round(f, rb, _NEAR_UP)                          # 0..2**lut_bits
        v = lut[idx]
    return shift_round(v, lut_frac - F_FRAC - n, _NEAR_UP)


@njit(cache=True)
def exp_fixed_array(x: np.ndarray, lut: np.ndarray, lut_bits: int, lut_frac: int,
                    interp: bool) -> np.ndarray:
    """Element-wise :func:`exp_fixed`."""
    out = np.empty(x.size, np.int64)
    for i in range(x.size):
        out[i] = exp_fixed(x[i], lut, lut_bits, lut_frac, interp)
    return out


# ---------------------------------------------------------------------------------------
# online softmax: one pass for (max, denominator) with rescaling, then p = exp(s - m) / d
# ---------------------------------------------------------------------------------------

@njit(cache=True)
def softmax_fixed(s: np.ndarray, lut: np.ndarray, lut_bits: int, lut_frac: int,
                  interp: bool) -> np.ndarray:
    """Numerically stable online softmax of F scores, probabilities in F.

    Pass 1 streams the scores once, keeping a running max ``m`` and denominator ``d``
    (``d <- d * exp(m_old - m_new) + 1`` on a new max, ``d += exp(s - m)`` otherwise);
    pass 2 emits ``exp(s_i - m) * (1/d)`` with one reciprocal (an integer division) per
    vector. State: two scalars, whatever the length.
    """
    one = np.int64(1) << F_FRAC
    m = np.int64(s[0])
    d = one
    for i in range(1, s.size):
        si = np.int64(s[i])
        if si > m:
            sc = exp_fixed(saturate(m - si, F_BITS, True, 0), lut, lut_bits, lut_frac, interp)
            d = shift_round(d * sc, F_FRAC, _NEAR_UP) + one
            m = si
        else:
            d += exp_fixed(saturate(si - m, F_BITS, True, 0), lut, lut_bits, lut_frac, interp)
    # reciprocal of d in Q.40 (d >= 1.0): one division, then multiplies and shifts
    rec = ((np.int64(1) << (2 * F_FRAC + F_FRAC)) + (d >> 1)) // d   # 2**60 / d, Q.40 / Q.20
    out = np.empty(s.size, np.int64)
    for i in range(s.size):
        e = exp_fixed(saturate(np.int64(s[i]) - m, F_BITS, True, 0), lut, lut_bits, lut_frac,
                      interp)
        out[i] = shift_round(e * rec, 2 * F_FRAC, _NEAR_UP)
    return out


def softmax_error_bound(p: np.ndarray, table: ExpTable) -> np.ndarray:
    """Worst-case ``|p_fixed - p|`` (real units) per element, given the exact probabilities.

    With ``n`` scores, ``eps = table.max_error()`` (absolute, each exp call) and
    ``P = max p``: every term of ``d`` carries at most ``(r + 1)`` exp errors (its own and
    one per later rescale, ``r <= n - 1``), each rescale adding half an F LSB times ``d``;
    so ``|d - D| <= n * (n * eps + n * 2**-21)`` in units where ``D >= 1`` (conservative),
    and ``p_i = e_i / d`` inherits ``eps / D + p_i |d - D| / D`` plus the two roundings of
    the reciprocal product (2**-20 together).
    """
    p = np.asarray(p, dtype=np.float64)
    n = p.size
    eps = table.max_error()
    dd = n * (n * eps + n * 2.0 ** -(F_FRAC + 1))
    big_d = 1.0 / max(float(np.max(p)), 1e-300)    # D = sum exp(s - m) = 1 / max p
    return eps / big_d + p * dd / big_d * 1.01 + 2.0 ** -F_FRAC


# ---------------------------------------------------------------------------------------
# inverse square root: LUT seed on the normalized mantissa + Newton-Raphson
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class InvSqrtTable:
    """The invsqrt seed LUT over mantissas in [1, 4) (two octaves, ``2**(lut_bits-1)`` each).

    Args:
        lut_bits: log2 of the number of entries (one bit picks the octave).
        frac_bits: fraction bits of the seed and of the Newton arithmetic (Q1.frac).
        newton_steps: Newton-Raphson iterations ``y <- y (3 - m y**2) / 2`` (seed: one).
    """

    lut_bits: int = 6          # 64 entries: one Newton step brings 2**-6 to ~2**-13
    frac_bits: int = 30        # Q1.30 seed and Newton datapath
    newton_steps: int = 1      # seed 004: "one Newton-Raphson iteration"

    def __post_init__(self) -> None:
        if not 2 <= self.lut_bits <= 16:
            raise ConfigError(f"invsqrt lut_bits {self.lut_bits} is outside 2..16")
        if not 16 <= self.frac_bits <= 30:
            raise ConfigError(f"invsqrt frac_bits {self.frac_bits} is outside 16..30")
        if not 0 <= self.newton_steps <= 3:
            raise ConfigError(f"invsqrt newton_steps {self.newton_steps} is outside 0..3")

    def table(self) -> np.ndarray:
        """int64 ``(2**lut_bits,)``: ``1/sqrt`` of each interval's geometric mid-point."""
        half = 1 << (self.lut_bits - 1)
        out = np.empty(2 * half, np.float64)
        for octave in (0, 1):
            lo = 2.0 ** octave * (1 + np.arange(half) / half)
            hi = 2.0 ** octave * (1 + (np.arange(half) + 1) / half)
            out[octave * half:(octave + 1) * half] = 1 / np.sqrt(np.sqrt(lo * hi))
        return np.rint(out * 2.0 ** self.frac_bits).astype(np.int64)

    def seed_rel_error(self) -> float:
        """Bound on the seed's relative error: ``(hi/lo)**(1/4) - 1`` (widest ratio: first
        interval of the first octave) plus the entry rounding."""
        half = 1 << (self.lut_bits - 1)
        return (1 + 1 / half) ** 0.25 - 1 + 2.0 ** -self.frac_bits

    def rel_error_bound(self) -> float:
        """Worst-case ``|y - 1/sqrt(v)| * sqrt(v)`` of :func:`invsqrt_fixed`.

        Newton from ``y = (1 + e)/sqrt(m)`` gives ``e' = -(3/2) e**2 - (1/2) e**3``; each
        step's three roundings add ``<= 4 * 2**-frac`` relative (y >= 1/2); normalizing a
        wide input to the mantissa (a right shift) adds ``2**-(frac+1)`` relative in m,
        half that in the result.
        """
        e = self.seed_rel_error()
        for _ in range(self.newton_steps):
            e = 1.5 * e * e + 0.5 * e ** 3 + 4 * 2.0 ** -self.frac_bits
        return e + 2.0 ** -(self.frac_bits + 2)


@njit(cache=True)
def invsqrt_fixed(v: int, lut: np.ndarray, lut_bits: int, frac: int,
                  newton_steps: int) -> tuple[int, int]:
    """``1/sqrt(v)`` for an integer ``v >= 1``: returns ``(y, k)`` with
    ``1/sqrt(v) ~= y * 2**-(frac + k)``, ``y`` in Q1.frac within [2**(frac-1), 2**frac].

    ``v = m * 4**k`` with ``m`` in [1, 4) (a leading-zero count); the octave bit and the
    next ``lut_bits - 1`` mantissa bits index the seed; Newton steps refine it.
    """
    L = bit_length(v) - 1
    k = L >> 1
    m = shift_round(np.int64(v), 2 * k - frac, _NEAR_UP)        # Q2.frac, [1, 4)
    one = np.int64(1) << frac
    hb = lut_bits - 1
    if m >= (one << 1):
        idx = (np.int64(1) << hb) + ((m - (one << 1)) >> (frac + 1 - hb))
    else:
        idx = (m - one) >> (frac - hb)
    if idx >= lut.size:          # m rounded up to exactly 4.0
        idx = lut.size - 1
    y = lut[idx]
    for _ in range(newton_steps):
        y2 = shift_round(y * y, frac, _NEAR_UP)                  # y**2, Q.frac
        my2 = shift_round(m * y2, frac, _NEAR_UP)                # m y**2 ~ 1
        y = shift_round(y * (3 * one - my2), frac + 1, _NEAR_UP)  # y (3 - m y**2) / 2
    return y, k


@njit(cache=True)
def invsqrt_fixed_array(v: np.ndarray, lut: np.ndarray, lut_bits: int, frac: int,
                        newton_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Element-wise :func:`invsqrt_fixed`: arrays of ``y`` and ``k``."""
    ys = np.empty(v.size, np.int64)
    ks = np.empty(v.size, np.int64)
    for i in range(v.size):
        ys[i], ks[i] = invsqrt_fixed(v[i], lut, lut_bits, frac, newton_steps)
    return ys, ks


# ---------------------------------------------------------------------------------------
# RMSNorm: mean square on a normalized 16-bit mantissa, invsqrt, scale, back to F
# ---------------------------------------------------------------------------------------

@njit(cache=True)
def rmsnorm_fixed(x: np.ndarray, g: np.ndarray, g_exp: int, eps_q: int, eps_frac: int,
                  lut: np.ndarray, lut_bits: int, frac: int, newton_steps: int,
                  norm_bits: int, rounding: int, out: np.ndarray) -> None:
    """``out = x / sqrt(mean(x**2) + eps) * w`` on F vectors, integers only.

    ``x`` (n,) F; ``g`` (n,) int mantissas of ``w * sqrt(n)`` with exponent ``g_exp`` (the
    ``sqrt(n)`` of the mean is folded in offline, so no division by ``n`` at run time);
    ``eps_q = round(n * eps * 2**eps_frac)``. ``x`` is first normalized to ``norm_bits``-bit
    mantissas ``xm * 2**e`` (exact left shift or rounded right shift), so ``sum xm**2`` fits
    int64 for any length below ``2**(63 - 2*(norm_bits-1))``. ``out`` is F, saturated.
    Needs ``norm_bits <= 16``, ``|g| < 2**15`` and ``frac <= 30`` (product below 2**61).
    """
    n = x.size
    amax = np.int64(0)
    for i in range(n):
        a = x[i] if x[i] >= 0 else -x[i]
        if a > amax:
            amax = a
    s = bit_length(amax) - (norm_bits - 1)
    if amax == 0:
        s = 0
    xm = np.empty(n, np.int64)
    ss = np.int64(0)
    for i in range(n):
        xm[i] = shift_round(np.int64(x[i]), s, rounding)        # |xm| <= 2**(norm_bits-1)
        ss += xm[i] * xm[i]
    e = s - F_FRAC                                              # x ~ xm * 2**e
    ss += shift_round(np.int64(eps_q), eps_frac + 2 * e, _NEAR_UP)   # n eps in ss units
    if ss < 1:
        ss = 1
    y, k = invsqrt_fixed(ss, lut, lut_bits, frac, newton_steps)     # 1/sqrt(ss) = y 2**-(frac+k)
    # out = xm 2**e * g 2**g_exp * y 2**-(frac+k) 2**-e, in F: shift by frac + k - g_exp - 20
    sh = frac + k - g_exp - F_FRAC
    for i in range(n):
        # |xm| <= 2**15, |g| < 2**15, y <= 2**30 (1 + 1e-4): the product stays below 2**61
        out[i] = saturate(shift_round(xm[i] * g[i] * y, sh, rounding), F_BITS, True, 0)


def rmsnorm_error_bound(x: np.ndarray, w: np.ndarray, eps: float, norm_bits: int,
                        g_bits: int, table: InvSqrtTable) -> np.ndarray:
    """Worst-case ``|out - x / rms(x) * w|`` per element (real units) of :func:`rmsnorm_fixed`.

    Sources: the mantissa ``xm`` (half an LSB of ``norm_bits`` relative to ``max|x|``), the
    PoT weight ``g`` (half an LSB of ``g_bits`` relative to ``max|g|``), the invsqrt
    (:meth:`InvSqrtTable.rel_error_bound`, plus the mean square's relative error from the
    ``xm`` rounding, halved by the square root), the product's two roundings and the final
    rounding to F.
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    n = x.size
    ms = float(np.mean(x * x))
    inv = 1.0 / math.sqrt(ms + eps)
    gs = w * math.sqrt(n)
    ax = max(float(np.max(np.abs(x))), 2.0 ** -F_FRAC)
    # half an LSB: the shift leaves max|xm| >= 2**(norm_bits-2), so LSB/2 <= max|x| 2**-(nb-1)
    dx = ax * 2.0 ** -(norm_bits - 1) + 2.0 ** -(F_FRAC + 1)
    dg = float(np.max(np.abs(gs))) / (2.0 ** (g_bits - 1) - 1)   # PoT half-LSB bound
    # relative error of sum(xm**2): <= 2 dx / rms-ish; bound by 2*dx*sqrt(n ss)/ss form
    ss = float(np.sum(x * x)) + n * eps
    d_ss = 2 * dx * math.sqrt(n * float(np.sum(x * x))) + n * dx * dx
    rel_ss = d_ss / ss + 2.0 ** -40
    rel_y = table.rel_error_bound() + 0.5 * rel_ss + 2.0 ** -(table.frac_bits)
    gsq = np.abs(gs) + dg
    invn = inv / math.sqrt(n)              # 1/sqrt(ss) in x units
    err = (np.abs(x) + dx) * gsq * invn * rel_y + dx * gsq * invn + np.abs(x) * dg * invn
    # the only rounding after the exact product: the shift into F
    return err * 1.01 + 2.0 ** -(F_FRAC + 1)


# ---------------------------------------------------------------------------------------
# RoPE: cos/sin tables (offline) and the integer rotation of one pair
# ---------------------------------------------------------------------------------------

def rope_tables(seq_len: int, head_size: int, theta: float,
                frac_bits: int = F_FRAC) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin tables ``(seq_len, head_size // 2)`` as int64 with ``frac_bits`` bits.

    Frequencies follow llama2.c run.c: ``theta ** -(2i / head_size)`` for pair ``i``;
    the angles are computed in float64 offline.
    """
    if head_size % 2:
        raise ConfigError(f"RoPE head_size {head_size} is odd")
    i = np.arange(head_size // 2, dtype=np.float64)
    freq = theta ** (-(2 * i) / head_size)
    ang = np.arange(seq_len, dtype=np.float64)[:, None] * freq[None, :]
    sc = 2.0 ** frac_bits
    return np.rint(np.cos(ang) * sc).astype(np.int64), np.rint(np.sin(ang) * sc).astype(np.int64)


@njit(cache=True, inline="always")
def rope_rotate_pair(a: int, b: int, c: int, s: int, frac: int,
                     rounding: int) -> tuple[int, int]:
    """Rotate the F pair ``(a, b)`` by the table entries ``(c, s)`` (``frac`` fraction bits)."""
    ra = shift_round(np.int64(a) * c - np.int64(b) * s, frac, rounding)
    rb = shift_round(np.int64(a) * s + np.int64(b) * c, frac, rounding)
    return saturate(ra, F_BITS, True, 0), saturate(rb, F_BITS, True, 0)


def rope_error_bound(a: np.ndarray, b: np.ndarray, frac_bits: int) -> np.ndarray:
    """Worst-case error of :func:`rope_rotate_pair` per output against the exact rotation
    of the same F inputs: each table entry is off by at most half an LSB, so
    ``(|a| + |b|) * 2**-(frac+1)``, plus half an F LSB for the final rounding."""
    return (np.abs(a) + np.abs(b)) * 2.0 ** -(frac_bits + 1) + 2.0 ** -(F_FRAC + 1)


# ---------------------------------------------------------------------------------------
# SiLU(x) = x * sigmoid(x), sigmoid from exp(-|x|) and one integer division
# ---------------------------------------------------------------------------------------

@njit(cache=True)
def sigmoid_fixed(x: int, lut: np.ndarray, lut_bits: int, lut_frac: int, interp: bool) -> int:
    """``sigmoid(x)`` in F for an F ``x``: ``1 / (1 + exp(-|x|))``, mirrored for ``x < 0``."""
    ax = x if x >= 0 else -x
    e = exp_fixed(-ax, lut, lut_bits, lut_frac, interp)          # (0, 1] in F
    den = (np.int64(1) << F_FRAC) + e
    sp = ((np.int64(1) << (2 * F_FRAC)) + (den >> 1)) // den     # Q.20, [0.5, 1]
    return sp if x >= 0 else (np.int64(1) << F_FRAC) - sp


@njit(cache=True)
def silu_fixed(x: int, lut: np.ndarray, lut_bits: int, lut_frac: int, interp: bool) -> int:
    """``x * sigmoid(x)`` in F."""
    sg = sigmoid_fixed(x, lut, lut_bits, lut_frac, interp)
    return shift_round(np.int64(x) * sg, F_FRAC, _NEAR_UP)


@njit(cache=True)
def silu_fixed_array(x: np.ndarray, lut: np.ndarray, lut_bits: int, lut_frac: int,
                     interp: bool) -> np.ndarray:
    """Element-wise :func:`silu_fixed`."""
    out = np.empty(x.size, np.int64)
    for i in range(x.size):
        out[i] = silu_fixed(x[i], lut, lut_bits, lut_frac, interp)
    return out


def silu_error_bound(x: np.ndarray, table: ExpTable) -> np.ndarray:
    """Worst-case ``|silu_fixed(x) - silu(x)|`` (real units) for F inputs ``x``.

    sigmoid's error: the exp error ``delta`` of ``exp(-|x|)`` moves ``1/(1+e)`` by at most
    ``delta`` (the derivative is below 1), plus half an LSB from the division; times
    ``|x|``, plus half an LSB from the final product.
    """
    x = np.asarray(x, dtype=np.float64)
    d_sig = table.error_bound(-np.abs(x)) + 2.0 ** -(F_FRAC + 1)
    return np.abs(x) * d_sig * 1.01 + 2.0 ** -(F_FRAC + 1)
