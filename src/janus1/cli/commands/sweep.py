"""``janus1 sweep``: design-space sweeps on all cores or on Ray, stored as Parquet.

``janus1 sweep FILE`` is ``janus1 sweep run FILE``; ``query`` and ``pareto`` read a
stored sweep. See docs/sweep.md.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from .._common import echo_json

__all__ = ["command"]


class _DefaultRun(click.Group):
    """A group whose first argument, when not a subcommand, is a sweep file for ``run``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("sweep", cls=_DefaultRun, context_settings={"help_option_names": ["-h", "--help"]})
def command() -> None:
    """Design-space exploration: `janus1 sweep FILE` runs a sweep file (as `sweep run`)."""


@command.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--workers", type=int, default=None,
              help="Worker processes (default: every core; 1 runs in this process).")
@click.option("--serial", is_flag=True, help="Evaluate in this process (no workers).")
@click.option("--ray", "ray_address", default=None, metavar="auto|ADDRESS",
              help="Run on Ray: 'auto' starts a local head on loopback, ADDRESS joins a "
                   "running cluster.")
@click.option("--resume", is_flag=True, help="Continue a stored sweep; stored points are "
                                             "skipped.")
@click.option("--name", default=None, help="Store name (default: the file's `name` or stem).")
@click.option("--out", "out_root", default="results", show_default=True,
              type=click.Path(file_okay=False), help="Parent folder of stores.")
@click.option("--no-figures", is_flag=True, help="Skip the Pareto and scatter-matrix figures.")
@click.option("--part-rows", default=20000, show_default=True, type=int,
              help="Rows per Parquet part (a part is also written every 10 s).")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
def run_cmd(file: str, workers: int | None, serial: bool, ray_address: str | None,
            resume: bool, name: str | None, out_root: str, no_figures: bool, part_rows: int,
            as_json: bool) -> None:
    """Run the sweep FILE into results/NAME/."""
    from ...errors import InputError
    from ...sweep import load_sweep
    from ...sweep.backends import make_backend
    from ...sweep.run import run_sweep

    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, not {workers}")
    if part_rows < 1:
        raise InputError(f"--part-rows must be at least 1, not {part_rows}")
    spec = load_sweep(file)
    from ...sweep.store import Store

    if name is not None:
        Store.check_name(name)  # '' is not a name (it would mean the results folder itself)
    Store.check_target(out_root, name or spec.name, resume=resume)
    backend = make_backend(serial=serial, workers=workers, ray=ray_address)
    with backend, _progress() as bar:
        summary = run_sweep(spec, backend, out_root=out_root, name=name, resume=resume,
                            progress=bar, figures=not no_figures, part_rows=part_rows)
    if as_json:
        echo_json(summary.to_dict())
        return
    s = summary
    click.echo(f"{s.path}: {s.points_evaluated:,} points evaluated in {s.seconds:.1f} s "
               f"({s.points_per_s:,.0f} points/s, {s.backend}, {s.workers} worker(s))"
               + (f", {s.points_skipped:,} already stored" if s.resumed else ""))
    click.echo(f"stored {s.points_stored:,} points; {s.points_failed:,} failed in this run; "
               f"{s.points_feasible:,} meet every constraint")
    if s.points_stored and not s.points_feasible:
        click.echo("no stored point meets the constraints")
    for e in s.first_errors:
        click.echo(f"error (stored with its point): {e}", err=True)


