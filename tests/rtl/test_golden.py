"""The golden model (janus1.rtl.prefetcher.StreamModel) issues exactly what the
simulator's stream prefetcher issues, access by access (no Amaranth needed)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from janus1.errors import ConfigError
from janus1.rtl import PrefetcherParams, StreamModel, block_params
from janus1.rtl.cosim import closed_loop_hits, random_stimulus, trace_lines
from janus1.sim.prefetch import build_prefetcher, hook_function


def _sim_stream(p: PrefetcherParams, lines: np.ndarray, hits: np.ndarray) -> list[list[int]]:
    """The simulator's compiled stream hook on the same accesses."""
    _, _, state = build_prefetcher("stream", {"trackers": p.trackers, "lookahead": p.lookahead,
                                              "degree": p.degree, "window": p.window})
    hook = hook_function("stream")
    out = np.zeros(64, np.int64)
    res = []
    for x, h in zip(lines.tolist(), hits.tolist()):
        n = hook(state, x, h, out)
        res.append(out[:n].tolist())
    return res


CONFIGS = [PrefetcherParams(),
           PrefetcherParams(trackers=1, lookahead=4, degree=1, window=1),
           PrefetcherParams(trackers=3, lookahead=32, degree=8, window=2),
           PrefetcherParams(trackers=5, lookahead=7, degree=3, window=6, ports=3)]


@pytest.mark.parametrize("p", CONFIGS, ids=lambda p: f"t{p.trackers}-la{p.lookahead}")
def test_model_equals_simulator_on_random_accesses(p: PrefetcherParams) -> None:
    stim = random_stimulus(p, seed=7, n=4000)
    model = StreamModel(p)
    want = _sim_stream(p, stim.lines, stim.hits)
    got = [model.access(x, h) for x, h in zip(stim.lines.tolist(), stim.hits.tolist())]
    assert got == want
    assert sum(map(len, got)) > 300    # the stimulus makes it prefetch a lot


def test_model_equals_simulator_on_small_lines_both_directions() -> None:
    # small line numbers, so descending streams run below 0 (the simulator drops those)
    p = PrefetcherParams(trackers=4, lookahead=8, degree=4, window=3)
    rng = random.Random(3)
    lines = np.array([max(0, 40 - i + rng.randint(-2, 2)) if i % 3 else 5 + i % 17
                      for i in range(3000)], np.int64)
    lines = lines[np.r_[True, lines[1:] != lines[:-1]]]
    hits = np.array([rng.random() < 0.3 for _ in lines])
    model = StreamModel(p)
    got = [model.access(x, h) for x, h in zip(lines.tolist(), hits.tolist())]
    assert got == _sim_stream(p, lines, hits)
    assert any(y < 0 for a in got for y in a)       # the edge case is exercised
    assert all(y >= 0 for a in got for y in model.issued(a))


def test_model_equals_simulator_on_a_decode_trace() -> None:
    from janus1.models import load_spec
    from janus1.trace import decode_trace

    p = block_params("prefetcher")
    lines = trace_lines(decode_trace(load_spec("stories260k"), precision="int8", context=32),
                        p.line_bytes)
    hits = closed_loop_hits(lines, p)
    model = StreamModel(p)
    got = [model.access(x, h) for x, h in zip(lines.tolist(), hits.tolist())]
    assert got == _sim_stream(p, lines, hits)
    assert 0.3 < hits.mean() < 0.99                  # prefetches fill the closed-loop cache


def test_defaults_come_from_the_simulator() -> None:
    from janus1.sim.prefetch import stream

    cfg = stream.Config()
    p = block_params("prefetcher")
    assert (p.trackers, p.lookahead, p.degree, p.window) == (cfg.trackers, cfg.lookahead,
                                                            cfg.degree, cfg.window)
    assert p.line_bits == 48 - 6                     # 48-bit addresses, 64-byte lines


@pytest.mark.parametrize("override, needle", [
    ("trackers=0", "trackers"), ("trackers=33", "trackers"), ("lookahead=0", "lookahead"),
    ("lookahead=5000", "lookahead"), ("line_bytes=48", "line_bytes"),
    ("address_bits=70", "address_bits"), ("ports=8", "ports"), ("degree=65", "degree"),
    ("colour=1", "colour"),
])
def test_bad_parameters_name_the_parameter(override: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        block_params("prefetcher", [override])


def test_an_address_width_too_narrow_for_the_stream_reach() -> None:
    # 16-bit addresses of 64-byte lines: 10-bit lines; window + lookahead = 1004 >= 2**9
    with pytest.raises(ConfigError, match="address_bits 16"):
        block_params("prefetcher", ["address_bits=16", "lookahead=1000"])
    assert block_params("prefetcher", ["address_bits=16"]).line_bits == 10


def test_unknown_block() -> None:
    with pytest.raises(ConfigError, match="unknown block 'softmax'"):
        block_params("softmax")          # (attention is a block since issue 18)


def test_trace_lines_follow_the_simulator_rule() -> None:
    from janus1.trace import TraceChunk

    # 64-byte lines: [0,8) -> 0; [60,68) -> 0,1; [64,194) -> 1,2,3; [200,201) -> 3.
    # Touched in order 0 0 1 1 2 3 3; repeats of the line just accessed are dropped.
    c = TraceChunk(addr=np.array([0, 60, 64, 200]), size=np.array([8, 8, 130, 1]))
    assert trace_lines([c], 64).tolist() == [0, 1, 2, 3]
    assert trace_lines([TraceChunk(addr=np.array([0, 8, 64, 0]))], 64).tolist() == [0, 1, 0]
