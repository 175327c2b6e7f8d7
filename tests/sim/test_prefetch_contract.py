"""The prefetcher contract (janus1.sim.prefetch): every registered hook keeps it (an AST
check of every name a hook assigns and reads), a hook that breaks it is refused, and a
recording prefetcher (ChampSim style) shows which accesses call the hook, in what
order and with which arguments."""

from __future__ import annotations

import numpy as np
import pytest

from janus1.errors import ConfigError
from janus1.sim import Simulator
from janus1.sim.prefetch import REGISTRY, PrefetcherSpec, hook_body, hook_problems
from janus1.trace import TraceChunk

# ---- a recording prefetcher: logs (x, hit) of every call; asks for x + 100 below 100 ----
PF_CALLS = 0   # calls so far
PF_LOG = 1     # then (x, hit) per call
PF_AHEAD = 100


def recording_on_access(pf: np.ndarray, x: int, hit: bool, pf_out: np.ndarray) -> int:
    """Record the call; prefetch line x + 100 for lines below 100."""
    npf = 0
    pf_at = PF_LOG + 2 * pf[PF_CALLS]
    pf[pf_at] = x
    pf[pf_at + 1] = 1 if hit else 0
    pf[PF_CALLS] += 1
    if x < PF_AHEAD:
        pf_out[0] = x + PF_AHEAD
        npf = 1
    return npf


def _recording_spec(calls: int) -> PrefetcherSpec:
    def make_state(cfg: object) -> np.ndarray:
        return np.zeros(PF_LOG + 2 * calls, np.int64)

    return PrefetcherSpec(name="recording", code=99, config_cls=REGISTRY["none"].config_cls,
                          make_state=make_state, on_access=recording_on_access,
                          summary="records its calls")


def test_every_registered_hook_keeps_the_contract() -> None:
    for name, spec in REGISTRY.items():
        assert hook_problems(spec.on_access) == [], name
        body, _ = hook_body(spec.on_access)
        assert "return" not in body
    assert REGISTRY["none"].prefetches is False
    assert all(REGISTRY[k].prefetches for k in ("next-line", "stride", "stream"))


# ---- hooks that break the contract ----
def bad_assigns_kernel_state(pf: np.ndarray, x: int, hit: bool, pf_out: np.ndarray) -> int:
    npf = 0
    last = x                 # a kernel variable: would corrupt the simulation
    pf[0] = last
    return npf


def bad_writes_foreign_array(pf: np.ndarray, x: int, hit: bool, pf_out: np.ndarray) -> int:
    npf = 0
    tags = pf_out
    tags[0] = x              # an item of an array that is not its own
    return npf


def bad_reads_global(pf: np.ndarray, x: int, hit: bool, pf_out: np.ndarray) -> int:
    npf = np.int64(0)        # a module the kernel does not have
    return npf


def bad_returns_early(pf: np.ndarray, x: int, hit: bool, pf_out: np.ndarray) -> int:
    npf = 0
    if hit:
        return npf
    return npf


def bad_signature(pf: np.ndarray, line: int, hit: bool, pf_out: np.ndarray) -> int:
    npf = line - line
    return npf


@pytest.mark.parametrize("hook, why", [
    (bad_assigns_kernel_state, "assigns 'last'"),
    (bad_writes_foreign_array, "assigns an item of tags"),
    (bad_reads_global, "attribute np.int64"),
    (bad_returns_early, "`return` before the end"),
    (bad_signature, "parameters must be (pf, x, hit, pf_out)"),
])
def test_a_hook_that_breaks_the_contract_is_refused(hook, why: str) -> None:
    problems = hook_problems(hook)
    assert any(why in p for p in problems), problems
    with pytest.raises(ConfigError, match="breaks the contract"):
        hook_body(hook)


@pytest.mark.parametrize("counts_only", [False, True])
def test_recording_prefetcher_sees_each_new_line_in_order(
        monkeypatch: pytest.MonkeyPatch, counts_only: bool) -> None:
    # given a first level far larger than the trace (no eviction) and, in lines:
    # 0 0 1 0 2 2 3 1, a store to 1, an access crossing from line 4 into 5, then 100
    # (prefetched when line 0 was first seen) and 104 (prefetched for line 4)
    monkeypatch.setitem(REGISTRY, "recording", _recording_spec(64))
    lines = [0, 0, 1, 0, 2, 2, 3, 1, 1]
    addr = [64 * k for k in lines] + [64 * 5 - 4, 64 * 100, 64 * 104 + 8]
    kind = [0] * 8 + [1] + [0, 0, 0]
    size = [8] * 9 + [8, 8, 8]
    trace = TraceChunk(addr=np.array(addr, np.int64), kind=np.array(kind, np.uint8),
                       size=np.array(size, np.int64))
    h = {"level": [{"name": "L1", "size": "64KiB", "ways": 8, "line": "64B"},
                   {"name": "L2", "size": "256KiB", "ways": 8, "line": "64B"}]}

    # when it runs in two chunks (the hook's state persists between them)
    sim = Simulator(h, prefetcher="recording", counts_only=counts_only, specialize=False)
    sim.feed(TraceChunk(addr=trace.addr[:5], kind=trace.kind[:5], size=trace.size[:5]))
    sim.feed(TraceChunk(addr=trace.addr[5:], kind=trace.kind[5:], size=trace.size[5:]))

    # then the hook ran once per access to a new first-level line (repeats of the line
    # just accessed, loads or stores, are not shown), in trace order, with the line
    # and whether the first level held it; a crossing access shows both its lines;
    # the lines it prefetched (100 and 104) are hits when the demand reaches them
    pf = sim.pf_state
    calls = int(pf[PF_CALLS])
    log = [(int(pf[PF_LOG + 2 * k]), bool(pf[PF_LOG + 2 * k + 1])) for k in range(calls)]
    assert log == [(0, False), (1, False), (0, True), (2, False), (3, False), (1, True),
                   (4, False), (5, False), (100, True), (104, True)]
    res = sim.result()
    # every line below 100 shown asked for one prefetch: 0 1 0 2 3 1 4 5 ask for
    # 100 101 100 102 103 101 104 105; the second 100 and 101 are already present
    assert res.prefetch["issued"] + res.prefetch["redundant"] == 8
    assert res.prefetch["redundant"] == 2
    assert res.prefetch["useful"] == 2
