"""The roofline and PPA of many workloads on one design, vectorised with numpy.

Equal, float for float, to calling :func:`janus1.workload.analysis.analyze` with the
design's device and then :func:`janus1.design.ppa` per point (tests/sweep/test_batch.py
compares every metric on sampled points). How:

* Everything that does not depend on the device (operator FLOPs and bytes, weight and
  KV bytes, per-token counts) comes from ``analyze(..., device=None)``, made once per
  workload and reused across designs.
* The device-dependent part of ``analyze`` (placement over the tiers, seconds per byte,
  per-operator max(compute, memory), the phase sums) and of ``ppa`` (traffic per tier,
  dynamic power, the power breakdown and its sums) are the same IEEE operations in the
  same order, done on arrays over the points: additions run left to right as Python's
  ``sum`` does on 3.11 (checked on import: where ``sum`` compensates, as on 3.12, the
  sweep uses the per-point path instead).
* The junction-temperature fixed point (``solve_junction``) runs for all points in
  lockstep with a mask; each step's leakage factor comes from
  :func:`janus1.tech.memory.leakage_temperature_factor` per element (``math.exp``, not
  ``np.exp``, whose last bit may differ), and points whose eDRAM retention moved off its
  specification take the real ``macro``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..design.ppa import area_breakdown, area_claim_checks
from ..tech.memory import leakage_temperature_factor, retention_us
from ..tech.tile import TILE_PRECISIONS, mac_energy_pj
from ..workload.analysis import Analysis
from ._fastppa import _EXACT, DesignContext

__all__ = ["SEQUENTIAL_SUM", "Workload", "roofline_ppa_batch"]

# builtin sum of floats adds left to right (3.11); 3.12+ compensates (Neumaier)
SEQUENTIAL_SUM = sum([1e100, 1.0, -1e100]) == 0.0 and _EXACT



@dataclass(frozen=True, slots=True)
class Workload:
    """One point's workload: the model's name, the precisions and the counts
    (``analyze`` without a device)."""

    model_name: str
    precision: str
    kv_precision: str
    counts: Analysis


def _seq_sum(arrs: Sequence[Any]) -> Any:
    """0 + a0 + a1 + ... elementwise, left to right (builtin sum's order)."""
    out: Any = 0
    for a in arrs:
        out = out + a
    return out


def _phase(ops: list[tuple[Any, Any, Any]], spb: Any, n: int) -> tuple[Any, Any, Any]:
    """(seconds, memory-bound flag, all-zero flag) of one phase for every point.

    ``ops``: (flops array, bytes array, peak array) per operator, in analyze's order.
    """
    secs = []
    mem_time: Any = np.zeros(n)
    for f, b, peak in ops:
        ct = f / peak
        mt = b * spb
        secs.append(np.where(ct > mt, ct, mt))     # max(ct, mt): equal values either way
        mem_time = np.where(mt >= ct, mem_time + mt, mem_time)
    total = _seq_sum(secs)
    total = np.asarray(total, dtype=np.float64) * np.ones(n)
    memory = (total != 0) & (mem_time >= 0.5 * total)
    return total, memory, total == 0


def roofline_ppa_batch(dc: DesignContext, works: Sequence[Workload], *,
                       want_ppa: bool) -> list[dict[str, Any] | str]:
    """Metrics of every workload on ``dc``'s design: a dict per point, or the error text
    of a point that ``ppa`` would refuse."""
    n = len(works)
    dev = dc.device
    tiers = dev.tiers
    an0 = [w.counts for w in works]
    wb = np.array([a.weight_bytes for a in an0])
    kb = np.array([a.kv_bytes for a in an0])
    resident = wb + kb

    # ---- placement (analyze) ----
    left = resident.copy()
    used = []
    for t in tiers:
        u = np.minimum(left, float(t.capacity_bytes))
        used.append(np.trunc(u))                   # TierUse.used_bytes = int(used)
        left = left - u
    fits = left <= 0
    spill = np.maximum(0.0, resident - tiers[0].capacity_bytes)
    sec: Any = 0.0
    for t, u in zip(tiers, used):
        sec = sec + u / t.bandwidth_bytes_per_s
    sec = sec + np.maximum(0.0, left) / tiers[-1].bandwidth_bytes_per_s
    with np.errstate(divide="ignore", invalid="ignore"):
        spb = np.where(resident != 0, sec / np.where(resident != 0, resident, 1.0),
                       1 / tiers[0].bandwidth_bytes_per_s)

    peaks: dict[str, float] = {}

    def peak(p: str) -> float:
        v = peaks.get(p)
        if v is None:
            v = peaks[p] = dev.peak(p)
        return v

    pw = np.array([peak(w.precision) for w in works])
    pk = np.array([peak(w.kv_precision) for w in works])

    def ops_of(phase: str) -> list[tuple[Any, Any, Any]]:
        first = getattr(an0[0], phase).ops
        names = [o.name for o in first]
        for a in an0:
            if [o.name for o in getattr(a, phase).ops] != names:
                raise ValueError("workloads of one batch must share the operator list")
        out = []
        for k, name in enumerate(names):
            f = np.array([float(getattr(a, phase).ops[k].flops) for a in an0])
            b = np.array([float(getattr(a, phase).ops[k].bytes) for a in an0])
            out.append((f, b, pk if name.startswith("attn") else pw))
        return out

    dsec, dmem, dzero = _phase(ops_of("decode"), spb, n)
    psec, pmem, pzero = _phase(ops_of("prefill"), spb, n)

    out: list[dict[str, Any] | str] = []
    rows: list[dict[str, Any]] = []
    for i, a in enumerate(an0):
        d = a.decode
        s = float(dsec[i])
        m: dict[str, Any] = {
            "tokens_per_s": d.tokens / s if s else None,
            "seconds_per_token": s / d.tokens if s else None,
            "prefill_seconds": float(psec[i]),
            "flops_per_token": d.flops_per_token,
            "bytes_per_token": d.bytes_per_token,
            "arithmetic_intensity": d.arithmetic_intensity,
            "weight_bytes": a.weight_bytes,
            "kv_bytes": a.kv_bytes,
            "spill_bytes": float(spill[i]),
            "fits": bool(fits[i]),
            "bound": "memory" if dmem[i] else "compute",
        }
        rows.append(m)
    if not want_ppa:
        return list(rows)
    _ppa_batch(dc, works, rows, used, dsec, fits, spill)
    for m in rows:
        out.append(m.pop("_error") if "_error" in m else m)
    return out


def _statics_sum(dc: DesignContext, tj: Any) -> tuple[Any, list[tuple[str, Any]]]:
    """``sum(statics(tj).values())`` for every element of ``tj`` and the parts in the
    order ``statics`` builds its dict."""
    f_t = np.array([leakage_temperature_factor(float(x)) for x in tj])
    parts: list[tuple[str, Any]] = []
    node = dc.node
    for oc in dc.on_chip:
        t = oc.tier
        leak = oc.leak_300k_mw * f_t
        refresh = np.full(len(tj), oc.refresh_mw)
        if oc.refresh_mw:
            for j, x in enumerate(tj):
                if retention_us(oc.cell, node, float(x)) != oc.retention_spec_us:
                    mm = dc.design.macro(t, temperature_c=float(x))
                    assert mm is not None
                    leak[j], refresh[j] = mm.leakage_mw, mm.refresh_mw
        parts.append((f"{t.name} leakage", leak * 1e-3))
        if oc.refresh_mw:
            parts.append((f"{t.name} refresh", refresh * 1e-3))
    return _seq_sum([p for _, p in parts]), parts


def _ppa_batch(dc: DesignContext, works: Sequence[Workload], rows: list[dict[str, Any]],
               used: list[Any], dsec: Any, fits: Any, spill: Any) -> None:
    design = dc.design
    n = len(works)
    node = dc.node
    pkg = dc.pkg
    ok = dsec != 0
    tokens = np.array([float(w.counts.decode.tokens) for w in works])
    with np.errstate(divide="ignore", invalid="ignore"):
        tps = tokens / np.where(ok, dsec, 1.0)

    # ---- area and design-level warnings (as ppa) ----
    area, warn0 = area_breakdown(design, dc.macros27)
    total_area = sum(area.values())

    # ---- traffic per tier ----
    bpt = np.array([w.counts.decode.bytes_per_token for w in works])
    tsum = _seq_sum([u.astype(np.float64) for u in used])
    scale = bpt / np.maximum(1.0, tsum)
    tier_bytes = {t.name: u * scale for t, u in zip(dc.device.tiers, used)}

    # ---- dynamic and fixed power ----
    macs = np.array([w.counts.decode.flops_per_token / 2.0 for w in works])
    mac_e = np.array([mac_energy_pj(w.precision if w.precision in TILE_PRECISIONS
                                    else "fp16", node)
                      for w in works])
    dyn: dict[str, Any] = {"compute": macs * tps * mac_e * 1e-12}
    static_fixed: dict[str, float] = {}
    for t, mc in zip(design.tiers, dc.macros27):
        b = tier_bytes.get(t.name, np.zeros(n))
        if t.on_chip:
            assert mc is not None
            rpb = mc.read_energy_pj / t.block_bytes
        else:
            rpb = (t.energy_pj_per_bit or 0.0) * 8
            static_fixed[f"{t.name} PHY"] = t.phy_power_w
        dyn[f"{t.name} dynamic"] = b * tps * rpb * 1e-12
    if design.other_power_w:
        static_fixed["other"] = design.other_power_w
    fixed = _seq_sum(list(dyn.values())) + sum(static_fixed.values())

    # ---- junction temperature: solve_junction in lockstep ----
    theta = pkg.theta_ja_c_per_w
    amb = design.ambient_c
    tj = np.full(n, amb)
    p = fixed + _statics_sum(dc, tj)[0]
    junction = np.full(n, np.nan)
    runaway = np.zeros(n, dtype=bool)
    active = ok.copy()
    for _ in range(200):
        if not active.any():
            break
        new = amb + theta * p
        run = active & (new > 250.0)
        junction[run] = new[run]
        runaway |= run
        active &= ~run
        step = new - tj
        big = np.abs(step) > 0.01
        tj = np.where(active, np.where(big, tj + 0.7 * step, new), tj)
        idx = np.flatnonzero(active)
        if len(idx):
            p[idx] = fixed[idx] + _statics_sum(dc, tj[idx])[0]
        conv = active & ~big
        junction[conv] = tj[conv]
        active &= big
    junction[active] = tj[active]              # not converged in 200 steps: as solve_junction

    # ---- the power breakdown at the junction temperature ----
    tj_final = np.minimum(np.where(ok, junction, amb), 250.0)
    _, parts = _statics_sum(dc, tj_final)
    power_vals = list(dyn.values()) + [np.full(n, v) for v in static_fixed.values()] + \
        [v for _, v in parts]
    keys = list(dyn) + list(static_fixed) + [k for k, _ in parts]
    if len(set(keys)) != len(keys):
        raise ValueError("power breakdown keys collide")
    total_power = _seq_sum(power_vals)
    mem_w = _seq_sum([v for k, v in zip(keys, power_vals) if k != "compute"])
    bits_per_s = bpt * tps * 8

    # ---- claims warnings (design-level, as ppa) ----
    _, claim_warn = area_claim_checks(design, area, total_area)

    for i, (w, m) in enumerate(zip(works, rows)):
        if not ok[i]:
            m["_error"] = "the roofline gave no decode time"
            continue
        warnings = list(warn0)
        if runaway[i]:
            warnings.append(f"thermal runaway: no junction temperature below 250 °C balances "
                            f"leakage in package {pkg.name} at {amb:g} °C ambient")
        elif junction[i] > pkg.tj_max_c:
            warnings.append(f"junction {junction[i]:.0f} °C exceeds the {pkg.tj_max_c:.0f} °C "
                            f"limit in package {pkg.name}")
        warnings += claim_warn
        if not fits[i]:
            sp = float(spill[i])
            warnings.append(f"{w.model_name} at {w.precision} does not fit the on-chip tiers: "
                            f"{sp / 2**30:.2f} GiB spill to {design.tiers[-1].name}" if sp else
                            f"{w.model_name} does not fit the design's memory")
        tp = float(total_power[i])
        t_s = float(tps[i])
        jpt = tp / t_s
        bps = float(bits_per_s[i])
        m["area_mm2"] = total_area
        m["power_w"] = tp
        m["joules_per_token"] = jpt
        m["tokens_per_joule"] = 1.0 / jpt
        m["junction_c"] = float(junction[i])
        m["thermal_margin_c"] = pkg.tj_max_c - float(junction[i])
        m["runaway"] = bool(runaway[i])
        m["memory_pj_per_bit"] = float(mem_w[i]) / bps * 1e12 if bps else 0.0
        m["peak_tops"] = dc.device.peak(w.precision) / 1e12
        m["ppa_warnings"] = "; ".join(warnings)
