"""`janus1 analyze` and `janus1 presets` end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

MIB = 2**20


def janus(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "janus1", *args], capture_output=True,
                          text=True, timeout=120, check=True)


def analyze_json(*args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(janus("analyze", *args, "--json").stdout)


def test_issue_example_int4() -> None:
    d = analyze_json("llama-2-7b", "--context", "4096", "--precision", "int4")
    assert d["kv_bytes"] == 512 * MIB
    for key in ("params", "weight_bytes", "kv_bytes_per_token", "kv_bytes", "kv_overhead_bytes",
                "fits", "spill_bytes"):
        assert key in d
    for ph in ("decode", "prefill"):
        for key in ("flops_per_token", "bytes_per_token", "arithmetic_intensity", "bound",
                    "tokens_per_s"):
            assert key in d[ph]
    assert "seconds_per_step" in d["decode"] and "seconds" in d["prefill"]
    assert d["decode"]["bound"] in ("memory", "compute")


@pytest.mark.parametrize(("prec", "mib"), [("fp16", 2048), ("int8", 1024)])
def test_kv_precisions(prec: str, mib: int) -> None:
    assert analyze_json("llama-2-7b", "--context", "4096", "--precision", prec)["kv_bytes"] == \
        mib * MIB


def test_group_size_128() -> None:
    d = analyze_json("llama-2-7b", "--context", "4096", "--precision", "int4",
                     "--group-size", "128")
    assert d["kv_bytes"] == 544 * MIB and d["kv_overhead_bytes"] == 32 * MIB


def test_distilgpt2_bytes_per_token() -> None:
    assert analyze_json("distilgpt2", "--precision", "fp16")["kv_bytes_per_token"] == 18_432


def test_decode_time_is_bandwidth_bound_on_edge_box() -> None:
    # batch-1 decode reads every weight once: time ~ resident bytes / 68 GB/s
    d = analyze_json("llama-2-7b", "--context", "4096", "--precision", "int4",
                     "--device", "edge-box")
    assert d["decode"]["bound"] == "memory"
    expected = d["decode"]["bytes_per_token"] / 68e9
    assert d["decode"]["seconds_per_step"] == pytest.approx(expected, rel=0.01)
    assert d["decode"]["tokens_per_s"] == pytest.approx(1 / d["decode"]["seconds_per_step"])


def test_batch_tokens_per_s_counts_batch() -> None:
    d = analyze_json("gpt2", "--context", "512", "--batch", "8")
    assert d["decode"]["tokens_per_s"] == pytest.approx(8 / d["decode"]["seconds_per_step"])
    assert d["prefill"]["tokens_per_s"] == pytest.approx(8 * 512 / d["prefill"]["seconds"])


def test_rtx4060_llama_fp16_does_not_fit_and_spills() -> None:
    d = analyze_json("llama-2-7b", "--precision", "fp16", "--device", "rtx-4060")
    assert d["fits"] is False and d["spill_bytes"] > 0


def test_kv_precision_override() -> None:
    d = analyze_json("llama-2-7b", "--precision", "fp16", "--kv-precision", "int8")
    assert d["kv_bytes"] == 1024 * MIB and d["weight_bytes"] == 6_738_415_616 * 2


def test_gguf_path() -> None:
    from janus1.models import asset_path

    d = analyze_json(str(asset_path("stories260K", "stories260K.gguf")), "--context", "512")
    assert d["kv_bytes_per_token"] == 640  # 2 x 5 x 4 x 8 x 2 B


def test_presets_lists_models_and_devices_with_sources() -> None:
    d = json.loads(janus("presets", "--json").stdout)
    names = {m["name"] for m in d["models"]}
    assert {"llama-2-7b", "stories260k", "distilgpt2"} <= names
    assert {"rtx-4060", "edge-box"} <= {x["name"] for x in d["devices"]}
    assert all(x["source"] for k in d for x in d[k])
