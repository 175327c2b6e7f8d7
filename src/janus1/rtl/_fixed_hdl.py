"""Amaranth building blocks shared by the decoder's RTL (imported only when a block is built).

The golden models' integer operations in hardware, each bit-exact with
:mod:`janus1.numerics.qformat` for the operand widths the caller states:

- :func:`srl_round_const` / :func:`srl_round_var`: ``shift_round(v, s, rounding)`` for a
  right shift ``s >= 0`` (a constant, or a variable clamped by the caller);
- :func:`shift_fused`: ``saturate(shift_round(v, -L, rounding), bits)`` for a signed
  exponent ``L`` (left shift when ``L >= 0``), the PoT narrowing of every matvec and score;
- :func:`mul_q20`: :func:`janus1.decoder.fixed_attention.mul_q20`;
- :func:`exp_unit`: :func:`janus1.numerics.primitives.exp_fixed` with its LUT as a ROM;
- :func:`reg_plan` / :class:`Stager`: pipeline registers placed over a chain of
  combinational steps so a block has exactly the latency its ``DatapathSpec`` states.

Clamping shift amounts is exact: a left shift of a nonzero value by ``bits`` or more
saturates anyway, and a right shift by the operand's width or more gives what any larger
shift gives (0, or -1 when rounding toward -inf), as ``shift_round``'s ``s >= 63`` branch.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib.memory import Memory

__all__ = ["reg_plan", "Stager", "delay", "saturate", "srl_round_const", "srl_round_var",
           "shift_fused", "mul_q20", "exp_unit", "round_inc"]

F_FRAC = 20
_NEAREST_EVEN, _NEAREST_UP, _TRUNC, _FLOOR = 0, 1, 2, 3


def reg_plan(latency: int, stages: int) -> list[int]:
    """Registers after each of ``stages`` combinational steps, ``latency`` in all: one after
    each step while there are enough (the rest after the last), else spread evenly."""
    if stages < 1:
        raise ValueError("reg_plan needs at least one stage")
    if latency >= stages:
        plan = [1] * stages
        plan[-1] += latency - stages
        return plan
    plan = [0] * stages
    for k in range(latency):
        plan[((k + 1) * stages) // latency - 1] += 1
    return plan


class Stager:
    """Registers a dict of values ``n`` times (a pipeline stage boundary)."""

    def __init__(self, m: Module, prefix: str) -> None:
        self.m = m
        self.prefix = prefix
        self.n = 0

    def regs(self, vals: dict[str, Value], n: int) -> dict[str, Value]:
        for _ in range(n):
            new = {}
            for k, v in vals.items():
                v = Value.cast(v)
                s = Signal(v.shape(), name=f"{self.prefix}{self.n}_{k}")
                self.m.d.sync += s.eq(v)
                new[k] = s
            vals = new
            self.n += 1
        return vals


def delay(m: Module, v: Value, n: int, name: str) -> Value:
    """``v`` through ``n`` registers."""
    v = Value.cast(v)
    for i in range(n):
        s = Signal(v.shape(), name=f"{name}_d{i}")
        m.d.sync += s.eq(v)
        v = s
    return v


def saturate(v: Value, bits: int) -> Value:
    """Signed ``v`` clamped to ``bits`` bits (``numerics.qformat.saturate``, SATURATE)."""
    v = Value.cast(v)
    hi = (1 << (bits - 1)) - 1
    lo = -(1 << (bits - 1))
    if v.shape().signed and len(v) <= bits:
        return v
    return Mux(v > hi, Const(hi, signed(bits)),
               Mux(v < lo, Const(lo, signed(bits)), v[:bits].as_signed()))


def round_inc(q_lsb: Value, half: Value, sticky: Value, neg: Value, rounding: int) -> Value:
    """The 0/1 added to the floor quotient by ``shift_round``'s rounding mode."""
    if rounding == _NEAREST_UP:
        return half
    if rounding == _NEAREST_EVEN:
        return half & (sticky | q_lsb)
    if rounding == _TRUNC:
        return neg & (half | sticky)
    return Const(0, 1)


def srl_round_const(v: Value, s: int, rounding: int) -> Value:
    """``shift_round(v, s, rounding)`` for a constant ``s >= 0`` (signed or unsigned v)."""
    v = Value.cast(v)
    if s <= 0:
        return v if s == 0 else (v << -s)
    sgn = v.shape().signed
    w = len(v)
    if s >= w - 1:                  # extend so the slices below exist (sign or zero)
        top = v[w - 1] if sgn else Const(0, 1)
        v = Cat(v, *[top] * (s + 2 - w))
        v = v.as_signed() if sgn else v
        w = len(v)
    q = v[s:].as_signed() if sgn else v[s:]
    half = v[s - 1]
    sticky = v[:s - 1].any() if s > 1 else Const(0, 1)
    neg = v[w - 1] if sgn else Const(0, 1)
    return q + round_inc(q[0], half, sticky, neg, rounding)


