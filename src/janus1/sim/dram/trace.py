"""Trace input for the DRAM model: :func:`read_dram_trace`.

A DRAMsim3 trace (``<hex address> <op> <decimal cycle>`` per line, whitespace
separated) is recognised by its content whatever the file's extension and parsed by
a compiled scanner. The operation is read as DRAMsim3 reads it (``src/common.cc``,
``Transaction`` input): ``WRITE``, ``write``, ``P_MEM_WR`` and ``BOFF`` are writes,
anything else a read; the cycle is the request's earliest issue cycle. Blank lines are
skipped. Any other janus1 trace format (``.npy``, ``.npz``, Dinero, Ramulator) is read
with :func:`janus1.trace.read_trace` and carries no cycles (requests are offered one
per cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import FormatError, InputError

__all__ = ["DramTrace", "read_dram_trace", "looks_like_dramsim3"]

_ERRORS = {1: "expected '<hex address> <op> <decimal cycle>'", 2: "bad hex address",
           3: "bad decimal cycle"}


@dataclass(frozen=True)
class DramTrace:
    """Requests of a trace file: byte addresses, write flags and cycles (None: untimed)."""

    path: str
    fmt: str
    addresses: np.ndarray
    is_write: np.ndarray
    cycles: np.ndarray | None


def looks_like_dramsim3(head: bytes) -> bool:
    """Whether the first non-blank line of ``head`` is ``hex op decimal``."""
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        return False
    for line in text.splitlines():
        toks = line.split()
        if not toks:
            continue
        if len(toks) != 3 or not toks[2].isdigit():
            return False
        a = toks[0][2:] if toks[0].lower().startswith("0x") else toks[0]
        try:
            int(a, 16)
        except ValueError:
            return False
        return True
    return False


def read_dram_trace(path: str | Path, *,
                    read_other: Callable[[Path], tuple[Any, Any, str]] | None = None) -> DramTrace:
    """Read a trace file for the DRAM model.

    A DRAMsim3 trace (recognised by content) is parsed here. Any other file goes to
    ``read_other(path) -> (addresses, is_write, format name)``; the command line passes
    janus1's own trace readers (:mod:`janus1.trace`, a floor above ``sim``).

    Raises:
        InputError: no such file.
        FormatError: a malformed line (the message names the file and line), or a file
            that is not a DRAMsim3 trace when no ``read_other`` is given.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such trace file")
    with p.open("rb") as fh:
        head = fh.read(4096)
    if looks_like_dramsim3(head):
        return _read_dramsim3(p)
    if read_other is None:
        raise FormatError(f"{p}: not a DRAMsim3 trace")
    a, w, fmt = read_other(p)
    return DramTrace(path=str(p), fmt=fmt, addresses=np.asarray(a, dtype=np.int64),
                     is_write=np.asarray(w, dtype=np.int8), cycles=None)


def _read_dramsim3(p: Path) -> DramTrace:
    from ._parse import parse_dramsim3

    buf = np.fromfile(p, dtype=np.uint8)
    cap = buf.size // 6 + 1  # the shortest request line, "0 R 0\n", has 6 bytes
    addr = np.empty(cap, np.int64)
    wr = np.empty(cap, np.int8)
    cyc = np.empty(cap, np.int64)
    n, err_line, err_code = parse_dramsim3(buf, addr, wr, cyc)
    if err_code:
        lines = bytes(buf).split(b"\n")
        text = lines[err_line - 1].decode("ascii", "replace").strip()[:60]
        raise FormatError(f"{p}:{err_line}: {_ERRORS[err_code]}, not {text!r}")
    return DramTrace(path=str(p), fmt="dramsim3", addresses=addr[:n], is_write=wr[:n],
                     cycles=cyc[:n])
