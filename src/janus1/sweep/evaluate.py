"""Evaluating points in batches: what every backend runs, in whichever process.

:func:`evaluate_chunk` takes a sweep and a chunk of points and returns a
:class:`ChunkResult` (columns of inputs and metrics, one row per point). The evaluator
objects live in the process (:func:`evaluator_for`) for as long as it does: design
presets, model specs, per-design PPA precomputation (:mod:`._fastppa`), the stories260K
checkpoint and the simulator's compiled kernels are loaded or compiled once per worker,
not per point. A point whose evaluation raises is returned with its error and null
metrics; nothing is retried.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..errors import InputError, Janus1Error
from .points import PointIds, PointInputs, resolve
from .schema import INPUT_COLUMNS, TAIL_COLUMNS, VOLATILE_COLUMNS, arrow_schema, column_types
from .spec import SweepSpec, canonical_text

__all__ = ["Chunk", "ChunkResult", "evaluate_chunk", "evaluator_for", "Evaluator",
           "INPUT_COLUMNS", "TAIL_COLUMNS", "VOLATILE_COLUMNS"]


_CACHE_MAX = 4096          # designs (and workloads) kept per worker

def _precision_scheme(precision: str) -> str | None:
    """The quantization scheme that stores values at ``precision`` (fp32: none, the float
    reference; None when no scheme does, as for bf16)."""
    return "none" if precision == "fp32" else (precision if precision != "bf16" else None)


@dataclass(frozen=True, slots=True)
class Chunk:
    """Points to evaluate together: their axis values."""

    values: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """One row per point of a chunk: an Arrow table serialised as an IPC stream (cheap
    to send between processes and to append to the store)."""

    ipc: bytes
    rows: int
    seconds: float                 # wall time of the whole chunk in the worker

    def __len__(self) -> int:
        return self.rows

    def table(self) -> Any:
        """The rows as a pyarrow Table."""
        import pyarrow as pa

        with pa.ipc.open_stream(self.ipc) as reader:
            return reader.read_all()

    def column(self, name: str) -> list[Any]:
        """The values of column ``name``."""
        return self.table().column(name).to_pylist()

    @staticmethod
    def of(schema: Any, cols: dict[str, list[Any]], seconds: float) -> ChunkResult:
        """Serialise columns ``cols`` (one list per schema field)."""
        import pyarrow as pa

        table = pa.Table.from_arrays([pa.array(cols[f.name], type=f.type) for f in schema],
                                     schema=schema)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, schema) as w:
            w.write_table(table)
        return ChunkResult(ipc=sink.getvalue().to_pybytes(), rows=table.num_rows,
                           seconds=seconds)


class Evaluator:
    """Evaluates points of one sweep, keeping every reusable object."""

    def __init__(self, spec: SweepSpec) -> None:
        self.spec = spec
        self.ids = PointIds(spec)
        self.metric_names = tuple(m.name for m in spec.metrics)
        self.axis_columns = tuple(a.column for a in spec.axes if a.target != "workload")
        self.names = (INPUT_COLUMNS + self.axis_columns + self.metric_names + TAIL_COLUMNS)
        self.schema = arrow_schema(column_types(spec))
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self._designs: dict[tuple[str, tuple[str, ...]], Any] = {}
        self._models: dict[tuple[str, tuple[str, ...]], Any] = {}
        self._design_data: dict[str, dict[str, Any]] = {}
        self._accuracy: dict[tuple[str, str], Any] = {}
        self._works: dict[tuple[Any, ...], Any] = {}
        self._pkgs: dict[str, Any] = {}
        self._ckpt: Any = None
        self.cons = [(c.metric, c.min, c.max, c.equals) for c in spec.constraints]

    # ---- cached inputs ----
    def design_context(self, ref: str, overrides: tuple[str, ...]) -> Any:
        """The :class:`~._fastppa.DesignContext` of a design with overrides (cached; a
        design that fails to build caches its error)."""
        key = (ref, overrides)
        hit = self._designs.get(key)
        if hit is None:
            try:
                hit = self._build_design(ref, overrides)
            except Janus1Error as exc:
                hit = exc
            if len(self._designs) >= _CACHE_MAX:   # grid order keeps a design's points together
                self._designs.clear()
            self._designs[key] = hit
        if isinstance(hit, Exception):
            raise hit
        return hit

    def _build_design(self, ref: str, overrides: tuple[str, ...]) -> Any:
        from ..config import apply_overrides, from_dict
        from ..design.spec import DesignSpec
        from ._fastppa import DesignContext
        from .spec import _design_data

        data = self._design_data.get(ref)
        if data is None:
            data = self._design_data[ref] = _design_data(ref, [], "sweep", "design")
        where = f"design {ref}" + (f" with {'; '.join(overrides)}" if overrides else "")
        design = from_dict(DesignSpec, apply_overrides(data, list(overrides)), source=where)
        pkg = self._pkgs.get(design.package)
        if pkg is None:
            pkg = self._pkgs[design.package] = design.package_spec
        return DesignContext.of(design, pkg)

    def model(self, ref: str, overrides: tuple[str, ...]) -> Any:
        """The ModelSpec of a model with overrides (cached)."""
        key = (ref, overrides)
        hit = self._models.get(key)
        if hit is None:
            from ..config import apply_overrides, from_dict, to_dict
            from ..models import ModelSpec, load_spec

            try:
                spec = load_spec(ref)
                if overrides:
                    spec = from_dict(ModelSpec, apply_overrides(to_dict(spec), list(overrides)),
                                     source=f"{ref} with {'; '.join(overrides)}")
                hit = spec
            except Janus1Error as exc:
                hit = exc
            self._models[key] = hit
        if isinstance(hit, Exception):
            raise hit
        return hit

    # ---- one point ----
    def metrics(self, p: PointInputs) -> dict[str, Any]:
        """Every metric of the sweep's evaluators at ``p``."""
        ev = self.spec.evaluators
        out: dict[str, Any] = {}
        spec = self.model(p.model, p.model_set)
        dc = None
        if "roofline" in ev or "ppa" in ev or "ppa_sim" in ev:
            dc = self.design_context(p.design, p.design_set)
        if "roofline" in ev or "ppa" in ev:
            from ..workload.analysis import analyze

            an = analyze(spec, context=p.context, batch=p.batch, precision=p.precision,
                         kv_precision=p.kv_precision, device=dc.device)
            d = an.decode
            out["tokens_per_s"] = d.tokens_per_s
            out["seconds_per_token"] = (d.seconds / d.tokens) if d.seconds else None
            out["prefill_seconds"] = an.prefill.seconds
            out["flops_per_token"] = d.flops_per_token
            out["bytes_per_token"] = d.bytes_per_token
            out["arithmetic_intensity"] = d.arithmetic_intensity
            out["weight_bytes"] = an.weight_bytes
            out["kv_bytes"] = an.kv_bytes
            out["spill_bytes"] = an.spill_bytes
            out["fits"] = an.fits
            out["bound"] = d.bound
            if "ppa" in ev:
                from ._fastppa import fast_ppa

                r = fast_ppa(dc, spec, an, context=p.context, precision=p.precision)
                out["area_mm2"] = r.area_mm2
                out["power_w"] = r.power_w
                out["joules_per_token"] = r.joules_per_token
                out["tokens_per_joule"] = 1.0 / r.joules_per_token
                out["junction_c"] = r.junction_c
                out["thermal_margin_c"] = r.thermal_margin_c
                out["runaway"] = r.runaway
                out["memory_pj_per_bit"] = r.memory_pj_per_bit
                out["peak_tops"] = dc.device.peak(p.precision) / 1e12
                out["ppa_warnings"] = "; ".join(r.warnings)
        if "ppa_sim" in ev:
            out.update(self._ppa_sim(dc, spec, p))
        if "accuracy" in ev:
            out.update(self._accuracy_metrics(p))
        return out

    def _run_batched(self, chunk: Chunk) -> ChunkResult:
        return _run_batched_impl(self, chunk)

    def _ppa_sim(self, dc: Any, spec: Any, p: PointInputs) -> dict[str, Any]:
        from ..design.simulate import ppa_simulated

        if p.batch != 1:
            raise InputError("ppa_sim simulates batch 1 only")
        o = self.spec.sim
        r = ppa_simulated(dc.design, spec, context=p.context, precision=p.precision,
                          kv_precision=p.kv_precision, sim_layers=o.layers,
                          prefetcher=o.prefetcher, kv_layout=o.kv_layout)
        s = r.simulate
        assert s is not None                  # ppa_simulated always sets it
        lat = s.decode.latency()              # design cycles, as ppa --simulate --json
        return {"sim_tokens_per_s": r.tokens_per_s, "sim_joules_per_token": r.joules_per_token,
                "sim_tokens_per_joule": 1.0 / r.joules_per_token, "sim_power_w": r.power_w,
                "sim_junction_c": r.junction_c,
                "sim_dram_bytes_per_token": s.decode.dram_bytes,
                "sim_latency_p99": lat.get("p99"), "sim_latency_p9999": lat.get("p9999")}

    def _accuracy_metrics(self, p: PointInputs) -> dict[str, Any]:
        o = self.spec.accuracy
        w = o.weights or _precision_scheme(p.precision)
        kv = o.kv or _precision_scheme(p.kv_precision)
        if w is None or kv is None:
            raise InputError(f"accuracy: no quantization scheme for "
                             f"{p.precision if w is None else p.kv_precision}; set "
                             "accuracy.weights / accuracy.kv")
        key = (w, kv)
        hit = self._accuracy.get(key)
        if hit is None:
            hit = self._accuracy[key] = self._compare(w, kv)
        return hit

    def _compare(self, weights: str, kv: str) -> dict[str, Any]:
        from ..decoder import FloatDecoder, load_checkpoint
        from ..decoder.evaluate import compare
        from ..models import asset_path

        o = self.spec.accuracy
        if self._ckpt is None:
            ckpt = load_checkpoint("stories260k")
            tok = ckpt.require_tokenizer()
            text = asset_path("wikitext", "wiki.test.raw").read_text(encoding="utf-8")
            ids = tok.encode(text, max_tokens=o.tokens)
            self._ckpt = (ckpt, tok, ids, FloatDecoder.from_checkpoint(ckpt))
        ckpt, tok, ids, ref = self._ckpt
        dec = FloatDecoder.from_checkpoint(ckpt, weights_scheme=weights, kv_scheme=kv)
        r = compare(ref, dec, ids, context=o.context, bos_id=tok.bos_id)
        return {"ppl": r.ppl, "ppl_reference": r.ppl_reference,
                "ppl_delta_pct": r.ppl_delta_pct, "top1_agreement": r.top1_agreement,
                "kl_mean": r.kl_mean}

    def feasible(self, m: dict[str, Any]) -> bool:
        """Whether metrics ``m`` satisfy every constraint (a missing metric fails)."""
        for name, lo, hi, eq in self.cons:
            v = m.get(name)
            if v is None:
                return False
            if eq is not None:
                if bool(v) != eq:
                    return False
                continue
            if lo is not None and not v >= lo:
                return False
            if hi is not None and not v <= hi:
                return False
        return True

    def workload(self, p: PointInputs) -> Any:
        """The point's :class:`~._batch.Workload` (counts without a device; cached)."""
        key = (p.model, p.model_set, p.precision, p.kv_precision, p.context, p.batch)
        hit = self._works.get(key)
        if hit is None:
            from ..workload.analysis import analyze
            from ._batch import Workload

            try:
                spec = self.model(p.model, p.model_set)
                hit = Workload(model_name=spec.name, precision=p.precision,
                               kv_precision=p.kv_precision,
                               counts=analyze(spec, context=p.context, batch=p.batch,
                                              precision=p.precision,
                                              kv_precision=p.kv_precision))
            except Janus1Error as exc:
                hit = exc
            if len(self._works) >= _CACHE_MAX:
                self._works.clear()
            self._works[key] = hit
        if isinstance(hit, Exception):
            raise hit
        return hit

    def batch_metrics(self, points: list[PointInputs]) -> list[dict[str, Any] | str]:
        """Metrics (or error text) of ``points`` through the vectorised roofline/ppa path,
        one design at a time."""
        from ._batch import roofline_ppa_batch

        out: list[dict[str, Any] | str] = [""] * len(points)
        groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
        for i, p in enumerate(points):
            groups.setdefault((p.design, p.design_set), []).append(i)
        want_ppa = "ppa" in self.spec.evaluators
        for (ref, ov), idx in groups.items():
            try:
                dc = self.design_context(ref, ov)
            except Exception as exc:  # noqa: BLE001 - stored with the points
                for i in idx:
                    out[i] = _error_text(exc)
                continue
            works, widx = [], []
            for i in idx:
                try:
                    works.append(self.workload(points[i]))
                    widx.append(i)
                except Exception as exc:  # noqa: BLE001
                    out[i] = _error_text(exc)
            if not works:
                continue
            try:
                res = roofline_ppa_batch(dc, works, want_ppa=want_ppa)
            except Exception as exc:  # noqa: BLE001
                for i in widx:
                    out[i] = _error_text(exc)
                continue
            for i, r in zip(widx, res):
                out[i] = r
        return out

    # ---- a chunk ----
    def _append_row(self, cols: dict[str, list[Any]], axes: list[tuple[int, Any]],
                    values: Any, p: Any, m: dict[str, Any], err: str | None,
                    seconds: float) -> None:
        """One point's row: its identity, axis labels, metrics, feasibility, error."""
        cols["point_id"].append(self.ids(p))
        cols["design"].append(p.design)
        cols["design_set"].append("; ".join(p.design_set))
        cols["model"].append(p.model)
        cols["model_set"].append("; ".join(p.model_set))
        cols["precision"].append(p.precision)
        cols["kv_precision"].append(p.kv_precision)
        cols["context"].append(p.context)
        cols["batch"].append(p.batch)
        for i, a in axes:
            cols[a.column].append(a.label(values[i]))
        for n in self.metric_names:
            cols[n].append(m.get(n))
        cols["feasible"].append(err is None and self.feasible(m))
        cols["error"].append(err)
        cols["janus1_version"].append(__version__)
        cols["worker"].append(self.worker)
        cols["eval_seconds"].append(seconds)

    def run(self, chunk: Chunk) -> ChunkResult:
        """Evaluate every point of ``chunk``."""
        from ._batch import SEQUENTIAL_SUM

        if SEQUENTIAL_SUM and set(self.spec.evaluators) <= {"roofline", "ppa"}:
            return self._run_batched(chunk)
        t_chunk = time.perf_counter()
        cols: dict[str, list[Any]] = {n: [] for n in self.names}
        axes = [(i, a) for i, a in enumerate(self.spec.axes) if a.target != "workload"]
        for values in chunk.values:
            t0 = time.perf_counter()
            p = resolve(self.spec, values)
            err = None
            try:
                m = self.metrics(p)
            except Exception as exc:  # noqa: BLE001 - stored with the point, not retried
                m = {}
                err = _error_text(exc)
            self._append_row(cols, axes, values, p, m, err, time.perf_counter() - t0)
        return ChunkResult.of(self.schema, cols, time.perf_counter() - t_chunk)


