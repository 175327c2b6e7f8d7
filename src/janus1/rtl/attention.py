"""``AttentionKernel``: seed 004's streaming attention kernel (M1) in Amaranth.

One query head over the K and V RAM rows ``0..pos`` in a single pass with the online
softmax, bit-exact with :func:`janus1.decoder.fixed_attention.attend_head` (every rounding
mode, the exp2 LUT with or without interpolation, the exact rounded integer division), in
the cycles of :func:`janus1.hw.blocks.attention_cycles`. ``start`` is seen at cycle 0;
``Kb``/``Vb`` are the K and V beats of a row, ``R = max(Kb, Vb)``:

- ``start`` latches the query mantissas ``q_m``, its exponent ``q_e`` and ``pos`` (the
  registers, cleared state: row 0 overwrites the running max, and its rescale factor 0
  clears the denominator and the accumulators); after ``attention.q_latch`` cycles an issue
  counter reads K row ``t`` beat ``b`` at cycle ``q_latch + t R + b`` and V row ``t`` beat
  ``b`` ``v_offset`` cycles later (:func:`janus1.hw.blocks.attention_v_offset`), each RAM
  on its own read port (``kv_ram.read_latency`` cycles, its exponent from a side RAM);
- the score: ``Ek`` INT``q_bits`` x INT``k_bits`` products per K beat against a rotating
  query register, the adder tree, a partial sum over the row's beats, the fused shift
  by ``q_e + k_e[t]`` into F, saturated; ``attention.score_latency - (Kb - 1)`` registers
  for the last beat, so the score is ready ``score_latency`` cycles after beat 0's data;
- the softmax: the running max register (a one-cycle recurrence), ``s - m`` or ``m - s``
  saturated, ``attention.softmax_latency`` registers, the exp2 unit
  (``lut.exp2_latency`` registers over its four steps: log2(e) multiply, LUT, interpolation,
  shift); the weight ``w`` and rescale ``sc`` meet V row ``t``'s first beat;
- the update: per V beat ``Ev`` lanes of ``acc = mul_q20(acc, sc) + round(w v / 2**20)``
  on a rotating accumulator register (and ``d = mul_q20(d, sc) + w`` on the first beat),
  ``attention.update_latency`` cycles (the last one the accumulator register);
- the tail: from the cycle the last update is visible, one element per cycle into the
  divider's operand register (``acc * 2**20 + d // 2``; ``d`` stays in its register,
  unchanged until done), the
  ``lut.divider_latency`` registers spread over the radix-2 divider's 34 steps (sign,
  overflow, 31 quotient bits, sign and saturation), then the output register:
  ``out_valid``/``out_index``/``out_data``; ``done`` rises with the last element.

Widths: K/V elements INT``k_bits``/INT``v_bits``; scores, ``m``, ``w``, ``sc`` and the outputs
in F; the accumulators ``AttentionParams.acc_hw_bits`` and the denominator
``d_hw_bits`` (bounds in their docstrings). V exponents are taken in
``-F_FRAC <= v_e <= AttentionParams.v_shift_max - F_FRAC``, the range the KV writer
(``pot_quantize_vector`` of a saturated F row) produces; everything else in full range.

The K/V RAMs (and their exponent side RAMs) live here with a write port each; their
contents can also be set by a testbench (``k_mem``, ``v_mem``, ``ke_mem``, ``ve_mem``).
A ``start`` while busy is ignored.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..hw.blocks import attention_v_offset
from ..numerics.qformat import Rounding
from ._fixed_hdl import (F_FRAC, Stager, delay, exp_unit, mul_q20, reg_plan, saturate,
                         shift_fused, srl_round_const)
from .decoder_blocks import AttentionParams

__all__ = ["AttentionKernel", "DIVIDER_STEPS"]

DIVIDER_STEPS = 34      # sign, overflow, 31 quotient bits, sign + saturation


def _bits(n: int) -> int:
    """Bits of an index 0..n-1."""
    return max(1, (n - 1).bit_length())


class AttentionKernel(wiring.Component):
    """The streaming attention kernel for :class:`AttentionParams` (module docstring)."""

    def __init__(self, p: AttentionParams) -> None:
        self.p = p
        hs, S = p.head_size, p.seq_len
        fx = p.fixed
        self.Kb, self.Vb = p.k_beats, p.v_beats
        self.R = max(self.Kb, self.Vb)
        self.Ek, self.Ev = p.k_per_beat, p.v_per_beat
        self.pw = _bits(S)
        self.k_mem = Memory(shape=data.ArrayLayout(signed(fx.k_bits), self.Ek),
                            depth=S * self.Kb, init=[])
        self.v_mem = Memory(shape=data.ArrayLayout(signed(fx.v_bits), self.Ev),
                            depth=S * self.Vb, init=[])
        self.ke_mem = Memory(shape=signed(8), depth=S, init=[])
        self.ve_mem = Memory(shape=signed(8), depth=S, init=[])
        super().__init__({
            "start": In(1),
            "pos": In(self.pw),
            "q_m": In(data.ArrayLayout(signed(p.q_bits), hs)),
            "q_e": In(signed(8)),
            "k_we": In(1), "k_addr": In(_bits(S * self.Kb)),
            "k_data": In(data.ArrayLayout(signed(fx.k_bits), self.Ek)),
            "v_we": In(1), "v_addr": In(_bits(S * self.Vb)),
            "v_data": In(data.ArrayLayout(signed(fx.v_bits), self.Ev)),
            "e_we": In(1), "e_addr": In(self.pw), "ke_data": In(signed(8)),
            "ve_data": In(signed(8)),
            "busy": Out(1),
            "out_valid": Out(1),
            "out_index": Out(_bits(hs)),
            "out_data": Out(signed(32)),
            "done": Out(1),
        })

    def elaborate(self, platform: object) -> Module:  # noqa: C901 (one pipeline, in order)
        m = Module()
        p = self.p
        fx, dp = p.fixed, p.datapath
        hs = p.head_size
        Kb, Vb, R, Ek, Ev = self.Kb, self.Vb, self.R, self.Ek, self.Ev
        rnd = int(Rounding[fx.rounding])
        QL = dp.attention.q_latch
        RL = dp.kv_ram.read_latency
        SL = dp.attention.score_latency
        SML = dp.attention.softmax_latency
        UL = dp.attention.update_latency
        EL = dp.lut.exp2_latency
        DL = dp.lut.divider_latency
        v_off = attention_v_offset(dp)
        AW, DW = p.acc_hw_bits, p.d_hw_bits
        ONE = 1 << F_FRAC

        # ---- the RAMs: written from outside, read by the kernel ----
        for name, mem, we, addr, dat in (
                ("k_mem", self.k_mem, self.k_we, self.k_addr, self.k_data),
                ("v_mem", self.v_mem, self.v_we, self.v_addr, self.v_data),
                ("ke_mem", self.ke_mem, self.e_we, self.e_addr, self.ke_data),
                ("ve_mem", self.ve_mem, self.e_we, self.e_addr, self.ve_data)):
            m.submodules[name] = mem
            wp = mem.write_port()
            m.d.comb += [wp.en.eq(we), wp.addr.eq(addr), wp.data.eq(dat)]

        # ---- start: latch q, q_e, pos ----
        busy = Signal()
        go0 = self.start & ~busy
        q_rot = [[Signal(signed(p.q_bits), name=f"q_{g}_{ln}") for ln in range(Ek)]
                 for g in range(Kb)]
        qe_r = Signal(signed(8))
        pos_r = Signal(self.pw)
        with m.If(go0):
            m.d.sync += [qe_r.eq(self.q_e), pos_r.eq(self.pos)]
            m.d.sync += [q_rot[g][ln].eq(self.q_m[g * Ek + ln])
                         for g in range(Kb) for ln in range(Ek)]
        go = delay(m, go0, QL, "go")
        pos_now = Mux(go0, self.pos, pos_r)

        # ---- issue: K row t beat b at q_latch + t R + b ----
        active = Signal()
        t_reg = Signal(self.pw)
        b_reg = Signal(_bits(R))
        issuing = go | active
        cur_t = Mux(go, 0, t_reg)
        cur_b = Mux(go, 0, b_reg)
        last_b = cur_b == R - 1
        last_t = cur_t == pos_now
        with m.If(issuing):
            with m.If(last_b):
                m.d.sync += [b_reg.eq(0), t_reg.eq(cur_t + 1), active.eq(~last_t)]
            with m.Else():
                m.d.sync += [b_reg.eq(cur_b + 1), t_reg.eq(cur_t), active.eq(1)]
        kr = self.k_mem.read_port()
        ker = self.ke_mem.read_port()
        m.d.comb += [kr.addr.eq(cur_t * Kb + cur_b), ker.addr.eq(cur_t)]
        st = Stager(m, "att_")
        kfl = st.regs({"v": issuing & (cur_b < Kb), "first": cur_b == 0,
                       "last": cur_b == Kb - 1, "row0": cur_t == 0}, 1)
        kv = {**kfl, "ke": ker.data, **{f"k{i}": kr.data[i] for i in range(Ek)}}
        kv = st.regs(kv, RL - 1)

        # ---- V issue: v_offset cycles after K ----
        vfl = {"v": issuing & (cur_b < Vb), "t": cur_t, "b": cur_b, "first": cur_b == 0,
               "end": last_t & (cur_b == Vb - 1)}
        vfl = st.regs(vfl, v_off)
        vr = self.v_mem.read_port()
        ver = self.ve_mem.read_port()
        m.d.comb += [vr.addr.eq(vfl["t"] * Vb + vfl["b"]), ver.addr.eq(vfl["t"])]
        vd = st.regs({k: vfl[k] for k in ("v", "first", "end")}, 1)
        vd = {**vd, "ve": ver.data, **{f"v{i}": vr.data[i] for i in range(Ev)}}
        vd = st.regs(vd, RL - 1)

        # ---- score: products, tree + partial over beats, fused shift; SL - Kb + 1 regs ----
        plan = reg_plan(SL - (Kb - 1), 3)
        with m.If(kv["v"]):
            m.d.sync += [q_rot[g][ln].eq(q_rot[(g + 1) % Kb][ln])
                         for g in range(Kb) for ln in range(Ek)]
        side = ("v", "first", "last", "row0", "ke")
        a = {k: kv[k] for k in side}
        a.update({f"p{i}": q_rot[0][i] * kv[f"k{i}"] for i in range(Ek)})
        a = st.regs(a, plan[0])
        terms = [a[f"p{i}"] for i in range(Ek)]
        while len(terms) > 1:
            terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
                     for i in range(0, len(terms), 2)]
        dot_w = p.q_bits + fx.k_bits + hs.bit_length() + 1
        partial = Signal(signed(dot_w))
        pnext = Signal(signed(dot_w))
        m.d.comb += pnext.eq(Mux(a["first"], 0, partial) + terms[0])
        with m.If(a["v"]):
            m.d.sync += partial.eq(pnext)
        b = st.regs({**{k: a[k] for k in side}, "dot": pnext}, plan[1])
        L = qe_r + b["ke"] + Const(F_FRAC, signed(8))
        s_val = shift_fused(b["dot"], L, rnd, 32)
        c = st.regs({"v": b["v"] & b["last"], "row0": b["row0"], "s": s_val}, plan[2])

        # ---- softmax: running max (one-cycle recurrence), then the exp2 unit ----
        m_reg = Signal(signed(32))
        s = c["s"]
        gt = s > m_reg
        first = c["row0"]
        with m.If(c["v"]):
            m.d.sync += m_reg.eq(Mux(first | gt, s, m_reg))
        diff = saturate(Mux(gt, m_reg - s, s - m_reg), 32)
        sm = st.regs({"v": c["v"], "first": first, "gt": gt, "x": diff}, SML)
        tab = [int(x) for x in fx.exp_table.table()]
        e, eside = exp_unit(m, sm["x"], {k: sm[k] for k in ("v", "first", "gt")}, tab,
                            fx.exp_lut_bits, fx.exp_lut_frac_bits, fx.exp_interpolate, EL,
                            "exp")
        e21 = e[:F_FRAC + 1]
        w_now = Mux(eside["first"] | eside["gt"], ONE, e21)
        sc_now = Mux(eside["first"], 0, Mux(eside["gt"], e21, ONE))
        w_reg = Signal(unsigned(F_FRAC + 1))
        sc_reg = Signal(unsigned(F_FRAC + 1))
        w_cur = Signal(unsigned(F_FRAC + 1))
        sc_cur = Signal(unsigned(F_FRAC + 1))
        m.d.comb += [w_cur.eq(Mux(eside["v"], w_now, w_reg)),
                     sc_cur.eq(Mux(eside["v"], sc_now, sc_reg))]
        m.d.sync += [w_reg.eq(w_cur), sc_reg.eq(sc_cur)]

        # ---- update: w v products (update_latency - 1 stages), then the accumulators ----
        smax = p.v_shift_max
        sh_raw = vd["ve"] + Const(F_FRAC, signed(8))
        sh = Mux(sh_raw < 0, 0, Mux(sh_raw > smax, smax, sh_raw))[:max(1, smax.bit_length())]
        u = {"v": vd["v"], "first": vd["first"], "end": vd["end"], "w": w_cur, "sc": sc_cur}
        for i in range(Ev):
            u[f"y{i}"] = srl_round_const((w_cur * vd[f"v{i}"]) << sh, F_FRAC, rnd)
        u = st.regs(u, UL - 1)
        acc = [[Signal(signed(AW), name=f"acc_{g}_{ln}") for ln in range(Ev)]
               for g in range(Vb)]
        d_reg = Signal(signed(DW + 1))
        with m.If(u["v"]):
            new = [(mul_q20(acc[0][ln], u["sc"], rnd) + u[f"y{ln}"])[:AW].as_signed()
                   for ln in range(Ev)]
            rot = acc[1:] + [new]
            m.d.sync += [acc[g][ln].eq(rot[g][ln]) for g in range(Vb) for ln in range(Ev)]
            with m.If(u["first"]):
                m.d.sync += d_reg.eq(mul_q20(d_reg, u["sc"], rnd) + u["w"])
        drain_go = Signal()
        m.d.sync += drain_go.eq(u["v"] & u["end"])

        # ---- tail: one element per cycle through the divider ----
        drain = Signal()
        j_reg = Signal(_bits(hs))
        cur_j = Mux(drain_go, 0, j_reg)
        draining = drain_go | drain
        with m.If(draining):
            m.d.sync += [j_reg.eq(cur_j + 1), drain.eq(cur_j != hs - 1)]
        flat = Array([acc[g][ln] for g in range(Vb) for ln in range(Ev)])
        sel = flat[cur_j]
        num_w = AW + F_FRAC + 2
        num = Signal(signed(num_w))
        m.d.comb += num.eq((sel << F_FRAC) + (d_reg >> 1))
        ops = st.regs({"v": draining, "last": cur_j == hs - 1, "j": cur_j, "num": num}, 1)
        # d is stable from the last update until done (a start while busy is ignored), so
        # the divider's stages read the register itself rather than a copy per stage
        dq = self._divider(m, st, ops, d_reg[:DW], DW, num_w, DL)
        outr = st.regs(dq, 1)
        m.d.comb += [self.out_valid.eq(outr["v"]), self.out_index.eq(outr["j"]),
                     self.out_data.eq(outr["q"]), self.done.eq(outr["v"] & outr["last"])]

        # ---- busy from start until done ----
        with m.If(go0):
            m.d.sync += busy.eq(1)
        with m.Elif(outr["v"] & outr["last"]):
            m.d.sync += busy.eq(0)
        m.d.comb += self.busy.eq(busy)
        return m

    @staticmethod
    def _divider(m: Module, st: Stager, ops: dict, d: Value, DW: int, num_w: int,
                 DL: int) -> dict:
        """``saturate(floor(num / d), 32)`` for ``d >= 1`` in :data:`DIVIDER_STEPS` steps
        with ``DL`` registers spread over them (restoring, radix 2)."""
        plan = reg_plan(DL, DIVIDER_STEPS)
        side = {k: ops[k] for k in ("v", "last", "j")}
        num = ops["num"]
        # step: sign; floor(n / d) = -floor((-n + d - 1) / d) for n < 0
        neg = num < 0
        U = Mux(neg, -num + d - 1, num)[:num_w]
        x = st.regs({**side, "neg": neg, "U": U}, plan[0])
        # step: overflow when the quotient reaches 2**31 (it saturates)
        ovf = x["U"] >= (d << 31)
        rem = Mux(ovf, 0, x["U"])[:DW + 31]
        x = st.regs({**side_of(x), "neg": x["neg"], "ovf": ovf, "rem": rem,
                     "q": Const(0, 1)}, plan[1])
        for i, k in enumerate(range(30, -1, -1)):
            dk = d << k
            ge = x["rem"] >= dk
            rem = Mux(ge, x["rem"] - dk, x["rem"])[:DW + k]
            q = Cat(ge, x["q"]) if i else ge
            x = st.regs({**side_of(x), "neg": x["neg"], "ovf": x["ovf"], "rem": rem,
                         "q": q}, plan[2 + i])
        qv = x["q"][:31]
        pos_q = Mux(x["ovf"], (1 << 31) - 1, qv)
        neg_q = -Mux(x["ovf"], Const(1 << 31, unsigned(32)), qv)
        out = Mux(x["neg"], neg_q, pos_q)[:32].as_signed()
        return st.regs({**side_of(x), "q": out}, plan[DIVIDER_STEPS - 1])


def side_of(x: dict) -> dict:
    """The control values that travel with a pipeline's data."""
    return {k: x[k] for k in ("v", "last", "j")}
