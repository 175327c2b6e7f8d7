"""Bounds every reader and entry point checks before it reads, allocates or computes.

janus1 promises that no input, however corrupt or hostile, makes it crash, hang or
grow without bound. Three rules carry that promise, and every reader (present and
future) goes through the helpers here:

1. A declared count or size (an array length, a string length, a tensor's bytes) is
   checked against the bytes left in the file *before* anything is read or allocated
   (:func:`check_count`, :class:`ByteCursor`).
2. A buffer sized from declared dimensions rather than from file bytes (dequantized
   weights, KV caches, RoPE tables, trace chunks) is checked against a stated limit,
   :func:`max_buffer_bytes`, first (:func:`check_buffer`). The limit is 1 GiB, or the
   environment variable ``JANUS1_MAX_BUFFER_BYTES`` (a size such as ``8GiB``).
3. Numbers from configs and arguments are checked to be of the right type, finite and
   in range (:func:`check_int`, :func:`check_float`) so arithmetic cannot overflow,
   produce NaN or loop for ever.

Every refusal is a :class:`janus1.errors.Janus1Error` with a one-line message naming
the source and the field.
"""

from __future__ import annotations

import math
import os
import struct
from typing import Any

from .errors import ConfigError, FormatError, Janus1Error

__all__ = ["DEFAULT_MAX_BUFFER_BYTES", "max_buffer_bytes", "check_buffer", "check_count",
           "check_int", "check_float", "ByteCursor", "MAX_INT", "path_exists",
           "check_path"]

# 1 GiB: large enough for every model the float decoder is meant for (stories110M's
# float32 weights are 0.44 GB; TinyLlama's largest stacked tensor is 1.0 GB and needs the
# environment override), small enough that the fuzz harness's 4 GiB address-space limit
# holds a buffer, its float64/complex copies and the interpreter together.
DEFAULT_MAX_BUFFER_BYTES = 1 << 30
MAX_INT = (1 << 62) - 1  # no configured integer may exceed this (int64 arithmetic headroom)


def max_buffer_bytes() -> int:
    """The largest buffer janus1 allocates from declared dimensions (bytes)."""
    raw = os.environ.get("JANUS1_MAX_BUFFER_BYTES", "").strip()
    if not raw:
        return DEFAULT_MAX_BUFFER_BYTES
    from .units import parse_bytes

    try:
        n = parse_bytes(raw, what="JANUS1_MAX_BUFFER_BYTES")
    except ConfigError:
        n = 0
    if n <= 0:
        # a mistyped limit is an error, not silently the default
        raise ConfigError(f"environment JANUS1_MAX_BUFFER_BYTES={raw[:40]!r}: not a positive "
                          f"size (e.g. 8GiB)")
    return n


def _fmt(n: float) -> str:
    from .units import format_bytes

    return format_bytes(n)


def check_buffer(nbytes: int | float, what: str, *, source: str = "",
                 error: type[Janus1Error] = FormatError) -> int:
    """Refuse a buffer of ``nbytes`` above :func:`max_buffer_bytes` (or negative).

    Returns:
        ``nbytes`` as an int.
    """
    where = f"{source}: " if source else ""
    if not isinstance(nbytes, (int, float)) or isinstance(nbytes, bool) or \
            not math.isfinite(nbytes) or nbytes < 0:
        raise error(f"{where}{what}: impossible buffer size {nbytes!r}")
    limit = max_buffer_bytes()
    if nbytes > limit:
        raise error(f"{where}{what} would need {_fmt(nbytes)}, more than the limit of "
                    f"{_fmt(limit)} (set JANUS1_MAX_BUFFER_BYTES to allow more)")
    return int(nbytes)


def check_count(count: int, item_bytes: int | float, bytes_left: int, what: str, *,
                source: str = "") -> int:
    """Refuse a declared ``count`` of items of at least ``item_bytes`` each when they
    cannot fit in the ``bytes_left`` of the file.

    Returns:
        ``count`` as an int.
    """
    where = f"{source}: " if source else ""
    count = int(count)
    if count < 0:
        raise FormatError(f"{where}{what}: negative count {count}")
    if count * item_bytes > bytes_left:
        raise FormatError(f"{where}{what} declares {count} items of {item_bytes} bytes, but "
                          f"only {bytes_left} bytes are left in the file")
    return count


