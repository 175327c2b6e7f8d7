"""KV-cache experiment helpers: measured KV bytes against the formula, roofline verdicts."""

from __future__ import annotations

import numpy as np

from janus1.decoder import load_checkpoint
from janus1.decoder.kvstudy import (
    MachineRates,
    decode_bytes_per_token,
    decode_flops_per_token,
    roofline,
    run_decode,
)


def test_cached_and_uncached_decodes_pick_the_same_tokens_and_count_kv_bytes() -> None:
    ck = load_checkpoint("stories260k")
    a = run_decode(ck, batch=2, prompt_len=8, gen_len=8, cache=True)
    b = run_decode(ck, batch=2, prompt_len=8, gen_len=8, cache=False)
    # 2 * 5 layers * 4 kv heads * 8 * 16 positions * 2 sequences * 4 bytes
    assert a.kv_bytes_measured == a.kv_bytes_formula == 2 * 5 * 4 * 8 * 16 * 2 * 4
    assert b.kv_bytes_measured == 0
    assert a.latency_p95_ms >= a.latency_p50_ms > 0
    assert a.peak_mem_bytes >= a.kv_bytes_measured
    assert abs(a.tokens_per_s - 16 / a.seconds) < 1e-6 * a.tokens_per_s


def test_flops_and_bytes_closed_form() -> None:
    spec = load_checkpoint("stories260k").spec
    # 2 FLOPs per weight of every matrix product + 4 * L * q_dim per attended position
    assert decode_flops_per_token(spec, 0) == 2 * spec.matmul_params_per_token + 4 * 5 * 64
    w = spec.matmul_params_per_token * 4
    assert decode_bytes_per_token(spec, 9, batch=4) == w / 4 + 2 * 5 * 32 * 10 * 4


def test_roofline_verdicts() -> None:
    ck = load_checkpoint("stories260k")
    run = run_decode(ck, batch=1, prompt_len=4, gen_len=4, cache=True)
    slow = MachineRates(bandwidth_bytes_per_s=1e3, flops_per_s=1e15, copy_bytes=1, matmul_n=1)
    r = roofline(run, ck.spec, slow)   # a 1 kB/s memory: any real run saturates it
    assert r["roofline_regime"] == "memory-bound" and r["verdict"] == "memory-bound"
    fast = MachineRates(bandwidth_bytes_per_s=1e18, flops_per_s=1e18, copy_bytes=1, matmul_n=1)
    r = roofline(run, ck.spec, fast)
    assert r["verdict"] == "overhead-bound" and r["fraction_of_roofline"] < 1e-6
    assert np.isclose(r["arithmetic_intensity"],
                      decode_flops_per_token(ck.spec, 6) / decode_bytes_per_token(ck.spec, 6))
