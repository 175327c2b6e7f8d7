"""GGUF metadata and tensor-list reading (through the ``gguf`` package, llama.cpp's own
reader). Only the ``llama`` and ``gpt2`` architectures are mapped to a ModelSpec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import FormatError

__all__ = ["open_gguf", "gguf_spec_fields", "gguf_field"]


def open_gguf(path: str | Path) -> Any:
    """Open a GGUF file with ``gguf.GGUFReader`` (memory-mapped).

    Raises:
        FormatError: missing file, bad magic, truncated or corrupt content.
    """
    p = Path(path)
    if not p.is_file():
        raise FormatError(f"{p}: no such file")
    with p.open("rb") as fh:
        magic = fh.read(4)
    if magic != b"GGUF":
        raise FormatError(f"{p}: not a GGUF file (magic {magic!r}, expected b'GGUF')")
    import gguf

    try:
        return gguf.GGUFReader(str(p), "r")
    except Exception as exc:  # the reader raises ValueError/IndexError/struct.error
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FormatError(f"{p}: corrupt or truncated GGUF: {msg}") from None


def gguf_field(reader: Any, key: str, default: Any = None) -> Any:
    """A metadata value by key (scalars as Python values, strings decoded)."""
    f = reader.fields.get(key)
    if f is None:
        return default
    try:
        return f.contents()
    except Exception:  # noqa: BLE001 - old gguf versions lack contents()
        import numpy as np

        part = f.parts[f.data[0]]
        if part.dtype == np.uint8:
            return bytes(part).decode("utf-8")
        return part.tolist()[0]


def gguf_spec_fields(reader: Any, path: Path) -> dict[str, Any]:
    """ModelSpec fields from GGUF metadata, plus tensor-list facts."""
    arch = gguf_field(reader, "general.architecture")
    if arch not in ("llama", "gpt2"):
        raise FormatError(f"{path}: general.architecture {arch!r} is not supported "
                          "(supported: llama, gpt2)")

    def need(key: str) -> int:
        v = gguf_field(reader, f"{arch}.{key}")
        if v is None:
            raise FormatError(f"{path}: GGUF metadata lacks {arch}.{key}")
        return int(v)

    tensors = {t.name: t for t in reader.tensors}
    dim = need("embedding_length")
    n_heads = need("attention.head_count")
    vocab = gguf_field(reader, f"{arch}.vocab_size")
    if vocab is None:
        toks = reader.fields.get("tokenizer.ggml.tokens")
        if toks is not None:
            vocab = len(toks.data)
        elif "token_embd.weight" in tensors:
            vocab = int(tensors["token_embd.weight"].shape[-1])
        else:
            raise FormatError(f"{path}: cannot tell the vocabulary size")
    fields: dict[str, Any] = {
        "dim": dim,
        "hidden_dim": need("feed_forward_length"),
        "n_layers": need("block_count"),
        "n_heads": n_heads,
        "vocab_size": int(vocab),
        "seq_len": need("context_length"),
    }
    if arch == "llama":
        kv = gguf_field(reader, "llama.attention.head_count_kv")
        fields.update(
            arch="llama", n_kv_heads=int(kv) if kv is not None else n_heads,
            norm="rmsnorm", activation="swiglu", positional="rope",
            # llama.cpp's converters permute Q/K so that RoPE rotates adjacent pairs
            rope_layout="interleaved",
            rope_theta=_f32(gguf_field(reader, "llama.rope.freq_base", 10000.0)),
            norm_eps=_f32(gguf_field(reader, "llama.attention.layer_norm_rms_epsilon", 1e-5)),
        )
        rope_dims = gguf_field(reader, "llama.rope.dimension_count")
        if rope_dims is not None:
            fields["head_dim"] = int(rope_dims)
    else:
        fields.update(arch="gpt2", norm="layernorm", activation="gelu", positional="learned",
                      bias=True, norm_eps=float(gguf_field(
                          reader, "gpt2.attention.layer_norm_epsilon", 1e-5)))
    fields["tied_classifier"] = _classifier_tied(tensors)
    return fields


def _f32(v: Any) -> float:
    """A float32 metadata value as the decimal it was written from (1e-5, not 9.99e-6)."""
    return float(f"{float(v):.7g}")


def _classifier_tied(tensors: dict[str, Any]) -> bool:
    """True when there is no ``output.weight`` or it is bit-identical to the embedding
    (llama.cpp's llama2.c converter writes the shared matrix twice)."""
    import numpy as np

    out = tensors.get("output.weight")
    emb = tensors.get("token_embd.weight")
    if out is None:
        return True
    if emb is None or out.tensor_type != emb.tensor_type or list(out.shape) != list(emb.shape):
        return False
    return bool(np.array_equal(np.asarray(out.data), np.asarray(emb.data)))
