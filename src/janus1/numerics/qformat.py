"""Fixed-point formats with explicit rounding and overflow modes.

A :class:`QFormat` names a two's-complement (or unsigned) fixed-point format by its integer
and fraction bits, as Clash's ``SFixed int frac`` does: ``SFixed 12 20`` is
``QFormat(int_bits=12, frac_bits=20)``, 32 bits in all, the sign bit counted among the
integer bits, range ``[-2048, 2048 - 2**-20]``.

Rounding and overflow are enum arguments, never globals. The integer kernels here
(:func:`shift_round`, :func:`saturate`) are numba-compiled scalars used by every other
fixed-point routine, so the decoder, the primitives and the tests share one definition.

Worst-case error of :meth:`QFormat.quantize` against the real value ``x`` inside the range:
``2**-(frac_bits+1)`` for the two nearest modes, ``< 2**-frac_bits`` for ``TRUNC`` and
``FLOOR``; outside the range, ``SATURATE`` clamps to the nearest end (error = distance to the
range) and ``WRAP`` keeps the low ``bits`` bits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..errors import ConfigError

__all__ = ["Rounding", "Overflow", "QFormat", "SFIXED_12_20", "shift_round", "saturate",
           "shift_round_array", "saturate_array", "bit_length"]


class Rounding(enum.IntEnum):
    """How bits dropped on a right shift (narrowing) are rounded."""

    NEAREST_EVEN = 0  # to nearest, ties to even (IEEE default; unbiased)
    NEAREST_UP = 1    # to nearest, ties toward +inf: add half an LSB, then shift (cheapest in RTL)
    TRUNC = 2         # toward zero (sign-magnitude truncation)
    FLOOR = 3         # toward -inf: a plain arithmetic shift right


class Overflow(enum.IntEnum):
    """What happens when a value does not fit the target width."""

    SATURATE = 0  # clamp to the largest / smallest representable value
    WRAP = 1      # keep the low bits (two's-complement wrap-around)


@njit(cache=True, inline="always")
def shift_round(v: int, s: int, rounding: int) -> int:
    """``v * 2**-s`` as an integer: a right shift by ``s`` rounded per ``rounding``.

    ``s <= 0`` is an exact left shift. Works on int64 scalars; the caller keeps
    ``|v| < 2**62`` so that nothing overflows.
    """
    if s <= 0:
        return v << (-s)
    if s >= 63:
        # everything is shifted out: only the rounding of the sign survives
        if rounding == 3:
            return -1 if v < 0 else 0
        return 0
    q = v >> s                          # floor
    rem = v - (q << s)                  # 0 <= rem < 2**s
    half = np.int64(1) << (s - 1)
    if rounding == 3:                   # FLOOR
        return q
    if rounding == 2:                   # TRUNC: toward zero
        if v < 0 and rem != 0:
            return q + 1
        return q
    if rounding == 1:                   # NEAREST_UP: ties toward +inf
        return q + 1 if rem >= half else q
    # NEAREST_EVEN
    if rem > half or (rem == half and (q & 1) == 1):
        return q + 1
    return q


@njit(cache=True, inline="always")
def saturate(v: int, bits: int, signed: bool, overflow: int) -> int:
    """Fit integer ``v`` into ``bits`` bits (two's complement if ``signed``)."""
    if signed:
        lo = -(np.int64(1) << (bits - 1))
        hi = (np.int64(1) << (bits - 1)) - 1
    else:
        lo = np.int64(0)
        hi = (np.int64(1) << bits) - 1
    if lo <= v <= hi:
        return v
    if overflow == 0:
        return hi if v > hi else lo
    m = v & ((np.int64(1) << bits) - 1)
    if signed and m > hi:
        m -= np.int64(1) << bits
    return m


@njit(cache=True, inline="always")
def bit_length(v: int) -> int:
    """Number of bits of ``|v|`` (0 for 0), as a count-leading-zeros unit gives it."""
    a = -v if v < 0 else v
    n = 0
    while a > 0:
        a >>= 1
        n += 1
    return n


@njit(cache=True)
def shift_round_array(v: np.ndarray, s: np.ndarray, rounding: int) -> np.ndarray:
    """Element-wise :func:`shift_round` (int64 arrays of one shape, or ``s`` broadcast 1-D)."""
    out = np.empty(v.size, np.int64)
    vf = v.ravel()
    sf = s.ravel()
    for i in range(vf.size):
        out[i] = shift_round(vf[i], sf[i if sf.size > 1 else 0], rounding)
    return out.reshape(v.shape)


@njit(cache=True)
def saturate_array(v: np.ndarray, bits: int, signed: bool, overflow: int) -> np.ndarray:
    """Element-wise :func:`saturate`."""
    out = np.empty(v.size, np.int64)
    vf = v.ravel()
    for i in range(vf.size):
        out[i] = saturate(vf[i], bits, signed, overflow)
    return out.reshape(v.shape)


@dataclass(frozen=True, slots=True, kw_only=True)
class QFormat:
    """A fixed-point format: ``int_bits`` integer bits (sign included) and ``frac_bits``.

    Args:
        int_bits: integer bits, the sign bit included when ``signed``.
        frac_bits: fraction bits; the LSB weighs ``2**-frac_bits``.
        signed: two's complement (True) or unsigned.
    """

    int_bits: int       # integer bits, sign bit included if signed
    frac_bits: int      # fraction bits
    signed: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.bits <= 62:
            raise ConfigError(f"QFormat width {self.bits} bits is outside 1..62 "
                              f"(int_bits {self.int_bits} + frac_bits {self.frac_bits})")

    @property
    def bits(self) -> int:
        """Total width in bits."""
        return self.int_bits + self.frac_bits

    @property
    def lsb(self) -> float:
        """Value of one least significant bit."""
        return 2.0 ** -self.frac_bits

    @property
    def min_int(self) -> int:
        """Smallest raw integer."""
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max_int(self) -> int:
        """Largest raw integer."""
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    @property
    def min_value(self) -> float:
        """Smallest representable real value."""
        return self.min_int * self.lsb

    @property
    def max_value(self) -> float:
        """Largest representable real value."""
        return self.max_int * self.lsb

    def error_bound(self, rounding: Rounding) -> float:
        """Worst-case ``|quantize(x) - x|`` for ``x`` inside the range (offline, in float)."""
        if rounding in (Rounding.NEAREST_EVEN, Rounding.NEAREST_UP):
            return self.lsb / 2
        return self.lsb

    def quantize(self, x: np.ndarray | float, rounding: Rounding,
                 overflow: Overflow) -> np.ndarray:
        """Real values to raw integers (offline: weights, tables, test inputs).

        Args:
            x: real values (float64 is exact for the scaling by ``2**frac_bits``).
            rounding: how the dropped fraction is rounded.
            overflow: what happens out of range.

        Returns:
            int64 array of raw integers in ``[min_int, max_int]`` (or wrapped).
        """
        a = np.asarray(x, dtype=np.float64) * (2.0 ** self.frac_bits)
        if rounding == Rounding.NEAREST_EVEN:
            r = np.rint(a)
        elif rounding == Rounding.NEAREST_UP:
            r = np.floor(a + 0.5)
        elif rounding == Rounding.TRUNC:
            r = np.trunc(a)
        else:
            r = np.floor(a)
        # clip far outside int64 first; the real overflow policy follows on integers
        r = np.clip(r, -2.0 ** 62, 2.0 ** 62).astype(np.int64)
        return saturate_array(np.atleast_1d(r), self.bits, self.signed,
                              int(overflow)).reshape(np.shape(a))

    def to_float(self, raw: np.ndarray | int) -> np.ndarray:
        """Raw integers to their exact real values (float64 is exact up to 53 bits)."""
        return np.asarray(raw, dtype=np.float64) * self.lsb

    def requantize(self, raw: np.ndarray, src_frac_bits: int, rounding: Rounding,
                   overflow: Overflow) -> np.ndarray:
        """Integers with ``src_frac_bits`` fraction bits to this format, integers only."""
        v = np.atleast_1d(np.asarray(raw, dtype=np.int64))
        s = np.array([src_frac_bits - self.frac_bits], np.int64)
        out = shift_round_array(v, s, int(rounding))
        return saturate_array(out, self.bits, self.signed, int(overflow)).reshape(np.shape(raw))


#: The seed's scalar format ``F = SFixed 12 20`` (seed 004, "Numeric formats").
SFIXED_12_20 = QFormat(int_bits=12, frac_bits=20, signed=True)
