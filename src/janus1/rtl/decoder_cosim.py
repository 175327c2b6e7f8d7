"""Co-simulation of the decoder's blocks: Amaranth's simulator against the golden models.

A case is one start-to-done run of a block: the RTL's outputs must equal the golden
model's bit for bit and its cycles from ``start`` (cycle 0) to ``done`` must equal the
contract (:mod:`janus1.hw.blocks`) exactly. One simulator runs every case of a batch one
after another (RAM contents set between cases, as a loader would have written them).

Stimuli:

- :func:`random_attention_cases`, :func:`random_matvec_rom` / :func:`random_matvec_cases`:
  seeded (the seed is the only source of randomness), covering every position, exponent
  spreads from ties to saturation, all-equal and monotone scores;
- :func:`capture_decode`: the vectors of real decode steps of a checkpoint (stories260K):
  the decoder's forward runs as plain Python with its matvec and attention kernels
  wrapped to record their arguments (the decoder itself untouched), other positions
  through the compiled step.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..decoder.fixed_ref import FixedConfig
from ..errors import ConfigError
from ..hw.datapath import DatapathSpec
from ..numerics.primitives import F_FRAC
from .decoder_blocks import (AttentionParams, WeightRom, golden_argmax, golden_attention,
                             golden_matvec)

__all__ = ["AttentionCase", "MatvecCase", "BlockCosim", "cosim_attention", "cosim_matvec",
           "cosim_argmax", "random_attention_cases", "random_matvec_rom",
           "random_matvec_cases", "capture_decode", "DecodeCapture"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AttentionCase:
    """One query head over rows ``0..pos`` (arrays hold at least ``pos + 1`` rows)."""

    q_m: np.ndarray      # (head_size,) query mantissas
    q_e: int
    k_m: np.ndarray      # (rows, head_size)
    k_e: np.ndarray      # (rows,)
    v_m: np.ndarray
    v_e: np.ndarray
    pos: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MatvecCase:
    """``W x`` for the ROM matrix ``name``."""

    name: str
    x_m: np.ndarray      # (cols,) activation mantissas
    x_e: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockCosim:
    """The outcome of a batch of cases."""

    block: str
    source: str
    cases: int
    mismatches: int           # cases whose outputs differ from the golden model's
    cycle_mismatches: int     # cases whose start-to-done cycles differ from the contract
    first_mismatch: str       # "" when none
    cycles: int               # clock cycles simulated
    seconds: float

    @property
    def exact(self) -> bool:
        return self.mismatches == 0 and self.cycle_mismatches == 0


def _lanes(vals: Sequence[int]) -> list[int]:
    """A layout-shaped word's value for the simulator: its lanes as Python ints."""
    return [int(v) for v in vals]


def _run(dut: Any, bench: Any) -> None:
    from amaranth.sim import Simulator

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


# ---------------------------------------------------------------------------------------
# attention
# ---------------------------------------------------------------------------------------

def _check_attention_case(p: AttentionParams, c: AttentionCase) -> None:
    if not 0 <= c.pos < p.seq_len:
        raise ConfigError(f"attention case: pos {c.pos} outside 0..{p.seq_len - 1}")
    ve = np.asarray(c.v_e[:c.pos + 1], np.int64) + F_FRAC
    if ve.min() < 0 or ve.max() > p.v_shift_max:
        raise ConfigError(f"attention case: V exponents {int(ve.min()) - F_FRAC}.."
                          f"{int(ve.max()) - F_FRAC} outside the kernel's "
                          f"{-F_FRAC}..{p.v_shift_max - F_FRAC}")


