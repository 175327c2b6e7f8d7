"""Helpers for the sweep tests (imported by name: tests/sweep is on sys.path): small
sweep files and store comparisons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# A small analytic grid with failing points (node "1nm" is unknown): 3 x 3 x 2 = 18.
ANALYTIC = """\
name = "small"
evaluators = ["roofline", "ppa"]
chunk = 4

[base]
design = "janus-1"
model = "llama-2-7b"
precision = "int4"

[[axis]]
field = "design.compute.tiles"
values = [4, 8, 16]

[[axis]]
field = "design.node"
values = ["3nm", "7nm", "1nm"]

[[axis]]
field = "context"
values = [512, 4096]

[[constraint]]
metric = "junction_c"
max = 105.0
"""

# The actor path (accuracy on stories260K), two points.
ACCURACY = """\
name = "acc"
evaluators = ["accuracy"]

[accuracy]
tokens = 300
context = 64

[[axis]]
field = "precision"
values = ["int8", "int4"]
"""


def sweep_writer(tmp_path: Path) -> Any:
    """``write(text, name="s.toml")`` -> path of a sweep file in ``tmp_path``."""
    def _write(text: str, name: str = "s.toml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p
    return _write


def stable_rows(store: Path) -> list[dict[str, Any]]:
    """The store's rows without the per-run columns, sorted by point_id."""
    from janus1.sweep.schema import VOLATILE_COLUMNS
    from janus1.sweep.store import read_table

    t = read_table(store)
    t = t.drop_columns(list(VOLATILE_COLUMNS))
    return sorted(t.to_pylist(), key=lambda r: r["point_id"])
