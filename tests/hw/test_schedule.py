"""The decode-step schedule: classes, growth with the position, options, external weights."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from janus1.decoder.sanity import sanity_spec
from janus1.hw import decode_schedule, decode_step, load_datapath, matvec_cycles
from janus1.hw.blocks import (attention_row_cycles, matvec_fill_cycles, matvec_timing,
                              sampler_cycles)
from janus1.hw.schedule import CLASSES
from janus1.models import load_spec


def test_step_classes_sum_and_rates() -> None:
    spec, dp = load_spec("stories260k"), load_datapath("stories260k")
    for pos in (0, 1, 256, 511):
        s = decode_step(spec, dp, pos)
        assert sum(s.by_class.values()) == s.cycles == sum(s.by_op.values())
        assert s.tokens_per_s == pytest.approx(200e6 / s.cycles)
        assert 0 < s.mac_utilisation <= 1 and 0 < s.weight_port_utilisation <= 1
        # every cached row costs R cycles per query head per layer, nothing else moves
        if pos >= 1:
            prev = decode_step(spec, dp, pos - 1)
            R = attention_row_cycles(spec.head_size, dp)
            assert s.cycles - prev.cycles == (spec.n_layers * spec.n_heads * R
                                              - prev.kv_guard_bubbles)
    # the matvec class: every projection and FFN matvec, closed form, full bandwidth
    d, h, q, kv = spec.dim, spec.hidden_dim, spec.q_dim, spec.kv_dim
    P = dp.mac.lanes
    fill = matvec_fill_cycles(dp)
    per_layer = sum(r * math.ceil(c / P) + fill
                    for r, c in ((q, d), (kv, d), (kv, d), (d, q), (h, d), (h, d), (d, h)))
    assert s.by_class["matvec"] == spec.n_layers * per_layer
    assert s.by_class["classifier"] == spec.vocab_size * math.ceil(d / P) + fill + 1


def test_schedule_mean_and_positions() -> None:
    spec, dp = sanity_spec(), load_datapath("seed004-small")
    d = decode_schedule(spec, dp)
    steps = [decode_step(spec, dp, p) for p in range(spec.seq_len)]
    assert d.cycles == pytest.approx(sum(s.cycles for s in steps) / spec.seq_len)
    assert {k: v.pos for k, v in d.positions.items()} == {"first": 0, "middle": 8, "last": 15}
    assert d.by_class.keys() == set(CLASSES)
    out = d.to_dict()
    assert out["positions"]["last"]["cycles"] == steps[-1].cycles


def test_samplers_add_their_stated_cycles() -> None:
    spec, dp = sanity_spec(), load_datapath("seed004-small")
    base = decode_step(spec, dp, 3).cycles
    assert decode_step(spec, dp, 3, sampler="topk").cycles - base == 1
    k = 40
    assert (decode_step(spec, dp, 3, sampler="topp", top_k=k).cycles - base
            == 1 + (k + dp.lut.exp2_latency) + 1 + k + 1 + k)
    assert sampler_cycles("argmax", k, dp) == dp.argmax_latency


def test_narrow_port_and_external_weights_are_port_bound() -> None:
    spec = load_spec("stories260k")
    dp = load_datapath("stories260k", ["weights.port_bytes_per_cycle=8"])
    s = decode_step(spec, dp, 10)
    assert s.port_bound and s.by_class["stall"] > 0
    wide = decode_step(spec, load_datapath("stories260k"), 10)
    assert not wide.port_bound
    # the port-bound matvec issue cycles double when the port halves
    assert s.by_class["matvec"] + s.by_class["stall"] - wide.by_class["stall"] > \
        wide.by_class["matvec"]
    big = load_spec("stories15m")
    ext = load_datapath("stories15m", ["weights.onchip=0", "weights.external_bandwidth='1.2GB/s'",
                                       "weights.external_latency_ns=100"])
    r = decode_schedule(big, ext)
    assert not r.weights_on_chip and r.port_bound
    # 1.2 GB/s at 150 MHz = 8 B/cycle: the classifier streams 32000 x 288 bytes at 8 B/cycle
    cls = r.positions["first"].by_op["classifier_argmax"]
    assert cls == 32000 * 288 // 8 + (15 + 3 + 3 + 1 + 1) + 1


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 300), cols=st.integers(1, 300), lanes=st.integers(1, 128),
       port=st.integers(1, 128))
def test_matvec_closed_form_property(rows: int, cols: int, lanes: int, port: int) -> None:
    dp = load_datapath("seed004-small", [f"mac.lanes={lanes}",
                                          f"weights.port_bytes_per_cycle={port}"])
    t = matvec_timing(rows, cols, dp)
    assert t.total == rows * math.ceil(cols / min(lanes, port)) + matvec_fill_cycles(dp)
    assert t.port_bound == (math.ceil(cols / port) > math.ceil(cols / lanes))
    assert matvec_cycles(rows, cols, dp) == t.total
