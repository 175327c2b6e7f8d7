"""GGUF tensors in F16, Q8_0 and Q4_0, and unsupported tensor types."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from janus1.errors import FormatError
from janus1.models import asset_path
from janus1.models.weights import load_weights

GGUF = asset_path("stories260K", "stories260K.gguf")


def write_gguf(path: Path, qtype: str, *, odd_type: str | None = None) -> None:
    """Re-write stories260K.gguf with its 2-D tensors in ``qtype`` (those whose rows are a
    multiple of the 32-value block; others stay F32, as llama.cpp's quantizer does), or
    the embedding in ``odd_type`` (raw bytes, to test rejection)."""
    import gguf

    from janus1.models._gguf import gguf_field, open_gguf

    r = open_gguf(GGUF)
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_context_length(512)
    w.add_embedding_length(64)
    w.add_feed_forward_length(172)
    w.add_block_count(5)
    w.add_head_count(8)
    w.add_head_count_kv(4)
    w.add_rope_dimension_count(8)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("llama")
    w.add_token_list(gguf_field(r, "tokenizer.ggml.tokens"))
    w.add_token_scores(gguf_field(r, "tokenizer.ggml.scores"))
    w.add_token_types(gguf_field(r, "tokenizer.ggml.token_type"))
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    for t in r.tensors:
        a = np.asarray(t.data, dtype=np.float32).reshape([int(x) for x in reversed(list(t.shape))])
        if odd_type and t.name == "token_embd.weight":
            qt = getattr(gguf.GGMLQuantizationType, odd_type)
            w.add_tensor(t.name, a.astype(np.int8), raw_dtype=qt)
        elif qtype == "F16" and a.ndim == 2:
            w.add_tensor(t.name, a.astype(np.float16))
        elif qtype in ("Q8_0", "Q4_0") and a.ndim == 2 and a.shape[1] % 32 == 0:
            qt = getattr(gguf.GGMLQuantizationType, qtype)
            w.add_tensor(t.name, gguf.quants.quantize(a, qt), raw_dtype=qt)
        else:
            w.add_tensor(t.name, a)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# Closed-form bounds: F16 rounding is within 2^-11 relative; Q8_0 within half a step of
# max|block|/127; Q4_0 (ggml: d = max/-8, codes 0..15) within one step max|block|/8.
@pytest.mark.parametrize(("qtype", "steps"), [("Q8_0", 127.0), ("Q4_0", 8.0)])
def test_quantized_gguf_dequantizes_within_block_bounds(tmp_path: Path, qtype: str,
                                                        steps: float) -> None:
    p = tmp_path / f"m-{qtype}.gguf"
    write_gguf(p, qtype)
    ref, q = load_weights(GGUF), load_weights(p)
    for k in ("wq", "wk", "w1", "w3", "token_embedding"):
        r = getattr(ref, k).reshape(-1, 32)
        bound = np.abs(r).max(axis=1, keepdims=True) / steps
        assert np.all(np.abs(getattr(q, k).reshape(-1, 32) - r) <= bound * 1.0001 + 1e-7), k
    assert np.array_equal(ref.w2, q.w2)  # rows of 172 values stay F32


def test_f16_gguf(tmp_path: Path) -> None:
    p = tmp_path / "m-f16.gguf"
    write_gguf(p, "F16")
    ref, q = load_weights(GGUF), load_weights(p)
    assert np.allclose(q.wq, ref.wq, rtol=2 ** -11, atol=1e-7)
    assert not np.array_equal(q.wq, ref.wq)


def test_unsupported_tensor_type_is_one_line_exit_2(tmp_path: Path) -> None:
    p = tmp_path / "odd.gguf"
    write_gguf(p, "F32", odd_type="I8")
    with pytest.raises(FormatError, match=r"token_embd.weight has GGML type I8, unsupported"):
        load_weights(p)
    res = subprocess.run([sys.executable, "-m", "janus1", "generate", str(p), "--steps", "2"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "unsupported" in lines[0] and "Traceback" not in res.stderr


def test_truncated_gguf_is_one_line_exit_2(tmp_path: Path) -> None:
    p = tmp_path / "cut.gguf"
    p.write_bytes(GGUF.read_bytes()[:600_000])
    res = subprocess.run([sys.executable, "-m", "janus1", "perplexity", str(p), "--text",
                          str(asset_path("wikitext", "wiki.test.raw"))],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_dequantization_is_checked_against_the_buffer_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """stories260K: float32 weights 4 x 260,032 = 1,040,128 bytes pass a 1,045,000-byte
    limit; dequantizing its largest tensor (token_embd, 512 x 64 values) is budgeted at
    32 bytes per value = 1,048,576 bytes and is refused before it runs."""
    monkeypatch.setenv("JANUS1_MAX_BUFFER_BYTES", "1045000")
    with pytest.raises(FormatError, match=r"dequantizing tensor token_embd.weight"):
        load_weights(GGUF)
    monkeypatch.setenv("JANUS1_MAX_BUFFER_BYTES", "1048576")
    assert load_weights(GGUF).token_embedding.shape == (512, 64)
