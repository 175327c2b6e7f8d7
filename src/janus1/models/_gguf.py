"""GGUF metadata and tensor-list reading (through the ``gguf`` package, llama.cpp's own
reader). Only the ``llama`` and ``gpt2`` architectures are mapped to a ModelSpec.

``gguf.GGUFReader`` trusts the counts in the file: an array that declares 2^40
elements makes it loop past the end of the file for ever. :func:`scan_gguf` therefore
walks the whole header first with a bounds-checked cursor (:class:`janus1.limits.ByteCursor`):
every declared count and length is checked against the bytes left, every string is
UTF-8, every tensor lies inside the file and has a known type (the GGUF layout:
ggml ``docs/gguf.md``). Only a file that passes is handed to ``GGUFReader``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import FormatError
from ..limits import ByteCursor, check_count, check_float, check_int

__all__ = ["open_gguf", "scan_gguf", "GGUFTensorInfo", "gguf_spec_fields", "gguf_field",
           "gguf_int", "gguf_float", "gguf_list"]

# GGUF value types (ggml docs/gguf.md, gguf_metadata_value_type) -> fixed size in bytes
_SCALAR_BYTES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
_MAX_DIMS = 4           # GGML_MAX_DIMS
_MAX_NESTING = 2        # arrays of arrays are legal; deeper nesting is refused
_MAX_KEY_BYTES = 1 << 16


@dataclass(frozen=True, slots=True)
class GGUFTensorInfo:
    """One tensor as declared in the header, checked to lie inside the file."""

    name: str
    ne: tuple[int, ...]      # ggml dims, fastest first
    type_id: int             # GGMLQuantizationType value
    n_elements: int
    n_bytes: int
    offset: int              # absolute byte offset of the data


def scan_gguf(path: str | Path) -> list[GGUFTensorInfo]:
    """Walk a GGUF header and tensor list with every count checked against the file.

    Raises:
        FormatError: anything truncated, oversized, undecodable or out of the file.
    """
    import mmap

    p = Path(path)
    try:
        with p.open("rb") as fh:
            data: Any = (mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                         if p.stat().st_size else b"")
    except OSError as exc:
        raise FormatError(f"{p}: cannot read: {exc}") from None
    try:
        return _scan(p, ByteCursor(data, str(p), kind="GGUF"))
    finally:
        if not isinstance(data, bytes):
            data.close()


def _scan(p: Path, cur: ByteCursor) -> list[GGUFTensorInfo]:
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    src = str(p)
    if cur.take(4, "magic") != b"GGUF":
        raise FormatError(f"{p}: not a GGUF file (bad magic)")
    version = cur.u32("version")
    if version & 0xFFFF == 0:
        raise FormatError(f"{p}: big-endian GGUF files are not supported")
    if version not in (2, 3):
        raise FormatError(f"{p}: GGUF version {version} is not supported (2, 3)")
    n_tensors = cur.u64("tensor_count")
    n_kv = cur.u64("kv_count")
    # smallest possible entries: a kv is key length (8) + type (4) + a 1-byte value,
    # a tensor info is name length (8) + n_dims (4) + one dim (8) + type (4) + offset (8)
    check_count(n_kv, 13, cur.left, "GGUF kv_count", source=src)
    check_count(n_tensors, 32, cur.left, "GGUF tensor_count", source=src)
    keys: set[str] = set()
    alignment = 32  # GGUF_DEFAULT_ALIGNMENT
    for i in range(n_kv):
        key = cur.string(f"metadata key {i}", max_len=_MAX_KEY_BYTES)
        if key in keys:
            raise FormatError(f"{p}: metadata key {_q(key)} appears twice")
        keys.add(key)
        vtype = cur.u32(f"type of {_q(key)}")
        if key == "general.alignment":
            if vtype != 4:
                raise FormatError(f"{p}: general.alignment must be a uint32")
            alignment = cur.u32(key)
            if alignment == 0 or alignment & (alignment - 1):
                raise FormatError(f"{p}: general.alignment {alignment} is not a power of two")
            continue
        _skip_value(cur, vtype, _q(key), 0)
    infos: list[tuple[str, tuple[int, ...], int, int]] = []
    names: set[str] = set()
    for i in range(n_tensors):
        name = cur.string(f"tensor {i} name", max_len=_MAX_KEY_BYTES)
        if name in names:
            raise FormatError(f"{p}: tensor {_q(name)} appears twice")
        names.add(name)
        nd = cur.u32(f"tensor {_q(name)} n_dims")
        if not 1 <= nd <= _MAX_DIMS:
            raise FormatError(f"{p}: tensor {_q(name)} has {nd} dimensions (1..{_MAX_DIMS})")
        ne = cur.unpack(f"{nd}Q", f"tensor {_q(name)} dims")
        tid = cur.u32(f"tensor {_q(name)} type")
        off = cur.u64(f"tensor {_q(name)} offset")
        infos.append((name, tuple(int(x) for x in ne), tid, off))
    start = cur.pos + (-cur.pos) % alignment
    out: list[GGUFTensorInfo] = []
    for name, ne, tid, off in infos:
        try:
            qt = GGMLQuantizationType(tid)
            block, type_size = GGML_QUANT_SIZES[qt]
        except (ValueError, KeyError):
            raise FormatError(f"{p}: tensor {_q(name)} has unknown GGML type {tid}") from None
        if any(d < 1 for d in ne):
            raise FormatError(f"{p}: tensor {_q(name)} has a zero dimension {list(ne)}")
        n = math.prod(ne)
        if n > cur.size * 64 or ne[0] % block:
            raise FormatError(f"{p}: tensor {_q(name)} dims {list(ne)} are impossible for type "
                              f"{qt.name} (block {block})")
        nbytes = n // block * type_size
        if off % alignment or start + off + nbytes > cur.size:
            raise FormatError(f"{p}: tensor {_q(name)} ({nbytes} bytes at offset {off}) lies "
                              f"outside the file ({cur.size} bytes) or is misaligned")
        out.append(GGUFTensorInfo(name=name, ne=ne, type_id=tid, n_elements=n,
                                  n_bytes=nbytes, offset=start + off))
    return out


def _skip_value(cur: ByteCursor, vtype: int, key: str, depth: int) -> None:
    if vtype in _SCALAR_BYTES:
        cur.skip(_SCALAR_BYTES[vtype], key)
        return
    if vtype == _STRING:
        cur.string(key)
        return
    if vtype != _ARRAY:
        raise FormatError(f"{cur.source}: metadata {key} has unknown value type {vtype}")
    if depth >= _MAX_NESTING:
        raise FormatError(f"{cur.source}: metadata {key} nests arrays too deeply")
    etype = cur.u32(f"element type of {key}")
    count = cur.u64(f"length of {key}")
    if etype in _SCALAR_BYTES:
        cur.skip(check_count(count, _SCALAR_BYTES[etype], cur.left, f"GGUF {key}",
                             source=cur.source)
                 * _SCALAR_BYTES[etype], key)
        return
    if etype not in (_STRING, _ARRAY):
        raise FormatError(f"{cur.source}: metadata {key} has unknown element type {etype}")
    # each string element needs at least its 8-byte length; each array its 12-byte head
    check_count(count, 8 if etype == _STRING else 12, cur.left, f"GGUF {key}",
                source=cur.source)
    for j in range(count):
        _skip_value(cur, etype, f"{key}[{j}]", depth + 1)


def _q(s: str) -> str:
    """A name read from the file, safe to print on one line."""
    return ascii(s)[1:-1][:80]


def open_gguf(path: str | Path) -> Any:
    """Open a GGUF file with ``gguf.GGUFReader`` (memory-mapped) after :func:`scan_gguf`.

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
    scan_gguf(p)
    import gguf

    try:
        return gguf.GGUFReader(str(p), "r")
    except Exception as exc:  # noqa: BLE001 - the reader raises ValueError/KeyError/...
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FormatError(f"{p}: corrupt or truncated GGUF: {msg}") from None


