"""``janus1 study``: the main job; every study section into one results folder."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import click

from ...config import parse_override
from ...errors import ConfigError

__all__ = ["command"]


@click.command("study")
@click.option("--name", default="default", show_default=True, help="Results folder name.")
@click.option("--out", "out_root", default="results", show_default=True,
              type=click.Path(file_okay=False), help="Parent folder of results.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of every random choice.")
@click.option("--full", is_flag=True, help="Run the longer variants (more tokens, bigger sweeps).")
@click.option("--only", multiple=True, metavar="SECTION", help="Run only these sections.")
@click.option("--list", "list_only", is_flag=True, help="List the sections and exit.")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Section option, e.g. --set quant.max_tokens=2048.")
def command(name: str, out_root: str, seed: int, full: bool, only: tuple[str, ...],
            list_only: bool, overrides: tuple[str, ...]) -> None:
    """Run the Janus-1 study and write results/<name>/ (report.md, tables, figures)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ...study import discover_sections, run_study

    if list_only:
        for s in discover_sections():
            click.echo(f"{s.order:4d}  {s.name:16s} {s.title}")
        return
    from ...sweep.store import refuse_sweep_store  # a sweep's store is not a study's folder

    refuse_sweep_store(f"{out_root}/{name}")
    cfg: dict[str, dict[str, Any]] = defaultdict(dict)
    for item in overrides:
        path, value = parse_override(item)
        if len(path) != 2:
            raise ConfigError(f"--set {item!r}: expected SECTION.KEY=VALUE")
        cfg[path[0]][path[1]] = value
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  transient=True) as bar:
        task = bar.add_task("study", total=None)

        def progress(msg: str, done: int, total: int) -> None:
            bar.update(task, description=msg, completed=done, total=total)

        out = run_study(name=name, out_root=out_root, seed=seed, full=full, only=only,
                        section_config=dict(cfg), progress=progress)
    click.echo(f"wrote {out}/report.md")
