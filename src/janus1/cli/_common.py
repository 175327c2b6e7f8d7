"""Helpers shared by the command modules: JSON output, checked options, tables.

Everything a command parses from its command line is checked here, where it is parsed:
numbers are finite and in range (click types below), names are plain folder names, and
a failed check is a click usage error, which the group prints as one line (exit 2).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

__all__ = ["echo_json", "set_option", "json_option", "print_table",
           "FINITE", "finite_float", "check_finite", "result_name_option", "warn",
           "table_groups", "stderr_progress"]

F = TypeVar("F", bound=Callable[..., Any])


def echo_json(obj: Any) -> None:
    """Print ``obj`` as one strict JSON document on stdout (``null`` for NaN/inf)."""
    from ..report import dumps_json

    sys.stdout.write(dumps_json(obj))
    sys.stdout.flush()


def warn(message: str) -> None:
    """One ``warning: ...`` line on stderr (never on stdout, so ``--json`` stays one
    document and a consumer can tell warnings from errors)."""
    click.echo(f"warning: {' '.join(str(message).split())}", err=True)


def json_option(f: F) -> F:
    """``--json``: machine-readable output."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON document on stdout (null for a missing or "
                             "non-finite number); warnings go to stderr.")(f)


def set_option(example: str) -> Callable[[F], F]:
    """``--set key=value`` (repeatable): override a config value (dotted path).

    ``example`` is a real override of the command's config (a test runs each one).
    """
    def deco(f: F) -> F:
        return click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                            help=f"Override a config value by its dotted path, e.g. --set "
                                 f"{example}. Repeatable.")(f)
    return deco


class _FiniteFloat(click.ParamType):
    """A float that is finite (no inf, no nan) and optionally within bounds."""

    name = "float"

    def __init__(self, min: float | None = None, max: float | None = None,
                 min_open: bool = False) -> None:
        self.min, self.max, self.min_open = min, max, min_open

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        if isinstance(value, float) and math.isfinite(value):
            x = value
        else:
            try:
                x = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number", param, ctx)
            if not math.isfinite(x):
                self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.min is not None and (x < self.min or (self.min_open and x == self.min)):
            self.fail(f"{value} must be {'above' if self.min_open else 'at least'} "
                      f"{self.min:g}", param, ctx)
        if self.max is not None and x > self.max:
            self.fail(f"{value} must be at most {self.max:g}", param, ctx)
        return x


FINITE = _FiniteFloat()


def finite_float(min: float | None = None, max: float | None = None, *,
                 min_open: bool = False) -> click.ParamType:
    """A click type: a finite float in [min, max] (``min_open``: strictly above min)."""
    return _FiniteFloat(min, max, min_open)


def check_finite(value: float, what: str, *, positive: bool = False) -> float:
    """``value`` if finite (and > 0 with ``positive``), else a one-line usage error."""
    if not math.isfinite(value) or (positive and value <= 0):
        raise click.BadParameter(f"must be a {'positive ' if positive else ''}finite "
                                 f"number, not {value}", param_hint=what)
    return value


def result_name_option(*decls: str, default: str | None, help: str) -> Callable[[F], F]:
    """A results (or sweep) folder name: one plain folder name, checked when parsed."""
    def _check(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        from ..errors import InputError
        from ..report import check_result_name

        if value is None:
            return None
        try:
            return check_result_name(value, what=decls[0])
        except InputError as exc:
            raise click.BadParameter(str(exc).split(": ", 1)[-1], param=param) from None

    return click.option(*decls, default=default, show_default=default is not None,
                        callback=_check, help=help)


def stderr_progress() -> Any:
    """A transient rich progress bar on stderr (off when stderr is not a terminal), so
    stdout carries only the command's result."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    return Progress(console=console, transient=True, disable=not console.is_terminal)


# ---- tables -------------------------------------------------------------------------

def _wrap_header(text: str, width: int) -> str:
    """``text`` on lines of at most ``width`` characters, broken at spaces."""
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines) or str(text)


def table_groups(widths: Sequence[int], total: int, keys: int = 1) -> list[list[int]]:
    """Column indices per printed table so that each fits in ``total`` characters.

    ``widths`` are the columns' content widths; the first ``keys`` columns (the row's
    label) repeat in every group. A table of n columns of widths w takes
    sum(w) + 3n + 1 characters (rich's box: a bar and a space each side).
    """
    def need(cols: list[int]) -> int:
        return sum(widths[i] for i in cols) + 3 * len(cols) + 1

    keys = min(keys, len(widths))
    head = list(range(keys))
    groups: list[list[int]] = []
    cur = list(head)
    for i in range(keys, len(widths)):
        if len(cur) > keys and need(cur + [i]) > total:
            groups.append(cur)
            cur = list(head)
        cur.append(i)
    if len(cur) > keys or not groups:
        groups.append(cur)
    return groups


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], *,
                keys: int = 1) -> None:
    """Print a table with rich (imported lazily) that never cuts a value.

    Every cell is shown whole; headers wrap at spaces. When the table is wider than
    the terminal (``COLUMNS``; 80 when not a terminal), its columns are split over
    several tables, each repeating the first ``keys`` columns, instead of shortening
    values to "0.6…".
    """
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table

    cells = [[str(x) for x in r] for r in rows]
    hdr = [str(h) for h in header]
    widths = []
    for j, h in enumerate(hdr):
        cw = max((cell_len(r[j]) for r in cells if j < len(r)), default=0)
        word = max((cell_len(w) for w in h.split()), default=0)
        widths.append(max(cw, word, 1))
    console = Console()
    groups = table_groups(widths, console.width, keys)
    for g, cols in enumerate(groups):
        t = Table(title=title if g == 0 else "(continued)")
        for j in cols:
            t.add_column(_wrap_header(hdr[j], widths[j]), no_wrap=True, min_width=widths[j],
                         overflow="fold")
        for r in cells:
            t.add_row(*[r[j] if j < len(r) else "" for j in cols])
        console.print(t)
