"""KV-cache bytes against shared/reference/ANCHORS.md and the issue's figures."""

from __future__ import annotations

import pytest

from janus1.models import load_spec
from janus1.workload.analysis import analyze, kv_bytes_per_token

MIB = 2**20


@pytest.mark.parametrize(("precision", "mib"), [("fp16", 2048), ("int8", 1024), ("int4", 512)])
def test_llama2_7b_kv_at_4096(precision: str, mib: int) -> None:
    a = analyze(load_spec("llama-2-7b"), context=4096, precision=precision)
    assert a.kv_bytes == mib * MIB
    assert a.kv_overhead_bytes == 0


def test_int4_group_128_with_fp16_scale_and_zero_adds_32_mib() -> None:
    a = analyze(load_spec("llama-2-7b"), context=4096, precision="int4", group_size=128)
    assert a.kv_bytes == 544 * MIB
    assert a.kv_overhead_bytes == 32 * MIB


def test_group_overhead_only_for_integer_precisions() -> None:
    a = analyze(load_spec("llama-2-7b"), context=4096, precision="fp16", group_size=128)
    assert a.kv_bytes == 2048 * MIB


# ANCHORS.md "KV cache" table: FP16 bytes per token
@pytest.mark.parametrize(("model", "per_token"), [
    ("llama-2-7b", 524_288), ("llama-3-8b", 131_072), ("tinyllama-1.1b", 22_528),
    ("distilgpt2", 18_432), ("gpt2", 36_864), ("stories15m", 6_912), ("stories260k", 640),
])
def test_fp16_bytes_per_token_match_anchors(model: str, per_token: int) -> None:
    total, overhead = kv_bytes_per_token(load_spec(model), "fp16")
    assert total == per_token and overhead == 0


def test_gqa_uses_kv_heads() -> None:
    # Llama-3-8B: 8 KV heads of 32 -> a quarter of the MHA size (ANCHORS: 512 MiB FP16 at 4096)
    a = analyze(load_spec("llama-3-8b"), context=4096, precision="fp16")
    assert a.kv_bytes == 512 * MIB


def test_kv_precision_overrides_precision_for_kv_only() -> None:
    spec = load_spec("llama-2-7b")
    a = analyze(spec, context=4096, precision="fp16", kv_precision="int4")
    assert a.kv_bytes == 512 * MIB
    assert a.weight_bytes == spec.params * 2


def test_batch_scales_kv_linearly() -> None:
    a = analyze(load_spec("distilgpt2"), context=562, batch=4, precision="fp16")
    assert a.kv_bytes == 18_432 * 562 * 4


def test_weight_group_overhead_is_one_scale_and_zero_per_group() -> None:
    # 6,738,415,616 INT4 weights in groups of 128 -> 52,643,872 groups x (2 + 2) B
    a = analyze(load_spec("llama-2-7b"), context=1, precision="int4", group_size=128)
    assert a.weight_overhead_bytes == 210_575_488
    assert a.weight_bytes == 6_738_415_616 // 2 + 210_575_488
    sym = analyze(load_spec("llama-2-7b"), context=1, precision="int4", group_size=128,
                  zero_bytes=0.0)
    assert sym.weight_overhead_bytes == 105_287_744
