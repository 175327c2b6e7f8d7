"""Trace files: readers and writers, streamed in chunks.

Formats (chosen by ``fmt`` or the file extension):

- ``npy``: a 1-D integer array of byte addresses of 8-byte loads (memory-mapped, so a
  large file is read chunk by chunk).
- ``npz``: arrays ``addr`` (required), ``kind`` (0 load, 1 store) and ``size`` (bytes);
  no other keys. Each array is loaded whole (zip members cannot be memory-mapped).
- ``din``: Dinero III/IV "din" text, ``LABEL ADDRESS`` per line, label 0 read, 1 write,
  2 instruction fetch (read), 3 escape, 4 flush (skipped); address in hex
  (Hill, Dinero IV documentation, "din input format").
- ``ramulator``: ``ADDRESS R|W`` per line (Ramulator's memory-trace mode; address
  decimal or 0x hex).
- ``dramsim3``: ``ADDRESS OP CYCLE`` per line, OP one of READ/WRITE/R/W
  (DRAMSim3's trace format; the cycle column is read and ignored).

Extensions: ``.npy``, ``.npz``, ``.din``/``.dinero``, ``.ramulator``, ``.dramsim3``/``.trc``;
any other text file is sniffed from its first data line. Text accesses are
``access_bytes`` (default 8) wide. Malformed input raises
:class:`janus1.errors.FormatError` naming the file and line.

Bounds (:mod:`janus1.limits`): an ``.npz`` member's declared shape is checked against
the member's size and the buffer limit before it is read; an access is at most
:data:`MAX_ACCESS_BYTES` wide and ends below 2^62 (so a simulator's line loop is bounded).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, InputError
from ..limits import check_buffer, check_int, check_path, path_exists
from .chunk import LOAD, STORE, TraceChunk

__all__ = ["read_trace", "write_trace", "FORMATS", "detect_format", "MAX_ACCESS_BYTES",
           "MAX_CHUNK_ACCESSES"]

# Widest single access a trace may hold: 64 KiB (1024 lines of 64 B). Real accesses are a
# word to a few cache lines; a wider one would make the simulator walk that many lines.
MAX_ACCESS_BYTES = 1 << 16
MAX_CHUNK_ACCESSES = 1 << 26  # accesses per chunk (int64 + uint8 buffers: 0.6 GB)
_ADDR_END = 1 << 62            # every access ends below this byte address

FORMATS = ("npy", "npz", "din", "ramulator", "dramsim3")
_EXT = {".npy": "npy", ".npz": "npz", ".din": "din", ".dinero": "din",
        ".ramulator": "ramulator", ".dramsim3": "dramsim3", ".trc": "dramsim3"}
_NPZ_KEYS = {"addr", "kind", "size"}


def detect_format(path: str | Path) -> str:
    """The format of a trace file from its extension, else from its first data line.

    Raises:
        InputError: the file does not exist.
        FormatError: the format cannot be recognised.
    """
    check_path(path, "a trace file")
    p = Path(path)
    if not path_exists(p):
        raise InputError(f"{p}: no such trace file")
    ext = p.suffix.lower()
    if ext in _EXT:
        return _EXT[ext]
    try:
        with p.open("r", encoding="ascii", errors="strict") as fh:
            for lineno, line in enumerate(_lines(fh), 1):
                toks = line.split("#", 1)[0].split()
                if not toks:
                    continue
                if len(toks) == 3:
                    return "dramsim3"
                if len(toks) == 2 and toks[1].upper() in ("R", "W", "READ", "WRITE"):
                    return "ramulator"
                if len(toks) >= 2 and toks[0] in ("0", "1", "2", "3", "4"):
                    return "din"
                raise FormatError(f"{p}:{lineno}: cannot tell the trace format from "
                                  f"{line.strip()[:60]!r} (use --trace-format)")
    except UnicodeDecodeError:
        raise FormatError(f"{p}: not a text trace and no known extension "
                          f"({', '.join(_EXT)})") from None
    except ValueError as exc:
        raise FormatError(f"{p}: not a text trace: {exc}") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc}") from None
    raise FormatError(f"{p}: empty trace file")


_MAX_LINE = 4096  # a trace line is a few tokens; a longer one is not a trace


def _lines(fh: Any) -> Iterator[str]:
    """The lines of a text file, refusing (ValueError) one longer than ``_MAX_LINE``."""
    while True:
        line = fh.readline(_MAX_LINE + 1)
        if not line:
            return
        if len(line) > _MAX_LINE:
            raise ValueError(f"a line longer than {_MAX_LINE} characters")
        yield line


def read_trace(path: str | Path, *, fmt: str | None = None, chunk_accesses: int = 1 << 20,
               access_bytes: int = 8) -> Iterator[TraceChunk]:
    """Read a trace file as chunks.

    The file is checked when this is called (header, keys, dtype); text lines are
    checked as they are read.

    Args:
        path: the file.
        fmt: one of :data:`FORMATS` (default: from the extension or the content).
        chunk_accesses: the most accesses per chunk.
        access_bytes: bytes per access for formats without sizes.

    Raises:
        InputError: missing file or unknown format name.
        FormatError: truncated or corrupt file, wrong keys, unparsable line.
    """
    check_path(path, "a trace file")
    p = Path(path)
    chunk_accesses = check_int(chunk_accesses, "chunk_accesses", lo=1, hi=MAX_CHUNK_ACCESSES)
    access_bytes = check_int(access_bytes, "access_bytes", lo=1, hi=MAX_ACCESS_BYTES)
    check_buffer(9 * chunk_accesses, "a trace chunk buffer", source=str(p))
    if fmt is not None and not isinstance(fmt, str):
        raise InputError(f"trace format must be a name, not {fmt!r}")
    if fmt is None:
        fmt = detect_format(p)
    elif not path_exists(p):
        raise InputError(f"{p}: no such trace file")
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InputError(f"unknown trace format {fmt!r} (known: {', '.join(FORMATS)})")
    if fmt == "npy":
        return _read_npy(p, chunk_accesses)
    if fmt == "npz":
        return _read_npz(p, chunk_accesses, access_bytes)
    return _read_text(p, fmt, chunk_accesses, access_bytes)


def _check_addr(p: Path, a: np.ndarray, what: str) -> None:
    if a.ndim != 1:
        raise FormatError(f"{p}: {what} must be a 1-D array, not shape {a.shape}")
    if a.dtype.kind not in "iu":
        raise FormatError(f"{p}: {what} must hold integers, not {a.dtype}")


def _first_line(exc: BaseException) -> str:
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return msg[:200]


def _read_npy(p: Path, chunk: int) -> Iterator[TraceChunk]:
    try:
        arr = np.load(p, mmap_mode="r", allow_pickle=False)
    except MemoryError:
        raise  # a memory-mapped load allocates nothing; never hide one
    except Exception as exc:  # noqa: BLE001 - numpy's header parser raises ValueError,
        # SyntaxError, tokenize.TokenError, UnicodeDecodeError, EOFError, OSError...
        raise FormatError(f"{p}: not a readable .npy file ({_first_line(exc)})") from None
    if not isinstance(arr, np.ndarray):
        raise FormatError(f"{p}: not a .npy array")
    _check_addr(p, arr, "the .npy array")

    def gen() -> Iterator[TraceChunk]:
        for i in range(0, arr.size, chunk):
            a = np.asarray(arr[i: i + chunk])
            if a.size and int(a.min()) < 0:
                raise FormatError(f"{p}: negative address near index {i}")
            if a.size and int(a.max()) >= _ADDR_END - 8:
                raise FormatError(f"{p}: address above 2^62 near index {i}")
            yield TraceChunk(addr=a.astype(np.int64), access_bytes=8)

    return gen()


def _npz_member(p: Path, zf: zipfile.ZipFile, key: str) -> np.ndarray:
    """Read member ``key`` of an ``.npz`` after checking its declared shape against the
    member's size and the buffer limit."""
    info = zf.getinfo(f"{key}.npy")
    try:
        with zf.open(info) as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise ValueError(f"unsupported .npy version {version}")
            if dtype.hasobject:
                raise ValueError("object arrays are not traces")
            n = 1
            for x in shape:
                n *= int(x)
            nbytes = n * dtype.itemsize
            if nbytes > info.file_size:
                raise ValueError(f"declares {nbytes} bytes, the member holds {info.file_size}")
            check_buffer(nbytes, f".npz member {key!r}", source=str(p))
        with zf.open(info) as fh:
            arr = np.lib.format.read_array(fh, allow_pickle=False)
    except FormatError:
        raise
    except MemoryError:
        raise  # the checks above must prevent it; never hide one
    except Exception as exc:  # noqa: BLE001 - zip and .npy parsers raise many kinds
        raise FormatError(f"{p}: corrupt .npz member {key!r} ({_first_line(exc)})") from None
    return arr


