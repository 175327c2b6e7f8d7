"""The ``janus1`` command.

Commands are discovered, not listed: every module in :mod:`janus1.cli.commands` that
defines ``command`` (a :class:`click.Command`) is a sub-command named after the module
(``_`` becomes ``-``). A module is imported only when its command runs (or for
``--help``), so ``janus1 analyze`` never pays for numba, matplotlib or torch.

Every bad command line ends the same way, whichever command it names, because the
group (not each command) turns failures into output: exactly one line on stderr
(``janus1: error: ...``) and exit code 2, no traceback. That covers

- click's usage errors (an unknown command or option, a bad choice, a missing or extra
  argument, a value out of range),
- errors derived from :class:`janus1.errors.Janus1Error` (bad files, presets, options),
- operating-system errors on the user's paths (a read-only ``--out``, a folder given
  where a file is expected),
- an argument that is not valid UTF-8 (rejected before any command runs).

Python warnings raised while a command runs become one ``warning: ...`` line each on
stderr, so ``--json`` consumers can tell them from errors and stdout stays one document.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from ..errors import Janus1Error

__all__ = ["main", "cli", "fail"]


def _command_modules() -> dict[str, str]:
    from . import commands

    return {m.name.replace("_", "-"): f"{commands.__name__}.{m.name}"
            for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")}


def _one_line(text: str) -> str:
    """``text`` folded onto one printable line (no newlines, no unencodable bytes)."""
    flat = " ".join(str(text).split())
    return flat.encode("utf-8", "backslashreplace").decode("utf-8")


def _err(line: str) -> None:
    sys.stderr.write(_one_line(line) + "\n")
    sys.stderr.flush()


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``janus1: error: message`` as one line on stderr and exit with ``code``."""
    _err(f"janus1: error: {message}")
    sys.exit(code)


def _usage_message(exc: click.UsageError) -> str:
    msg = exc.format_message()
    ctx = exc.ctx
    if ctx is not None and ctx.command_path:
        where = ctx.command_path.replace("janus1", "", 1).strip()
        if where:
            msg = f"{where}: {msg}"
    hint = "janus1 --help" if ctx is None or ctx.parent is None else \
        f"{ctx.command_path} --help"
    return f"{msg.rstrip('.')} (see '{hint}')"


def _os_message(exc: OSError) -> str:
    what = exc.strerror or exc.__class__.__name__
    names = [str(f) for f in (exc.filename, exc.filename2) if f is not None]
    return f"{what}: {' -> '.join(names)}" if names else str(exc) or what


def _check_utf8(args: Sequence[str]) -> None:
    """Reject an argument holding bytes that are not UTF-8 (Python keeps them as
    surrogate escapes, which fail later, far from the command line)."""
    for i, a in enumerate(args):
        try:
            a.encode("utf-8")
        except UnicodeEncodeError:
            shown = a.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            prev = f" (after {args[i - 1]})" if i and args[i - 1].startswith("-") else ""
            fail(f"argument {i + 1}{prev} is not valid UTF-8: '{shown}'")


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    _err(f"warning: {message}")


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

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        """Run the command line; every failure becomes one line and an exit code.

        With ``standalone_mode=False`` (library use) exceptions propagate unchanged.
        """
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode:
            return super().main(argv, prog_name or "janus1", complete_var, False, **extra)
        _check_utf8(argv)
        if not argv:  # bare `janus1`: the help, not an error
            argv = ["--help"]
        old = warnings.showwarning
        warnings.showwarning = _show_warning
        try:
            rv = super().main(argv, prog_name or "janus1", complete_var, False, **extra)
        except click.UsageError as exc:
            fail(_usage_message(exc))
        except click.exceptions.Abort:
            fail("aborted", 130)
        except click.ClickException as exc:
            fail(exc.format_message(), 2)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except Janus1Error as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:  # `janus1 ... | head`: the reader left; not an error
            sys.stderr.close()
            sys.exit(0)
        except OSError as exc:
            fail(_os_message(exc))
        finally:
            warnings.showwarning = old
        sys.exit(rv if isinstance(rv, int) else 0)


def _version() -> str:
    from .. import __version__

    return __version__


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="janus1")
def cli() -> None:
    """janus1: does this accelerator design run this language model, and how well?"""


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the CLI; every failure is one line on stderr and exit code 2."""
    return cli.main(args=argv, prog_name="janus1")
