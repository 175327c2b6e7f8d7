"""The INT8 x INT16 -> INT32 multiply-accumulate and shift-only scale fusion.

Seed 004 ("MAC mapping"): one operand is promoted to 16 bits, products accumulate in a
32-bit register, PoT scales fuse by shifts, and narrowing back to activations saturates with
rounding. The accumulator is modelled with *enough guard bits*: :func:`acc_bits_needed`
gives the width for which no partial sum of ``n`` products can overflow, and
:func:`check_guard_bits` rejects a configuration that would need more than ``acc_bits``. With
that check, accumulating exactly in int64 and saturating once equals a saturating INT32
accumulator bit for bit, whatever the order of the sum.

Error: the dot product itself is exact; the only error is the narrowing
(:func:`fuse_to_fixed`), at most half an output LSB with the nearest modes (plus saturation
outside the target range).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..errors import ConfigError
from .qformat import saturate, shift_round

__all__ = ["acc_bits_needed", "check_guard_bits", "max_act_bits", "mac_dot", "matvec_acc",
           "fuse_to_fixed"]



def acc_bits_needed(a_bits: int, b_bits: int, n: int) -> int:
    """Signed accumulator width so that ``n`` products of symmetric mantissas never overflow.

    ``|a| <= 2**(a_bits-1) - 1`` and ``|b| <= 2**(b_bits-1) - 1`` give
    ``|sum| < n * 2**(a_bits + b_bits - 2)``: ``a_bits + b_bits - 1 + ceil(log2 n)`` bits,
    of which ``ceil(log2 n)`` are the guard bits.
    """
    guard = max(0, int(n - 1).bit_length())
    return a_bits + b_bits - 1 + guard


def check_guard_bits(a_bits: int, b_bits: int, n: int, acc_bits: int, what: str) -> None:
    """Raise :class:`ConfigError` when an ``acc_bits`` accumulator lacks guard bits.

    Raises:
        ConfigError: the dot product of length ``n`` could overflow.
    """
    need = acc_bits_needed(a_bits, b_bits, n)
    if need > acc_bits:
        raise ConfigError(f"{what}: INT{a_bits} x INT{b_bits} dot products of length {n} need "
                          f"a {need}-bit accumulator, more than acc_bits {acc_bits}")


def max_act_bits(weight_bits: int, acc_bits: int, fan_in: int, cap: int = 16) -> int:
    """Widest activation mantissa (<= ``cap``) whose MACs fit ``acc_bits`` with guard bits."""
    guard = max(0, int(fan_in - 1).bit_length())
    return min(cap, acc_bits - weight_bits + 1 - guard)


@njit(cache=True)
def mac_dot(a: np.ndarray, b: np.ndarray, acc_bits: int) -> int:
    """Exact dot product of two integer vectors, saturated to a signed ``acc_bits`` result."""
    acc = np.int64(0)
    for i in range(a.size):
        acc += np.int64(a[i]) * np.int64(b[i])
    return saturate(acc, acc_bits, True, 0)


@njit(cache=True)
def matvec_acc(w: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = sum_j w[i, j] * x[j]`` exactly in int64 (the accumulator registers).

    ``w`` is (rows, n) int8/int16 mantissas, ``x`` (n,) int64 mantissas. The caller has
    checked the guard bits, so no saturation is needed here.
    """
    rows, n = w.shape
    for i in range(rows):
        acc = np.int64(0)
        for j in range(n):
            acc += np.int64(w[i, j]) * x[j]
        out[i] = acc


@njit(cache=True, inline="always")
def fuse_to_fixed(acc: int, exp_sum: int, frac_bits: int, bits: int, rounding: int) -> int:
    """Shift-only scale fusion: ``acc * 2**exp_sum`` into a signed fixed format.

    The accumulator's real value is ``acc * 2**(e_w + e_x)``; the output has ``frac_bits``
    fraction bits in ``bits`` bits (SFixed 12.20: 20 and 32), rounded per ``rounding`` and
    saturated. Error: half an output LSB (nearest modes) inside the range.
    """
    return saturate(shift_round(acc, -(exp_sum + frac_bits), rounding), bits, True, 0)
