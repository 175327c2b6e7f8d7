"""Where chunks of points are evaluated: serial, a local process pool, or Ray.

Every backend has one method, :meth:`Backend.map` (chunks in, :class:`ChunkResult`
out in completion order, at most a few chunks in flight per worker), and each runs the
same :func:`~.evaluate.evaluate_chunk`, so the stored rows are identical whichever runs
them (only ``worker`` and ``eval_seconds`` differ).

* :class:`SerialBackend`: this process (tests, debugging).
* :class:`PoolBackend`: ``spawn``-started worker processes that live for the whole
  sweep, keeping their caches and compiled numba kernels warm. A worker exits when the
  main process dies: Linux delivers SIGKILL through ``PR_SET_PDEATHSIG``, and a watch
  thread checks the parent every half second elsewhere.
* :class:`RayBackend`: Ray tasks over chunks; for simulation-backed evaluators
  (``ppa_sim``, ``accuracy``) a pool of actors, so each worker compiles its kernels and
  loads the checkpoint once. ``address="auto"`` starts a local head bound to loopback
  (usage statistics off, no dashboard); any other address joins a running cluster.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import InputError
from .evaluate import Chunk, ChunkResult, evaluate_chunk
from .spec import SweepSpec

__all__ = ["Backend", "SerialBackend", "PoolBackend", "RayBackend", "make_backend",
           "RAY_LOOPBACK_ENV"]

# What `--ray auto` (and the tests) set before Ray starts: bind to 127.0.0.1, no usage
# statistics (which otherwise probe cloud metadata and a DNS server), no token auth.
RAY_LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0",
                    "RAY_AUTH_MODE": "disabled"}


class Backend(ABC):
    """Evaluates chunks of points somewhere."""

    name: str = ""
    workers: int = 1

    @abstractmethod
    def map(self, spec: SweepSpec, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
        """Evaluate ``chunks``; yield results as they complete."""

    def close(self) -> None:
        """Release workers (idempotent)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialBackend(Backend):
    """Evaluates in this process, in order."""

    name = "serial"

    def map(self, spec: SweepSpec, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
        for c in chunks:
            yield evaluate_chunk(spec, c)


# ---------------------------------------------------------------------------------------
# local process pool

def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def _worker_init(parent: int) -> None:
    """In each pool worker: die with the main process; ignore Ctrl-C (the main process
    handles it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)      # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:                          # died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


class PoolBackend(Backend):
    """A pool of ``workers`` local processes (default: every core)."""

    name = "pool"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._ex: Any = None

    def _executor(self) -> Any:
        if self._ex is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            self._ex = ProcessPoolExecutor(max_workers=self.workers,
                                           mp_context=mp.get_context("spawn"),
                                           initializer=_worker_init,
                                           initargs=(os.getpid(),))
        return self._ex

    def map(self, spec: SweepSpec, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
        from concurrent.futures import FIRST_COMPLETED, wait

        it = iter(chunks)
        pending: set[Any] = set()
        limit = 2 * self.workers
        done_input = False
        try:
            while True:
                while not done_input and len(pending) < limit:
                    c = next(it, None)
                    if c is None:
                        done_input = True
                        break
                    pending.add(self._executor().submit(evaluate_chunk, spec, c))
                if not pending:
                    return
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    yield f.result()
        finally:
            for f in pending:
                f.cancel()

    def close(self) -> None:
        if self._ex is not None:
            self._ex.shutdown(wait=True, cancel_futures=True)
            self._ex = None


# ---------------------------------------------------------------------------------------
# Ray

def _ray_eval(spec: SweepSpec, chunk: Chunk) -> ChunkResult:
    return evaluate_chunk(spec, chunk)


class _EvalActor:
    """A Ray actor holding a warm evaluator (kernels compiled once per actor)."""

    def run(self, spec: SweepSpec, chunk: Chunk) -> ChunkResult:
        return evaluate_chunk(spec, chunk)


def import_ray() -> Any:
    """``ray``, or a one-line :class:`InputError` when it is not installed."""
    try:
        import ray
    except ImportError:
        raise InputError("--ray needs Ray: install the extra, pip install 'janus1[ray]'") \
            from None
    return ray


class RayBackend(Backend):
    """Ray tasks (analytic evaluators) or actors (simulation-backed ones)."""

    name = "ray"

    def __init__(self, address: str = "auto", workers: int | None = None,
                 temp_dir: str | None = None) -> None:
        ray = import_ray()
        self._ray = ray
        self._owns = False
        if not ray.is_initialized():
            if address == "auto":
                for k, v in RAY_LOOPBACK_ENV.items():
                    os.environ.setdefault(k, v)
                kw: dict[str, Any] = {"include_dashboard": False,
                                      "_node_ip_address": "127.0.0.1",
                                      "num_cpus": workers or os.cpu_count() or 1,
                                      "log_to_driver": False,
                                      "configure_logging": False}
                if temp_dir is not None:
                    kw["_temp_dir"] = temp_dir
                ray.init(address="local", **kw)
            else:
                try:
                    ray.init(address=address, log_to_driver=False, configure_logging=False)
                except (ConnectionError, RuntimeError, ValueError) as exc:
                    msg = " ".join(str(exc).split())
                    raise InputError(f"--ray {address}: cannot join the cluster: {msg}") \
                        from None
            self._owns = True
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        if workers:
            self.workers = min(self.workers, workers)
        # chunks spread over the nodes (the default packs them onto the driver's node first)
        self._task = ray.remote(num_cpus=1, scheduling_strategy="SPREAD")(_ray_eval)
        self._actor_cls = ray.remote(num_cpus=1, scheduling_strategy="SPREAD")(_EvalActor)
        self._actors: list[Any] = []

    def map(self, spec: SweepSpec, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
        ray = self._ray
        use_actors = bool({"ppa_sim", "accuracy"} & set(spec.evaluators))
        if use_actors and not self._actors:
            self._actors = [self._actor_cls.remote() for _ in range(self.workers)]
        spec_ref = ray.put(spec)
        it = iter(chunks)
        pending: dict[Any, int] = {}           # object ref -> actor index (-1: task)
        free = list(range(len(self._actors))) if use_actors else []
        limit = self.workers if use_actors else 2 * self.workers
        done_input = False
        try:
            while True:
                while not done_input and len(pending) < limit and (free or not use_actors):
                    c = next(it, None)
                    if c is None:
                        done_input = True
                        break
                    if use_actors:
                        a = free.pop()
                        pending[self._actors[a].run.remote(spec_ref, c)] = a
                    else:
                        pending[self._task.remote(spec_ref, c)] = -1
                if not pending:
                    return
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    a = pending.pop(ref)
                    if a >= 0:
                        free.append(a)
                    yield ray.get(ref)
        finally:
            if not use_actors:               # actors are killed by close()
                for ref in pending:
                    ray.cancel(ref, force=True)

    def close(self) -> None:
        ray = self._ray
        for a in self._actors:
            ray.kill(a)
        self._actors = []
        if self._owns and ray.is_initialized():
            ray.shutdown()
            self._owns = False


def make_backend(*, serial: bool = False, workers: int | None = None,
                 ray: str | None = None) -> Backend:
    """The backend a command line asks for (pool by default)."""
    if serial and ray:
        raise InputError("--serial and --ray exclude each other")
    if ray:
        return RayBackend(address=ray, workers=workers)
    if serial or workers == 1:
        return SerialBackend()
    return PoolBackend(workers)
