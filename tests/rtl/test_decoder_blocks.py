"""The decoder's blocks in RTL (issue 18) against their golden models: every case bit-exact
and its start-to-done cycles equal to janus1.hw's contract, on seeded random cases, on the
sanity model's boot image and on vectors captured from real stories260K decode steps;
bad parameters are one-line ConfigErrors naming the parameter.

About 570 cases in all here (324 attention, 174 matvec, 75 argmax; 3.5 minutes on a loaded
2-core machine, capturing the stories260K steps included); the benchmark
``benchmarks/bench_rtl_decoder.py`` runs >= 10**4 per block.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import require

require("amaranth")  # skips locally, fails under CI when missing

from janus1.config import from_dict, to_dict  # noqa: E402
from janus1.decoder.fixed_ref import FixedConfig  # noqa: E402
from janus1.errors import ConfigError  # noqa: E402
from janus1.hw.blocks import argmax_cycles, attention_cycles, matvec_cycles  # noqa: E402
from janus1.hw.datapath import load_datapath  # noqa: E402
from janus1.rtl import block_params  # noqa: E402
from janus1.rtl.decoder_blocks import (AttentionParams, ArgmaxParams, MatvecParams,  # noqa: E402
                                       WeightRom)
from janus1.rtl.decoder_cosim import (MatvecCase, capture_decode, cosim_argmax,  # noqa: E402
                                      cosim_attention, cosim_matvec, random_attention_cases,
                                      random_matvec_cases, random_matvec_rom)


def _exact(r) -> None:  # noqa: ANN001
    assert r.cases > 0
    assert r.mismatches == 0, r.first_mismatch
    assert r.cycle_mismatches == 0, r.first_mismatch


def _dp(name: str = "seed004-small", *sets: str):  # noqa: ANN202
    return load_datapath(name, sets)


# ---------------------------------------------------------------- attention (M1)

def test_attention_random_default() -> None:
    p = AttentionParams()
    _exact(cosim_attention(p, random_attention_cases(p, 120, seed=11)))


@pytest.mark.parametrize("fixed,sets,head_size,seq_len", [
    (dict(exp_interpolate=False), (), 16, 16),
    (dict(rounding="NEAREST_EVEN"), (), 16, 16),
    (dict(rounding="TRUNC"), (), 16, 16),
    (dict(rounding="FLOOR"), (), 16, 16),
    (dict(exp_lut_bits=6, exp_lut_frac_bits=24), (), 16, 16),
    (dict(k_bits=16, v_bits=16), ("kv_ram.k_bits=16", "kv_ram.v_bits=16"), 16, 8),
    (dict(k_bits=16), ("kv_ram.k_bits=16",), 8, 8),           # Kb = 2 > Vb = 1
    (dict(), ("attention.q_latch=0", "attention.score_latency=6", "attention.softmax_latency=0",
              "lut.exp2_latency=1", "attention.update_latency=3", "lut.divider_latency=7",
              "kv_ram.read_latency=1"), 16, 12),
    (dict(), ("kv_ram.width_bytes=16", "attention.score_latency=0", "lut.exp2_latency=9",
              "lut.divider_latency=40", "attention.q_latch=3"), 16, 16),
    (dict(), ("kv_ram.width_bytes=2",), 4, 6),                 # R = 2 beats of 2 elements
])
def test_attention_variants(fixed: dict, sets: tuple, head_size: int, seq_len: int) -> None:
    p = AttentionParams(datapath=_dp("seed004-small", *sets), fixed=FixedConfig(**fixed),
                        head_size=head_size, seq_len=seq_len)
    r = cosim_attention(p, random_attention_cases(p, 16, seed=head_size + seq_len))
    _exact(r)


@pytest.fixture(scope="module")
def captured():  # noqa: ANN201
    """Three real stories260K decode steps (positions 0, 5, 31 of a seeded token run)."""
    return capture_decode("stories260k", positions=(0, 5, 31), seed=1)


def test_attention_on_stories260k_decode_vectors(captured) -> None:  # noqa: ANN001
    p = AttentionParams(datapath=_dp("stories260k"), head_size=8, seq_len=512, fan_in=172)
    assert p.q_bits == captured.q_bits
    cases = captured.attention
    assert len(cases) == 3 * 5 * 8                      # positions x layers x heads
    pick = list(cases[::3]) + [c for c in cases if c.pos == 31][:4]
    _exact(cosim_attention(p, pick, source="stories260K decode steps"))


def test_attention_cycle_contract_is_the_hw_models() -> None:
    p = AttentionParams()
    # q_latch 1 + pos * 2 + v_offset (3 + 1 + 4) + Vb 2 + read 2 + update 1 + 16 + divider 34
    assert p.cycles(0) == attention_cycles(0, 16, p.datapath) == 1 + 8 + 2 + 2 + 1 + 16 + 34
    assert p.cycles(15) - p.cycles(0) == 15 * 2


# ---------------------------------------------------------------- matvec (M2)

@pytest.mark.parametrize("lanes,sets", [
    (16, ()),
    (8, ("mac.pipeline_depth=0", "mac.adder_tree_latency=5", "mac.writeback_latency=0",
         "weights.read_latency=1")),
    (3, ("mac.accumulate_latency=3", "weights.read_latency=4")),
    (1, ()),
])
def test_matvec_random(lanes: int, sets: tuple) -> None:
    dp = _dp("seed004-small", f"mac.lanes={lanes}", *sets)
    fx = FixedConfig()
    act = MatvecParams().act_bits
    rom = random_matvec_rom(lanes, seed=lanes)
    _exact(cosim_matvec(fx, dp, rom, act, random_matvec_cases(rom, act, 30, seed=lanes + 1)))


@pytest.mark.parametrize("rounding", ["NEAREST_EVEN", "TRUNC", "FLOOR"])
def test_matvec_roundings(rounding: str) -> None:
    fx = FixedConfig(rounding=rounding)
    rom = random_matvec_rom(16, seed=7)
    _exact(cosim_matvec(fx, _dp(), rom, 16, random_matvec_cases(rom, 16, 12, seed=8)))


def test_matvec_on_the_sanity_boot_image() -> None:
    p = MatvecParams()
    rom = p.rom()
    assert [m.name for m in rom.mats][:7] == ["wq[0]", "wk[0]", "wv[0]", "wo[0]", "w1[0]",
                                               "w3[0]", "w2[0]"]
    assert rom.mats[-1].name == "cls" and rom.mats[-1].rows == 512
    rng = np.random.default_rng(3)
    cases = [MatvecCase(name=n, x_m=rng.integers(-32767, 32768, rom.matrix(n).cols),
                        x_e=int(rng.integers(-30, -10)))
             for n in ("wq[0]", "w2[1]", "w1[0]")]
    _exact(cosim_matvec(p.fixed, p.datapath, rom, p.act_bits, cases))


def _captured_rom(captured, names: tuple[str, ...], lanes: int):  # noqa: ANN001, ANN202
    mats, cases, seen = [], [], set()
    for k, (n, w, e, x, xe) in enumerate(captured.matvec):
        if n not in names:
            continue
        key = f"{n}@{k}"
        if n not in seen:
            seen.add(n)
        mats.append((key, w, e))
        cases.append(MatvecCase(name=key, x_m=x, x_e=xe))
    return WeightRom.from_matrices(lanes, mats, source="stories260K"), cases


def test_matvec_on_stories260k_decode_vectors(captured) -> None:  # noqa: ANN001
    dp = _dp("stories260k")
    rom, cases = _captured_rom(captured, ("wq[0]", "wk[2]", "wo[4]", "w1[1]", "w2[3]"),
                               dp.mac.lanes)
    assert len(cases) == 5 * 3
    _exact(cosim_matvec(FixedConfig(), dp, rom, captured.act_bits, cases,
                        source="stories260K decode steps"))


def test_matvec_cycle_contract() -> None:
    dp = _dp()
    # 64 x 64 on P = 16: 4 beats per row; fill = read 2 + pipeline 3 + tree 2 + acc 1 + wb 1
    assert matvec_cycles(64, 64, dp) == 64 * 4 + 9


# ---------------------------------------------------------------- argmax (M3)

@pytest.mark.parametrize("lanes,sets", [(16, ()), (8, ("argmax_latency=0",)),
                                        (5, ("argmax_latency=3",))])
def test_argmax_random_with_ties(lanes: int, sets: tuple) -> None:
    dp = _dp("seed004-small", f"mac.lanes={lanes}", *sets)
    rom = random_matvec_rom(lanes, seed=20 + lanes, ties=True)
    cases = random_matvec_cases(rom, 16, 24, seed=lanes)
    _exact(cosim_argmax(FixedConfig(), dp, rom, 16, cases))


def test_argmax_on_stories260k_classifier(captured) -> None:  # noqa: ANN001
    dp = _dp("stories260k")
    rom, cases = _captured_rom(captured, ("cls",), dp.mac.lanes)
    assert len(cases) == 3 and rom.mats[0].rows == 512
    r = cosim_argmax(FixedConfig(), dp, rom, captured.act_bits, cases,
                     source="stories260K classifier")
    _exact(r)
    assert r.cycles == 3 * argmax_cycles(512, 64, dp)


# ---------------------------------------------------------------- parameters

@pytest.mark.parametrize("block,sets,needle", [
    ("matvec", ["datapath.mac.lanes=32"], "datapath.mac.lanes"),
    ("argmax", ["datapath.weights.port_bytes_per_cycle=4"], "datapath.mac.lanes"),
    ("attention", ["head_size=12"], "head_size"),
    ("attention", ["head_size=1"], "head_size"),
    ("attention", ["datapath.attention.score_latency=0"], "score_latency"),
    ("attention", ["datapath.kv_ram.read_latency=0"], "read_latency"),
    ("attention", ["fixed.exp_lut_bits=13"], "exp_lut_bits"),
    ("attention", ["fixed.exp_lut_bits=25"], "lut_bits"),
    ("attention", ["fixed.k_bits=16"], "k_bits"),
    ("attention", ["seq_len=0"], "seq_len"),
    ("matvec", ["datapath.mac.accumulate_latency=0"], "accumulate_latency"),
    ("matvec", ["fixed.weight_bits=12"], "weight_bits"),
    ("matvec", ["model=llama"], "model"),
    ("argmax", ["nosuch=1"], "nosuch"),
])
def test_bad_parameters_name_the_parameter(block: str, sets: list, needle: str) -> None:
    with pytest.raises(ConfigError) as ei:
        block_params(block, sets)
    msg = str(ei.value)
    assert needle in msg and "\n" not in msg


def test_params_round_trip_and_defaults() -> None:
    for cls in (AttentionParams, MatvecParams, ArgmaxParams):
        p = cls()
        assert p.datapath.name == "seed004-small" and p.fixed == FixedConfig()
        assert from_dict(cls, to_dict(p)) == p
    p = block_params("attention", ["datapath.lut.divider_latency=10", "head_size=8"])
    assert p.datapath.lut.divider_latency == 10 and p.head_size == 8
    assert dataclasses.replace(p, head_size=16).cycles(3) == attention_cycles(
        3, 16, p.datapath)
