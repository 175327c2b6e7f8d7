"""Atomic file writes and provenance records.

Nothing janus1 writes is ever half-written: single files go to a temporary file in the
same folder and are renamed over the target; a results folder is built in a hidden
staging folder and renamed into place when complete (:class:`ResultsDir`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import __version__

__all__ = ["atomic_write_bytes", "atomic_write_text", "write_json", "write_csv",
           "git_commit", "provenance", "ResultsDir"]


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _json_default(obj: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        from ..config import to_dict

        return to_dict(obj)
    if hasattr(obj, "tolist"):  # numpy scalars and arrays
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def dumps_json(obj: Any) -> str:
    """JSON text with numpy/dataclass support, stable key order as given."""
    return json.dumps(obj, indent=2, default=_json_default, allow_nan=True) + "\n"


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically."""
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


class ResultsDir:
    """A results folder built in a staging folder and renamed into place on success.

    Use as a context manager; ``path`` is where to write while inside. On an exception
    the staging folder is removed and any earlier results at ``final`` are untouched.
    """

    def __init__(self, final: str | Path) -> None:
        self.final = Path(final)
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.final.name}.", suffix=".staging",
                                          dir=self.final.parent))

    def __enter__(self) -> ResultsDir:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        old = None
        if self.final.exists():
            old = self.final.with_name(f".{self.final.name}.old-{os.getpid()}")
            os.replace(self.final, old)
        os.replace(self.path, self.final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