def srl_round_var(v: Value, a: Value, rounding: int) -> Value:
    """``shift_round(v, a, rounding)`` for a variable ``a >= 0``, ``a <= len(v)``."""
    v = Value.cast(v)
    sgn = v.shape().signed
    v2 = Cat(Const(0, 1), v)
    v2 = v2.as_signed() if sgn else v2
    t = v2 >> a                      # arithmetic for signed v
    half = t[0]
    q = t[1:].as_signed() if sgn else t[1:]
    w2 = len(v2)
    mask = Cat(*[a > i for i in range(w2)])
    sticky = (v2.as_unsigned() & mask).any()
    neg = v[len(v) - 1] if sgn else Const(0, 1)
    return q + round_inc(q[0], half, sticky, neg, rounding)


def shift_fused(v: Value, L: Value, rounding: int, bits: int) -> Value:
    """``saturate(shift_round(v, -L, rounding), bits)``: ``v * 2**L`` for a signed ``L``."""
    v = Value.cast(v)
    w = len(v)
    left = L >= 0
    la = Mux(L > bits, bits, L)[:max(1, bits.bit_length())]
    ra = Mux(-L > w, w, -L)[:max(1, w.bit_length())]
    lv = v << la
    rv = srl_round_var(v, ra, rounding)
    return saturate(Mux(left, lv, rv), bits)


def mul_q20(a: Value, sc: Value, rounding: int) -> Value:
    """``round(a * sc / 2**20)`` as ``fixed_attention.mul_q20``: ``a = hi * 2**20 + lo``,
    ``hi * sc + shift_round(lo * sc, 20)`` (``lo * sc >= 0``)."""
    a = Value.cast(a)
    hi = a[F_FRAC:].as_signed()
    lo = a[:F_FRAC]
    return hi * sc + srl_round_const(lo * sc, F_FRAC, rounding)


def exp_unit(m: Module, x: Value, side: dict[str, Value], table: list[int], lut_bits: int,
             lut_frac: int, interp: bool, latency: int, name: str
             ) -> tuple[Value, dict[str, Value]]:
    """``exp_fixed(x)`` for an F input through ``latency`` registers (4 steps: the log2(e)
    multiply, the LUT read, the interpolation, the final shift). ``side`` values travel
    alongside. Returns the F result (unsigned) and the delayed side values."""
    from ..numerics.primitives import LOG2E_FRAC, LOG2E_Q

    plan = reg_plan(latency, 4)
    st = Stager(m, f"{name}_")
    rb = F_FRAC - lut_bits
    # step 1: y = round(min(x, 0) * log2(e)) in Q.20 (NEAREST_UP, as exp_fixed)
    xc = Mux(x > 0, 0, x)
    y = srl_round_const(xc * Const(LOG2E_Q, unsigned(LOG2E_Q.bit_length())), LOG2E_FRAC,
                        _NEAREST_UP)
    vals = st.regs({**side, "_xy": y}, plan[0])
    y = vals["_xy"]
    # step 2: n = floor(y), f = y - n in [0, 1): the LUT index (and the interpolation weight)
    n = y[F_FRAC:].as_signed()
    f = y[:F_FRAC]
    entries = len(table)
    vw = max(table).bit_length()
    rom = Memory(shape=unsigned(vw), depth=entries, init=table)
    m.submodules[f"{name}_lut"] = rom
    p_lo = rom.read_port(domain="comb")
    if interp:
        p_hi = rom.read_port(domain="comb")
        idx = f[rb:] if rb > 0 else f
        m.d.comb += [p_lo.addr.eq(idx), p_hi.addr.eq(idx + 1)]
        r = f[:rb] if rb > 0 else Const(0, 1)
        vals = st.regs({**{k: vals[k] for k in side}, "_xn": n, "_xlo": p_lo.data,
                        "_xhi": p_hi.data, "_xr": r}, plan[1])
        # step 3: v = lo + round((hi - lo) * r / 2**rb)
        diff = (vals["_xhi"] - vals["_xlo"])
        v = vals["_xlo"] + (srl_round_const(diff * vals["_xr"], rb, _NEAREST_UP) if rb > 0 else 0)
    else:
        idx = srl_round_const(f, rb, _NEAREST_UP) if rb > 0 else f     # 0..entries-1
        m.d.comb += p_lo.addr.eq(idx)
        vals = st.regs({**{k: vals[k] for k in side}, "_xn": n, "_xlo": p_lo.data}, plan[1])
        v = vals["_xlo"]
    vals = st.regs({**{k: vals[k] for k in side}, "_xn": vals["_xn"], "_xv": v}, plan[2])
    # step 4: out = round(v * 2**(n - (lut_frac - 20))), n <= 0
    amt = Const(lut_frac - F_FRAC, unsigned(16)) - vals["_xn"]           # >= lut_frac - 20
    cap = lut_frac + 3                                                 # v < 2**(lut_frac+2)
    a = Mux(amt > cap, cap, amt)[:cap.bit_length()]
    vv = vals["_xv"]
    out = srl_round_var(vv, a, _NEAREST_UP)
    vals = st.regs({**{k: vals[k] for k in side}, "_xout": out}, plan[3])
    return vals["_xout"], {k: vals[k] for k in side}
