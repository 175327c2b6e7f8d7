"""Every GGUF tensor type llama.cpp writes, checked against llama.cpp's own logits.

A synthetic llama-architecture GGUF (random weights; width 256, FFN 768, so every row
is a multiple of the 256-value K-quant super-block; stories260K's 512-token vocabulary)
is written in F32, quantized by llama.cpp itself (``llama_model_quantize``) and run by
both llama.cpp and janus1's float decoder on the same 64 tokens. llama.cpp quantizes
the activations for its quantized dot products (Q8_K / Q8_0), so the logits differ a
little; a wrong block layout (one corrupted scale) breaks the agreement.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gguf
import numpy as np
import pytest
from conftest import require

from janus1.decoder.checkpoint import load_checkpoint
from janus1.decoder.float_ref import FloatDecoder, softmax
from janus1.models import asset_path
from janus1.models.weights import load_weights

require("llama_cpp")  # skips locally, fails under CI when missing

CHILD = Path(__file__).with_name("_llama_cpp_child.py")
# LLAMA_FTYPE values from llama.cpp's include/llama.h (enum llama_ftype)
FTYPES = {"Q4_0": 2, "Q8_0": 7, "Q4_K_M": 15, "Q5_K_M": 17, "Q6_K": 18}
# Relative rms error of every dequantized matrix against the F32 original: a uniform
# quantizer errs by about step/sqrt(12) per value; measured here 0.086 (Q4_0), 0.0054
# (Q8_0), 0.072 (Q4_K_M), 0.036 (Q5_K_M), 0.018 (Q6_K). A misread layout errs by ~1.
WEIGHT_RMS = {"Q4_0": 0.1, "Q8_0": 0.01, "Q4_K_M": 0.1, "Q5_K_M": 0.05, "Q6_K": 0.025}
DIM, HIDDEN, LAYERS, HEADS, VOCAB, CTX, T = 256, 768, 2, 4, 512, 128, 64


def write_synthetic(path: Path, seed: int = 0) -> None:
    """A random llama model, F32, with stories260K's tokenizer metadata."""
    from janus1.models._gguf import gguf_field, open_gguf

    r = open_gguf(asset_path("stories260K", "stories260K.gguf"))
    rng = np.random.default_rng(seed)
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_context_length(CTX)
    w.add_embedding_length(DIM)
    w.add_feed_forward_length(HIDDEN)
    w.add_block_count(LAYERS)
    w.add_head_count(HEADS)
    w.add_head_count_kv(HEADS)
    w.add_rope_dimension_count(DIM // HEADS)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("llama")
    w.add_token_list(gguf_field(r, "tokenizer.ggml.tokens"))
    w.add_token_scores(gguf_field(r, "tokenizer.ggml.scores"))
    w.add_token_types(gguf_field(r, "tokenizer.ggml.token_type"))
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)

    def mat(rows: int, cols: int, std: float) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * std).astype(np.float32)

    def norm() -> np.ndarray:
        return (1.0 + 0.1 * rng.standard_normal(DIM)).astype(np.float32)

    w.add_tensor("token_embd.weight", mat(VOCAB, DIM, 1.0))
    s = 1.0 / np.sqrt(DIM)
    for i in range(LAYERS):
        w.add_tensor(f"blk.{i}.attn_norm.weight", norm())
        w.add_tensor(f"blk.{i}.attn_q.weight", mat(DIM, DIM, s))
        w.add_tensor(f"blk.{i}.attn_k.weight", mat(DIM, DIM, s))
        w.add_tensor(f"blk.{i}.attn_v.weight", mat(DIM, DIM, s))
        w.add_tensor(f"blk.{i}.attn_output.weight", mat(DIM, DIM, s))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", norm())
        w.add_tensor(f"blk.{i}.ffn_gate.weight", mat(HIDDEN, DIM, s))
        w.add_tensor(f"blk.{i}.ffn_up.weight", mat(HIDDEN, DIM, s))
        w.add_tensor(f"blk.{i}.ffn_down.weight", mat(DIM, HIDDEN, 1.0 / np.sqrt(HIDDEN)))
    w.add_tensor("output_norm.weight", norm())
    w.add_tensor("output.weight", mat(VOCAB, DIM, 0.25))  # logits of std ~4
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def run_child(*args: str) -> None:
    res = subprocess.run([sys.executable, str(CHILD), *args], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]


