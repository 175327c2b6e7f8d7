"""PoT INT8 quantization (static rows, dynamic vectors) and the guarded INT8 x INT16 MAC."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from janus1.errors import ConfigError
from janus1.numerics import (POT_EXP_MAX, POT_EXP_MIN, Rounding, acc_bits_needed,
                             check_guard_bits, fuse_to_fixed, mac_dot, max_act_bits,
                             pot_error_bound, pot_quantize_rows, pot_quantize_vector_array,
                             shift_round)

_f = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=400, deadline=None)
@given(x=arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 40)), elements=_f),
       bits=st.sampled_from([4, 8, 16]))
def test_pot_rows_error_within_bound_and_exponents_signed7(x, bits):
    t = pot_quantize_rows(x, bits)
    qmax = (1 << (bits - 1)) - 1
    assert np.all(np.abs(t.mantissa.astype(np.int64)) <= qmax)
    assert np.all((t.exponent >= POT_EXP_MIN) & (t.exponent <= POT_EXP_MAX))
    err = np.abs(t.dequantize() - x)
    for r in range(x.shape[0]):
        amax = float(np.max(np.abs(x[r])))
        if amax > 2.0 ** -50:   # clear of the exponent clamp at -64
            assert err[r].max() <= pot_error_bound(amax, bits)
    assert t.max_abs_error == pytest.approx(float(err.max()), abs=0.0)


@settings(max_examples=1500, deadline=None)
@given(v=arrays(np.int64, st.integers(1, 64), elements=st.integers(-(1 << 40), 1 << 40)),
       ev=st.integers(-40, 10), bits=st.sampled_from([8, 12, 16]),
       mode=st.sampled_from([Rounding.NEAREST_EVEN, Rounding.NEAREST_UP]))
def test_dynamic_vector_exponent_error_is_half_an_lsb(v, ev, bits, mode):
    m, e = pot_quantize_vector_array(v, ev, bits, int(mode))
    qmax = (1 << (bits - 1)) - 1
    assert np.all(np.abs(m) <= qmax)
    assert POT_EXP_MIN <= e <= POT_EXP_MAX
    # exact comparison in integers at the input's scale (the exponent never decreases)
    assert e >= ev
    err = [abs(int(a) * 2 ** (e - ev) - int(b)) for a, b in zip(m, v)]
    assert max(err) * 2 <= 2 ** (e - ev)       # |m 2**e - v 2**ev| <= 2**(e-1)
    # the exponent is the smallest possible: one less would overflow the mantissa
    amax = int(np.max(np.abs(v)))
    if e > ev:
        assert shift_round(amax, e - 1 - ev, int(mode)) > qmax


@settings(max_examples=1000, deadline=None)
@given(n=st.integers(1, 512), data=st.data())
def test_mac_dot_is_exact_within_guard_bits(n, data):
    a = data.draw(arrays(np.int8, n, elements=st.integers(-127, 127)))
    b = data.draw(arrays(np.int16, n, elements=st.integers(-32767, 32767)))
    need = acc_bits_needed(8, 16, n)
    exact = sum(int(x) * int(y) for x, y in zip(a, b))
    assert abs(exact) < 2 ** (need - 1)
    assert mac_dot(a, b, need) == exact
    # with the seed's INT32 accumulator: exact whenever the guard bits suffice
    if need <= 32:
        assert mac_dot(a, b, 32) == exact


def test_guard_bits_for_stories260k_fan_ins_allow_int16_activations():
    # dim 64, hidden 172 (stories260K): ceil(log2 172) = 8 guard bits, 8+16-1+8 = 31 <= 32
    assert acc_bits_needed(8, 16, 172) == 31
    assert max_act_bits(8, 32, 172) == 16
    assert max_act_bits(8, 32, 768) == 15        # stories15M hidden 768: 10 guard bits
    with pytest.raises(ConfigError, match=r"^w2: INT8 x INT16 dot products of length 768 need "
                                          r"a 33-bit accumulator, more than acc_bits 32$"):
        check_guard_bits(8, 16, 768, 32, "w2")


@settings(max_examples=2000, deadline=None)
@given(acc=st.integers(-(1 << 31), (1 << 31) - 1), es=st.integers(-40, 5))
def test_shift_only_scale_fusion_error_is_half_an_f_lsb(acc, es):
    out = fuse_to_fixed(acc, es, 20, 32, int(Rounding.NEAREST_UP))
    real = acc * 2.0 ** es
    if abs(real) < 2047:
        assert abs(out * 2.0 ** -20 - real) <= 2.0 ** -21
    else:
        assert -(1 << 31) <= out <= (1 << 31) - 1
