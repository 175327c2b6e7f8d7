"""The store's columns and their types, shared by the workers and the store.

Every row holds the point's inputs (:data:`INPUT_COLUMNS`), one column per design/model
axis, every metric of the sweep's evaluators, and :data:`TAIL_COLUMNS`. Types are
DuckDB's names (DOUBLE, BIGINT, BOOLEAN, VARCHAR) and map one to one onto Arrow's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .spec import SweepSpec

__all__ = ["INPUT_COLUMNS", "TAIL_COLUMNS", "VOLATILE_COLUMNS", "column_types",
           "arrow_schema"]

INPUT_COLUMNS = ("point_id", "design", "design_set", "model", "model_set", "precision",
                 "kv_precision", "context", "batch")
TAIL_COLUMNS = ("feasible", "error", "janus1_version", "worker", "eval_seconds")
# what differs between runs of the same point (excluded when comparing backends)
VOLATILE_COLUMNS = ("worker", "eval_seconds")


def column_types(spec: SweepSpec) -> list[tuple[str, str]]:
    """``(column, type)`` of every stored column, in order."""
    types: dict[str, str] = {c: "VARCHAR" for c in INPUT_COLUMNS}
    types["context"] = types["batch"] = "BIGINT"
    for a in spec.axes:
        if a.target == "workload":
            continue
        vals = a.labels if a.target == "linked" else a.values
        if all(isinstance(v, bool) for v in vals):
            t = "BOOLEAN"
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            t = "BIGINT"
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            t = "DOUBLE"
        else:
            t = "VARCHAR"
        types[a.column] = t
    for m in spec.metrics:
        types[m.name] = {"float": "DOUBLE", "bool": "BOOLEAN", "str": "VARCHAR"}[m.kind]
    types.update({"feasible": "BOOLEAN", "error": "VARCHAR", "janus1_version": "VARCHAR",
                  "worker": "VARCHAR", "eval_seconds": "DOUBLE"})
    order = list(INPUT_COLUMNS) + [a.column for a in spec.axes if a.target != "workload"] + \
        [m.name for m in spec.metrics] + list(TAIL_COLUMNS)
    return [(c, types[c]) for c in order]


def arrow_schema(cols: Sequence[tuple[str, str]]) -> Any:
    """The pyarrow schema of ``cols``."""
    import pyarrow as pa

    m = {"DOUBLE": pa.float64(), "BIGINT": pa.int64(), "BOOLEAN": pa.bool_(),
         "VARCHAR": pa.string()}
    return pa.schema([(c, m[t]) for c, t in cols])
