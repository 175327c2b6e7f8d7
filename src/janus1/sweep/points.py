"""Points of a sweep: axis values resolved into the inputs of one evaluation, and ids.

A point is the tuple of its axis values (in axis order). :func:`resolve` turns it into
:class:`PointInputs`: the design and model references with their ``--set`` overrides
(base overrides first, then the axes'), precision, KV precision, context and batch.
``point_id`` is a hash of those inputs and of the evaluator configuration, so the same
point gets the same id in every run, on every backend, and a changed evaluator setting
gets new ids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .spec import SweepSpec, _ref_id, override_text

__all__ = ["PointInputs", "resolve", "point_id", "grid_points", "random_points",
           "ID_VERSION", "PointIds"]

ID_VERSION = 1   # bump when the meaning of an input changes


@dataclass(frozen=True, slots=True, kw_only=True)
class PointInputs:
    """Everything one evaluation needs."""

    design: str                      # preset name or file, as written
    design_set: tuple[str, ...]      # --set overrides of the design, applied in order
    model: str
    model_set: tuple[str, ...]
    precision: str                   # canonical names (fp16, int8, ...)
    kv_precision: str
    context: int
    batch: int


def resolve(spec: SweepSpec, values: tuple[Any, ...]) -> PointInputs:
    """The inputs of the point with axis ``values`` (aligned with ``spec.axes``)."""
    b = spec.base
    w: dict[str, Any] = {"design": b.design, "model": b.model, "precision": b.precision,
                         "kv_precision": None, "context": b.context, "batch": b.batch}
    dset = list(b.design_set)
    mset = list(b.model_set)
    kv_axis = False
    for a, v in zip(spec.axes, values):
        if a.target == "workload":
            w[a.field] = v
            kv_axis = kv_axis or a.field == "kv_precision"
        elif a.target == "linked":
            for (target, path), x in zip(a.parts, v):
                (dset if target == "design" else mset).append(override_text(path, x))
        elif a.target == "design":
            dset.append(override_text(a.path, v))
        else:
            mset.append(override_text(a.path, v))
    kv = w["kv_precision"] if kv_axis else (
        b.kv_precision if b.kv_precision != b.precision else w["precision"])
    return PointInputs(design=str(w["design"]), design_set=tuple(dset), model=str(w["model"]),
                       model_set=tuple(mset), precision=str(w["precision"]),
                       kv_precision=str(kv), context=int(w["context"]),
                       batch=int(w["batch"]))


def point_id(spec: SweepSpec, p: PointInputs) -> str:
    """32 hex digits of BLAKE2b over the inputs and the evaluator configuration."""
    return PointIds(spec)(p)


class PointIds:
    """``point_id`` for many points of one sweep (the constant parts computed once)."""

    def __init__(self, spec: SweepSpec) -> None:
        self._spec = spec
        self._refs: dict[str, str] = {spec.base.design: spec.design_ref}
        self._cfg = json.dumps(spec.evaluator_config(), separators=(",", ":"),
                               sort_keys=True)

    def _ref(self, ref: str) -> str:
        r = self._refs.get(ref)
        if r is None:
            r = self._refs[ref] = _ref_id(ref)
        return r

    def __call__(self, p: PointInputs) -> str:
        key = json.dumps([ID_VERSION, self._ref(p.design), p.design_set, self._ref(p.model),
                          p.model_set, p.precision, p.kv_precision, p.context, p.batch],
                         separators=(",", ":")) + self._cfg
        return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def grid_points(spec: SweepSpec) -> Iterator[tuple[Any, ...]]:
    """Every point of the Cartesian product, the last axis varying fastest."""
    import itertools

    return itertools.product(*(a.values for a in spec.axes))


def random_points(spec: SweepSpec) -> list[tuple[Any, ...]]:
    """``search.points`` distinct grid points drawn with ``search.seed`` (all of them
    when the grid is smaller), in draw order."""
    import numpy as np

    n_total = spec.grid_size
    n = min(int(spec.search.points or 0), n_total)
    rng = np.random.default_rng(spec.search.seed)
    idx = rng.choice(n_total, size=n, replace=False) if n_total < 2**62 else \
        rng.integers(0, n_total, size=n)
    sizes = [len(a.values) for a in spec.axes]
    out: list[tuple[Any, ...]] = []
    seen: set[int] = set()
    for i in idx.tolist():
        if i in seen:
            continue
        seen.add(i)
        coords = []
        for s in reversed(sizes):
            coords.append(i % s)
            i //= s
        coords.reverse()
        out.append(tuple(a.values[c] for a, c in zip(spec.axes, coords)))
    return out
