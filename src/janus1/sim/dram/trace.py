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

from dataclasses import dataclass
from pathlib import Path

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


def read_dram_trace(path: str | Path) -> DramTrace:
    """Read a trace file for the DRAM model.

    Raises:
        InputError: no such file.
        FormatError: a malformed line (the message names the file and line).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such trace file")
    with p.open("rb") as fh:
        head = fh.read(4096)
    if looks_like_dramsim3(head):
        return _read_dramsim3(p)
    from ...trace import read_trace

    addrs, writes = [], []
    for ch in read_trace(p):
        addrs.append(np.asarray(ch.addr, dtype=np.int64))
        writes.append(np.zeros(len(ch.addr), np.int8) if ch.kind is None
                      else (np.asarray(ch.kind) == 1).astype(np.int8))
    a = np.concatenate(addrs) if addrs else np.zeros(0, np.int64)
    w = np.concatenate(writes) if writes else np.zeros(0, np.int8)
    from ...trace import detect_format

    return DramTrace(path=str(p), fmt=detect_format(p), addresses=a, is_write=w, cycles=None)


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