def _read_npz(p: Path, chunk: int, access_bytes: int) -> Iterator[TraceChunk]:
    try:
        zf = zipfile.ZipFile(p)
    except Exception as exc:  # noqa: BLE001 - BadZipFile, OSError, ValueError, EOFError...
        raise FormatError(f"{p}: not a readable .npz file ({_first_line(exc)})") from None
    with zf:
        names = zf.namelist()
        keys = {n[:-4] for n in names if n.endswith(".npy")}
        if len(keys) != len(names) or "addr" not in keys or keys - _NPZ_KEYS:
            if len(keys) != len(names):
                keys |= {n for n in names if not n.endswith(".npy")}
            raise FormatError(f"{p}: .npz keys {sorted(keys)[:8]}: expected 'addr' and "
                              "optionally 'kind' and 'size'")
        addr = _npz_member(p, zf, "addr")
        kind = _npz_member(p, zf, "kind") if "kind" in keys else None
        size = _npz_member(p, zf, "size") if "size" in keys else None
    _check_addr(p, addr, "'addr'")
    for name, a in (("kind", kind), ("size", size)):
        if a is not None:
            _check_addr(p, a, repr(name))
            if a.size != addr.size:
                raise FormatError(f"{p}: {name!r} has {a.size} entries, 'addr' has "
                                  f"{addr.size}")
    if kind is not None and kind.size and (int(kind.min()) < 0 or int(kind.max()) > 1):
        raise FormatError(f"{p}: 'kind' must be 0 (load) or 1 (store)")
    if size is not None and size.size and (int(size.min()) < 1
                                           or int(size.max()) > MAX_ACCESS_BYTES):
        raise FormatError(f"{p}: 'size' must be in 1..{MAX_ACCESS_BYTES} bytes")
    if addr.size and int(addr.min()) < 0:
        raise FormatError(f"{p}: negative address")
    if addr.size and int(addr.max()) >= _ADDR_END - MAX_ACCESS_BYTES:
        raise FormatError(f"{p}: address above 2^62")

    def gen() -> Iterator[TraceChunk]:
        for i in range(0, addr.size, chunk):
            yield TraceChunk(
                addr=addr[i: i + chunk].astype(np.int64),
                kind=None if kind is None else kind[i: i + chunk].astype(np.uint8),
                size=None if size is None else size[i: i + chunk].astype(np.int64),
                access_bytes=access_bytes)

    return gen()


