"""``janus1 study``: the main job; every study section into one results folder."""

from __future__ import annotations

from typing import Any

import click

from .._common import result_name_option

__all__ = ["command"]


@click.command("study")
@result_name_option("--name", default="default", help="Results folder name (a plain folder "
                    "name: letters, digits, '_', '-', '+', '.').")
@click.option("--out", "out_root", default="results", show_default=True,
              type=click.Path(file_okay=False), help="Parent folder of results.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of every random choice.")
@click.option("--full", is_flag=True, help="Run the longer variants (more tokens, bigger sweeps).")
@click.option("--only", multiple=True, metavar="SECTION", help="Run only these sections.")
@click.option("--list", "list_only", is_flag=True,
              help="List the sections and their options, and exit.")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Section option, e.g. --set quant.max_tokens=2048 (see --list). Repeatable.")
def command(name: str, out_root: str, seed: int, full: bool, only: tuple[str, ...],
            list_only: bool, overrides: tuple[str, ...]) -> None:
    """Run the Janus-1 study and write results/<name>/ (report.md, tables, figures).

    Every input is checked before anything runs; the folder appears only when every
    section succeeded, replacing earlier results of the same name only then.
    """
    from ...config import parse_override
    from ...errors import ConfigError
    from ...study import discover_sections, option_fields, run_study

    if list_only:
        for s in discover_sections():
            click.echo(f"{s.order:4d}  {s.name:16s} {s.title}")
            for f in option_fields(s):
                d = f.default
                shown = ("auto" if d is None else ",".join(map(str, d)) if isinstance(d, tuple)
                         else str(d).lower() if isinstance(d, bool) else d)
                click.echo(f"        --set {s.name}.{f.name}={shown}  {f.metadata.get('help', '')}")
        return
    from ...sweep.store import refuse_sweep_store  # a sweep's store is not a study's folder

    refuse_sweep_store(f"{out_root}/{name}")
    cfg: dict[str, dict[str, Any]] = {}
    for item in overrides:
        path, value = parse_override(item)
        if len(path) != 2:
            raise ConfigError(f"--set {item!r}: expected SECTION.KEY=VALUE")
        cfg.setdefault(path[0], {})[path[1]] = value
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("study", total=None)

        def progress(msg: str, done: int, total: int) -> None:
            bar.update(task, description=msg, completed=done, total=total)

        out = run_study(name=name, out_root=out_root, seed=seed, full=full, only=only,
                        section_config=cfg, progress=progress)
    click.echo(f"wrote {out}/report.md")
