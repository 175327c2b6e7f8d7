"""Everything that writes files: atomic writes, provenance, tables and figures."""

from ._io import (
    ResultsDir,
    atomic_write_bytes,
    atomic_write_text,
    dumps_json,
    git_commit,
    provenance,
    write_csv,
    write_json,
)

__all__ = [
    "ResultsDir",
    "atomic_write_bytes",
    "atomic_write_text",
    "dumps_json",
    "git_commit",
    "provenance",
    "write_csv",
    "write_json",
]
