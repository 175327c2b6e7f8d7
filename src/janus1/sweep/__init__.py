"""Design-space sweeps: axes over any ``--set`` field, a search, evaluators per point,
three backends (serial, local process pool, Ray), a resumable Parquet store queried
with DuckDB, and Pareto fronts. See docs/sweep.md.

Sits above ``design``, ``workload``, ``sim`` and ``decoder``; imports nothing from
``cli`` or ``study``. Heavy imports (pyarrow, duckdb, optuna, ray, matplotlib) happen
inside functions.
"""

from .metrics import EVALUATORS, METRICS, Metric
from .spec import SweepSpec, load_sweep, parse_sweep

__all__ = ["EVALUATORS", "METRICS", "Metric", "SweepSpec", "load_sweep", "parse_sweep",
           "run_sweep", "make_backend", "front", "query", "refuse_sweep_store"]


def __getattr__(name: str) -> object:
    if name == "run_sweep":
        from .run import run_sweep

        return run_sweep
    if name == "make_backend":
        from .backends import make_backend

        return make_backend
    if name == "front":
        from .pareto import front

        return front
    if name == "query":
        from .store import query

        return query
    if name == "refuse_sweep_store":
        from .store import refuse_sweep_store

        return refuse_sweep_store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
