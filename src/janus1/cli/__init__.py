"""The ``janus1`` command.

Commands are discovered, not listed: every module in :mod:`janus1.cli.commands` that
defines ``command`` (a :class:`click.Command`) is a sub-command named after the module
(``_`` becomes ``-``). A module is imported only when its command runs (or for
``--help``), so ``janus1 analyze`` never pays for numba, matplotlib or torch.
Errors derived from :class:`janus1.errors.Janus1Error` become one line on stderr and
exit code 2.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

import click

from ..errors import Janus1Error

__all__ = ["main", "cli"]


def _command_modules() -> dict[str, str]:
    from . import commands

    return {m.name.replace("_", "-"): f"{commands.__name__}.{m.name}"
            for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_command_modules())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        mod_name = _command_modules().get(cmd_name)
        if mod_name is None:
            return None
        mod = importlib.import_module(mod_name)
        cmd = getattr(mod, "command", None)
        if not isinstance(cmd, click.Command):
            raise RuntimeError(f"{mod_name} defines no click command named 'command'")
        return cmd


def _version() -> str:
    from .. import __version__

    return __version__


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="janus1")
def cli() -> None:
    """janus1: does this accelerator design run this language model, and how well?"""


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the CLI, turning user errors into one line and exit code 2."""
    try:
        return cli.main(args=argv, prog_name="janus1", standalone_mode=False)
    except Janus1Error as exc:
        click.echo(f"janus1: error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("janus1: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("janus1: interrupted", err=True)
        sys.exit(130)