def gguf_field(reader: Any, key: str, default: Any = None) -> Any:
    """A metadata value by key (scalars as Python values, strings decoded)."""
    f = reader.fields.get(key)
    if f is None:
        return default
    try:
        return f.contents()
    except UnicodeDecodeError:
        raise FormatError(f"GGUF metadata {key}: not UTF-8") from None
    except Exception:  # noqa: BLE001 - old gguf versions lack contents()
        import numpy as np

        part = f.parts[f.data[0]]
        if part.dtype == np.uint8:
            try:
                return bytes(part).decode("utf-8")
            except UnicodeDecodeError:
                raise FormatError(f"GGUF metadata {key}: not UTF-8") from None
        return part.tolist()[0]


def gguf_int(reader: Any, key: str, path: Path, default: int | None = None, *,
             lo: int = 1, hi: int = 1 << 24) -> int | None:
    """An integer metadata value in ``[lo, hi]`` (FormatError naming the file otherwise)."""
    v = gguf_field(reader, key)
    if v is None:
        return default
    return check_int(v, f"{path}: GGUF {key}", lo=lo, hi=hi, error=FormatError)


def gguf_float(reader: Any, key: str, path: Path, default: float, *,
               lo: float | None = None, hi: float | None = None,
               lo_open: bool = False) -> float:
    """A finite float metadata value in range."""
    v = gguf_field(reader, key)
    if v is None:
        return default
    return check_float(v, f"{path}: GGUF {key}", lo=lo, hi=hi, lo_open=lo_open,
                       error=FormatError)