_DIN_KIND = {"0": LOAD, "1": STORE, "2": LOAD}
_OPS = {"R": LOAD, "READ": LOAD, "W": STORE, "WRITE": STORE}


def _read_text(p: Path, fmt: str, chunk: int, access_bytes: int) -> Iterator[TraceChunk]:
    def gen() -> Iterator[TraceChunk]:
        addr = np.empty(chunk, np.int64)
        kind = np.empty(chunk, np.uint8)
        n = 0
        try:
            fh = p.open("r", encoding="ascii", errors="strict")
        except OSError as exc:
            raise InputError(f"{p}: cannot read: {exc}") from None
        with fh:
            lineno = 0
            try:
                for lineno, line in enumerate(_lines(fh), 1):  # noqa: B007
                    toks = line.split("#", 1)[0].split()
                    if not toks:
                        continue
                    if fmt == "din":
                        if len(toks) < 2 or toks[0] not in ("0", "1", "2", "3", "4"):
                            raise ValueError("expected 'LABEL ADDRESS' with label 0-4")
                        if toks[0] in ("3", "4"):
                            continue
                        a, k = int(toks[1], 16), _DIN_KIND[toks[0]]
                    elif fmt == "ramulator":
                        if len(toks) != 2 or toks[1].upper() not in _OPS:
                            raise ValueError("expected 'ADDRESS R|W'")
                        a, k = int(toks[0], 0), _OPS[toks[1].upper()]
                    else:
                        if len(toks) != 3 or toks[1].upper() not in _OPS:
                            raise ValueError("expected 'ADDRESS OP CYCLE'")
                        a, k = int(toks[0], 0), _OPS[toks[1].upper()]
                        int(toks[2], 0)
                    if a < 0 or a >= _ADDR_END - access_bytes:
                        raise ValueError(f"address {a} out of range")
                    addr[n] = a
                    kind[n] = k
                    n += 1
                    if n == chunk:
                        yield TraceChunk(addr=addr.copy(), kind=kind.copy(),
                                         access_bytes=access_bytes)
                        n = 0
            except UnicodeDecodeError:
                raise FormatError(f"{p}:{lineno + 1}: not ASCII text ({fmt} trace)") from None
            except ValueError as exc:
                raise FormatError(f"{p}:{lineno}: bad {fmt} line {line.strip()[:60]!r}: "
                                  f"{exc}") from None
        if n:
            yield TraceChunk(addr=addr[:n].copy(), kind=kind[:n].copy(),
                             access_bytes=access_bytes)

    return gen()


