"""Limit the BLAS thread count of numpy's OpenBLAS for a block of code.

Small matrix products (a 64-wide model) gain nothing from BLAS threads, and on a
shared machine OpenBLAS's spinning threads can make them 10-40x slower (measured
here: a cache-less stories260K decode took 10 s with 2 threads, 0.26 s with 1).
This finds the OpenBLAS that numpy loaded (``/proc/self/maps``) and calls its
``openblas_set_num_threads``, as threadpoolctl does; where none is found it does
nothing.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["blas_threads"]

_SYMBOLS = (("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
            ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
            ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
            ("openblas_set_num_threads", "openblas_get_num_threads"))


def _openblas() -> tuple[object, object] | None:
    import numpy  # noqa: F401  (loads the library)

    try:
        with open("/proc/self/maps", encoding="utf-8") as fh:
            paths = {ln.split()[-1] for ln in fh if "openblas" in ln.lower() and "/" in ln}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for set_name, get_name in _SYMBOLS:
            if hasattr(lib, set_name) and hasattr(lib, get_name):
                return getattr(lib, set_name), getattr(lib, get_name)
    return None


@contextmanager
def blas_threads(n: int = 1) -> Iterator[None]:
    """Run the block with ``n`` OpenBLAS threads, restoring the count afterwards."""
    fns = _openblas()
    if fns is None:
        yield
        return
    set_fn, get_fn = fns
    old = int(get_fn())  # type: ignore[operator]
    set_fn(int(n))  # type: ignore[operator]
    try:
        yield
    finally:
        set_fn(old)  # type: ignore[operator]
