"""llama2.c checkpoint headers (``.bin``): the float "version 0" legacy layout and the
``ak42`` versioned exports (version 1 float32, version 2 Q8_0).

Layouts follow karpathy/llama2.c ``export.py`` (``legacy_export``, ``version1_export``,
``version2_export``) and ``run.c``/``runq.c`` ``read_checkpoint``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, FormatError

__all__ = ["Llama2cHeader", "read_llama2c_header", "LLAMA2C_MAGIC"]

LLAMA2C_MAGIC = 0x616B3432  # "ak42" little-endian, llama2.c export.py
_MAX_DIM = 1 << 20  # sanity bound on any header field


@dataclass(frozen=True, slots=True)
class Llama2cHeader:
    """Fields of a llama2.c checkpoint header, with where the tensors start."""

    version: int            # 0 legacy float32, 1 float32 ak42, 2 Q8_0 ak42
    dim: int
    hidden_dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    seq_len: int
    shared_classifier: bool
    group_size: int         # Q8_0 group size (version 2), else 0
    data_offset: int        # byte offset of the first tensor
    file_size: int

    @property
    def head_size(self) -> int:
        return self.dim // self.n_heads

    @property
    def kv_dim(self) -> int:
        return self.n_kv_heads * self.head_size

    def expected_size(self) -> int:
        """Bytes the whole file must have for these header fields."""
        d, h, L, v, hs = self.dim, self.hidden_dim, self.n_layers, self.vocab_size, self.head_size
        kv = self.kv_dim
        norms = L * d * 2 + d  # rms_att, rms_ffn, rms_final
        mats = [v * d] + [L * d * d, L * d * kv, L * d * kv, L * d * d,
                          L * d * h, L * h * d, L * d * h]
        if not self.shared_classifier:
            mats.append(v * d)
        if self.version == 0:
            # float32: embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final,
            # freq_cis_real and freq_cis_imag (seq_len * head_size / 2 each), [wcls]
            return self.data_offset + 4 * (sum(mats) + norms + self.seq_len * hs)
        if self.version == 1:
            return self.data_offset + 4 * (sum(mats) + norms)
        # version 2: norms in float32, then each matrix as int8 values + float32 scales
        gs = self.group_size
        return self.data_offset + 4 * norms + sum(n + 4 * (n // gs) for n in mats)


def read_llama2c_header(path: str | Path) -> Llama2cHeader:
    """Read and validate the header of a llama2.c checkpoint.

    Raises:
        FormatError: the file is too short, the header is impossible, or the file size
            does not match what the header implies (truncated or padded).
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(256)
        size = p.stat().st_size
    except FileNotFoundError:
        raise FormatError(f"{p}: no such file") from None
    except OSError as exc:
        raise FormatError(f"{p}: cannot read: {exc}") from None
    if len(head) < 28:
        raise FormatError(f"{p}: truncated llama2.c header ({len(head)} bytes, need 28)")
    magic = struct.unpack_from("<I", head, 0)[0]
    if magic == LLAMA2C_MAGIC:
        if len(head) < 256:
            raise FormatError(f"{p}: truncated llama2.c ak42 header ({len(head)} of 256 bytes)")
        version = struct.unpack_from("<i", head, 4)[0]
        if version not in (1, 2):
            raise FormatError(f"{p}: unsupported llama2.c export version {version} "
                              "(known: 0 legacy, 1, 2)")
        dim, hidden, L, nh, nkv, vocab, seq = struct.unpack_from("<7i", head, 8)
        shared = bool(head[36])
        gs = struct.unpack_from("<i", head, 37)[0] if version == 2 else 0
        offset = 256
    else:
        version = 0
        dim, hidden, L, nh, nkv, vocab, seq = struct.unpack_from("<7i", head, 0)
        shared = vocab > 0  # run.c: a negative vocab_size flags an unshared classifier
        vocab = abs(vocab)
        gs, offset = 0, 28
    fields = {"dim": dim, "hidden_dim": hidden, "n_layers": L, "n_heads": nh,
              "n_kv_heads": nkv, "vocab_size": vocab, "seq_len": seq}
    for name, v in fields.items():
        if not 0 < v <= _MAX_DIM:
            raise FormatError(f"{p}: corrupt llama2.c header: {name} = {v}")
    if dim % nh or nh % nkv:
        raise FormatError(f"{p}: corrupt llama2.c header: dim {dim}, n_heads {nh}, "
                          f"n_kv_heads {nkv} are inconsistent")
    if version == 2 and (gs <= 0 or dim % gs):
        raise FormatError(f"{p}: corrupt llama2.c header: group_size = {gs}")
    hdr = Llama2cHeader(version=version, dim=dim, hidden_dim=hidden, n_layers=L, n_heads=nh,
                        n_kv_heads=nkv, vocab_size=vocab, seq_len=seq, shared_classifier=shared,
                        group_size=gs, data_offset=offset, file_size=size)
    want = hdr.expected_size()
    if size < want:
        raise FormatError(f"{p}: truncated llama2.c checkpoint: {size} bytes, header implies "
                          f"{want}")
    if size > want:
        raise FormatError(f"{p}: llama2.c checkpoint has {size - want} unexpected trailing "
                          "bytes (corrupt header?)")
    return hdr


def spec_fields_from_header(hdr: Llama2cHeader) -> dict[str, object]:
    """ModelSpec fields implied by a llama2.c header (llama arch, interleaved RoPE)."""
    if hdr.dim % hdr.n_heads:
        raise ConfigError("dim not divisible by n_heads")
    return {
        "arch": "llama", "dim": hdr.dim, "hidden_dim": hdr.hidden_dim,
        "n_layers": hdr.n_layers, "n_heads": hdr.n_heads, "n_kv_heads": hdr.n_kv_heads,
        "vocab_size": hdr.vocab_size, "seq_len": hdr.seq_len,
        "tied_classifier": hdr.shared_classifier, "rope_layout": "interleaved",
        "norm": "rmsnorm", "norm_eps": 1e-5, "activation": "swiglu", "positional": "rope",
    }
