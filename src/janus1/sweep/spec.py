"""Sweep files: TOML into a validated, frozen :class:`SweepSpec`.

A sweep file names a base point (design, model, precision, context, batch), axes over
any field ``--set`` can address (``design.<path>``, ``model.<path>``) or over the
workload inputs (``design``, ``model``, ``precision``, ``kv_precision``, ``context``,
``batch``), a search, the evaluators run per point, and objectives and constraints over
the stored metrics (docs/sweep.md has the format). Everything is checked before a
single point runs: an unknown key or field, an empty axis, an unknown evaluator,
objective or metric, or constraints that contradict each other on their face raise
:class:`~janus1.errors.ConfigError` naming the file and the field.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import from_dict, load_toml, parse_toml, to_dict
from ..errors import ConfigError, Janus1Error
from .metrics import EVALUATORS, Metric, metric, metrics_of

__all__ = ["RangeSpec", "Axis", "Base", "Search", "Objective", "Constraint", "SimOptions",
           "AccuracyOptions", "SweepSpec", "load_sweep", "parse_sweep", "SEARCHES",
           "WORKLOAD_FIELDS"]

SEARCHES = ("grid", "random", "nsga2", "tpe")
# axis fields that are inputs of the point rather than --set paths
WORKLOAD_FIELDS = ("design", "model", "precision", "kv_precision", "context", "batch")
_SCALES = ("linear", "log")


# ---------------------------------------------------------------------------------------
# the file, as TOML tables (from_dict rejects unknown keys)

@dataclass(frozen=True, slots=True, kw_only=True)
class RangeSpec:
    """``range = {start, stop, num, scale, integer}``: num values, ends included."""

    start: float
    stop: float
    num: int
    scale: str = "linear"          # linear | log (geometric)
    integer: bool = False          # round each value to an integer (duplicates dropped)


@dataclass(frozen=True, slots=True, kw_only=True)
class _AxisFile:
    field: str | None = None       # one field
    fields: list[str] | None = None  # linked fields varied together (values are lists)
    name: str | None = None
    values: list[Any] | None = None
    range: RangeSpec | None = None  # noqa: A003 - the TOML key
    labels: list[Any] | None = None  # linked: the stored value of each entry


@dataclass(frozen=True, slots=True, kw_only=True)
class Base:
    """The base point every axis varies."""

    design: str = "janus-1"              # design preset or TOML file
    model: str = "llama-2-7b"            # model preset or checkpoint/config path
    precision: str = "int4"              # weights (and KV unless kv_precision)
    kv_precision: str | None = None
    context: int = 4096
    batch: int = 1
    design_set: list[str] = field(default_factory=list)  # --set overrides of the design
    model_set: list[str] = field(default_factory=list)   # --set overrides of the model


@dataclass(frozen=True, slots=True, kw_only=True)
class Search:
    """How points are chosen."""

    kind: str = "grid"             # grid | random | nsga2 | tpe
    points: int | None = None      # random: how many points
    seed: int = 0                  # random, nsga2, tpe
    budget: int | None = None      # nsga2, tpe: trials
    population: int = 16           # nsga2, tpe: trials asked (and evaluated) together


@dataclass(frozen=True, slots=True, kw_only=True)
class Objective:
    """A metric to minimise or maximise."""

    metric: str
    goal: str | None = None        # min | max (default: the metric's own)


@dataclass(frozen=True, slots=True, kw_only=True)
class Constraint:
    """A metric held within bounds (``min``/``max``) or equal to a boolean."""

    metric: str
    min: float | None = None       # noqa: A003 - the TOML key
    max: float | None = None       # noqa: A003 - the TOML key
    equals: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SimOptions:
    """``[ppa_sim]``: the simulated decode step."""

    layers: int = 1
    prefetcher: str = "stream"
    kv_layout: str = "head-major"


@dataclass(frozen=True, slots=True, kw_only=True)
class AccuracyOptions:
    """``[accuracy]``: compare on stories260K (WikiText test tokens)."""

    tokens: int = 2048             # tokens of WikiText scored
    context: int = 256             # window of the perplexity protocol
    weights: str | None = None     # weight scheme (default: the point's precision)
    kv: str | None = None          # KV scheme (default: the point's kv_precision)


@dataclass(frozen=True, slots=True, kw_only=True)
class _SweepFile:
    name: str | None = None
    description: str = ""
    evaluators: list[str] = field(default_factory=lambda: ["roofline", "ppa"])
    chunk: int | None = None
    base: Base = field(default_factory=Base)
    search: Search = field(default_factory=Search)
    axis: list[_AxisFile] = field(default_factory=list)
    objective: list[Objective] = field(default_factory=list)
    constraint: list[Constraint] = field(default_factory=list)
    ppa_sim: SimOptions | None = None
    accuracy: AccuracyOptions | None = None


# ---------------------------------------------------------------------------------------
# the resolved sweep

@dataclass(frozen=True, slots=True, kw_only=True)
class Axis:
    """One axis: a field and its values (in order)."""

    field: str                     # as written: "design.compute.tiles", "context", ...
    target: str                    # "design" | "model" (a --set path) | "workload" | "linked"
    path: str                      # the --set path inside the target ("" otherwise)
    column: str                    # the store column holding the value
    values: tuple[Any, ...]        # linked: one tuple per entry, a value per field
    parts: tuple[tuple[str, str], ...] = ()   # linked: (target, path) of each field
    labels: tuple[Any, ...] = ()   # linked: the stored value of each entry

    def label(self, value: Any) -> Any:
        """What the store column holds for ``value``."""
        if self.target != "linked":
            return value
        return self.labels[self.values.index(value)]


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepSpec:
    """A validated sweep."""

    name: str                      # default results name
    source: str                    # the file
    text: str                      # the file's text (stored beside the points)
    description: str
    base: Base
    design_ref: str                # what identifies the base design in point ids
    axes: tuple[Axis, ...]
    search: Search
    evaluators: tuple[str, ...]
    objectives: tuple[Objective, ...]   # goals filled in
    constraints: tuple[Constraint, ...]
    sim: SimOptions
    accuracy: AccuracyOptions
    chunk: int                     # points per task

    @property
    def metrics(self) -> tuple[Metric, ...]:
        """The metrics every point stores."""
        return metrics_of(self.evaluators)

    @property
    def grid_size(self) -> int:
        """Points in the full Cartesian product of the axes."""
        return math.prod(len(a.values) for a in self.axes)

    def evaluator_config(self) -> dict[str, Any]:
        """What, beyond the inputs, decides the metrics (part of every point id)."""
        cfg: dict[str, Any] = {"evaluators": sorted(self.evaluators)}
        if "ppa_sim" in self.evaluators:
            cfg["ppa_sim"] = to_dict(self.sim)
        if "accuracy" in self.evaluators:
            cfg["accuracy"] = to_dict(self.accuracy)
        return cfg


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file.

    Raises:
        ConfigError: anything wrong with the file (one line naming the file and field).
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no such sweep file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from None
    return parse_sweep(text, source=str(p))


def parse_sweep(text: str, *, source: str) -> SweepSpec:
    """Validate sweep-file ``text`` (``source`` names it in errors)."""
    data = parse_toml(text, source=source)
    raw = from_dict(_SweepFile, data, source=source)
    return _resolve(raw, text, source)


def _err(source: str, where: str, msg: str) -> ConfigError:
    return ConfigError(f"{source}: {where}: {msg}")


def _resolve(raw: _SweepFile, text: str, source: str) -> SweepSpec:
    from ..workload.precision import parse_precision

    # ---- evaluators ----
    if not raw.evaluators:
        raise _err(source, "evaluators", "empty (known: " + ", ".join(EVALUATORS) + ")")
    for e in raw.evaluators:
        if e not in EVALUATORS:
            raise _err(source, "evaluators", f"unknown evaluator {e!r} "
                       f"(known: {', '.join(EVALUATORS)})")
    if len(set(raw.evaluators)) != len(raw.evaluators):
        raise _err(source, "evaluators", "an evaluator is listed twice")
    evaluators = tuple(raw.evaluators)
    if raw.ppa_sim is not None and "ppa_sim" not in evaluators:
        raise _err(source, "ppa_sim", "options given but 'ppa_sim' is not in evaluators")
    if raw.accuracy is not None and "accuracy" not in evaluators:
        raise _err(source, "accuracy", "options given but 'accuracy' is not in evaluators")
    sim = raw.ppa_sim or SimOptions()
    acc = raw.accuracy or AccuracyOptions()
    _check_sim(sim, source)
    _check_accuracy(acc, source)

    # ---- base ----
    b = raw.base
    try:
        precision = parse_precision(b.precision).name
        kv = parse_precision(b.kv_precision).name if b.kv_precision else precision
    except Janus1Error as exc:
        raise _err(source, "base", str(exc)) from None
    for f in ("context", "batch"):
        if getattr(b, f) < 1:
            raise _err(source, f"base.{f}", f"must be at least 1, not {getattr(b, f)}")
    base = dataclasses.replace(b, precision=precision, kv_precision=kv)
    design_data = _design_data(b.design, list(b.design_set), source, "base.design")
    model_data = _model_data(b.model, list(b.model_set), source, "base.model")

    # ---- axes ----
    axes: list[Axis] = []
    seen_fields: set[str] = set()
    for i, a in enumerate(raw.axis):
        where = f"axis[{i}] ({a.field or ', '.join(a.fields or [])})"
        if (a.field is None) == (a.fields is None):
            raise _err(source, where, "give exactly one of field or fields")
        for f in ([a.field] if a.field is not None else list(a.fields or [])):
            if f.strip() in seen_fields:
                raise _err(source, where, f"field {f} given twice")
            seen_fields.add(f.strip())
        values = _axis_values(a, source, where)
        if a.fields is not None:
            axes.append(_make_linked(a, values, source, where, design_data, model_data))
        else:
            if a.labels is not None:
                raise _err(source, where, "labels are for linked axes (fields = [...])")
            axes.append(_make_axis(a, values, source, where, design_data, model_data, b))
    columns = [a.column for a in axes if a.target != "workload"]
    fixed = {"point_id", "design", "design_set", "model", "model_set", "precision",
             "kv_precision", "context", "batch", "feasible", "error", "janus1_version",
             "worker", "eval_seconds"}
    names = {m.name for m in metrics_of(evaluators)} | fixed
    for a in axes:
        if a.target != "workload" and (a.column in names or columns.count(a.column) > 1):
            raise _err(source, f"axis ({a.field})", f"column {a.column!r} is taken; give the "
                       "axis a different name")

    # ---- search ----
    s = raw.search
    if s.kind not in SEARCHES:
        raise _err(source, "search.kind", f"unknown search {s.kind!r} "
                   f"(known: {', '.join(SEARCHES)})")
    if s.kind == "random":
        if s.points is None or s.points < 1:
            raise _err(source, "search.points", "random search needs points >= 1")
    elif s.points is not None:
        raise _err(source, "search.points", f"only for random search, not {s.kind}")
    if s.kind in ("nsga2", "tpe"):
        if s.budget is None or s.budget < 1:
            raise _err(source, "search.budget", f"{s.kind} needs budget >= 1")
        if s.population < 2:
            raise _err(source, "search.population", "must be at least 2")
        if not raw.objective:
            raise _err(source, "objective", f"{s.kind} search needs at least one objective")
        if not axes:
            raise _err(source, "axis", f"{s.kind} search needs at least one axis")
    elif s.budget is not None:
        raise _err(source, "search.budget", f"only for nsga2 and tpe, not {s.kind}")

    # ---- objectives and constraints ----
    produced = {m.name for m in metrics_of(evaluators)}
    objectives: list[Objective] = []
    for i, o in enumerate(raw.objective):
        where = f"objective[{i}] ({o.metric})"
        m = _known_metric(o.metric, produced, evaluators, source, where)
        if m.kind != "float" or m.goal is None:
            raise _err(source, where, f"{o.metric} is not an objective (a constraint may "
                       "hold it instead)")
        goal = o.goal or m.goal
        if goal not in ("min", "max"):
            raise _err(source, where, f"goal must be min or max, not {goal!r}")
        if any(x.metric == o.metric for x in objectives):
            raise _err(source, where, "objective given twice")
        objectives.append(Objective(metric=o.metric, goal=goal))
    _check_constraints(raw.constraint, produced, evaluators, source)

    chunk = raw.chunk
    if chunk is not None and chunk < 1:
        raise _err(source, "chunk", f"must be at least 1, not {chunk}")
    if chunk is None:
        slow = {"ppa_sim", "accuracy"} & set(evaluators)
        chunk = 1 if slow else 500
    name = raw.name or Path(source).stem
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise _err(source, "name", f"{name!r}: use letters, digits, '.', '_' and '-'")
    return SweepSpec(name=name, source=source, text=text, description=raw.description,
                     base=base, design_ref=_ref_id(b.design), axes=tuple(axes), search=s,
                     evaluators=evaluators, objectives=tuple(objectives),
                     constraints=tuple(raw.constraint), sim=sim, accuracy=acc, chunk=chunk)


def _check_sim(sim: SimOptions, source: str) -> None:
    from ..sim.prefetch import REGISTRY

    if sim.layers < 1:
        raise _err(source, "ppa_sim.layers", f"must be at least 1, not {sim.layers}")
    if sim.prefetcher not in REGISTRY:
        raise _err(source, "ppa_sim.prefetcher", f"unknown prefetcher {sim.prefetcher!r} "
                   f"(known: {', '.join(REGISTRY)})")
    if sim.kv_layout not in ("head-major", "position-major"):
        raise _err(source, "ppa_sim.kv_layout", f"unknown layout {sim.kv_layout!r} "
                   "(known: head-major, position-major)")


def _check_accuracy(acc: AccuracyOptions, source: str) -> None:
    from ..decoder.quant import parse_scheme

    if acc.tokens < 2 or acc.context < 2:
        raise _err(source, "accuracy", "tokens and context must be at least 2")
    try:
        if acc.weights is not None:
            parse_scheme(acc.weights)
        if acc.kv is not None:
            parse_scheme(acc.kv, kv=True)
    except Janus1Error as exc:
        raise _err(source, "accuracy", str(exc)) from None


def _known_metric(name: str, produced: set[str], evaluators: tuple[str, ...], source: str,
                  where: str) -> Metric:
    m = metric(name)
    if m is None:
        raise _err(source, where, f"unknown metric {name!r} (known: "
                   + ", ".join(sorted(produced)) + ")")
    if name not in produced:
        raise _err(source, where, f"metric {name!r} needs the {m.evaluator!r} evaluator "
                   f"(evaluators: {', '.join(evaluators)})")
    return m


def _check_constraints(cons: list[Constraint], produced: set[str],
                       evaluators: tuple[str, ...], source: str) -> None:
    lo: dict[str, float] = {}
    hi: dict[str, float] = {}
    eq: dict[str, bool] = {}
    for i, c in enumerate(cons):
        where = f"constraint[{i}] ({c.metric})"
        m = _known_metric(c.metric, produced, evaluators, source, where)
        if m.kind == "str":
            raise _err(source, where, f"{c.metric} is text; it cannot be constrained")
        if m.kind == "bool":
            if c.min is not None or c.max is not None or c.equals is None:
                raise _err(source, where, f"{c.metric} is true/false: use equals = true|false")
            if eq.get(c.metric, c.equals) != c.equals:
                raise _err(source, where, f"contradictory: {c.metric} must be both true and "
                           "false")
            eq[c.metric] = c.equals
            continue
        if c.equals is not None:
            raise _err(source, where, f"{c.metric} is a number: use min and/or max")
        if c.min is None and c.max is None:
            raise _err(source, where, "needs min and/or max")
        for v in (c.min, c.max):
            if v is not None and not math.isfinite(v):
                raise _err(source, where, "bounds must be finite")
        if c.min is not None:
            lo[c.metric] = max(lo.get(c.metric, -math.inf), c.min)
        if c.max is not None:
            hi[c.metric] = min(hi.get(c.metric, math.inf), c.max)
        if lo.get(c.metric, -math.inf) > hi.get(c.metric, math.inf):
            raise _err(source, where, f"contradictory: {c.metric} >= {lo[c.metric]:g} and "
                       f"<= {hi[c.metric]:g}")


def _axis_values(a: _AxisFile, source: str, where: str) -> tuple[Any, ...]:
    if (a.values is None) == (a.range is None):
        raise _err(source, where, "give exactly one of values or range")
    if a.fields is not None:
        if a.values is None:
            raise _err(source, where, "linked fields need values (a list per entry)")
        if not a.values:
            raise _err(source, where, "empty axis (values = [])")
        entries: list[tuple[Any, ...]] = []
        for v in a.values:
            if not isinstance(v, list) or len(v) != len(a.fields):
                raise _err(source, where, f"entry {v!r}: needs one value per field "
                           f"({len(a.fields)})")
            if tuple(v) in entries:
                raise _err(source, where, f"entry {v!r} is listed twice")
            entries.append(tuple(v))
        return tuple(entries)
    if a.values is not None:
        if not a.values:
            raise _err(source, where, "empty axis (values = [])")
        out: list[Any] = []
        for v in a.values:
            if isinstance(v, (dict, list)):
                raise _err(source, where, f"value {v!r}: a number, string or boolean is needed")
            if isinstance(v, float) and not math.isfinite(v):
                raise _err(source, where, f"value {v!r} is not finite")
            if v in out and type(v) is type(out[out.index(v)]):
                raise _err(source, where, f"value {v!r} is listed twice")
            out.append(v)
        return tuple(out)
    import numpy as np

    r = a.range
    assert r is not None
    if r.num < 1:
        raise _err(source, where, f"empty axis (range.num = {r.num})")
    if r.scale not in _SCALES:
        raise _err(source, where, f"range.scale: unknown scale {r.scale!r} (known: linear, log)")
    if not (math.isfinite(r.start) and math.isfinite(r.stop)):
        raise _err(source, where, "range start and stop must be finite")
    if r.scale == "log":
        if r.start <= 0 or r.stop <= 0:
            raise _err(source, where, "a log range needs positive start and stop")
        vals = np.geomspace(r.start, r.stop, r.num)
    else:
        vals = np.linspace(r.start, r.stop, r.num)
    fl: list[float] = [float(v) for v in vals.tolist()]
    fl[0], fl[-1] = float(r.start), float(r.stop)   # exact ends
    if not r.integer:
        return tuple(dict.fromkeys(fl))
    return tuple(dict.fromkeys(int(round(v)) for v in fl))


def _make_linked(a: _AxisFile, values: tuple[Any, ...], source: str, where: str,
                 design_data: dict[str, Any], model_data: dict[str, Any]) -> Axis:
    from ..design.spec import DesignSpec
    from ..models.spec import ModelSpec

    fields = [f.strip() for f in (a.fields or [])]
    if len(fields) < 2:
        raise _err(source, where, "linked fields need at least two fields")
    if not a.name:
        raise _err(source, where, "linked fields need a name (the store column)")
    parts: list[tuple[str, str]] = []
    for f in fields:
        target, _, path = f.partition(".")
        if target not in ("design", "model") or not path:
            raise _err(source, where, f"linked field {f!r}: only design.<path> and "
                       "model.<path> fields can be linked")
        cls = DesignSpec if target == "design" else ModelSpec
        _check_path(cls, design_data if target == "design" else model_data, path.split("."),
                    source, where)
        parts.append((target, path))
    for entry in values:
        for (_, path), v in zip(parts, entry):
            try:
                override_text(path, v)
            except ConfigError as exc:
                raise _err(source, where, str(exc)) from None
    if a.labels is not None:
        if len(a.labels) != len(values) or len(set(map(repr, a.labels))) != len(values):
            raise _err(source, where, "labels: one distinct label per entry")
        labels = tuple(a.labels)
    else:
        labels = tuple("/".join(str(x) for x in e) for e in values)
    return Axis(field=" + ".join(fields), target="linked", path="", column=a.name,
                values=values, parts=tuple(parts), labels=labels)


def _column_name(path: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", path).strip("_").lower()


def _make_axis(a: _AxisFile, values: tuple[Any, ...], source: str, where: str,
               design_data: dict[str, Any], model_data: dict[str, Any], base: Base) -> Axis:
    from ..workload.precision import parse_precision

    assert a.field is not None
    f = a.field.strip()
    if f in WORKLOAD_FIELDS:
        if a.name is not None:
            raise _err(source, where, "a workload axis is stored in its own column; no name")
        vals: list[Any] = []
        for v in values:
            try:
                if f in ("precision", "kv_precision"):
                    v = parse_precision(str(v)).name
                elif f in ("context", "batch"):
                    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                        raise ConfigError(f"value {v!r}: a positive integer is needed")
                elif f == "design":
                    _design_data(str(v), list(base.design_set), source, where)
                elif f == "model":
                    _model_data(str(v), list(base.model_set), source, where)
            except ConfigError as exc:
                msg = str(exc)
                raise (exc if msg.startswith(source) else _err(source, where, msg)) from None
            except Janus1Error as exc:
                raise _err(source, where, str(exc)) from None
            key = v.lower() if isinstance(v, str) else v
            if key in [x.lower() if isinstance(x, str) else x for x in vals]:
                raise _err(source, where, f"value {v!r} is listed twice")
            vals.append(v)
        return Axis(field=f, target="workload", path="", column=f, values=tuple(vals))
    target, _, path = f.partition(".")
    if target not in ("design", "model") or not path:
        raise _err(source, where, f"unknown field {f!r} (a design.<path> or model.<path> "
                   f"--set path, or one of {', '.join(WORKLOAD_FIELDS)})")
    if target == "design":
        from ..design.spec import DesignSpec

        _check_path(DesignSpec, design_data, path.split("."), source, where)
    else:
        from ..models.spec import ModelSpec

        _check_path(ModelSpec, model_data, path.split("."), source, where)
    for v in values:
        try:
            override_text(path, v)
        except ConfigError as exc:
            raise _err(source, where, str(exc)) from None
    return Axis(field=f, target=target, path=path, column=a.name or _column_name(path),
                values=values)


def _check_path(cls: Any, data: Any, path: list[str], source: str, where: str) -> None:
    """``path`` must name a field of ``cls`` (nested tables, lists by index or name)."""
    from ..config import _UNIT_SUFFIXES

    tp: Any = cls
    node: Any = data
    for i, key in enumerate(path):
        tp = _strip_optional(tp)
        origin = typing.get_origin(tp)
        if dataclasses.is_dataclass(tp):
            hints = typing.get_type_hints(tp)
            names = [fl.name for fl in dataclasses.fields(tp)]
            name = key if key in names else next(
                (key + s for s in _UNIT_SUFFIXES if key + s in names), None)
            if name is None:
                raise _err(source, where, f"unknown field {key!r} in "
                           f"{'.'.join(path[:i]) or tp.__name__} (known: {', '.join(names)})")
            tp = hints[name]
            node = node.get(key, node.get(name)) if isinstance(node, dict) else None
        elif origin in (list, tuple):
            if not isinstance(node, list):
                raise _err(source, where, f"{'.'.join(path[:i])} has no elements to address")
            found = None
            if key.isdigit() and int(key) < len(node):
                found = node[int(key)]
            else:
                found = next((e for e in node if isinstance(e, dict) and e.get("name") == key),
                             None)
            if found is None:
                raise _err(source, where, f"no element {key!r} in {'.'.join(path[:i])}")
            tp, node = typing.get_args(tp)[0], found
        elif origin is dict:
            tp = typing.get_args(tp)[1]
            node = node.get(key) if isinstance(node, dict) else None
        else:
            raise _err(source, where, f"{'.'.join(path[:i])} is a value, not a table")


def _strip_optional(tp: Any) -> Any:
    import types

    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def override_text(path: str, value: Any) -> str:
    """``path=value`` with ``value`` as a TOML literal (what ``--set`` takes)."""
    if isinstance(value, bool):
        lit = "true" if value else "false"
    elif isinstance(value, int):
        lit = str(value)
    elif isinstance(value, float):
        lit = repr(value)
        if lit in ("inf", "-inf", "nan"):
            raise ConfigError(f"value {value!r} is not finite")
    elif isinstance(value, str):
        lit = json.dumps(value)
    else:
        raise ConfigError(f"value {value!r}: a number, string or boolean is needed")
    return f"{path}={lit}"


def _ref_id(ref: str) -> str:
    """A design/model reference for point ids: a preset name, or a file with its hash."""
    p = Path(ref)
    if p.is_file():
        return f"{ref}#sha256={hashlib.sha256(p.read_bytes()).hexdigest()[:16]}"
    return ref.lower()


def _design_data(ref: str, overrides: list[str], source: str, where: str) -> dict[str, Any]:
    """The design's TOML data (base overrides applied); checks that it loads."""
    from ..config import apply_overrides
    from ..design.spec import DesignSpec, design_presets
    from ..presets import load_preset

    try:
        if ref.lower() in design_presets():
            data = load_preset("designs", ref)
        elif Path(ref).suffix == ".toml" or "/" in ref:
            if not Path(ref).is_file():
                raise ConfigError(f"{ref}: no such file")
            data = load_toml(ref)
            data.setdefault("name", Path(ref).stem)
        else:
            raise ConfigError(f"unknown design {ref!r} (known: {', '.join(design_presets())})")
        data = apply_overrides(data, overrides)
        from_dict(DesignSpec, data, source=f"design {ref}")
    except Janus1Error as exc:
        raise _err(source, where, str(exc)) from None
    return data


def _model_data(ref: str, overrides: list[str], source: str, where: str) -> dict[str, Any]:
    from ..config import apply_overrides
    from ..models import ModelSpec, load_spec

    try:
        data = to_dict(load_spec(ref))
        data = apply_overrides(data, overrides)
        from_dict(ModelSpec, data, source=f"model {ref}")
    except Janus1Error as exc:
        raise _err(source, where, str(exc)) from None
    return data


def canonical_text(spec: SweepSpec) -> str:
    """The sweep's resolved form as JSON (stored in the store's manifest)."""
    d = {"name": spec.name, "source": spec.source, "description": spec.description,
         "base": to_dict(spec.base), "design_ref": spec.design_ref,
         "axes": [to_dict(a) for a in spec.axes], "search": to_dict(spec.search),
         "evaluators": list(spec.evaluators),
         "objectives": [to_dict(o) for o in spec.objectives],
         "constraints": [to_dict(c) for c in spec.constraints],
         **spec.evaluator_config(), "chunk": spec.chunk}
    return json.dumps(d, indent=2, sort_keys=False) + "\n"


