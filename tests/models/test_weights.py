"""Weight readers: llama2.c v0/v1/v2, GGUF (F32/F16/Q8_0/Q4_0), Hugging Face folders."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from janus1.errors import FormatError
from janus1.models import asset_path
from janus1.models.weights import load_spec_and_weights, load_weights

BIN = asset_path("stories260K", "stories260K.bin")
GGUF = asset_path("stories260K", "stories260K.gguf")
Q80 = asset_path("stories260K", "stories260K-q8_0-gs8.bin")


def test_bin_shapes_follow_run_c_layout() -> None:
    # header of stories260K: dim 64, hidden 172, 5 layers, 8 heads, 4 kv heads, vocab 512
    w = load_weights(BIN)
    assert w.token_embedding.shape == (512, 64)
    assert w.wq.shape == (5, 64, 64) and w.wk.shape == (5, 32, 64) and w.wv.shape == (5, 32, 64)
    assert w.wo.shape == (5, 64, 64)
    assert w.w1.shape == (5, 172, 64) and w.w2.shape == (5, 64, 172) and w.w3.shape == (5, 172, 64)
    assert w.rms_final.shape == (64,) and w.wcls is w.token_embedding
    assert all(a.dtype == np.float32 for a in w.arrays().values())


def test_gguf_tensors_are_bit_identical_to_the_bin() -> None:
    # the shipped README: "all tensors bit-identical to the .bin"
    a, b = load_weights(BIN), load_weights(GGUF)
    for k, v in a.arrays().items():
        assert np.array_equal(v, b.arrays()[k]), k


def test_q8_0_version2_export_within_half_a_quantization_step() -> None:
    # Q8_0 with group size 8 (header): |w - q*s| <= s/2 with s = max|group| / 127
    # (llama2.c export.py quantize_q80)
    ref, q = load_weights(BIN), load_weights(Q80)
    for k in ("token_embedding", "wq", "wk", "wv", "wo", "w1", "w2", "w3"):
        r = getattr(ref, k).reshape(-1, 8)
        s = np.abs(r).max(axis=1, keepdims=True) / 127.0
        err = np.abs(getattr(q, k).reshape(-1, 8) - r)
        assert np.all(err <= s / 2 + 1e-6), k
    assert np.array_equal(ref.rms_att, q.rms_att)


def _write_v1(ref_path: Path, out: Path) -> None:
    """A llama2.c version-1 export (export.py version1_export) of the v0 checkpoint."""
    w = load_weights(ref_path)
    hdr = struct.pack("<Ii7iB", 0x616B3432, 1, 64, 172, 5, 8, 4, 512, 512, 1)
    hdr += b"\0" * (256 - len(hdr))
    parts = [w.rms_att, w.rms_ffn, w.rms_final, w.token_embedding, w.wq, w.wk, w.wv, w.wo,
             w.w1, w.w2, w.w3]
    out.write_bytes(hdr + b"".join(np.ascontiguousarray(p, "<f4").tobytes() for p in parts))


def test_version1_export_reads_back_equal(tmp_path: Path) -> None:
    p = tmp_path / "v1.bin"
    _write_v1(BIN, p)
    a, b = load_weights(BIN), load_weights(p)
    for k, v in a.arrays().items():
        assert np.array_equal(v, b.arrays()[k]), k


def test_truncated_bin_is_a_format_error(tmp_path: Path) -> None:
    p = tmp_path / "t.bin"
    p.write_bytes(BIN.read_bytes()[:-4])
    with pytest.raises(FormatError, match="truncated"):
        load_weights(p)


def test_nan_weights_are_rejected(tmp_path: Path) -> None:
    raw = bytearray(BIN.read_bytes())
    raw[28:32] = struct.pack("<f", float("nan"))  # first embedding value
    p = tmp_path / "nan.bin"
    p.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="token_embedding holds NaN"):
        load_weights(p)


def test_hf_export_roundtrip_permutes_qk_only(tmp_path: Path) -> None:
    from janus1.decoder.checkpoint import load_checkpoint
    from janus1.decoder.hf_export import export_hf, permute_interleaved_to_halves

    ck = load_checkpoint(str(BIN))
    export_hf(ck, tmp_path / "hf")
    spec, w = load_spec_and_weights(tmp_path / "hf")
    assert spec.rope_layout == "halves" and spec == ck.spec.replace(rope_layout="halves")
    assert np.array_equal(w.wv, ck.weights.wv) and np.array_equal(w.w2, ck.weights.w2)
    assert np.array_equal(w.wq[0], permute_interleaved_to_halves(ck.weights.wq[0], 8))
    # the permutation moves row 2i+1 of a head to row hs/2 + i
    assert np.array_equal(w.wq[0][4], ck.weights.wq[0][1])


def test_corrupt_safetensors_is_one_line_exit_2(tmp_path: Path) -> None:
    from janus1.decoder.checkpoint import load_checkpoint
    from janus1.decoder.hf_export import export_hf

    d = export_hf(load_checkpoint(str(BIN)), tmp_path / "hf")
    raw = (d / "model.safetensors").read_bytes()
    (d / "model.safetensors").write_bytes(raw[: len(raw) // 2])
    res = subprocess.run([sys.executable, "-m", "janus1", "generate", str(d), "--steps", "2"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "safetensors" in res.stderr and "Traceback" not in res.stderr
