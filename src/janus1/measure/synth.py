"""Synthetic llama-architecture GGUF files with random weights, for timing llama.cpp.

Nothing is downloaded: :func:`write_llama_gguf` writes an F16 file with the ``gguf``
package (Gaussian weights, sigma 0.02, from a seed) and a 32,000-token SentencePiece-style
vocabulary of placeholder pieces; :func:`quantize` turns it into Q8_0 or Q4_0 with
llama.cpp's own quantizer (``llama_model_quantize``, which also picks the types of the
embedding and output matrices as llama.cpp always does).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["SynthShape", "SHAPES", "write_llama_gguf", "quantize", "FORMATS", "FORMAT_PRECISION",
           "file_bytes_estimate"]

VOCAB = 32000  # Llama-2's vocabulary size
# llama.cpp's LLAMA_FTYPE values (llama.h: MOSTLY_Q4_0 = 2, MOSTLY_Q8_0 = 7)
FORMATS = {"F16": None, "Q8_0": 7, "Q4_0": 2}
# janus1's view of each file format (ggml's block layouts, ggml-common.h): (precision, group
# size, zero-point bytes); F16 is plain fp16, Q8_0/Q4_0 hold one FP16 scale per 32 values
FORMAT_PRECISION = {"F16": ("fp16", None, 0.0), "Q8_0": ("int8", 32, 0.0),
                    "Q4_0": ("int4", 32, 0.0)}
# bytes per weight of each file format (F16: 2; Q8_0: 34 B per 32; Q4_0: 18 B per 32)
_BPW = {"F16": 2.0, "Q8_0": 34 / 32, "Q4_0": 18 / 32}


@dataclass(frozen=True, slots=True, kw_only=True)
class SynthShape:
    """A llama-architecture shape (vocabulary 32,000, untied classifier)."""

    name: str
    dim: int
    n_layers: int
    hidden_dim: int
    n_heads: int
    n_kv_heads: int

    @property
    def params(self) -> int:
        hd = self.dim // self.n_heads
        per_layer = (2 * self.dim * self.dim + 2 * self.dim * self.n_kv_heads * hd
                     + 3 * self.dim * self.hidden_dim + 2 * self.dim)
        return self.n_layers * per_layer + 2 * VOCAB * self.dim + self.dim


# about 10M to about 1B parameters; the three largest (>= 100M) carry the headline error
SHAPES = (
    SynthShape(name="synth-14m", dim=192, n_layers=4, hidden_dim=512, n_heads=3, n_kv_heads=3),
    SynthShape(name="synth-58m", dim=512, n_layers=8, hidden_dim=1408, n_heads=8, n_kv_heads=8),
    SynthShape(name="synth-134m", dim=768, n_layers=12, hidden_dim=2048, n_heads=12, n_kv_heads=12),
    SynthShape(name="synth-373m", dim=1024, n_layers=24, hidden_dim=2816, n_heads=16, n_kv_heads=16),
    SynthShape(name="synth-1b", dim=2048, n_layers=20, hidden_dim=5632, n_heads=32, n_kv_heads=4),
)


def file_bytes_estimate(shape: SynthShape, fmt: str) -> int:
    """About how many bytes the file of ``shape`` in ``fmt`` takes."""
    return int(shape.params * _BPW[fmt]) + 1_000_000


def write_llama_gguf(path: Path, shape: SynthShape, *, seed: int = 0) -> Path:
    """Write ``shape`` as an F16 llama GGUF with random weights (norms F32, ones)."""
    import gguf
    import numpy as np

    if shape.dim % shape.n_heads or shape.n_heads % shape.n_kv_heads:
        raise InputError(f"{shape.name}: dim must divide into heads and heads into KV heads")
    rng = np.random.default_rng(seed)
    hd = shape.dim // shape.n_heads
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name(shape.name)
    w.add_context_length(2048)
    w.add_embedding_length(shape.dim)
    w.add_feed_forward_length(shape.hidden_dim)
    w.add_block_count(shape.n_layers)
    w.add_head_count(shape.n_heads)
    w.add_head_count_kv(shape.n_kv_heads)
    w.add_rope_dimension_count(hd)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("llama")
    toks = [b"<unk>", b"<s>", b"</s>"] + [f"<0x{i:02X}>".encode() for i in range(256)]
    toks += [f"p{i}".encode() for i in range(VOCAB - len(toks))]
    w.add_token_list(toks)
    w.add_token_scores([0.0] * VOCAB)
    # SentencePiece token types: 2 unknown, 3 control, 6 byte, 1 normal
    w.add_token_types([2, 3, 3] + [6] * 256 + [1] * (VOCAB - 259))
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)

    def mat(name: str, rows: int, cols: int) -> None:
        w.add_tensor(name, (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02)
                     .astype(np.float16))

    def norm(name: str) -> None:
        w.add_tensor(name, np.ones(shape.dim, dtype=np.float32))

    mat("token_embd.weight", VOCAB, shape.dim)
    for i in range(shape.n_layers):
        b = f"blk.{i}"
        norm(f"{b}.attn_norm.weight")
        mat(f"{b}.attn_q.weight", shape.dim, shape.dim)
        mat(f"{b}.attn_k.weight", shape.n_kv_heads * hd, shape.dim)
        mat(f"{b}.attn_v.weight", shape.n_kv_heads * hd, shape.dim)
        mat(f"{b}.attn_output.weight", shape.dim, shape.dim)
        norm(f"{b}.ffn_norm.weight")
        mat(f"{b}.ffn_gate.weight", shape.hidden_dim, shape.dim)
        mat(f"{b}.ffn_up.weight", shape.hidden_dim, shape.dim)
        mat(f"{b}.ffn_down.weight", shape.dim, shape.hidden_dim)
    norm("output_norm.weight")
    mat("output.weight", VOCAB, shape.dim)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def quantize(src: Path, dst: Path, fmt: str, *, threads: int) -> Path:
    """Quantize ``src`` (F16) to ``fmt`` (Q8_0 or Q4_0) with llama.cpp's quantizer."""
    import llama_cpp

    ftype = FORMATS.get(fmt)
    if ftype is None:
        raise InputError(f"cannot quantize to {fmt!r} (choose one of Q8_0, Q4_0)")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = threads
    rc = _quiet(llama_cpp, lambda: llama_cpp.llama_model_quantize(
        str(src).encode(), str(dst).encode(), params))
    if rc != 0:
        raise InputError(f"{dst}: llama.cpp's quantizer failed (code {rc})")
    return dst


def _quiet(llama_cpp: Any, call: Any) -> Any:
    """Run ``call`` with llama.cpp's log (one line per tensor while quantizing) silenced,
    then restore llama-cpp-python's own logger."""
    import ctypes

    sink = llama_cpp.llama_log_callback(lambda level, text, user: None)
    llama_cpp.llama_log_set(sink, ctypes.c_void_p(0))
    try:
        return call()
    finally:
        try:
            from llama_cpp._logger import llama_log_callback as restore

            llama_cpp.llama_log_set(restore, ctypes.c_void_p(0))
        except ImportError:  # pragma: no cover - an older binding
            pass