def llama_cpp_logits(model: Path, tokens: np.ndarray, tmp: Path) -> np.ndarray:
    np.save(tmp / "tokens.npy", tokens)
    out = tmp / f"{model.stem}-logits.npy"
    run_child("logits", str(model), str(tmp / "tokens.npy"), str(out))
    return np.load(out).astype(np.float64)


def janus1_logits(model: Path, tokens: np.ndarray) -> np.ndarray:
    dec = FloatDecoder.from_checkpoint(load_checkpoint(model))
    return np.stack([dec.step(int(t), i) for i, t in enumerate(tokens)])   # (T, vocab)


def agreement(ref: np.ndarray, got: np.ndarray) -> tuple[float, float]:
    """(argmax agreement, mean KL(ref || got)) over positions."""
    p, q = softmax(ref), softmax(got)
    kl = np.sum(p * (np.log(p) - np.log(q)), axis=-1)
    return float(np.mean(ref.argmax(-1) == got.argmax(-1))), float(kl.mean())


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    d = tmp_path_factory.mktemp("gguf-llama-cpp")
    p = d / "synthetic-f32.gguf"
    write_synthetic(p)
    tokens = np.random.default_rng(1).integers(3, VOCAB, T).astype(np.int64)
    return p, tokens


def quantized(base: Path, qname: str) -> Path:
    out = base.with_name(f"synthetic-{qname}.gguf")
    if not out.exists():
        run_child("quantize", str(base), str(out), str(FTYPES[qname]))
    return out


@pytest.mark.parametrize("qname", list(FTYPES))
def test_quantized_file_matches_llama_cpp(base: tuple[Path, np.ndarray], qname: str) -> None:
    src, tokens = base
    p = quantized(src, qname)
    types = {t.tensor_type.name for t in gguf.GGUFReader(str(p)).tensors}
    assert types - {"F32"}, types  # llama.cpp really quantized it
    ref_w, w = load_weights(src), load_weights(p)
    for k in ("token_embedding", "wq", "wk", "wv", "wo", "w1", "w2", "w3", "wcls"):
        a, b = getattr(ref_w, k), getattr(w, k)
        rel = float(np.sqrt(np.mean((a - b) ** 2) / np.mean(a ** 2)))
        assert rel <= WEIGHT_RMS[qname], (qname, k, rel)
    agree, kl = agreement(llama_cpp_logits(p, tokens, p.parent), janus1_logits(p, tokens))
    print(f"{qname}: types {sorted(types)} argmax agreement {agree:.3f} mean KL {kl:.2e}")
    assert agree >= 0.95 and kl <= 5e-3, (qname, agree, kl)


def test_one_corrupted_block_scale_fails_the_check(base: tuple[Path, np.ndarray]) -> None:
    """janus1 reads a copy of the Q8_0 file whose first block scale of one matrix is
    wrong (as a misread block layout would give); llama.cpp reads the original."""
    from janus1.models._gguf import scan_gguf

    src, tokens = base
    p = quantized(src, "Q8_0")
    info = {t.name: t for t in scan_gguf(p)}["blk.0.attn_output.weight"]
    assert gguf.GGMLQuantizationType(info.type_id).name == "Q8_0"
    raw = bytearray(p.read_bytes())
    d_old = float(np.frombuffer(raw[info.offset:info.offset + 2], np.float16)[0])
    raw[info.offset:info.offset + 2] = np.float16(1000.0).tobytes()  # Q8_0 block: f16 d first
    bad = p.with_name("synthetic-Q8_0-bad-scale.gguf")
    bad.write_bytes(bytes(raw))
    assert abs(d_old) < 1.0
    ref = llama_cpp_logits(p, tokens, p.parent)
    agree_ok, kl_ok = agreement(ref, janus1_logits(p, tokens))
    agree, kl = agreement(ref, janus1_logits(bad, tokens))
    assert agree_ok >= 0.95 and kl_ok <= 5e-3
    assert agree < 0.95 or kl > 5e-3, (agree, kl)
