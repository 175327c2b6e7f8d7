"""The sweep store: ``results/<name>/`` with the points as Parquet parts.

Layout::

    results/<name>/
      sweep.json        manifest: format tag, the resolved sweep, the column types
      sweep.toml        the sweep file as given
      points/part-<run>-<seq>.parquet   one row per point
      summary.json      counts of the last run (rewritten by each run)
      figures/          Pareto fronts, scatter matrix

Only the main process writes. A store folder is created complete (staged, then
renamed); each part is written under a temporary name (``.part-*.tmp``) and renamed,
so a killed run leaves whole parts and perhaps a temporary file, which readers ignore
and :meth:`Store.open` removes on resume. DuckDB reads the parts as the table
``points`` (:func:`query`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError
from ..report import atomic_write_text
from .evaluate import ChunkResult
from .schema import arrow_schema as _arrow_schema
from .schema import column_types
from .spec import SweepSpec, canonical_text

__all__ = ["Store", "FORMAT", "is_sweep_store", "is_study", "refuse_sweep_store",
           "column_types", "query", "read_table"]

FORMAT = "janus1-sweep-store/1"
MANIFEST = "sweep.json"
_PART_RE = re.compile(r"^part-[0-9a-f]+-\d{6}\.parquet$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def is_sweep_store(path: str | Path) -> bool:
    """Whether ``path`` holds a sweep store."""
    return (Path(path) / MANIFEST).is_file()


def is_study(path: str | Path) -> bool:
    """Whether ``path`` holds a study's results (what ``janus1 study`` writes)."""
    p = Path(path)
    return (p / "report.md").is_file() or (p / "claims.json").is_file()


def refuse_sweep_store(path: str | Path) -> None:
    """Raise when ``path`` (a study's results folder) holds a sweep store.

    Raises:
        InputError: it does.
    """
    if is_sweep_store(path):
        raise InputError(f"{path} holds a sweep store (janus1 sweep); choose another "
                         "study name")


