"""The sweep's batched PPA path equals janus1.design.ppa and analyze, float for float.

Points are sampled (seeded) from a neighbourhood wide enough to reach every branch of
the mirror: on-chip tiers of each technology, hot designs whose junction passes the
eDRAM's specified temperature (the slow path through ``macro``), thermal runaway,
designs that do not fit, batch > 1 and mixed weight/KV precisions.
"""

from __future__ import annotations

import random

import pytest

from janus1.design import load_design, ppa
from janus1.models import load_spec
from janus1.sweep._fastppa import DesignContext, fast_ppa
from janus1.workload.analysis import analyze

_AXES = {
    "tiers.T1 SRAM.capacity": ['"4MiB"', '"16MiB"', '"32MiB"', '"96MiB"'],
    "tiers.T2 eDRAM.capacity": ['"32MiB"', '"224MiB"', '"600MiB"'],
    "compute.tiles": ["2", "16", "64"],
    "clock": ["3e8", "1e9", "2.5e9"],
    "node": ['"3nm"', '"7nm"', '"28nm"'],
    "package": ['"fcbga-21mm"', '"pbga-13mm"', '"fcbga-21mm-heatsink"'],
    "ambient_c": ["25.0", "45.0", "70.0"],
    "tiers.LPDDR5.capacity": ['"16GiB"', '"2GiB"'],
}
_T2 = [('"edram"', '"lp-dram"'), ('"sram"', '"itrs-hp"'), ('"mram"', '"stt-mram"'),
       ('"edram"', '"comm-dram"')]
_WORK = [("llama-2-7b", "int4", "int4", 4096, 1), ("tinyllama-1.1b", "int8", "fp16", 2048, 4),
         ("stories110m", "fp16", "int8", 512, 2), ("llama-3-8b", "int4", "int8", 16384, 1)]


def _sample(n: int, seed: int) -> list[tuple[list[str], tuple[str, str, str, int, int]]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        ov = [f"{k}={rng.choice(v)}" for k, v in _AXES.items()]
        tech, cell = rng.choice(_T2)
        ov += [f"tiers.T2 eDRAM.tech={tech}", f"tiers.T2 eDRAM.cell={cell}"]
        out.append((ov, rng.choice(_WORK)))
    return out


def test_fast_ppa_equals_ppa_on_sampled_points() -> None:
    from janus1.errors import Janus1Error

    checked = hot = runaway = unfit = 0
    for ov, (model, prec, kv, ctx, batch) in _sample(160, seed=22):
        try:
            d = load_design("janus-1", ov)
        except Janus1Error:
            continue                      # e.g. a tier larger than a reticle
        spec = load_spec(model)
        ref = ppa(d, spec, context=ctx, precision=prec, kv_precision=kv, batch=batch)
        dc = DesignContext.of(d)
        an = analyze(spec, context=ctx, batch=batch, precision=prec, kv_precision=kv,
                     device=dc.device)
        assert an == analyze(spec, context=ctx, batch=batch, precision=prec,
                             kv_precision=kv, device=d.device())
        got = fast_ppa(dc, spec, an, context=ctx, precision=prec)
        assert got == ref                 # every field, floats compared exactly
        assert got.to_dict() == ref.to_dict()
        checked += 1
        hot += (any(t.tech == "edram" for t in d.tiers) and ref.junction_c > 95.0
                and not ref.runaway)
        runaway += ref.runaway
        unfit += ref.fits is False
    # the sample reaches the branches it is meant to
    assert checked >= 60 and hot >= 3 and runaway >= 1 and unfit >= 3, \
        (checked, hot, runaway, unfit)


@pytest.mark.parametrize("design", ["janus-1", "edge-tpu-like", "orin-like"])
def test_fast_ppa_equals_ppa_on_presets(design: str) -> None:
    d = load_design(design)
    spec = load_spec("llama-2-7b")
    dc = DesignContext.of(d)
    for prec in ("int4", "int8", "fp16"):
        an = analyze(spec, context=4096, precision=prec, kv_precision=prec, device=dc.device)
        assert fast_ppa(dc, spec, an, context=4096, precision=prec) == \
            ppa(d, spec, context=4096, precision=prec, kv_precision=prec)