class _Bar:
    """A rich progress bar on stderr: done/total, rate, ETA."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self._p = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                           TextColumn("ETA"), TimeRemainingColumn(),
                           console=Console(stderr=True), transient=True)
        self._task: Any = None
        self._t0 = 0.0

    def __enter__(self) -> _Bar:
        import time

        self._p.__enter__()
        self._task = self._p.add_task("sweep", total=None, rate="")
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self._p.__exit__(None, None, None)

    def __call__(self, done: int, total: int | None) -> None:
        import time

        dt = time.perf_counter() - self._t0
        rate = f"{done / dt:,.0f} pts/s" if dt > 0 else ""
        self._p.update(self._task, completed=done, total=total, rate=rate)


def _progress() -> _Bar:
    return _Bar()


@command.command("query")
@click.argument("name")
@click.argument("sql")
@click.option("--out", "out_root", default="results", show_default=True,
              type=click.Path(file_okay=False), help="Parent folder of stores.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of rows.")
def query_cmd(name: str, sql: str, out_root: str, as_json: bool) -> None:
    """Run SQL (DuckDB) over the sweep NAME's points, exposed as the table `points`;
    print CSV."""
    import csv
    from pathlib import Path

    from ...sweep.store import Store, query

    Store.check_name(name)
    cols, rows = query(Path(out_root) / name, sql)
    if as_json:
        echo_json([dict(zip(cols, r)) for r in rows])
        return
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])


@command.command("pareto")
@click.argument("name")
@click.option("--x", "x", required=True, help="Metric on the x axis, e.g. area_mm2.")
@click.option("--y", "y", required=True, help="Metric on the y axis, e.g. tokens_per_joule.")
@click.option("--x-goal", type=click.Choice(["min", "max"]), default=None,
              help="Better direction of x (default: the metric's).")
@click.option("--y-goal", type=click.Choice(["min", "max"]), default=None,
              help="Better direction of y (default: the metric's).")
@click.option("--all", "all_points", is_flag=True,
              help="Include points that violate the constraints.")
@click.option("--where", default=None, metavar="SQL",
              help="Only points matching this SQL predicate, e.g. \"context = 4096\".")
@click.option("--out", "out_root", default="results", show_default=True,
              type=click.Path(file_okay=False), help="Parent folder of stores.")
@click.option("--json", "as_json", is_flag=True, help="Print the front as JSON.")
def pareto_cmd(name: str, x: str, y: str, x_goal: str | None, y_goal: str | None,
               all_points: bool, where: str | None, out_root: str, as_json: bool) -> None:
    """Print the Pareto front of X against Y in sweep NAME and plot it to
    results/NAME/figures/."""
    from pathlib import Path

    from ...sweep.figures import pareto_figure
    from ...sweep.pareto import front
    from ...sweep.store import Store

    Store.check_name(name)
    path = Path(out_root) / name
    f = front(path, x, y, x_goal=x_goal, y_goal=y_goal, feasible_only=not all_points,
              where=where)
    fig = pareto_figure(f, path / "figures" / f"pareto-{x}-{y}.png", title=name) \
        if f.points_used else None
    if as_json:
        echo_json({"x": x, "y": y, "x_goal": f.x_goal, "y_goal": f.y_goal,
                   "points_used": f.points_used, "figure": str(fig) if fig else None,
                   "front": [dict(zip(f.columns, r)) for r in f.rows]})
        return
    from ...sweep.metrics import metric

    # x, y, then the inputs that differ along the front; point ids shortened
    inputs = [c for c in f.columns if metric(c) is None and c not in
              ("point_id", "feasible", "design_set", "model_set")]
    varying = [c for c in inputs if len({r[f.columns.index(c)] for r in f.rows}) > 1]
    show = [x, y] + varying + ["point_id"]
    idx = [f.columns.index(c) for c in show]
    table = [show] + [[_fmt(r[i])[:12] if c == "point_id" else _fmt(r[i])
                       for c, i in zip(show, idx)] for r in f.rows]
    widths = [max(len(row[k]) for row in table) for k in range(len(show))]
    click.echo(f"{name}: Pareto front of {x} ({f.x_goal}) and {y} ({f.y_goal}): "
               f"{len(f.rows)} of {f.points_used:,} points"
               + ("" if all_points else " meeting the constraints")
               + (f" where {where}" if where else ""))
    same = [c for c in inputs if c not in varying and f.rows]
    if same:
        click.echo("same along the front: " + ", ".join(
            f"{c}={_fmt(f.rows[0][f.columns.index(c)])}" for c in same))
    for row in table:
        click.echo("  ".join(v.rjust(w) for v, w in zip(row, widths)).rstrip())
    if fig is not None:
        click.echo(f"figure: {fig}")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.5g}"
    return "" if v is None else str(v)
