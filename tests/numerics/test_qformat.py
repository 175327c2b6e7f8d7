"""QFormat, shift_round and saturate: exact rounding per mode, error bounds, saturation."""

from fractions import Fraction
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from janus1.errors import ConfigError
from janus1.numerics import SFIXED_12_20, Overflow, QFormat, Rounding, saturate, shift_round

MODES = list(Rounding)


def _exact_round(num: Fraction, mode: Rounding) -> int:
    """Reference rounding of a rational, written from the definitions."""
    fl = math.floor(num)
    rem = num - fl
    if mode == Rounding.FLOOR:
        return fl
    if mode == Rounding.TRUNC:
        return math.trunc(num)
    if rem > Fraction(1, 2):
        return fl + 1
    if rem < Fraction(1, 2):
        return fl
    if mode == Rounding.NEAREST_UP:
        return fl + 1
    return fl if fl % 2 == 0 else fl + 1


@settings(max_examples=3000, deadline=None)
@given(v=st.integers(-(1 << 61), (1 << 61)), s=st.integers(-10, 62), mode=st.sampled_from(MODES))
def test_shift_round_equals_exact_rational_rounding(v, s, mode):
    # Given an integer and a shift inside the documented domain (|result| < 2**62),
    # when shifted with rounding, then it equals the exact rule
    assume(s > 0 or abs(v) << -s < 1 << 62)
    want = v << -s if s <= 0 else _exact_round(Fraction(v, 1 << s), mode)
    assert shift_round(v, s, int(mode)) == want


@settings(max_examples=2000, deadline=None)
@given(v=st.integers(-(1 << 40), 1 << 40), bits=st.integers(2, 32), signed=st.booleans())
def test_saturate_clamps_and_wrap_keeps_low_bits(v, bits, signed):
    lo = -(1 << (bits - 1)) if signed else 0
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    assert saturate(v, bits, signed, int(Overflow.SATURATE)) == min(max(v, lo), hi)
    w = saturate(v, bits, signed, int(Overflow.WRAP))
    assert lo <= w <= hi and (w - v) % (1 << bits) == 0


@settings(max_examples=2000, deadline=None)
@given(x=st.floats(-2048.0, 2047.999, allow_nan=False), mode=st.sampled_from(MODES))
def test_sfixed_12_20_quantize_error_within_bound_over_its_range(x, mode):
    raw = int(SFIXED_12_20.quantize(x, mode, Overflow.SATURATE))
    err = abs(raw * SFIXED_12_20.lsb - x)
    bound = SFIXED_12_20.error_bound(mode)
    assert err <= bound * (1 + 1e-12)
    if mode in (Rounding.NEAREST_EVEN, Rounding.NEAREST_UP):
        assert bound == 2.0 ** -21


@settings(max_examples=500, deadline=None)
@given(x=st.floats(-1e9, 1e9, allow_nan=False))
def test_saturation_clamps_to_the_range_ends(x):
    q = QFormat(int_bits=4, frac_bits=4)
    raw = int(q.quantize(x, Rounding.NEAREST_EVEN, Overflow.SATURATE))
    assert q.min_int <= raw <= q.max_int
    if x > q.max_value:
        assert raw == q.max_int
    if x < q.min_value:
        assert raw == q.min_int


def test_sfixed_12_20_is_32_bits_with_range_2048():
    assert SFIXED_12_20.bits == 32
    assert SFIXED_12_20.max_value == 2048 - 2.0 ** -20
    assert SFIXED_12_20.min_value == -2048


@settings(max_examples=500, deadline=None)
@given(raw=st.integers(-(1 << 31), (1 << 31) - (1 << 12) - 1), mode=st.sampled_from(MODES))
def test_requantize_round_trips_and_narrows_with_bounded_error(raw, mode):
    # inputs whose rounding cannot cross the top of the 12.8 range (saturation is tested apart)
    q8 = QFormat(int_bits=12, frac_bits=8)
    out = int(q8.requantize(np.array([raw]), 20, mode, Overflow.SATURATE)[0])
    assert abs(out * q8.lsb - raw * 2.0 ** -20) <= q8.error_bound(mode)
    back = int(SFIXED_12_20.requantize(np.array([out]), 8, mode, Overflow.SATURATE)[0])
    assert back == out << 12


def test_qformat_rejects_impossible_width():
    with pytest.raises(ConfigError, match=r"^QFormat width 70 bits is outside 1\.\.62"):
        QFormat(int_bits=40, frac_bits=30)
