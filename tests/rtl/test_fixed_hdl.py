"""The decoder RTL's integer helpers against janus1.numerics, bit for bit (combinational
instances, every rounding mode, edge values and seeded random operands)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import require

require("amaranth")  # skips locally, fails under CI when missing

from amaranth.hdl import Module, Signal, signed, unsigned  # noqa: E402
from amaranth.sim import Simulator  # noqa: E402

from janus1.decoder.fixed_attention import mul_q20 as mul_q20_ref  # noqa: E402
from janus1.numerics.primitives import ExpTable, exp_fixed  # noqa: E402
from janus1.numerics.qformat import saturate as sat_ref  # noqa: E402
from janus1.numerics.qformat import shift_round  # noqa: E402
from janus1.rtl import _fixed_hdl as H  # noqa: E402


def _run_comb(m: Module, ins: list[Signal], out: Signal, cases: list[tuple[int, ...]]
              ) -> list[int]:
    got: list[int] = []
    sim = Simulator(m)

    async def tb(ctx) -> None:  # noqa: ANN001
        for c in cases:
            for s, v in zip(ins, c):
                ctx.set(s, v)
            got.append(ctx.get(out))

    sim.add_testbench(tb)
    sim.run()
    return got


def _edge_and_random(rng: random.Random, bits: int, n: int) -> list[int]:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    vals = [lo, lo + 1, -1, 0, 1, hi - 1, hi, -(1 << (bits - 2)), 1 << (bits - 2)]
    vals += [rng.randint(lo, hi) for _ in range(n)]
    return vals


@pytest.mark.parametrize("rounding", [0, 1, 2, 3])
def test_shift_fused_matches_shift_round_and_saturate(rounding: int) -> None:
    rng = random.Random(rounding)
    m = Module()
    v = Signal(signed(30))
    L = Signal(signed(9))
    out = Signal(signed(32))
    m.d.comb += out.eq(H.shift_fused(v, L, rounding, 32))
    cases = []
    for x in _edge_and_random(rng, 30, 60):
        for e in (-40, -31, -30, -29, -20, -3, -2, -1, 0, 1, 2, 5, 31, 32, 33, 60):
            if e <= 0 or abs(x).bit_length() + e <= 62:   # the golden's int64 holds it
                cases.append((x, e))
    got = _run_comb(m, [v, L], out, cases)
    want = [sat_ref(shift_round(np.int64(x), -e, rounding), 32, True, 0) for x, e in cases]
    assert got == want


@pytest.mark.parametrize("rounding", [0, 1, 2, 3])
def test_srl_round_const_matches(rounding: int) -> None:
    rng = random.Random(10 + rounding)
    for s in (1, 2, 7, 20, 23, 24, 30):
        m = Module()
        v = Signal(signed(24))
        out = Signal(signed(26))
        m.d.comb += out.eq(H.srl_round_const(v, s, rounding))
        cases = [(x,) for x in _edge_and_random(rng, 24, 40)]
        got = _run_comb(m, [v], out, cases)
        assert got == [shift_round(np.int64(x), s, rounding) for (x,) in cases], s


@pytest.mark.parametrize("rounding", [0, 1, 2, 3])
def test_mul_q20_matches(rounding: int) -> None:
    rng = random.Random(20 + rounding)
    m = Module()
    a = Signal(signed(40))
    sc = Signal(unsigned(21))
    out = Signal(signed(44))
    m.d.comb += out.eq(H.mul_q20(a, sc, rounding))
    cases = [(x, c) for x in _edge_and_random(rng, 40, 30)
             for c in (0, 1, 1 << 19, (1 << 20) - 1, 1 << 20, rng.randint(0, 1 << 20))]
    got = _run_comb(m, [a, sc], out, cases)
    assert got == [mul_q20_ref(np.int64(x), np.int64(c), rounding) for x, c in cases]


@pytest.mark.parametrize("lut_bits,lut_frac,interp", [(8, 20, True), (8, 20, False),
                                                      (6, 24, True), (4, 20, False),
                                                      (12, 30, True)])
def test_exp_unit_matches_exp_fixed(lut_bits: int, lut_frac: int, interp: bool) -> None:
    rng = random.Random(lut_bits * 7 + lut_frac)
    tab = ExpTable(lut_bits=lut_bits, lut_frac_bits=lut_frac, interpolate=interp).table()
    m = Module()
    x = Signal(signed(32))
    out = Signal(unsigned(lut_frac + 4))
    e, _ = H.exp_unit(m, x, {}, [int(t) for t in tab], lut_bits, lut_frac, interp, 0, "ex")
    m.d.comb += out.eq(e)
    xs = [0, 5, -1, -(1 << 20), -(1 << 31), (1 << 31) - 1, -1000, -(20 << 20), -(15 << 20)]
    xs += [rng.randint(-(1 << 24), 0) for _ in range(80)]
    xs += [rng.randint(-(1 << 31), 0) for _ in range(20)]
    got = _run_comb(m, [x], out, [(v,) for v in xs])
    assert got == [exp_fixed(np.int64(v), tab, lut_bits, lut_frac, interp) for v in xs]


def test_reg_plan_sums_and_spreads() -> None:
    for lat in range(0, 40):
        for stages in range(1, 40):
            p = H.reg_plan(lat, stages)
            assert sum(p) == lat and len(p) == stages
            if lat < stages:
                assert max(p) <= 1
