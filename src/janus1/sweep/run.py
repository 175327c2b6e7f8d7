"""Running a sweep: points from the search, chunks to a backend, rows into the store.

:func:`run_sweep` enumerates the search's points (the grid, a seeded random sample,
or optuna's NSGA-II/TPE asking ``population`` trials at a time), skips points already
stored (``resume``) or already seen in this run, sends chunks to the backend and writes
what comes back as Parquet parts from this (the main) process only: a part every
``part_rows`` rows or ``part_seconds`` seconds, whichever comes first, and at the end.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..report import atomic_write_text
from .backends import Backend
from .evaluate import Chunk, ChunkResult
from .points import PointIds, grid_points, random_points, resolve
from .spec import SweepSpec
from .store import Store

__all__ = ["SweepSummary", "run_sweep"]

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepSummary:
    """What a run did."""

    name: str
    path: Path
    backend: str
    workers: int
    resumed: bool
    points_total: int              # points of the search (grid/random size, or budget)
    points_skipped: int            # already stored before this run
    points_evaluated: int          # evaluated and stored by this run
    points_failed: int             # of those, with an error
    points_stored: int             # rows in the store after the run
    points_feasible: int           # stored rows meeting every constraint
    seconds: float
    parts_written: int
    first_errors: tuple[str, ...] = field(default=())

    @property
    def points_per_s(self) -> float:
        return self.points_evaluated / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "backend": self.backend,
                "workers": self.workers, "resumed": self.resumed,
                "points_total": self.points_total, "points_skipped": self.points_skipped,
                "points_evaluated": self.points_evaluated,
                "points_failed": self.points_failed, "points_stored": self.points_stored,
                "points_feasible": self.points_feasible, "seconds": self.seconds,
                "points_per_s": self.points_per_s, "parts_written": self.parts_written,
                "first_errors": list(self.first_errors)}


class _Writer:
    """Buffers chunk results and writes parts."""

    def __init__(self, store: Store, part_rows: int, part_seconds: float,
                 progress: Progress | None, total: int | None) -> None:
        self.store = store
        self.part_rows = part_rows
        self.part_seconds = part_seconds
        self.progress = progress
        self.total = total
        self.buf: list[ChunkResult] = []
        self.buffered = 0
        self.last = time.monotonic()
        self.evaluated = 0
        self.failed = 0
        self.parts = 0
        self.errors: list[str] = []

    def add(self, r: ChunkResult) -> Any:
        """Buffer ``r``; returns its rows as a pyarrow Table."""
        tab = r.table()
        self.buf.append(r)
        self.buffered += len(r)
        self.evaluated += len(r)
        errs = tab.column("error")
        if errs.null_count < len(errs):
            for e in errs.to_pylist():
                if e is not None:
                    self.failed += 1
                    if len(self.errors) < 5 and e not in self.errors:
                        self.errors.append(e)
        if self.progress:
            self.progress(self.evaluated, self.total)
        if self.buffered >= self.part_rows or time.monotonic() - self.last >= self.part_seconds:
            self.flush()
        return tab

    def flush(self) -> None:
        if self.buf:
            self.store.write_part(self.buf)
            self.parts += 1
        self.buf = []
        self.buffered = 0
        self.last = time.monotonic()


def _chunk_size(chunk: int, points: int, workers: int) -> int:
    """``chunk``, or smaller so that a small sweep still gives every worker two chunks."""
    return max(1, min(chunk, -(-points // (2 * max(1, workers)))))


def _chunks(values: Iterable[tuple[Any, ...]], size: int) -> Iterator[Chunk]:
    batch: list[tuple[Any, ...]] = []
    for v in values:
        batch.append(v)
        if len(batch) >= size:
            yield Chunk(values=tuple(batch))
            batch = []
    if batch:
        yield Chunk(values=tuple(batch))


def run_sweep(spec: SweepSpec, backend: Backend, *, out_root: str | Path = "results",
              name: str | None = None, resume: bool = False,
              progress: Progress | None = None, part_rows: int = 20000,
              part_seconds: float = 10.0, figures: bool = True) -> SweepSummary:
    """Run ``spec`` on ``backend`` into ``out_root/name`` (default name: the sweep's).

    Raises:
        InputError: the store exists without ``resume``, or holds a study.
    """
    name = name or spec.name
    store, resumed = Store.create_or_resume(out_root, name, spec, resume=resume)
    done = store.point_ids() if resumed else set()
    t0 = time.perf_counter()
    ids = PointIds(spec)
    kind = spec.search.kind
    if kind in ("grid", "random"):
        source: Iterable[tuple[Any, ...]] = (grid_points(spec) if kind == "grid"
                                              else random_points(spec))
        total = spec.grid_size if kind == "grid" else min(spec.search.points or 0,
                                                          spec.grid_size)
        skipped = 0
        seen: set[str] = set()

        def fresh() -> Iterator[tuple[Any, ...]]:
            nonlocal skipped
            if kind == "grid" and not done:
                yield from source          # distinct by construction; ids made by workers
                return
            for v in source:
                pid = ids(resolve(spec, v))
                if pid in done:
                    skipped += 1
                    continue
                if pid in seen:
                    continue
                seen.add(pid)
                yield v

        writer = _Writer(store, part_rows, part_seconds, progress, max(0, total - len(done)))
        try:
            size = _chunk_size(spec.chunk, max(0, total - len(done)), backend.workers)
            for r in backend.map(spec, _chunks(fresh(), size)):
                writer.add(r)
        finally:
            writer.flush()
    else:
        total = int(spec.search.budget or 0)
        writer = _Writer(store, part_rows, part_seconds, progress, total)
        try:
            skipped = _optuna(spec, backend, store, ids, writer, done)
        finally:
            writer.flush()
    seconds = time.perf_counter() - t0
    table = store.read(["feasible"])
    feas = sum(1 for v in table.column("feasible").to_pylist() if v)
    summary = SweepSummary(
        name=name, path=store.path, backend=backend.name, workers=backend.workers,
        resumed=resumed, points_total=total, points_skipped=skipped,
        points_evaluated=writer.evaluated, points_failed=writer.failed,
        points_stored=table.num_rows, points_feasible=feas, seconds=seconds,
        parts_written=writer.parts, first_errors=tuple(writer.errors))
    atomic_write_text(store.path / "summary.json", json.dumps(summary.to_dict(), indent=2) + "\n")
    if figures:
        from .figures import sweep_figures

        sweep_figures(spec, store)
    return summary


def _optuna(spec: SweepSpec, backend: Backend, store: Store, ids: PointIds, writer: _Writer,
            done: set[str]) -> int:
    """Ask/tell optuna in generations of ``population`` trials; returns the number of
    trials answered from the store."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    s = spec.search
    directions = ["minimize" if o.goal == "min" else "maximize" for o in spec.objectives]
    # optuna >= 5 reads constraints set on the trial; 4.x takes a constraints_func
    per_trial = hasattr(optuna.trial.Trial, "set_constraint")
    cons_func = _constraints_func if spec.constraints and not per_trial else None
    if s.kind == "nsga2":
        sampler: Any = optuna.samplers.NSGAIISampler(seed=s.seed, population_size=s.population,
                                                     constraints_func=cons_func)
    else:
        sampler = optuna.samplers.TPESampler(seed=s.seed, constraints_func=cons_func,
                                             n_startup_trials=s.population)
    study = optuna.create_study(directions=directions, sampler=sampler)
    dists = {a.column: optuna.distributions.CategoricalDistribution(
        list(range(len(a.values)))) for a in spec.axes}
    known: dict[str, tuple[Any, ...] | None] = {}      # point id -> told values (None: fail)
    if done:
        tab = store.read(["point_id", "error"] + [o.metric for o in spec.objectives]
                         + sorted({c.metric for c in spec.constraints}))
        known.update(_told_values(spec, tab))
    skipped = 0
    asked = 0
    while asked < int(s.budget or 0):
        n = min(s.population, int(s.budget or 0) - asked)
        trials = [study.ask(dists) for _ in range(n)]
        asked += n
        values = [tuple(a.values[t.params[a.column]] for a in spec.axes) for t in trials]
        pids = [ids(resolve(spec, v)) for v in values]
        todo: dict[str, tuple[Any, ...]] = {}
        for pid, v in zip(pids, values):
            if pid in known:
                continue
            if pid in done:
                skipped += 1
                continue
            todo.setdefault(pid, v)
        size = _chunk_size(spec.chunk, len(todo), backend.workers)
        for r in backend.map(spec, _chunks(todo.values(), size)):
            known.update(_told_values(spec, writer.add(r)))
        for t, pid in zip(trials, pids):
            told = known.get(pid)
            if told is None:
                study.tell(t, state=optuna.trial.TrialState.FAIL)
                continue
            objs, cons = told
            if per_trial:
                for i, c in enumerate(cons):
                    t.set_constraint(f"c{i}", c)
            else:
                t.set_user_attr("constraints", list(cons))
            study.tell(t, list(objs))
    return skipped


def _constraints_func(trial: Any) -> list[float]:
    return list(trial.user_attrs.get("constraints", []))


def _told_values(spec: SweepSpec, tab: Any) -> dict[str, Any]:
    """point id -> ((objective values), (constraint violations <= 0 when met)) or None
    for failed points, from a pyarrow Table."""
    def col(n: str) -> list[Any]:
        return tab.column(n).to_pylist()

    out: dict[str, Any] = {}
    pids = col("point_id")
    errs = col("error")
    objs = [col(o.metric) for o in spec.objectives]
    cons = [(c, col(c.metric)) for c in spec.constraints]
    for i, pid in enumerate(pids):
        vals = tuple(o[i] for o in objs)
        if errs[i] is not None or any(v is None for v in vals):
            out[pid] = None
            continue
        viol: list[float] = []
        for c, vs in cons:
            v = vs[i]
            if c.equals is not None:
                viol.append(0.0 if v is not None and bool(v) == c.equals else 1.0)
                continue
            if c.min is not None:
                viol.append(c.min - v if v is not None else 1.0)
            if c.max is not None:
                viol.append(v - c.max if v is not None else 1.0)
        out[pid] = (vals, tuple(viol))
    return out