class Store:
    """One sweep's folder."""

    def __init__(self, path: Path, columns: list[tuple[str, str]]) -> None:
        self.path = path
        self.columns = columns
        self.run_id = uuid.uuid4().hex[:12]
        self._seq = 0

    @property
    def points_dir(self) -> Path:
        return self.path / "points"

    # ---- opening ----
    @staticmethod
    def check_name(name: str) -> None:
        """Reject names that are not a plain folder name.

        Raises:
            InputError: ``name`` has a path separator or odd characters.
        """
        if not _NAME_RE.match(name):
            raise InputError(f"sweep name {name!r}: use letters, digits, '.', '_' and '-'")

    @staticmethod
    def check_target(root: str | Path, name: str, *, resume: bool) -> None:
        """Raise now what :meth:`create_or_resume` would refuse (before workers start).

        Raises:
            InputError: a bad name; an existing folder without ``resume``; a study.
        """
        Store.check_name(name)
        final = Path(root) / name
        if not final.exists():
            return
        if is_study(final) and not is_sweep_store(final):
            raise InputError(f"{final} holds a study (janus1 study); choose another "
                             "sweep name")
        if not is_sweep_store(final):
            raise InputError(f"{final} exists and is not a sweep store; choose another "
                             "name")
        if not resume:
            raise InputError(f"{final} already holds a sweep; use --resume to continue "
                             "it or --name to start another")

    @staticmethod
    def create_or_resume(root: str | Path, name: str, spec: SweepSpec, *,
                         resume: bool) -> tuple[Store, bool]:
        """Open ``root/name`` for ``spec``: create it, or (``resume``) reopen it.

        Returns:
            ``(store, resumed)``.

        Raises:
            InputError: the folder exists and ``resume`` is off; it holds a study or
                something else; a resumed store's columns differ from ``spec``'s.
        """
        Store.check_target(root, name, resume=resume)
        final = Path(root) / name
        cols = column_types(spec)
        if final.exists():
            st = Store.open(final)
            if st.columns != cols:
                raise InputError(f"{final}: the stored sweep has other columns than "
                                 f"{spec.source}; cannot resume it with this file")
            for tmp in st.points_dir.glob(".part-*"):
                tmp.unlink(missing_ok=True)       # leftovers of a killed run
            atomic_write_text(final / "sweep.toml", spec.text)
            return st, True
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".staging",
                                        dir=final.parent))
        try:
            (staging / "points").mkdir()
            manifest = {"format": FORMAT, "janus1_version": __version__,
                        "sweep": json.loads(canonical_text(spec)),
                        "columns": [[c, t] for c, t in cols]}
            atomic_write_text(staging / MANIFEST, json.dumps(manifest, indent=2) + "\n")
            atomic_write_text(staging / "sweep.toml", spec.text)
            os.rename(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return Store(final, cols), False

    @staticmethod
    def open(path: str | Path) -> Store:
        """An existing store.

        Raises:
            InputError: no store there, or an unreadable manifest.
        """
        p = Path(path)
        if not is_sweep_store(p):
            if is_study(p):
                raise InputError(f"{p} holds a study, not a sweep store")
            raise InputError(f"{p}: no sweep store there")
        try:
            m = json.loads((p / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{p / MANIFEST}: unreadable manifest: {exc}") from None
        if m.get("format") != FORMAT:
            raise InputError(f"{p / MANIFEST}: unknown store format {m.get('format')!r}")
        return Store(p, [(c, t) for c, t in m["columns"]])

    # ---- reading ----
    def parts(self) -> list[Path]:
        """The complete parts, in name order."""
        if not self.points_dir.is_dir():
            return []
        return sorted(p for p in self.points_dir.iterdir() if _PART_RE.match(p.name))

    def read(self, columns: Sequence[str] | None = None) -> Any:
        """Every stored row as one pyarrow Table (empty with the store's schema when
        there are no parts)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = _arrow_schema(self.columns)
        if columns is not None:
            schema = pa.schema([schema.field(c) for c in columns])
        tables = [pq.read_table(p, columns=list(columns) if columns else None, schema=schema)
                  for p in self.parts()]
        if not tables:
            return schema.empty_table()
        return pa.concat_tables(tables)

    def point_ids(self) -> set[str]:
        """Ids of every stored point."""
        return set(self.read(["point_id"]).column("point_id").to_pylist())

    # ---- writing (main process only) ----
    def write_part(self, results: Sequence[ChunkResult]) -> Path | None:
        """Write the rows of ``results`` as one new part (temporary name, then rename)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = [r for r in results if len(r)]
        if not rows:
            return None
        schema = _arrow_schema(self.columns)
        table = pa.concat_tables([r.table() for r in rows])
        if table.schema != schema:
            raise InputError(f"{self.path}: a chunk's columns differ from the store's")
        self._seq += 1
        final = self.points_dir / f"part-{self.run_id}-{self._seq:06d}.parquet"
        tmp = self.points_dir / f".{final.name}.{os.getpid()}.tmp"
        try:
            pq.write_table(table, tmp, compression="zstd")
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return final


def read_table(path: str | Path) -> Any:
    """Every row of the store at ``path`` (pyarrow Table)."""
    return Store.open(path).read()


def query(path: str | Path, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``sql`` with DuckDB over the store's parts, exposed as the table ``points``.

    Returns:
        ``(column names, rows)``.

    Raises:
        InputError: no store, or an SQL error (its one-line message).
    """
    import duckdb

    st = Store.open(path)
    con = duckdb.connect(":memory:")
    try:
        parts = st.parts()
        if parts:                       # DuckDB reads the parts itself
            con.read_parquet([str(p) for p in parts], union_by_name=True).create_view("points")
        else:                           # no part yet: an empty table with the columns
            con.register("points", st.read())
        try:
            cur = con.execute(sql)
        except duckdb.Error as exc:
            msg = " ".join(str(exc).split())
            raise InputError(f"query: {msg}") from None
        if cur.description is None:
            return [], []
        names = [d[0] for d in cur.description]
        return names, cur.fetchall()
    finally:
        con.close()