def _run_batched_impl(ev: Evaluator, chunk: Chunk) -> ChunkResult:
    t_chunk = time.perf_counter()
    spec = ev.spec
    points = [resolve(spec, v) for v in chunk.values]
    res = ev.batch_metrics(points)
    per_point = (time.perf_counter() - t_chunk) / max(1, len(points))
    cols: dict[str, list[Any]] = {n: [] for n in ev.names}
    axes = [(i, a) for i, a in enumerate(spec.axes) if a.target != "workload"]
    for values, p, r in zip(chunk.values, points, res):
        m = r if isinstance(r, dict) else {}
        err = r if isinstance(r, str) else None
        ev._append_row(cols, axes, values, p, m, err, per_point)
    return ChunkResult.of(ev.schema, cols, time.perf_counter() - t_chunk)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, Janus1Error):
        return str(exc)
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" ({last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


_EVALUATORS: dict[str, Evaluator] = {}


def evaluator_for(spec: SweepSpec) -> Evaluator:
    """This process's evaluator for ``spec`` (made once, kept warm)."""
    key = canonical_text(spec)
    ev = _EVALUATORS.get(key)
    if ev is None:
        if len(_EVALUATORS) > 4:
            _EVALUATORS.clear()
        ev = _EVALUATORS[key] = Evaluator(spec)
    return ev


def evaluate_chunk(spec: SweepSpec, chunk: Chunk) -> ChunkResult:
    """Evaluate ``chunk`` with this process's warm evaluator."""
    return evaluator_for(spec).run(chunk)


def evaluate_points(spec: SweepSpec, values: Sequence[tuple[Any, ...]]) -> ChunkResult:
    """Evaluate ``values`` in this process (one chunk)."""
    return evaluate_chunk(spec, Chunk(values=tuple(values)))
