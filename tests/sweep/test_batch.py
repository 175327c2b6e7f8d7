"""The vectorised roofline/PPA path equals analyze + ppa per point, float for float.

Designs are sampled as in test_fastppa.py (hot eDRAM above its specified temperature,
thermal runaway, models that do not fit); each design runs a batch of mixed workloads
(models, weight and KV precisions, contexts, batch sizes), and every metric is compared
with what janus1.workload.analysis.analyze and janus1.design.ppa give for that point.
"""

from __future__ import annotations

import random

import pytest

from janus1.design import load_design, ppa
from janus1.errors import Janus1Error
from janus1.models import load_spec
from janus1.sweep._batch import SEQUENTIAL_SUM, Workload, roofline_ppa_batch
from janus1.sweep._fastppa import DesignContext
from janus1.workload.analysis import analyze

from test_fastppa import _sample

_WORKS = [("llama-2-7b", "int4", "int4", 4096, 1), ("llama-2-7b", "int8", "int4", 16384, 1),
          ("tinyllama-1.1b", "int8", "fp16", 2048, 4), ("stories110m", "fp16", "int8", 512, 2),
          ("llama-3-8b", "int4", "int8", 32768, 1), ("gpt2", "fp32", "fp32", 1024, 8),
          ("llama-2-13b", "bf16", "bf16", 4096, 2)]


def _reference(d, model, prec, kv, ctx, batch):  # type: ignore[no-untyped-def]
    spec = load_spec(model)
    an = analyze(spec, context=ctx, batch=batch, precision=prec, kv_precision=kv,
                 device=d.device())
    r = ppa(d, spec, context=ctx, precision=prec, kv_precision=kv, batch=batch)
    dd = an.decode
    return {"tokens_per_s": dd.tokens_per_s, "seconds_per_token": dd.seconds / dd.tokens,
            "prefill_seconds": an.prefill.seconds, "flops_per_token": dd.flops_per_token,
            "bytes_per_token": dd.bytes_per_token,
            "arithmetic_intensity": dd.arithmetic_intensity, "weight_bytes": an.weight_bytes,
            "kv_bytes": an.kv_bytes, "spill_bytes": an.spill_bytes, "fits": an.fits,
            "bound": dd.bound, "area_mm2": r.area_mm2, "power_w": r.power_w,
            "joules_per_token": r.joules_per_token,
            "tokens_per_joule": 1.0 / r.joules_per_token, "junction_c": r.junction_c,
            "thermal_margin_c": r.thermal_margin_c, "runaway": r.runaway,
            "memory_pj_per_bit": r.memory_pj_per_bit,
            "peak_tops": d.device().peak(prec) / 1e12, "ppa_warnings": "; ".join(r.warnings)}


@pytest.mark.skipif(not SEQUENTIAL_SUM, reason="this Python's sum() compensates; the sweep "
                    "uses the per-point path")
def test_batch_equals_analyze_and_ppa() -> None:
    rng = random.Random(7)
    checked = designs = runaway = hot = unfit = 0
    for ov, _ in _sample(50, seed=23):
        try:
            d = load_design("janus-1", ov)
        except Janus1Error:
            continue
        works = rng.sample(_WORKS, 5)
        batch = []
        for model, prec, kv, ctx, b in works:
            spec = load_spec(model)
            batch.append(Workload(model_name=spec.name, precision=prec, kv_precision=kv,
                                  counts=analyze(spec, context=ctx, batch=b, precision=prec,
                                                 kv_precision=kv)))
        got = roofline_ppa_batch(DesignContext.of(d), batch, want_ppa=True)
        designs += 1
        for w, g in zip(works, got):
            ref = _reference(d, *w)
            assert g == ref, (ov, w)
            checked += 1
            runaway += ref["runaway"]
            hot += (not ref["runaway"] and ref["junction_c"] > 95.0
                    and any(t.tech == "edram" for t in d.tiers))
            unfit += ref["fits"] is False
    assert designs >= 20 and checked >= 100 and runaway and hot and unfit, \
        (designs, checked, runaway, hot, unfit)


def test_roofline_only_batch() -> None:
    d = load_design("edge-tpu-like")
    spec = load_spec("llama-2-7b")
    w = Workload(model_name=spec.name, precision="int8", kv_precision="int8",
                 counts=analyze(spec, context=2048, precision="int8"))
    (got,) = roofline_ppa_batch(DesignContext.of(d), [w], want_ppa=False)
    ref = _reference(d, "llama-2-7b", "int8", "int8", 2048, 1)
    assert isinstance(got, dict) and "area_mm2" not in got
    assert got == {k: ref[k] for k in got}
