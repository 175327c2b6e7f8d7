"""Pareto fronts over stored metrics.

A point is on the front when no other point is at least as good in both metrics and
strictly better in one. :func:`pareto_mask` does it for two metrics in O(n log n): sort
by the first (best first, ties broken by the second, best first) and keep each point
that beats the best second metric seen so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .metrics import metric
from .store import Store

__all__ = ["pareto_mask", "Front", "front"]


def pareto_mask(x: Any, y: Any, *, x_goal: str = "min", y_goal: str = "max") -> Any:
    """Boolean mask of the non-dominated points of ``(x, y)`` (numpy arrays)."""
    import numpy as np

    xs = np.asarray(x, dtype=np.float64) * (1.0 if x_goal == "min" else -1.0)
    ys = np.asarray(y, dtype=np.float64) * (1.0 if y_goal == "min" else -1.0)
    n = len(xs)
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    order = np.lexsort((ys, xs))               # by x, then y (both minimised)
    best = np.inf
    prev_x = prev_y = None
    for i in order:
        if ys[i] < best:
            mask[i] = True
            best = ys[i]
            prev_x, prev_y = xs[i], ys[i]
        elif xs[i] == prev_x and ys[i] == prev_y:
            mask[i] = True                       # an exact duplicate of a front point
    return mask


@dataclass(frozen=True, slots=True, kw_only=True)
class Front:
    """The front of two metrics over a store's usable points."""

    x: str
    y: str
    x_goal: str
    y_goal: str
    columns: tuple[str, ...]           # what each row holds
    rows: tuple[tuple[Any, ...], ...]  # the front, by x (best first)
    points_used: int                   # points with both metrics (and feasible)
    xs: tuple[float, ...]              # every used point, for the plot
    ys: tuple[float, ...]


def _goal(name: str, given: str | None, columns: list[str]) -> str:
    if name not in columns:
        raise InputError(f"no metric {name!r} in this sweep (columns: {', '.join(columns)})")
    if given is not None:
        if given not in ("min", "max"):
            raise InputError(f"goal {given!r}: use min or max")
        return given
    m = metric(name)
    if m is None or m.goal is None:
        raise InputError(f"{name} has no default direction; give --x-goal/--y-goal")
    return m.goal


def front(path: str | Path, x: str, y: str, *, x_goal: str | None = None,
          y_goal: str | None = None, feasible_only: bool = True,
          where: str | None = None) -> Front:
    """The Pareto front of ``x`` against ``y`` in the store at ``path`` (only points
    meeting the constraints unless ``feasible_only`` is off; only rows matching the SQL
    predicate ``where`` when given).

    Raises:
        InputError: no store, an unknown metric, a metric without a direction.
    """
    import numpy as np

    st = Store.open(path)
    names = [c for c, _ in st.columns]
    xg = _goal(x, x_goal, names)
    yg = _goal(y, y_goal, names)
    types = dict(st.columns)
    for n in (x, y):
        if types[n] not in ("DOUBLE", "BIGINT"):
            raise InputError(f"{n} is not numeric")
    keep = [c for c in names if c not in ("worker", "eval_seconds", "janus1_version",
                                          "error", "ppa_warnings")]
    tab = st.read(keep)
    xv = np.array([np.nan if v is None else v for v in tab.column(x).to_pylist()], float)
    yv = np.array([np.nan if v is None else v for v in tab.column(y).to_pylist()], float)
    ok = np.isfinite(xv) & np.isfinite(yv)
    if feasible_only:
        ok &= np.array([bool(v) for v in tab.column("feasible").to_pylist()], dtype=bool)
    if where is not None:
        from .store import query

        _, rows = query(path, f"SELECT point_id FROM points WHERE {where}")
        chosen = {r[0] for r in rows}
        ok &= np.array([p in chosen for p in tab.column("point_id").to_pylist()], dtype=bool)
    idx = np.flatnonzero(ok)
    mask = pareto_mask(xv[idx], yv[idx], x_goal=xg, y_goal=yg)
    sel = idx[mask]
    sel = sel[np.argsort(xv[sel] * (1 if xg == "min" else -1), kind="stable")]
    cols = tab.select(keep)
    rows = tuple(tuple(cols.column(c)[int(i)].as_py() for c in keep) for i in sel)
    return Front(x=x, y=y, x_goal=xg, y_goal=yg, columns=tuple(keep), rows=rows,
                 points_used=int(len(idx)), xs=tuple(xv[idx].tolist()),
                 ys=tuple(yv[idx].tolist()))
