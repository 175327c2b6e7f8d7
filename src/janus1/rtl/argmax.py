"""``ArgmaxScan``: the classifier as a streamed vocabulary scan with a running argmax (M3).

The logits leave the :class:`~janus1.rtl.matvec.MatvecEngine` one row at a time; each meets
the running (max, index) register as it leaves the write-back stage. Row 0 loads it, a
later row replaces it only when strictly greater: the first maximum wins, as
:func:`janus1.decoder.fixed_ref.scan_argmax`. ``argmax_latency`` registers follow the
compare-select (0: the last row's compare is combinational); ``done`` rises at
``matvec_cycles(vocab, dim) + argmax_latency`` (:func:`janus1.hw.blocks.argmax_cycles`)
with ``index`` and ``value`` (the winning logit in F). The engine's ports (``start``,
``base``, ``ebase``, ``rows``, ``beats``, ``x_e``, the activation RAM's write port) are
this block's.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..decoder.fixed_ref import FixedConfig
from ..hw.datapath import DatapathSpec
from ._fixed_hdl import Stager
from .decoder_blocks import WeightRom
from .matvec import MatvecEngine

__all__ = ["ArgmaxScan"]


class ArgmaxScan(wiring.Component):
    """Running argmax over the engine's output rows (module docstring)."""

    def __init__(self, fixed: FixedConfig, dp: DatapathSpec, rom: WeightRom,
                 act_bits: int) -> None:
        self.engine = MatvecEngine(fixed, dp, rom, act_bits)
        self.dp = dp
        e = self.engine
        super().__init__({
            "start": In(1),
            "base": In(e.aw),
            "ebase": In(e.ew),
            "rows": In(e.rw),
            "beats": In(e.bw),
            "x_e": In(signed(8)),
            "x_we": In(1),
            "x_addr": In(e.xaw),
            "x_data": In(data.ArrayLayout(signed(act_bits), dp.mac.lanes)),
            "busy": Out(1),
            "index": Out(e.rw),
            "value": Out(signed(32)),
            "done": Out(1),
        })

    def elaborate(self, platform: object) -> Module:
        m = Module()
        e = self.engine
        m.submodules.engine = e
        m.d.comb += [e.start.eq(self.start), e.base.eq(self.base), e.ebase.eq(self.ebase),
                     e.rows.eq(self.rows), e.beats.eq(self.beats), e.x_e.eq(self.x_e),
                     e.x_we.eq(self.x_we), e.x_addr.eq(self.x_addr),
                     e.x_data.eq(self.x_data)]
        best = Signal(signed(32))
        best_i = Signal(e.rw)
        take = e.out_valid & ((e.out_row == 0) | (e.out_data > best))
        val_now = Mux(take, e.out_data, best)
        idx_now = Mux(take, e.out_row, best_i)
        m.d.sync += [best.eq(val_now), best_i.eq(idx_now)]
        st = Stager(m, "am_")
        r = st.regs({"v": val_now, "i": idx_now, "done": e.done}, self.dp.argmax_latency)
        pending = Signal()
        with m.If(self.start & ~self.busy):
            m.d.sync += pending.eq(1)
        with m.Elif(r["done"]):
            m.d.sync += pending.eq(0)
        m.d.comb += [self.index.eq(r["i"]), self.value.eq(r["v"]), self.done.eq(r["done"]),
                     self.busy.eq(pending)]
        return m
