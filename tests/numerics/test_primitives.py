"""Each fixed-point primitive's measured error stays within its documented bound over its
whole input range: exhaustive sweeps where the range allows, strided sweeps over the full
SFixed 12.20 range, and hypothesis for the rest."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from janus1.numerics import (ExpTable, InvSqrtTable, exp_fixed_array, invsqrt_fixed_array,
                             pot_quantize_rows, rmsnorm_error_bound, rmsnorm_fixed,
                             rope_error_bound, rope_rotate_pair, rope_tables, silu_error_bound,
                             silu_fixed_array, softmax_error_bound, softmax_fixed)

F = 2.0 ** -20
F_MIN = -(1 << 31)
TABLES = [ExpTable(), ExpTable(interpolate=False), ExpTable(lut_bits=12, lut_frac_bits=30)]


def _exp_check(x: np.ndarray, t: ExpTable) -> float:
    q = exp_fixed_array(x, t.table(), t.lut_bits, t.lut_frac_bits, t.interpolate) * F
    xf = x * F
    return float(np.max(np.abs(q - np.exp(xf)) / t.error_bound(xf)))


@pytest.mark.parametrize("t", TABLES, ids=["lut256-interp", "lut256-nearest", "lut4096-q30"])
def test_exp_within_bound_exhaustively_near_zero_and_strided_over_the_f_range(t):
    # every F input in [-4, 0] (4M values), then every 1021st input down to -2048
    near = np.arange(-(4 << 20), 1, dtype=np.int64)
    far = np.arange(F_MIN, 0, 1021, dtype=np.int64)
    assert _exp_check(near, t) <= 1.0
    assert _exp_check(far, t) <= 1.0


def test_exp_bound_values_documented_for_the_seed_table():
    # 256 entries with interpolation: (ln2/256)**2/8 + 3 half-LSBs of Q.20 ~ 2.7e-6 absolute
    # near 0; nearest entry: 2**(1/512) - 1 ~ 1.36e-3
    assert 2.5e-6 < ExpTable().max_error() < 3e-6
    assert 1.3e-3 < ExpTable(interpolate=False).max_error() < 1.4e-3


@settings(max_examples=2000, deadline=None)
@given(x=st.integers(F_MIN, 0), t=st.sampled_from(TABLES))
def test_exp_within_bound_anywhere(x, t):
    assert _exp_check(np.array([x], np.int64), t) <= 1.0


@settings(max_examples=400, deadline=None)
@given(s=arrays(np.float64, st.integers(1, 64), elements=st.floats(-60, 60, width=64)),
       ordered=st.sampled_from([None, "up", "down"]))
def test_online_softmax_within_bound(s, ordered):
    # increasing scores force a rescale at every step (the worst case for the running sum)
    if ordered == "up":
        s = np.sort(s)
    elif ordered == "down":
        s = -np.sort(-s)
    t = ExpTable()
    si = np.round(s / F).astype(np.int64)
    sf = si * F
    p = np.exp(sf - sf.max())
    p /= p.sum()
    q = softmax_fixed(si, t.table(), t.lut_bits, t.lut_frac_bits, t.interpolate) * F
    assert np.all(np.abs(q - p) <= softmax_error_bound(p, t))


ISQ = [InvSqrtTable(), InvSqrtTable(lut_bits=8), InvSqrtTable(lut_bits=4, newton_steps=2)]


@pytest.mark.parametrize("t", ISQ, ids=["lut64-1nr", "lut256-1nr", "lut16-2nr"])
def test_invsqrt_within_relative_bound_exhaustively_and_over_all_magnitudes(t):
    lut = t.table()
    v = np.concatenate([np.arange(1, 1 << 20, dtype=np.int64),         # every small input
                        np.arange(1 << 40, (1 << 40) + (1 << 22), 3, dtype=np.int64)])
    y, k = invsqrt_fixed_array(v, lut, t.lut_bits, t.frac_bits, t.newton_steps)
    got = y * np.exp2(-(t.frac_bits + k).astype(np.float64))
    rel = np.abs(got * np.sqrt(v.astype(np.float64)) - 1)
    assert rel.max() <= t.rel_error_bound()


@settings(max_examples=2000, deadline=None)
@given(v=st.integers(1, (1 << 62) - 1), t=st.sampled_from(ISQ))
def test_invsqrt_within_relative_bound_anywhere(v, t):
    y, k = invsqrt_fixed_array(np.array([v], np.int64), t.table(), t.lut_bits, t.frac_bits,
                               t.newton_steps)
    got = int(y[0]) * 2.0 ** -(t.frac_bits + int(k[0]))
    assert abs(got * math.sqrt(v) - 1) <= t.rel_error_bound()


def test_one_newton_step_squares_the_seed_error():
    # 64-entry seed: (1 + 1/32)**0.25 - 1 = 7.7e-3; one step: 1.5 e**2 = 9.0e-5
    t = InvSqrtTable()
    assert 7.6e-3 < t.seed_rel_error() < 7.8e-3
    assert 8.8e-5 < t.rel_error_bound() < 9.2e-5


@settings(max_examples=300, deadline=None)
@given(n=st.sampled_from([8, 64, 172, 288]), scale=st.sampled_from([1e-4, 1e-2, 1.0, 30.0, 1000.0]),
       seed=st.integers(0, 2**31))
def test_rmsnorm_within_bound(n, scale, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n) * scale
    w = rng.standard_normal(n)
    t = InvSqrtTable()
    xi = np.clip(np.round(x / F), F_MIN, -F_MIN - 1).astype(np.int64)
    xf = xi * F
    g = pot_quantize_rows((w * math.sqrt(n))[None], 16)
    out = np.empty(n, np.int64)
    rmsnorm_fixed(xi, g.mantissa[0].astype(np.int64), int(g.exponent[0]),
                  int(round(n * 1e-5 * 2**40)), 40, t.table(), t.lut_bits, t.frac_bits,
                  t.newton_steps, 16, 1, out)
    ref = xf / np.sqrt(np.mean(xf * xf) + 1e-5) * w
    assert np.all(np.abs(out * F - ref) <= rmsnorm_error_bound(xf, w, 1e-5, 16, 16, t))


@settings(max_examples=2000, deadline=None)
@given(a=st.integers(F_MIN, -F_MIN - 1), b=st.integers(F_MIN, -F_MIN - 1),
       pos=st.integers(0, 511), i=st.integers(0, 3))
def test_rope_rotation_within_bound(a, b, pos, i):
    cos, sin = rope_tables(512, 8, 10000.0)
    ang = pos * 10000.0 ** (-(2 * i) / 8)
    ra, rb = rope_rotate_pair(a, b, int(cos[pos, i]), int(sin[pos, i]), 20, 1)
    af, bf = a * F, b * F
    ea, eb = af * math.cos(ang) - bf * math.sin(ang), af * math.sin(ang) + bf * math.cos(ang)
    bound = float(rope_error_bound(np.array(af), np.array(bf), 20))
    for got, want in ((ra, ea), (rb, eb)):
        if abs(want) < 2047:           # outside F the rotation saturates
            assert abs(got * F - want) <= bound


def test_silu_within_bound_over_the_f_range():
    t = ExpTable()
    lut = t.table()
    for x in (np.arange(-(16 << 20), 16 << 20, 7, dtype=np.int64),     # dense near 0
              np.arange(F_MIN, -F_MIN - 1, 4099, dtype=np.int64)):       # the whole range
        q = silu_fixed_array(x, lut, t.lut_bits, t.lut_frac_bits, t.interpolate) * F
        xf = x * F
        with np.errstate(over="ignore"):
            ref = xf / (1 + np.exp(-xf))
        assert np.all(np.abs(q - ref) <= silu_error_bound(xf, t))


@settings(max_examples=2000, deadline=None)
@given(x=st.integers(F_MIN, -F_MIN - 1))
def test_silu_within_bound_anywhere(x):
    t = ExpTable()
    q = silu_fixed_array(np.array([x], np.int64), t.table(), 8, 20, True)[0] * F
    xf = x * F
    ref = xf / (1 + math.exp(-xf)) if xf > -700 else 0.0
    assert abs(q - ref) <= float(silu_error_bound(np.array(xf), t))