def write_trace(path: str | Path, chunks: Iterable[TraceChunk | np.ndarray], *,
                fmt: str | None = None) -> int:
    """Write a trace atomically; return the number of accesses written.

    ``npy`` keeps addresses only (8-byte loads): a trace with stores or other sizes
    must go to ``npz`` or a text format. ``npy``/``npz`` collect the whole trace in
    memory before writing; text formats stream.

    Raises:
        InputError: unknown format, or stores/sizes that ``npy`` cannot hold.
    """
    check_path(path, "a trace file")
    if fmt is not None and not isinstance(fmt, str):
        raise InputError(f"trace format must be a name, not {fmt!r}")
    p = Path(path)
    fmt = (fmt or _EXT.get(p.suffix.lower(), "")).lower()
    if fmt not in FORMATS:
        raise InputError(f"{p}: unknown trace format {fmt!r} (known: {', '.join(FORMATS)})")
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    n = 0
    try:
        if fmt in ("npy", "npz"):
            os.close(fd)
            addrs, kinds, sizes = [], [], []
            has_kind = has_size = False
            for c in chunks:
                c = c if isinstance(c, TraceChunk) else TraceChunk(addr=np.asarray(c))
                addrs.append(np.asarray(c.addr, np.int64))
                kinds.append(np.zeros(len(c), np.uint8) if c.kind is None else c.kind)
                sizes.append(np.full(len(c), c.access_bytes, np.int64) if c.size is None
                             else c.size)
                has_kind |= c.stores > 0
                has_size |= c.size is not None or c.access_bytes != 8
            a = np.concatenate(addrs) if addrs else np.zeros(0, np.int64)
            n = a.size
            with open(tmp, "wb") as fh:
                if fmt == "npy":
                    if has_kind or has_size:
                        raise InputError(f"{p}: .npy holds 8-byte loads only; this trace has "
                                         "stores or other sizes (use .npz)")
                    np.save(fh, a)
                else:
                    arrays = {"addr": a}
                    if has_kind:
                        arrays["kind"] = np.concatenate(kinds)
                    if has_size:
                        arrays["size"] = np.concatenate(sizes)
                    np.savez(fh, **arrays)
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                for c in chunks:
                    c = c if isinstance(c, TraceChunk) else TraceChunk(addr=np.asarray(c))
                    ks = np.zeros(len(c), np.uint8) if c.kind is None else c.kind
                    for a_, k_ in zip(c.addr.tolist(), ks.tolist(), strict=True):
                        if fmt == "din":
                            fh.write(f"{1 if k_ else 0} {a_:x}\n")
                        elif fmt == "ramulator":
                            fh.write(f"0x{a_:x} {'W' if k_ else 'R'}\n")
                        else:
                            fh.write(f"0x{a_:x} {'WRITE' if k_ else 'READ'} {n}\n")
                        n += 1
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n
