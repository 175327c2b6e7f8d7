"""``MatvecEngine``: seed 004's shared MAC engine (M2) in Amaranth.

``out = W x`` for one matrix of the weight ROM, bit-exact with
``janus1.decoder.fixed_ref._matvec_f``: ``P = mac.lanes`` INT8 x INT``act_bits`` products
per cycle along one weight row, an adder tree, the row accumulator (``acc_bits``, enough
by the guard-bit check), then the rounding, saturating shift by the fused exponent
``w_e[row] + x_e`` into F (SFixed 12.20, 32 bits).

Timing (``start`` seen at cycle 0; :func:`janus1.hw.blocks.matvec_cycles`): the issue
counter addresses ROM word ``base + k`` at cycle ``k + 1`` (the start register), the
synchronous ROM and the x RAM return it ``weights.read_latency`` cycles later, then
``mac.pipeline_depth`` multiplier stages (operand register, product), the tree
(``mac.adder_tree_latency`` registers spread over its levels), the accumulator
(``mac.accumulate_latency``: its register, any more after it) and the write-back shift
(``mac.writeback_latency``). Row ``r``'s result leaves as ``out_valid``/``out_row``/
``out_data`` at cycle ``(r + 1) * beats + fill``; ``done`` rises with the last row's
result, at ``rows * beats + fill``, the contract's count.

Ports: ``start`` with ``base`` (ROM word of row 0), ``ebase`` (exponent ROM entry of row
0), ``rows``, ``beats`` (words per row) and ``x_e`` (the activation vector's PoT exponent),
sampled at start; ``x_we``/``x_addr``/``x_data`` write the activation RAM (one word of
``P`` mantissas per beat) before start. The ROMs' contents are the boot image's
(:class:`janus1.rtl.decoder_blocks.WeightRom`). A ``start`` while busy is ignored.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..decoder.fixed_ref import FixedConfig
from ..hw.datapath import DatapathSpec
from ..numerics.qformat import Rounding
from ._fixed_hdl import F_FRAC, Stager, reg_plan, shift_fused
from .decoder_blocks import WeightRom

__all__ = ["MatvecEngine"]


def _bits(n: int) -> int:
    return max(1, (n - 1).bit_length()) if n > 1 else 1


class MatvecEngine(wiring.Component):
    """The MAC engine over ``rom`` (see the module docstring)."""

    def __init__(self, fixed: FixedConfig, dp: DatapathSpec, rom: WeightRom,
                 act_bits: int) -> None:
        self.fixed = fixed
        self.dp = dp
        self.rom = rom
        self.act_bits = act_bits
        P = dp.mac.lanes
        if rom.lanes != P:
            raise ValueError(f"ROM has {rom.lanes} lanes, the engine {P}")
        self.n_words = rom.words.shape[0]
        self.n_rows = rom.exps.shape[0]
        self.max_beats = max(mm.beats for mm in rom.mats)
        self.aw = _bits(self.n_words)
        self.ew = _bits(self.n_rows)
        self.rw = max(mm.rows for mm in rom.mats).bit_length()
        self.bw = max(1, self.max_beats.bit_length())
        self.xaw = _bits(self.max_beats)
        # memories made here so a testbench can reach their contents
        self.w_mem = Memory(shape=unsigned(8 * P), depth=self.n_words, init=rom.word_ints())
        self.e_mem = Memory(shape=signed(8), depth=self.n_rows,
                            init=[int(e) for e in rom.exps])
        self.x_mem = Memory(shape=data.ArrayLayout(signed(act_bits), P), depth=self.max_beats,
                            init=[])
        super().__init__({
            "start": In(1),
            "base": In(self.aw),
            "ebase": In(self.ew),
            "rows": In(self.rw),
            "beats": In(self.bw),
            "x_e": In(signed(8)),
            "x_we": In(1),
            "x_addr": In(self.xaw),
            "x_data": In(data.ArrayLayout(signed(act_bits), P)),
            "busy": Out(1),
            "out_valid": Out(1),
            "out_row": Out(self.rw),
            "out_data": Out(signed(32)),
            "done": Out(1),
        })

    def elaborate(self, platform: object) -> Module:
        m = Module()
        dp, fx = self.dp, self.fixed
        mac = dp.mac
        P = mac.lanes
        rnd = int(Rounding[fx.rounding])
        m.submodules.w_mem = self.w_mem
        m.submodules.e_mem = self.e_mem
        m.submodules.x_mem = self.x_mem
        xw = self.x_mem.write_port()
        m.d.comb += [xw.addr.eq(self.x_addr), xw.data.eq(self.x_data), xw.en.eq(self.x_we)]

        # ---- issue: one ROM word per cycle from the cycle after start ----
        active = Signal()
        waddr = Signal(self.aw)
        eaddr = Signal(self.ew)
        beat = Signal(self.bw)
        row = Signal(self.rw)
        rows_r = Signal(self.rw)
        beats_r = Signal(self.bw)
        xe_r = Signal(signed(8))
        with m.If(self.start & ~active):
            m.d.sync += [active.eq(1), waddr.eq(self.base), eaddr.eq(self.ebase), beat.eq(0),
                         row.eq(0), rows_r.eq(self.rows), beats_r.eq(self.beats),
                         xe_r.eq(self.x_e)]
        last_beat = beat == beats_r - 1
        last_row = row == rows_r - 1
        with m.If(active):
            m.d.sync += waddr.eq(waddr + 1)
            with m.If(last_beat):
                m.d.sync += [beat.eq(0), row.eq(row + 1), eaddr.eq(eaddr + 1)]
                with m.If(last_row):
                    m.d.sync += active.eq(0)
            with m.Else():
                m.d.sync += beat.eq(beat + 1)
        m.d.comb += self.busy.eq(active)

        # ---- read: ROM word, exponent and x word (synchronous, read_latency in all) ----
        wr = self.w_mem.read_port()
        er = self.e_mem.read_port()
        xr = self.x_mem.read_port()
        m.d.comb += [wr.addr.eq(waddr), er.addr.eq(eaddr), xr.addr.eq(beat)]
        RL = dp.weights.read_latency
        st = Stager(m, "mv_")
        flags = {"v": active, "first": active & (beat == 0), "last": active & last_beat,
                 "lastrow": active & last_beat & last_row, "row": row, "xe": xe_r}
        flags = st.regs(flags, 1)                  # aligned with the RAMs' output
        vals = {**flags, "w": wr.data, "e": er.data}
        vals.update({f"x{i}": xr.data[i] for i in range(P)})
        vals = st.regs(vals, RL - 1)

        # ---- multiply: operand register, product (mac.pipeline_depth registers) ----
        side = ("v", "first", "last", "lastrow", "row", "e", "xe")
        plan = reg_plan(mac.pipeline_depth, 2)
        wl = [vals["w"][8 * i:8 * i + 8].as_signed() for i in range(P)]
        xl = [vals[f"x{i}"] for i in range(P)]
        ops = {k: vals[k] for k in side}
        ops.update({f"w{i}": wl[i] for i in range(P)})
        ops.update({f"x{i}": xl[i] for i in range(P)})
        ops = st.regs(ops, plan[0])
        prods = {k: ops[k] for k in side}
        prods.update({f"p{i}": ops[f"w{i}"] * ops[f"x{i}"] for i in range(P)})
        prods = st.regs(prods, plan[1])

        # ---- adder tree: ceil(log2 P) levels, mac.adder_tree_latency registers ----
        terms = [prods[f"p{i}"] for i in range(P)]
        levels = max(1, (P - 1).bit_length())
        tplan = reg_plan(mac.adder_tree_latency, levels)
        sidev = {k: prods[k] for k in side}
        for lv in range(levels):
            if len(terms) > 1:
                terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
                         for i in range(0, len(terms), 2)]
            tv = {**sidev, **{f"t{i}": t for i, t in enumerate(terms)}}
            tv = st.regs(tv, tplan[lv])
            sidev = {k: tv[k] for k in side}
            terms = [tv[f"t{i}"] for i in range(len(terms))]
        tree = terms[0]

        # ---- accumulate: the row accumulator register (+ accumulate_latency - 1) ----
        acc = Signal(signed(fx.acc_bits))
        acc_next = Mux(sidev["first"], 0, acc) + tree
        a_fl = {k: sidev[k] for k in side}
        with m.If(sidev["v"]):
            m.d.sync += acc.eq(acc_next[:fx.acc_bits].as_signed())
        a_fl = st.regs(a_fl, 1)
        av = st.regs({**a_fl, "acc": acc}, mac.accumulate_latency - 1)

        # ---- write back: the fused PoT shift into F, saturated to 32 bits ----
        L = av["e"] + av["xe"] + Const(F_FRAC, signed(8))
        y = shift_fused(av["acc"], L, rnd, 32)
        wb = st.regs({"v": av["v"] & av["last"], "lastrow": av["lastrow"], "row": av["row"],
                      "y": y}, mac.writeback_latency)
        m.d.comb += [self.out_valid.eq(wb["v"]), self.out_row.eq(wb["row"]),
                     self.out_data.eq(wb["y"]), self.done.eq(wb["v"] & wb["lastrow"])]
        return m