def gguf_list(reader: Any, key: str, path: Path, kind: type) -> list[Any] | None:
    """An array metadata value whose elements are all ``kind`` (int, float or str)."""
    v = gguf_field(reader, key)
    if v is None:
        return None
    ok = isinstance(v, list) and all(
        isinstance(x, kind) and not isinstance(x, bool) if kind is not float
        else isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
        for x in v)
    if not ok:
        raise FormatError(f"{path}: GGUF {key} must be an array of "
                          f"{'finite numbers' if kind is float else kind.__name__}")
    return v


def gguf_spec_fields(reader: Any, path: Path) -> dict[str, Any]:
    """ModelSpec fields from GGUF metadata, plus tensor-list facts."""
    arch = gguf_field(reader, "general.architecture")
    if arch not in ("llama", "gpt2"):
        raise FormatError(f"{path}: general.architecture {str(arch)[:40]!r} is not supported "
                          "(supported: llama, gpt2)")

    def need(key: str) -> int:
        v = gguf_int(reader, f"{arch}.{key}", path)
        if v is None:
            raise FormatError(f"{path}: GGUF metadata lacks {arch}.{key}")
        return v

    tensors = {t.name: t for t in reader.tensors}
    dim = need("embedding_length")
    n_heads = need("attention.head_count")
    vocab = gguf_int(reader, f"{arch}.vocab_size", path)
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
        kv = gguf_int(reader, "llama.attention.head_count_kv", path)
        fields.update(
            arch="llama", n_kv_heads=kv if kv is not None else n_heads,
            norm="rmsnorm", activation="swiglu", positional="rope",
            # llama.cpp's converters permute Q/K so that RoPE rotates adjacent pairs
            rope_layout="interleaved",
            rope_theta=_f32(gguf_float(reader, "llama.rope.freq_base", path, 10000.0,
                                       lo=1.0, lo_open=True)),
            norm_eps=_f32(gguf_float(reader, "llama.attention.layer_norm_rms_epsilon", path,
                                     1e-5, lo=0.0, hi=1.0, lo_open=True)),
        )
        rope_dims = gguf_int(reader, "llama.rope.dimension_count", path)
        if rope_dims is not None:
            fields["head_dim"] = rope_dims
    else:
        fields.update(arch="gpt2", norm="layernorm", activation="gelu", positional="learned",
                      bias=True, norm_eps=gguf_float(
                          reader, "gpt2.attention.layer_norm_epsilon", path, 1e-5,
                          lo=0.0, hi=1.0, lo_open=True))
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