def check_int(value: Any, what: str, *, lo: int | None = None, hi: int | None = MAX_INT,
              error: type[Janus1Error] = ConfigError) -> int:
    """An integer (a bool is not one; an integral float is accepted) in ``[lo, hi]``."""
    if isinstance(value, bool):
        raise error(f"{what}: expected an integer, not {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise error(f"{what}: expected an integer, not {value!r}")
        value = int(value)
    elif not isinstance(value, int):
        try:
            import numpy as np

            if isinstance(value, np.integer):
                value = int(value)
            else:
                raise error(f"{what}: expected an integer, not {_short(value)}")
        except ImportError:  # pragma: no cover - numpy is a dependency
            raise error(f"{what}: expected an integer, not {_short(value)}") from None
    if lo is not None and value < lo:
        raise error(f"{what} must be >= {lo}, not {value}")
    if hi is not None and value > hi:
        raise error(f"{what} must be <= {hi}, not {value}")
    return int(value)


def check_float(value: Any, what: str, *, lo: float | None = None, hi: float | None = None,
                lo_open: bool = False, hi_open: bool = False,
                error: type[Janus1Error] = ConfigError) -> float:
    """A finite real number in the range given (closed unless ``*_open``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            import numpy as np

            ok = isinstance(value, (np.integer, np.floating))
        except ImportError:  # pragma: no cover
            ok = False
        if not ok:
            raise error(f"{what}: expected a number, not {_short(value)}")
    try:
        v = float(value)
    except OverflowError:
        raise error(f"{what}: {value!r} is too large") from None
    if not math.isfinite(v):
        raise error(f"{what} must be finite, not {v}")
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise error(f"{what} must be {'>' if lo_open else '>='} {lo:g}, not {v:g}")
    if hi is not None and (v > hi or (hi_open and v == hi)):
        raise error(f"{what} must be {'<' if hi_open else '<='} {hi:g}, not {v:g}")
    return v


def check_path(path: Any, what: str = "path") -> None:
    """Refuse (InputError) anything that is not a str or os.PathLike."""
    from .errors import InputError

    if not isinstance(path, (str, os.PathLike)):
        raise InputError(f"{what} must be a path, not {_short(path)}")


def path_exists(path: Any) -> bool:
    """``Path(path).exists()``, with a name the OS refuses (a NUL byte, too long) turned
    into an InputError instead of ValueError/OSError."""
    from pathlib import Path

    from .errors import InputError

    check_path(path)
    try:
        return Path(path).exists()
    except (OSError, ValueError) as exc:
        raise InputError(f"{str(path)[:80]!r}: not a usable path ({exc})") from None


def short_repr(value: Any) -> str:
    """``repr(value)`` cut to 60 characters, for one-line error messages."""
    s = repr(value)
    return s if len(s) <= 60 else s[:57] + "..."


_short = short_repr


class ByteCursor:
    """A bounds-checked little-endian cursor over a file's bytes (``bytes`` or a memmap).

    Every read checks the bytes left first, so a corrupt length or count can never
    make a reader run past the end or allocate what the file cannot hold.
    """

    def __init__(self, data: Any, source: str, offset: int = 0, *, kind: str = "file") -> None:
        self.kind = kind
        self.data = data
        self.size = len(data)
        self.source = source
        self.pos = offset

    @property
    def left(self) -> int:
        """Bytes after the cursor."""
        return self.size - self.pos

    def need(self, n: int, what: str) -> None:
        """Raise FormatError unless ``n`` bytes are left."""
        if n < 0 or n > self.left:
            raise FormatError(f"{self.source}: truncated or corrupt {self.kind} at byte "
                              f"{self.pos}: {what} needs {n} bytes, {self.left} left")

    def take(self, n: int, what: str) -> bytes:
        """The next ``n`` bytes."""
        self.need(n, what)
        out = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return out

    def skip(self, n: int, what: str) -> None:
        """Move past ``n`` bytes."""
        self.need(n, what)
        self.pos += n

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        """``struct.unpack`` of little-endian ``fmt`` at the cursor."""
        n = struct.calcsize("<" + fmt)
        return struct.unpack("<" + fmt, self.take(n, what))

    def u32(self, what: str) -> int:
        return int(self.unpack("I", what)[0])

    def u64(self, what: str) -> int:
        return int(self.unpack("Q", what)[0])

    def string(self, what: str, *, len_bytes: int = 8, max_len: int | None = None) -> str:
        """A length-prefixed UTF-8 string (length as u64, or u32 with ``len_bytes=4``)."""
        n = self.u64(what) if len_bytes == 8 else self.u32(what)
        if max_len is not None and n > max_len:
            raise FormatError(f"{self.source}: {what} declares a {n}-byte string (at most "
                              f"{max_len} expected)")
        raw = self.take(n, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError(f"{self.source}: {what} at byte {self.pos - n} is not "
                              "UTF-8") from None
