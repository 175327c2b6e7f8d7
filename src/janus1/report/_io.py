"""Atomic file writes and provenance records.

Nothing janus1 writes is ever half-written: single files go to a temporary file in the
same folder and are renamed over the target; a results folder is built in a hidden
staging folder and renamed into place when complete (:class:`ResultsDir`).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import __version__
from ..errors import InputError

__all__ = ["atomic_write_bytes", "atomic_write_text", "write_json", "write_csv",
           "git_commit", "provenance", "ResultsDir", "check_result_name",
           "json_safe", "dumps_json", "current_umask"]


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's umask (read by setting and restoring it, under a lock)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _chmod_default(path: str | Path, *, folder: bool) -> None:
    """Give ``path`` the mode a plain ``open``/``mkdir`` would have (0666 or 0777 less
    the umask): ``mkstemp``/``mkdtemp`` create 0600/0700, which would hide results
    from everyone else the user meant to share them with."""
    os.chmod(path, (0o777 if folder else 0o666) & ~current_umask())


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename.

    The file gets the user's default mode (0666 less the umask). On any failure the
    temporary file is removed and an existing ``path`` is left as it was.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _chmod_default(tmp, folder=False)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite or missing number as ``None`` (JSON ``null``).

    Dataclasses become dicts, numpy scalars and arrays Python numbers and lists,
    tuples and sets lists (sets sorted), paths strings. JSON has no NaN or Infinity:
    ``json.dumps`` would print bare ``NaN``, which no strict parser accepts.
    """
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k) if not isinstance(k, str) else k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return [json_safe(v) for v in sorted(obj)]
    if isinstance(obj, Path):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        from ..config import to_dict

        return json_safe(to_dict(obj))
    if hasattr(obj, "tolist"):  # numpy scalars and arrays
        return json_safe(obj.tolist())
    if hasattr(obj, "item"):
        return json_safe(obj.item())
    return obj


def dumps_json(obj: Any) -> str:
    """Strict JSON text (``null`` for non-finite numbers), keys in the order given."""
    return json.dumps(json_safe(obj), indent=2, default=_json_default, allow_nan=False) + "\n"


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented strict JSON, atomically."""
    return atomic_write_text(path, dumps_json(obj))


def write_csv(path: str | Path, rows: Sequence[Mapping[str, Any]],
              columns: Iterable[str] | None = None) -> Path:
    """Write a list of dicts as CSV (columns default to the union, in first-seen order)."""
    cols: list[str] = list(columns) if columns is not None else []
    if columns is None:
        for row in rows:
            for k in row:
                if k not in cols:
                    cols.append(k)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: row.get(k, "") for k in cols})
    return atomic_write_text(path, buf.getvalue())


def git_commit(start: str | Path | None = None) -> str | None:
    """The git commit of the source tree janus1 runs from (None outside a checkout)."""
    here = Path(start) if start is not None else Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    commit = out.stdout.strip()
    try:
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=here, capture_output=True, text=True, timeout=5,
                               check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        dirty = ""
    return commit + ("-dirty" if dirty else "")


def provenance(config: Any, *, seed: int | None, command: Sequence[str] | None = None,
               extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The record every results folder carries: resolved inputs, version, commit, seed."""
    rec: dict[str, Any] = {
        "janus1_version": __version__,
        "git_commit": git_commit(),
        "seed": seed,
        "config": config,
        "command": list(command) if command is not None else list(sys.argv),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        import numpy

        rec["numpy"] = numpy.__version__
    except ImportError:  # pragma: no cover - numpy is a hard dependency
        pass
    if extra:
        rec.update(extra)
    return rec


# A result (or sweep) name is one plain folder name: it cannot climb out of --out
# ("..", "a/b"), replace --out itself (""), or collide with the hidden staging and
# set-aside folders below (a leading "."). 255 bytes is the usual file-name limit.
_NAME_RE = re.compile(r"[^\W_][\w.+-]*")


def check_result_name(name: str, *, what: str = "--name") -> str:
    """Return ``name`` if it is a plain folder name, else raise :class:`InputError`.

    Allowed: letters, digits, ``_``, ``-``, ``+`` and ``.``, starting with a letter or
    digit, at most 255 bytes.
    """
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name) \
            or len(name.encode("utf-8", "surrogateescape")) > 255:
        raise InputError(f"{what}: {name!r} is not a plain folder name (letters, digits, "
                         "'_', '-', '+' and '.', starting with a letter or digit)")
    return name


class ResultsDir:
    """A results folder built in a staging folder and renamed into place on success.

    Use as a context manager; ``path`` is where to write while inside (the staging
    folder, created on entering). The guarantees:

    - ``final``'s name must be a plain folder name (:func:`check_result_name`), so a
      results folder never replaces its parent or lands outside it;
    - on an exception inside the block the staging folder is removed and any earlier
      results at ``final`` are untouched;
    - on success earlier results are set aside, the staging folder is renamed into
      place, and only then are the earlier results removed; if the rename fails they
      are put back and the staging folder is removed. The staging folder never
      outlives the block;
    - folders and files get the user's default modes (umask), not 0700/0600;
    - parent folders it had to create are removed again when the run fails.

    Raises:
        InputError: a bad name, or ``final`` exists and is not a folder, or the parent
            folder cannot be created or written (read-only, a file in the way).
    """

    def __init__(self, final: str | Path, *, what: str = "--name") -> None:
        self.final = Path(final)
        check_result_name(self.final.name, what=what)
        if self.final.exists() and not self.final.is_dir():
            raise InputError(f"{self.final}: exists and is not a folder")
        self.path = self.final  # the staging folder once entered

    def __enter__(self) -> ResultsDir:
        parent = self.final.parent
        # the folders this creates, deepest last: removed again if the run fails
        self._created = [p for p in (parent, *parent.parents) if not p.exists()][::-1]
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self.path = Path(tempfile.mkdtemp(prefix=f".{self.final.name}.",
                                              suffix=".staging", dir=parent))
        except OSError as exc:
            self._remove_created()
            raise InputError(f"cannot write results in {parent}: "
                             f"{exc.strerror or exc}") from None
        try:
            _chmod_default(self.path, folder=True)
        except BaseException:
            shutil.rmtree(self.path, ignore_errors=True)
            self._remove_created()
            raise
        return self

    def _remove_created(self) -> None:
        for p in reversed(self._created):
            try:
                p.rmdir()  # only if still empty
            except OSError:
                break

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self._remove_created()
            return
        old = None
        try:
            if self.final.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{self.final.name}.", suffix=".old",
                                            dir=self.final.parent))
                os.rmdir(old)  # a fresh unique name to set the earlier results aside
                os.replace(self.final, old)
            os.replace(self.path, self.final)
        except BaseException as err:
            if old is not None and not self.final.exists():
                os.replace(old, self.final)
            shutil.rmtree(self.path, ignore_errors=True)
            if not self.final.exists():
                self._remove_created()
            if isinstance(err, OSError):
                raise InputError(f"cannot move results into {self.final}: "
                                 f"{err.strerror or err}") from None
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
