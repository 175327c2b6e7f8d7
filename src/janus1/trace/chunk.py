"""A chunk of a memory trace: parallel numpy arrays of addresses, kinds and sizes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TraceChunk", "LOAD", "STORE"]

LOAD = 0
STORE = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceChunk:
    """Consecutive accesses of a trace.

    An access reads or writes ``size`` bytes from byte address ``addr``; an access
    that crosses a line boundary touches both lines.
    """

    addr: np.ndarray                 # int64 byte addresses
    kind: np.ndarray | None = None   # uint8, 0 load / 1 store; None = all loads
    size: np.ndarray | None = None   # int64 bytes per access; None = all access_bytes
    access_bytes: int = 8            # size of every access when ``size`` is None

    def __len__(self) -> int:
        return int(self.addr.size)

    @property
    def stores(self) -> int:
        """Number of stores in the chunk."""
        return 0 if self.kind is None else int(np.count_nonzero(self.kind))