def cosim_attention(p: AttentionParams, cases: Sequence[AttentionCase], *,
                    source: str = "") -> BlockCosim:
    """Run ``cases`` through :class:`~janus1.rtl.attention.AttentionKernel`."""
    from .attention import AttentionKernel

    for c in cases:
        _check_attention_case(p, c)
    dut = AttentionKernel(p)
    fx = p.fixed
    Kb, Vb, Ek, Ev = dut.Kb, dut.Vb, dut.Ek, dut.Ev
    res = {"bad": 0, "badc": 0, "first": "", "cycles": 0}

    async def bench(ctx: Any) -> None:
        for n, c in enumerate(cases):
            want = golden_attention(p, c.q_m, c.q_e, c.k_m, c.k_e, c.v_m, c.v_e, c.pos)
            want_c = p.cycles(c.pos)
            for t in range(c.pos + 1):
                for b in range(Kb):
                    ctx.set(dut.k_mem.data[t * Kb + b],
                            _lanes(c.k_m[t, b * Ek:(b + 1) * Ek]))
                for b in range(Vb):
                    ctx.set(dut.v_mem.data[t * Vb + b],
                            _lanes(c.v_m[t, b * Ev:(b + 1) * Ev]))
                ctx.set(dut.ke_mem.data[t], int(c.k_e[t]))
                ctx.set(dut.ve_mem.data[t], int(c.v_e[t]))
            ctx.set(dut.q_m, _lanes(c.q_m))
            ctx.set(dut.q_e, int(c.q_e))
            ctx.set(dut.pos, int(c.pos))
            ctx.set(dut.start, 1)
            got = np.zeros(p.head_size, np.int64)
            seen = 0
            cyc = 0
            limit = want_c + 64
            while cyc <= limit:
                await ctx.tick()
                cyc += 1
                if cyc == 1:
                    ctx.set(dut.start, 0)
                if ctx.get(dut.out_valid):
                    got[ctx.get(dut.out_index)] = ctx.get(dut.out_data)
                    seen += 1
                if ctx.get(dut.done):
                    break
            res["cycles"] += cyc
            ok = seen == p.head_size and np.array_equal(got, want)
            if not ok:
                res["bad"] += 1
            if cyc != want_c:
                res["badc"] += 1
            if (not ok or cyc != want_c) and not res["first"]:
                res["first"] = (f"case {n} (pos {c.pos}): cycles {cyc} vs {want_c}; "
                                f"out {got.tolist()} vs {want.tolist()}")
            await ctx.tick()          # one idle cycle between cases

    t0 = time.perf_counter()
    _run(dut, bench)
    return BlockCosim(block="attention", source=source or "cases", cases=len(cases),
                      mismatches=res["bad"], cycle_mismatches=res["badc"],
                      first_mismatch=res["first"], cycles=res["cycles"],
                      seconds=time.perf_counter() - t0)


