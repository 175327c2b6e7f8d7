"""Helpers shared by the command modules: JSON output, options, tables."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

__all__ = ["echo_json", "set_option", "json_option", "print_table", "positive_int"]

F = TypeVar("F", bound=Callable[..., Any])


def echo_json(obj: Any) -> None:
    """Print ``obj`` as one JSON document on stdout."""
    from ..report import dumps_json

    sys.stdout.write(dumps_json(obj))


def json_option(f: F) -> F:
    """``--json``: machine-readable output."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON object instead of a table.")(f)


def set_option(f: F) -> F:
    """``--set key=value`` (repeatable): override a config value (dotted path)."""
    return click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                        help="Override a config value, e.g. --set tier.0.size=16MiB. "
                             "Repeatable.")(f)


def positive_int(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback rejecting values below 1 with a one-line message."""
    def _check(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None and value < 1:
            raise click.BadParameter(f"must be at least 1, not {value}", param_hint=name)
        return value
    return _check


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a small table with rich (imported lazily)."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    for h in header:
        t.add_column(str(h))
    for r in rows:
        t.add_row(*[str(x) for x in r])
    Console().print(t)
