"""Micro-benchmarks of the machine, run in a child process (``python -m``).

The parent (:mod:`janus1.measure.host`) starts this module with the thread count fixed in
the environment (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``NUMBA_NUM_THREADS``)
before numpy and numba load, so each figure is measured at exactly the requested number
of threads. It prints one JSON object on stdout.

Kernels (each the best of several repeats, after one warm-up):

- ``bandwidth``: a streaming read of a float32 buffer several times the last-level cache
  (numba, ``prange`` over one contiguous chunk per thread, four accumulators so LLVM
  vectorises the loop). Bytes read / seconds.
- ``fp32``: ``numpy.matmul`` of two square float32 matrices (the BLAS numpy links, SGEMM),
  2 n^3 operations / seconds.
- ``int8``: an INT8 x INT8 -> INT32 matrix product in numba (each output a dot product of
  two contiguous int8 rows, widened to int32, vectorised by LLVM), checked exact against
  an int64 numpy product, 2 M N K operations / seconds.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def _best(f: Any, reps: int) -> float:
    f()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def _bandwidth(threads: int, nbytes: int, reps: int) -> float:
    import numba
    import numpy as np

    numba.set_num_threads(threads)

    @numba.njit(parallel=True, fastmath=True, cache=False)
    def read_sum(a: Any, nt: int) -> float:  # pragma: no cover - compiled
        n = a.size
        chunk = (n + nt - 1) // nt
        part = np.zeros(nt, np.float32)
        for t in numba.prange(nt):
            lo = t * chunk
            hi = min(n, lo + chunk)
            s0 = np.float32(0.0)
            s1 = np.float32(0.0)
            s2 = np.float32(0.0)
            s3 = np.float32(0.0)
            i = lo
            while i + 4 <= hi:
                s0 += a[i]
                s1 += a[i + 1]
                s2 += a[i + 2]
                s3 += a[i + 3]
                i += 4
            while i < hi:
                s0 += a[i]
                i += 1
            part[t] = s0 + s1 + s2 + s3
        return float(part.sum())

    a = np.ones(nbytes // 4, dtype=np.float32)
    sec = _best(lambda: read_sum(a, threads), reps)
    return a.nbytes / sec


def _fp32(n: int, reps: int) -> float:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, n), dtype=np.float32)
    y = rng.standard_normal((n, n), dtype=np.float32)
    sec = _best(lambda: x @ y, reps)
    return 2.0 * n ** 3 / sec


def _int8(threads: int, m: int, n: int, k: int, reps: int) -> float:
    import numba
    import numpy as np

    numba.set_num_threads(threads)

    @numba.njit(parallel=True, fastmath=True, cache=False)
    def gemm(a: Any, bt: Any, out: Any) -> None:  # pragma: no cover - compiled
        rows, depth = a.shape
        cols = bt.shape[0]
        for j in numba.prange(cols):
            for i in range(rows):
                s = np.int32(0)
                for p in range(depth):
                    s += np.int32(a[i, p]) * np.int32(bt[j, p])
                out[i, j] = s

    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    bt = rng.integers(-128, 128, (n, k), dtype=np.int8)
    out = np.zeros((m, n), dtype=np.int32)
    gemm(a, bt, out)
    if not np.array_equal(out, a.astype(np.int64) @ bt.T.astype(np.int64)):
        raise RuntimeError("int8 kernel gave a wrong product")
    sec = _best(lambda: gemm(a, bt, out), reps)
    return 2.0 * m * n * k / sec


def main(argv: list[str]) -> int:
    threads, bw_bytes, quick = int(argv[0]), int(argv[1]), argv[2] == "1"
    reps = 2 if quick else 5
    out = {
        "bandwidth_bytes_per_s": _bandwidth(threads, bw_bytes, reps),
        "fp32_ops_per_s": _fp32(512 if quick else 2048, reps),
        "int8_ops_per_s": _int8(threads, 32 if quick else 64, 64 if quick else 512, 4096, reps),
    }
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