def random_attention_cases(p: AttentionParams, n: int, seed: int) -> list[AttentionCase]:
    """Seeded cases over every position: query and K/V exponents in the ranges the
    decoder's quantizer produces (and wider for the query and K), five score regimes."""
    rng = np.random.default_rng(seed)
    fx = p.fixed
    hs, S = p.head_size, p.seq_len
    qmax = (1 << (p.q_bits - 1)) - 1
    kmax = (1 << (fx.k_bits - 1)) - 1
    vmax = (1 << (fx.v_bits - 1)) - 1
    vlo, vhi = -F_FRAC, p.v_shift_max - F_FRAC
    out = []
    for i in range(n):
        pos = int(rng.integers(0, S)) if i % 5 else S - 1 - (i // 5) % S
        regime = i % 5
        q_m = rng.integers(-qmax, qmax + 1, hs)
        k_m = rng.integers(-kmax, kmax + 1, (S, hs))
        v_m = rng.integers(-vmax, vmax + 1, (S, hs))
        q_e = int(rng.integers(-24, -2))
        k_e = rng.integers(-20, 6, S)
        v_e = rng.integers(vlo, vhi + 1, S)
        if regime == 1:                       # ties: every row the same K
            k_m[:] = k_m[0]
            k_e[:] = k_e[0]
        elif regime == 2:                     # monotone scores: a new max every row
            q_m[:] = np.abs(q_m)
            k_m[:] = np.abs(k_m)
            k_e = np.sort(k_e)
        elif regime == 3:                     # wide spread: saturated scores, exp -> 0
            q_e = int(rng.integers(-6, 6))
            k_e = rng.integers(-64, 6, S)
        elif regime == 4:                     # small scores, long rows of near-equal weights
            q_e = int(rng.integers(-40, -20))
        out.append(AttentionCase(q_m=q_m.astype(np.int64), q_e=q_e,
                                 k_m=k_m.astype(np.int8 if fx.k_bits <= 8 else np.int16),
                                 k_e=k_e.astype(np.int8),
                                 v_m=v_m.astype(np.int8 if fx.v_bits <= 8 else np.int16),
                                 v_e=v_e.astype(np.int8), pos=pos))
    return out


# ---------------------------------------------------------------------------------------
# matvec and argmax
# ---------------------------------------------------------------------------------------

def _load_x(ctx: Any, dut_mem: Any, x_m: np.ndarray, lanes: int, beats: int,
            act_bits: int) -> None:
    xp = np.zeros(beats * lanes, np.int64)
    xp[:x_m.size] = x_m
    for b in range(beats):
        ctx.set(dut_mem.data[b], _lanes(xp[b * lanes:(b + 1) * lanes]))


def _start_engine(ctx: Any, dut: Any, mm: Any, x_e: int) -> None:
    ctx.set(dut.base, mm.word_base)
    ctx.set(dut.ebase, mm.exp_base)
    ctx.set(dut.rows, mm.rows)
    ctx.set(dut.beats, mm.beats)
    ctx.set(dut.x_e, int(x_e))
    ctx.set(dut.start, 1)


def _rom_matrix(rom: WeightRom, name: str) -> tuple[Any, np.ndarray, np.ndarray]:
    mm = rom.matrix(name)
    w = rom.words[mm.word_base:mm.word_base + mm.rows * mm.beats]
    w_m = w.reshape(mm.rows, mm.beats * rom.lanes)[:, :mm.cols]
    w_e = rom.exps[mm.exp_base:mm.exp_base + mm.rows]
    return mm, np.ascontiguousarray(w_m), np.ascontiguousarray(w_e)


def cosim_matvec(fixed: FixedConfig, dp: DatapathSpec, rom: WeightRom, act_bits: int,
                 cases: Sequence[MatvecCase], *, source: str = "") -> BlockCosim:
    """Run ``cases`` through :class:`~janus1.rtl.matvec.MatvecEngine` over ``rom``."""
    from .matvec import MatvecEngine

    dut = MatvecEngine(fixed, dp, rom, act_bits)
    P = dp.mac.lanes
    res = {"bad": 0, "badc": 0, "first": "", "cycles": 0}

    async def bench(ctx: Any) -> None:
        for n, c in enumerate(cases):
            mm, w_m, w_e = _rom_matrix(rom, c.name)
            want = golden_matvec(fixed, w_m, w_e, c.x_m, c.x_e)
            want_c = _mv_cycles(mm.rows, mm.cols, dp)
            _load_x(ctx, dut.x_mem, c.x_m, P, mm.beats, act_bits)
            _start_engine(ctx, dut, mm, c.x_e)
            got = np.full(mm.rows, -(1 << 40), np.int64)
            cyc = 0
            while cyc <= want_c + 64:
                await ctx.tick()
                cyc += 1
                if cyc == 1:
                    ctx.set(dut.start, 0)
                if ctx.get(dut.out_valid):
                    got[ctx.get(dut.out_row)] = ctx.get(dut.out_data)
                if ctx.get(dut.done):
                    break
            res["cycles"] += cyc
            ok = np.array_equal(got, want)
            res["bad"] += not ok
            res["badc"] += cyc != want_c
            if (not ok or cyc != want_c) and not res["first"]:
                k = int(np.argmax(got != want)) if not ok else -1
                res["first"] = (f"case {n} ({c.name}): cycles {cyc} vs {want_c}; "
                                + (f"row {k}: {got[k]} vs {want[k]}" if k >= 0 else ""))
            await ctx.tick()

    t0 = time.perf_counter()
    _run(dut, bench)
    return BlockCosim(block="matvec", source=source or rom.source, cases=len(cases),
                      mismatches=res["bad"], cycle_mismatches=res["badc"],
                      first_mismatch=res["first"], cycles=res["cycles"],
                      seconds=time.perf_counter() - t0)


def _mv_cycles(rows: int, cols: int, dp: DatapathSpec) -> int:
    from ..hw.blocks import matvec_cycles

    return matvec_cycles(rows, cols, dp)


def cosim_argmax(fixed: FixedConfig, dp: DatapathSpec, rom: WeightRom, act_bits: int,
                 cases: Sequence[MatvecCase], *, source: str = "") -> BlockCosim:
    """Run ``cases`` through :class:`~janus1.rtl.argmax.ArgmaxScan` over ``rom``."""
    from ..hw.blocks import argmax_cycles
    from .argmax import ArgmaxScan

    dut = ArgmaxScan(fixed, dp, rom, act_bits)
    P = dp.mac.lanes
    res = {"bad": 0, "badc": 0, "first": "", "cycles": 0}

    async def bench(ctx: Any) -> None:
        for n, c in enumerate(cases):
            mm, w_m, w_e = _rom_matrix(rom, c.name)
            want_i, want_v = golden_argmax(fixed, w_m, w_e, c.x_m, c.x_e)
            want_c = argmax_cycles(mm.rows, mm.cols, dp)
            _load_x(ctx, dut.engine.x_mem, c.x_m, P, mm.beats, act_bits)
            _start_engine(ctx, dut, mm, c.x_e)
            cyc = 0
            got_i = got_v = None
            while cyc <= want_c + 64:
                await ctx.tick()
                cyc += 1
                if cyc == 1:
                    ctx.set(dut.start, 0)
                if ctx.get(dut.done):
                    got_i, got_v = ctx.get(dut.index), ctx.get(dut.value)
                    break
            res["cycles"] += cyc
            ok = (got_i, got_v) == (want_i, want_v)
            res["bad"] += not ok
            res["badc"] += cyc != want_c
            if (not ok or cyc != want_c) and not res["first"]:
                res["first"] = (f"case {n} ({c.name}): cycles {cyc} vs {want_c}; "
                                f"argmax {got_i} ({got_v}) vs {want_i} ({want_v})")
            await ctx.tick()

    t0 = time.perf_counter()
    _run(dut, bench)
    return BlockCosim(block="argmax", source=source or rom.source, cases=len(cases),
                      mismatches=res["bad"], cycle_mismatches=res["badc"],
                      first_mismatch=res["first"], cycles=res["cycles"],
                      seconds=time.perf_counter() - t0)


def random_matvec_rom(lanes: int, seed: int, *, n_mats: int = 6, max_rows: int = 24,
                      max_cols: int = 80, weight_bits: int = 8,
                      ties: bool = False) -> WeightRom:
    """A ROM of seeded random matrices (shapes 1..max_rows x 1..max_cols, one of them
    exactly ``lanes`` wide and one of a single column; ``ties``: repeated rows)."""
    rng = np.random.default_rng(seed)
    wmax = (1 << (weight_bits - 1)) - 1
    mats = []
    for i in range(n_mats):
        rows = int(rng.integers(1, max_rows + 1))
        cols = (lanes if i == 0 else 1 if i == 1 else int(rng.integers(1, max_cols + 1)))
        w = rng.integers(-wmax, wmax + 1, (rows, cols)).astype(np.int8)
        e = rng.integers(-20, 6, rows).astype(np.int8)
        if ties and rows > 2:
            w[rows // 2:] = w[0]
            e[rows // 2:] = e[0]
        if i == 2:
            e[:] = rng.integers(-64, 64, rows)     # the full exponent range
        mats.append((f"m{i}", w, e))
    return WeightRom.from_matrices(lanes, mats, source=f"random ROM (seed {seed})")


def random_matvec_cases(rom: WeightRom, act_bits: int, n: int, seed: int,
                        acc_bits: int = 32) -> list[MatvecCase]:
    """Seeded activations for the ROM's matrices; ``x_e`` such that the golden model's
    int64 left shift holds the product (the RTL saturates beyond that either way)."""
    rng = np.random.default_rng(seed)
    xmax = (1 << (act_bits - 1)) - 1
    out = []
    for i in range(n):
        mm = rom.mats[i % len(rom.mats)]
        x = rng.integers(-xmax, xmax + 1, mm.cols)
        if i % 7 == 3:
            x[:] = xmax                              # extremes
        if i % 7 == 5:
            x = x >> int(rng.integers(0, act_bits))  # small vectors
        w_e = rom.exps[mm.exp_base:mm.exp_base + mm.rows].astype(np.int64)
        lo = -64
        hi = min(63, int(62 - acc_bits - F_FRAC - w_e.max()))
        x_e = int(rng.integers(max(lo, -40), min(hi, 10) + 1)) if hi >= -40 else lo
        out.append(MatvecCase(name=mm.name, x_m=x.astype(np.int64), x_e=x_e))
    return out


# ---------------------------------------------------------------------------------------
# vectors of real decode steps
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class DecodeCapture:
    """What a checkpoint's decode steps fed the kernels."""

    model: str
    positions: tuple[int, ...]
    attention: tuple[AttentionCase, ...]
    matvec: tuple[tuple[str, np.ndarray, np.ndarray, np.ndarray, int], ...]  # name, W, e, x, x_e
    act_bits: int
    q_bits: int


def capture_decode(model: str = "stories260k", positions: Sequence[int] = (0, 5, 31),
                   seed: int = 1, config: FixedConfig | None = None) -> DecodeCapture:
    """Run ``model``'s FixedDecoder over seeded tokens at positions ``0..max(positions)``;
    at ``positions`` the step runs as Python with its kernels recording their inputs."""
    from ..decoder import fixed_ref
    from ..decoder.checkpoint import load_checkpoint
    from ..decoder.fixed_ref import FixedDecoder

    ck = load_checkpoint(model)
    dec = FixedDecoder(ck.spec, ck.weights, config or FixedConfig())
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, ck.spec.vocab_size, max(positions) + 1)
    att: list[AttentionCase] = []
    mv: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, int]] = []
    names = ("wq", "wk", "wv", "wo", "w1", "w3", "w2")
    mv_orig, att_orig = fixed_ref._matvec_f, fixed_ref.attend_head

    def rec_mv(w_m, w_e, x_m, x_e, acc_bits, rounding, out):  # noqa: ANN001, ANN202
        k = len(mv) % (len(names) * ck.spec.n_layers + 1)
        nm = "cls" if k == len(names) * ck.spec.n_layers else \
            f"{names[k % len(names)]}[{k // len(names)}]"
        mv.append((nm, np.array(w_m), np.array(w_e), np.array(x_m, np.int64), int(x_e)))
        mv_orig(w_m, w_e, x_m, x_e, acc_bits, rounding, out)

    def rec_att(q_m, q_e, k_m, k_e, v_m, v_e, pos, *rest):  # noqa: ANN001, ANN202
        att.append(AttentionCase(q_m=np.array(q_m, np.int64), q_e=int(q_e),
                                 k_m=np.array(k_m[:pos + 1]), k_e=np.array(k_e[:pos + 1]),
                                 v_m=np.array(v_m[:pos + 1]), v_e=np.array(v_e[:pos + 1]),
                                 pos=int(pos)))
        att_orig(q_m, q_e, k_m, k_e, v_m, v_e, pos, *rest)

    want = set(positions)
    for pos, tok in enumerate(tokens.tolist()):
        if pos not in want:
            dec.step_int(tok, pos)
            continue
        fixed_ref._matvec_f, fixed_ref.attend_head = rec_mv, rec_att
        try:
            fw = dec.weights
            out = np.zeros(ck.spec.vocab_size, np.int64)
            fixed_ref._forward.py_func(
                tok, pos, dec._p, fw.emb_m, fw.emb_e, fw.cls_m, fw.cls_e, fw.rms_att_m,
                fw.rms_att_e, fw.rms_ffn_m, fw.rms_ffn_e, fw.rms_fin_m, fw.rms_fin_e,
                fw.wq_m, fw.wq_e, fw.wk_m, fw.wk_e, fw.wv_m, fw.wv_e, fw.wo_m, fw.wo_e,
                fw.w1_m, fw.w1_e, fw.w2_m, fw.w2_e, fw.w3_m, fw.w3_e, fw.exp_lut,
                fw.isq_lut, fw.rope_cos, fw.rope_sin, dec.key_m, dec.key_e, dec.val_m,
                dec.val_e, dec.reads, out)
        finally:
            fixed_ref._matvec_f, fixed_ref.attend_head = mv_orig, att_orig
    return DecodeCapture(model=ck.spec.name or model, positions=tuple(positions),
                         attention=tuple(att), matvec=tuple(mv), act_bits=dec.act_bits,
                         q_bits=dec.q_bits)
