"""Memory traces: LLM inference address streams and trace files, in bounded chunks.

Public API (stable names):

- :func:`decode_trace` (spec, precision=..., context=..., batch=..., memory_map=None)
  yields :class:`TraceChunk` objects; :func:`prefill_trace`, :func:`model_trace`.
- :func:`read_trace` / :func:`write_trace`: ``.npy``, ``.npz``, Dinero ``din``,
  Ramulator, DRAMSim3.
- :func:`sequential_trace`: the seed-001 style sequential read stream.
"""

from collections.abc import Iterator

import numpy as np

from .chunk import LOAD, STORE, TraceChunk
from .formats import FORMATS, detect_format, read_trace, write_trace
from .llm import MemoryMap, decode_trace, layout, model_trace, prefill_trace, trace_length

__all__ = ["TraceChunk", "LOAD", "STORE", "MemoryMap", "decode_trace", "prefill_trace",
           "model_trace", "layout", "trace_length", "read_trace", "write_trace", "FORMATS",
           "detect_format", "sequential_trace"]


def sequential_trace(n: int, *, base: int = 0, access_bytes: int = 8,
                     chunk_accesses: int = 1 << 20) -> Iterator[TraceChunk]:
    """``n`` sequential reads of ``access_bytes`` from ``base`` (seed 001's trace shape)."""
    for i in range(0, n, chunk_accesses):
        m = min(chunk_accesses, n - i)
        yield TraceChunk(addr=base + access_bytes * np.arange(i, i + m, dtype=np.int64),
                         access_bytes=access_bytes)
