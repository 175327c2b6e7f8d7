"""Offline weight export: a versioned binary image of the fixed-point decoder's constants.

What a boot loader would DMA into BRAM (seed 004, "Quantized constants offline": weights as
packed bytes plus exponents in external flash, copied at boot). Layout, little-endian:

======  =====  ====================================================================
offset  bytes  field
======  =====  ====================================================================
0       8      magic ``b"J1FXIMG\\0"``
8       4      format version (u32), :data:`IMAGE_VERSION`
12      4      number of sections (u32)
16      8      offset of the section table (u64)
24      8      offset of the metadata (u64): UTF-8 JSON with the model spec and formats
32      8      metadata bytes (u64)
40      8      total image bytes (u64)
48      4      CRC-32 of the section table and metadata (u32)
52      12     reserved, zero
======  =====  ====================================================================

Section table: one 64-byte entry per section: name (24 bytes, ASCII, NUL-padded), dtype
code (u8: 1 int8, 2 int16, 3 int32, 4 int64), ndim (u8), 2 reserved bytes, shape (4 x u32),
data offset (u64), data bytes (u64), CRC-32 of the data (u32). Data blocks start on
:data:`ALIGN`-byte boundaries (a DMA burst). Weight mantissas are packed row-major in their
stored width (INT8 for the seed's weights), exponents one byte each (Signed 7 in an int8),
tables in the narrowest signed width that holds them.

The memory map (:func:`memory_map`) is the section table as a list: name, offset, bytes,
dtype, shape. :func:`read_image` checks magic, version, sizes and checksums, and
:func:`decoder_from_image` rebuilds a :class:`~janus1.decoder.fixed_ref.FixedDecoder` whose
logits equal the exporting decoder's bit for bit.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError
from ..models.spec import ModelSpec
from ..report import atomic_write_bytes

__all__ = ["IMAGE_MAGIC", "IMAGE_VERSION", "ALIGN", "FixedImage", "write_image", "read_image",
           "memory_map", "decoder_from_image"]

IMAGE_MAGIC = b"J1FXIMG\0"
IMAGE_VERSION = 1
ALIGN = 64                      # bytes; data blocks start on a 64-byte (burst) boundary
_HEADER = struct.Struct("<8sIIQQQQI12x")   # 64 bytes
_ENTRY = struct.Struct("<24sBB2x4IQQI")  # 64 bytes
_DTYPES = {1: np.int8, 2: np.int16, 3: np.int32, 4: np.int64}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
if _HEADER.size != 64 or _ENTRY.size != 64:  # pragma: no cover - layout guard
    raise RuntimeError("image header or section entry is not 64 bytes")


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedImage:
    """A read image: version, metadata, the arrays and the memory map."""

    version: int
    meta: dict[str, Any]                 # spec, config, eps_q, act_bits
    sections: dict[str, np.ndarray]      # name -> array (read-only copies)
    map: list[dict[str, Any]]            # the memory map (see memory_map)


def _narrow(a: np.ndarray) -> np.ndarray:
    """The narrowest signed integer dtype holding ``a`` exactly."""
    if a.dtype in (np.int8, np.int16) or a.size == 0:
        return a
    lo, hi = int(a.min()), int(a.max())
    for dt in (np.int8, np.int16, np.int32, np.int64):
        info = np.iinfo(dt)
        if info.min <= lo and hi <= info.max:
            return a.astype(dt)
    raise FormatError(f"values {lo}..{hi} do not fit int64")  # pragma: no cover


def write_image(decoder: Any, path: str | Path) -> list[dict[str, Any]]:
    """Write ``decoder``'s quantized weights and tables as an image (atomically).

    Args:
        decoder: a :class:`~janus1.decoder.fixed_ref.FixedDecoder`.
        path: output file.

    Returns:
        The memory map.
    """
    fw = decoder.weights
    tied = fw.cls_m is fw.emb_m
    # a tied classifier is the embedding's rows: stored once
    arrays = {k: _narrow(np.ascontiguousarray(v)) for k, v in fw.tensors().items()
              if not (tied and k in ("cls_m", "cls_e"))}
    spec_d = {f.name: getattr(decoder.spec, f.name) for f in fields(ModelSpec)}
    spec_d["notes"] = list(spec_d["notes"])
    meta = {"spec": spec_d, "config": asdict(decoder.config), "eps_q": fw.eps_q,
            "act_bits": decoder.act_bits, "tied": tied,
            "weight_max_abs_error": fw.max_abs_error}
    meta_b = json.dumps(meta, sort_keys=True).encode()
    names = list(arrays)
    table_off = _HEADER.size
    meta_off = table_off + _ENTRY.size * len(names)
    off = -(-(meta_off + len(meta_b)) // ALIGN) * ALIGN
    entries = []
    blobs = []
    mmap = []
    for n in names:
        a = arrays[n]
        if len(n) > 24 or a.ndim > 4:
            raise FormatError(f"section {n!r}: name over 24 bytes or more than 4 axes")
        data = a.tobytes()
        shape = list(a.shape) + [0] * (4 - a.ndim)
        entries.append(_ENTRY.pack(n.encode(), _CODES[a.dtype], a.ndim, *shape, off, len(data),
                                   zlib.crc32(data)))
        mmap.append({"name": n, "offset": off, "bytes": len(data), "dtype": str(a.dtype),
                     "shape": list(a.shape)})
        blobs.append((off, data))
        off = -(-(off + len(data)) // ALIGN) * ALIGN
    total = off
    table_b = b"".join(entries)
    header = _HEADER.pack(IMAGE_MAGIC, IMAGE_VERSION, len(names), table_off, meta_off,
                          len(meta_b), total, zlib.crc32(table_b + meta_b))
    buf = bytearray(total)
    buf[:64] = header
    buf[table_off:table_off + len(table_b)] = table_b
    buf[meta_off:meta_off + len(meta_b)] = meta_b
    for o, d in blobs:
        buf[o:o + len(d)] = d
    atomic_write_bytes(Path(path), bytes(buf))
    return mmap


def read_image(path: str | Path) -> FixedImage:
    """Read and verify an image.

    Raises:
        FormatError: missing file, bad magic, unknown version, truncation or a checksum
            mismatch (naming the file and the field).
    """
    p = Path(path)
    try:
        buf = p.read_bytes()
    except FileNotFoundError:
        raise FormatError(f"{p}: no such image file") from None
    if len(buf) < _HEADER.size:
        raise FormatError(f"{p}: {len(buf)} bytes, shorter than the {_HEADER.size}-byte header")
    magic, ver, n, toff, moff, mlen, total, crc = _HEADER.unpack_from(buf, 0)
    if magic != IMAGE_MAGIC:
        raise FormatError(f"{p}: magic {magic!r} is not a janus1 fixed-point image")
    if ver != IMAGE_VERSION:
        raise FormatError(f"{p}: image version {ver} is not supported (this reader: "
                          f"{IMAGE_VERSION})")
    if total != len(buf):
        raise FormatError(f"{p}: header says {total} bytes, file has {len(buf)} (truncated?)")
    if toff + n * _ENTRY.size > len(buf) or moff + mlen > len(buf):
        raise FormatError(f"{p}: section table or metadata past the end of the file")
    table_b = buf[toff:toff + n * _ENTRY.size]
    meta_b = buf[moff:moff + mlen]
    if zlib.crc32(table_b + meta_b) != crc:
        raise FormatError(f"{p}: header CRC mismatch (section table or metadata corrupt)")
    meta = json.loads(meta_b.decode())
    sections: dict[str, np.ndarray] = {}
    mmap = []
    for i in range(n):
        name_b, code, ndim, s0, s1, s2, s3, off, nbytes, dcrc = _ENTRY.unpack_from(
            table_b, i * _ENTRY.size)
        name = name_b.rstrip(b"\0").decode()
        if code not in _DTYPES or ndim > 4:
            raise FormatError(f"{p}: section {name!r}: dtype code {code} / ndim {ndim} unknown")
        shape = (s0, s1, s2, s3)[:ndim]
        dt = np.dtype(_DTYPES[code])
        if int(np.prod(shape, dtype=np.int64)) * dt.itemsize != nbytes or off + nbytes > len(buf):
            raise FormatError(f"{p}: section {name!r}: size {nbytes} does not match shape "
                              f"{shape} or runs past the end")
        data = buf[off:off + nbytes]
        if zlib.crc32(data) != dcrc:
            raise FormatError(f"{p}: section {name!r}: data CRC mismatch")
        sections[name] = np.frombuffer(data, dtype=dt).reshape(shape).copy()
        mmap.append({"name": name, "offset": off, "bytes": nbytes, "dtype": str(dt),
                     "shape": list(shape)})
    return FixedImage(version=ver, meta=meta, sections=sections, map=mmap)


def memory_map(path: str | Path) -> list[dict[str, Any]]:
    """The memory map of an image: one dict per section (name, offset, bytes, dtype, shape)."""
    return read_image(path).map


def decoder_from_image(path: str | Path) -> Any:
    """Rebuild a :class:`~janus1.decoder.fixed_ref.FixedDecoder` from an image alone."""
    from .fixed_ref import FixedConfig, FixedDecoder, FixedWeights

    img = read_image(path)
    spec_d = dict(img.meta["spec"])
    spec_d["notes"] = tuple(spec_d.get("notes", ()))
    spec = ModelSpec(**spec_d)
    cfg = FixedConfig(**img.meta["config"])
    s = img.sections
    wide = {k: (v.astype(np.int64) if k in ("exp_lut", "isq_lut", "rope_cos", "rope_sin") else v)
            for k, v in s.items()}
    if img.meta.get("tied"):
        wide["cls_m"], wide["cls_e"] = wide["emb_m"], wide["emb_e"]
    fw = FixedWeights(**wide, eps_q=int(img.meta["eps_q"]),
                      max_abs_error=dict(img.meta.get("weight_max_abs_error", {})))
    return FixedDecoder(spec, None, cfg, fixed_weights=fw)
