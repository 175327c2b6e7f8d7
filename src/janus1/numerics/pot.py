"""Power-of-two (PoT) scaled integers: ``value = mantissa * 2**exponent``.

Seed 004 ("Numeric formats", "Scaling policy"): mantissas are ``Signed 8`` (INT8), exponents
``Signed 7`` clamped to ``[-64, 63]``; weights carry one static exponent per row (chosen
offline), activations one dynamic exponent per produced vector (chosen at run time from the
vector's largest magnitude, with integer operations only: a leading-zero count and a shift).

Mantissas are symmetric, ``[-(2**(b-1) - 1), 2**(b-1) - 1]``: the most negative code is never
produced, so ``|mantissa|`` always fits ``b - 1`` bits and product bounds stay tidy.

Error bounds (nearest rounding, no exponent clamping):
``|m * 2**e - x| <= 2**(e-1)``, with ``2**e`` the smallest power of two for which
``max|x| / 2**e`` rounds into the mantissa range, hence ``2**(e-1) < max|x| / (2**(b-1) - 1)``
(one exponent lower would still fit otherwise): ``|error| < max|x| / (2**(b-1) - 1)`` per
element, :func:`pot_error_bound`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..errors import ConfigError
from .qformat import Rounding, bit_length, shift_round

__all__ = ["POT_EXP_MIN", "POT_EXP_MAX", "PotTensor", "pot_quantize_rows",
           "pot_quantize_vector", "pot_quantize_vector_array", "pot_error_bound"]

#: Signed 7 exponent range (seed 004: "ExpS :: Signed 7 (clamped to [-64, 63])").
POT_EXP_MIN = -64
POT_EXP_MAX = 63


@dataclass(frozen=True, slots=True, kw_only=True)
class PotTensor:
    """A PoT-quantized tensor: integer mantissas and one exponent per row.

    Args:
        mantissa: integer mantissas, shape ``(..., n)`` (int8 when ``bits <= 8``, else int16).
        exponent: int8 exponents, shape ``(...)``: one per row (last axis).
        bits: mantissa width in bits, sign included.
        max_abs_error: the largest ``|dequantized - original|`` seen when quantizing.
    """

    mantissa: np.ndarray   # (..., n) int8 / int16
    exponent: np.ndarray   # (...) int8, in [POT_EXP_MIN, POT_EXP_MAX]
    bits: int              # mantissa width, sign included
    max_abs_error: float   # measured quantization error (offline, float64)

    def dequantize(self) -> np.ndarray:
        """Exact real values (float64) of the stored integers."""
        scale = np.ldexp(1.0, self.exponent.astype(np.int64))[..., None]
        return self.mantissa.astype(np.float64) * scale


def pot_quantize_rows(x: np.ndarray, bits: int = 8,
                      rounding: Rounding = Rounding.NEAREST_EVEN) -> PotTensor:
    """Quantize real rows offline with one static PoT exponent per row (last axis).

    The exponent is the smallest ``e`` in ``[-64, 63]`` with ``round(max|row| / 2**e) <=
    2**(bits-1) - 1``; all-zero rows get ``e = -64`` and zero mantissas.

    Args:
        x: float array ``(..., n)``.
        bits: mantissa width (2..16).
        rounding: NEAREST_EVEN or NEAREST_UP (float offline rounding).

    Returns:
        The :class:`PotTensor`, with the measured max error.

    Raises:
        ConfigError: ``bits`` outside 2..16.
    """
    if not 2 <= bits <= 16:
        raise ConfigError(f"PoT mantissa bits {bits} is outside 2..16")
    a = np.asarray(x, dtype=np.float64)
    qmax = (1 << (bits - 1)) - 1
    amax = np.max(np.abs(a), axis=-1)
    with np.errstate(divide="ignore"):
        e = np.where(amax > 0, np.ceil(np.log2(np.where(amax > 0, amax, 1.0) / qmax)),
                     POT_EXP_MIN)
    e = np.clip(e, POT_EXP_MIN, POT_EXP_MAX).astype(np.int64)

    def _round(v: np.ndarray) -> np.ndarray:
        return np.rint(v) if rounding == Rounding.NEAREST_EVEN else np.floor(v + 0.5)

    # log2 in float can land one below the true ceiling: bump rows whose max still overflows
    over = (_round(amax / np.ldexp(1.0, e)) > qmax) & (e < POT_EXP_MAX)
    e = e + over
    m = _round(a / np.ldexp(1.0, e)[..., None])
    m = np.clip(m, -qmax, qmax)
    dtype = np.int8 if bits <= 8 else np.int16
    deq = m * np.ldexp(1.0, e)[..., None]
    err = float(np.max(np.abs(deq - a))) if a.size else 0.0
    return PotTensor(mantissa=m.astype(dtype), exponent=e.astype(np.int8), bits=bits,
                     max_abs_error=err)


def pot_error_bound(max_abs: float, bits: int) -> float:
    """Worst-case per-element error of PoT quantization of a row with ``max|x| = max_abs``.

    With nearest rounding the error is at most half an LSB, ``2**(e-1)``, and the exponent
    choice gives ``2**(e-1) < max_abs / (2**(bits-1) - 1)`` (with ``e - 1`` the maximum would
    still have fitted). Valid when the exponent is not clamped to [-64, 63].
    """
    if max_abs <= 0:
        return 0.0
    return max_abs / ((1 << (bits - 1)) - 1)


@njit(cache=True)
def pot_quantize_vector(v: np.ndarray, ev: int, bits: int, rounding: int,
                        out: np.ndarray) -> int:
    """Dynamic per-vector PoT quantization with integer operations only.

    ``v * 2**ev`` (int64 values, e.g. SFixed 12.20 with ``ev = -20``) becomes
    ``out * 2**e`` with ``|out| <= 2**(bits-1) - 1``: a leading-zero count of ``max|v|`` gives
    the right shift ``s``, one more if rounding the maximum would overflow; no left shift
    (small vectors keep their exact integers). ``e`` is clamped to ``[-64, 63]``: below,
    the shift grows (precision lost); above, mantissas saturate.

    Error: ``|out * 2**e - v * 2**ev| <= 2**(e-1)`` (nearest modes) without clamping.

    Returns:
        The exponent ``e``.
    """
    qmax = (np.int64(1) << (bits - 1)) - 1
    amax = np.int64(0)
    for i in range(v.size):
        a = v[i] if v[i] >= 0 else -v[i]
        if a > amax:
            amax = a
    s = bit_length(amax) - (bits - 1)
    if s < 0:
        s = 0
    if s > 0 and shift_round(amax, s, rounding) > qmax:
        s += 1
    e = ev + s
    if e < POT_EXP_MIN:
        s += POT_EXP_MIN - e
        e = POT_EXP_MIN
    if e > POT_EXP_MAX:
        # out of the exponent range: keep e = 63 and saturate the mantissas
        s -= e - POT_EXP_MAX
        e = POT_EXP_MAX
    for i in range(v.size):
        m = shift_round(v[i], s, rounding)
        out[i] = qmax if m > qmax else (-qmax if m < -qmax else m)
    return e


@njit(cache=True)
def pot_quantize_vector_array(v: np.ndarray, ev: int, bits: int,
                              rounding: int) -> tuple[np.ndarray, int]:
    """:func:`pot_quantize_vector` returning a fresh int64 mantissa array and the exponent."""
    out = np.empty(v.size, np.int64)
    e = pot_quantize_vector(v, ev, bits, rounding, out)
    return out, e


