"""Power, performance and area of a whole design running one model.

Protocol (stated once):

* Time per token comes from the workload roofline
  (:func:`janus1.workload.analysis.analyze`) on the design's device view: weights
  and KV cache fill the tiers fastest first; each operator takes max(compute, memory).
* Area = PEs x PE area (TPUv1 anchor scaled by logic pitch) + every on-chip tier's
  macro area + off-chip PHY area + ``other_area_mm2``.
* Dynamic power at the decode rate: each tier serves the bytes resident in it once
  per token (a decode step reads every weight and the whole KV cache once), at the
  macro's read energy per byte (off-chip: energy per bit); compute at the MACs per
  token x energy per MAC.
* Static power: each macro's leakage and refresh at the junction temperature, found
  by solving Tj = Ta + θJA x P(Tj) to a fixed point (leakage rises with Tj, eDRAM
  refresh doubles every 10 °C above its specified temperature), plus PHY static
  power and ``other_power_w``.
* Joules per token = total power / tokens per second.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..models.spec import ModelSpec
from ..tech.memory import MacroResult
from ..tech.thermal import JunctionSolution, PackageSpec, solve_junction
from ..tech.tile import TILE_PRECISIONS, mac_energy_pj
from .spec import DesignSpec

if TYPE_CHECKING:
    from ..workload.analysis import Analysis
    from .simulate import SimulatedPPA

__all__ = ["PPAResult", "PowerSolution", "ppa", "ppa_from_analysis", "solve_power", "INTEL22_EDRAM_MB_PER_MM2",
           "IBM14_EDRAM_CELL_UM2", "edram_area_bounds", "area_breakdown", "area_claim_checks"]

# Shipped eDRAM densities [S: ANCHORS.md]: Intel 22 nm macro 17.5 Mb/mm² (Hamzaoglu,
# JSSC 2015); memory papers count "Mb" as 2^20 bits (a 1-Mb array holds 1,048,576
# cells), which is how ANCHORS.md reaches "about 102 mm²" for 224 MiB; with 10^6 bits
# the same figure gives 107 mm². IBM 14 nm eDRAM cell 0.0174 µm² (cell only, no
# periphery: an optimistic lower bound).
INTEL22_EDRAM_MB_PER_MM2 = 17.5
IBM14_EDRAM_CELL_UM2 = 0.0174
# The TPUv1 matrix unit: 65,536 INT8 MACs in 24 % of a 331 mm² die at 28 nm, i.e.
# 1212 µm² per MAC including its share of the array's data paths [P: Jouppi et al.,
# ISCA 2017, floor plan]. Scaled to other nodes by CPP x MxP.
_TPU_NODE_PITCH_NM2 = 117 * 90


def edram_area_bounds(capacity_bytes: int) -> dict[str, float]:
    """Area (mm²) of ``capacity_bytes`` of eDRAM at published densities.

    Returns keys ``intel22_mib`` (17.5 x 2^20 bits/mm²), ``intel22_mb`` (17.5 x 10^6
    bits/mm²) and ``ibm14_cell_only`` (0.0174 µm² per bit, no periphery).
    """
    bits = capacity_bytes * 8.0
    return {"intel22_mib": bits / (INTEL22_EDRAM_MB_PER_MM2 * 2 ** 20),
            "intel22_mb": bits / (INTEL22_EDRAM_MB_PER_MM2 * 1e6),
            "ibm14_cell_only": bits * IBM14_EDRAM_CELL_UM2 * 1e-6}


def area_breakdown(design: DesignSpec, macros: Sequence[MacroResult | None]
                   ) -> tuple[dict[str, float], list[str]]:
    """Area per block in mm² (compute, each tier or its PHY, other) and the macros'
    warnings, each once, in tier order. ``macros``: ``design.macros`` (at 27 °C)."""
    node = design.node_info
    warnings: list[str] = []
    fp16 = "fp16" in design.compute.precisions or "bf16" in design.compute.precisions
    pe_um2 = design.compute.pe_area_um2_28nm * node.logic_pitch_nm2 / _TPU_NODE_PITCH_NM2
    if fp16:
        pe_um2 *= design.compute.fp16_area_factor
    area: dict[str, float] = {"compute": design.compute.macs * pe_um2 * 1e-6}
    for t, m in zip(design.tiers, macros):
        if m is None:
            area[f"{t.name} PHY"] = t.phy_area_mm2
        else:
            area[t.name] = m.area_mm2
            for w in m.warnings:
                if w not in warnings:
                    warnings.append(w)
    if design.other_area_mm2:
        area["other"] = design.other_area_mm2
    return area, warnings


def area_claim_checks(design: DesignSpec, area: dict[str, float], total_area: float
                      ) -> tuple[dict[str, float], list[str]]:
    """The eDRAM area bounds (:func:`edram_area_bounds`, empty without eDRAM) and the
    warnings where the design's claimed area is below the modelled or the shipped
    densities' area."""
    warnings: list[str] = []
    edram_bytes = sum(t.capacity_bytes for t in design.tiers if t.tech == "edram")
    bounds = edram_area_bounds(edram_bytes) if edram_bytes else {}
    cl = design.claims
    if cl.area_mm2 is not None:
        if total_area > cl.area_mm2:
            warnings.append(f"claimed area {cl.area_mm2:g} mm² is below the modelled "
                            f"{total_area:.1f} mm²")
        if bounds:
            other = total_area - sum(area[t.name] for t in design.tiers
                                     if t.tech == "edram")
            for key, label in (("intel22_mib", "Intel 22 nm macro density 17.5 Mb/mm² "
                                               "(Mb = 2^20 bits)"),
                               ("ibm14_cell_only", "IBM 14 nm cell area alone")):
                need = bounds[key] + other
                if need > cl.area_mm2:
                    warnings.append(f"{edram_bytes / 2**20:.0f} MiB eDRAM at {label} needs "
                                    f"{bounds[key]:.1f} mm²; with the rest of the die "
                                    f"{need:.1f} mm² > claimed {cl.area_mm2:g} mm²")
    return bounds, warnings


@dataclass(frozen=True, slots=True, kw_only=True)
class PPAResult:
    """What :func:`ppa` computes."""

    design: str
    model: str
    context: int
    precision: str
    area_mm2: float
    power_w: float
    area_breakdown_mm2: dict[str, float]
    power_breakdown_w: dict[str, float]
    tops: dict[str, float]
    tokens_per_s: float
    joules_per_token: float
    seconds_per_token: float
    bytes_per_token: float
    tier_bytes_per_token: dict[str, float]
    junction_c: float
    thermal_margin_c: float
    ambient_c: float
    package: str
    runaway: bool
    fits: bool | None
    memory_pj_per_bit: float          # memory energy per bit delivered to compute
    edram_bounds_mm2: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    # The power parts that do not depend on the junction temperature (W), and which of
    # ``warnings`` the thermal solve raised (not in the JSON).
    dynamic_power_w: dict[str, float] = field(default_factory=dict)
    thermal_warnings: tuple[str, ...] = ()
    # Set by ``--simulate`` (:func:`janus1.design.simulate.ppa_simulated`): the roofline's
    # figures kept alongside the simulated ones, and the simulation's summary.
    roofline_tokens_per_s: float | None = None
    roofline_joules_per_token: float | None = None
    roofline_power_w: float | None = None
    simulate: SimulatedPPA | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (the ``janus1 ppa --json`` document); the ``--simulate`` keys
        appear only when set."""
        out: dict[str, Any] = {}
        for f in self.__dataclass_fields__:
            v = getattr(self, f)
            if f in _NOT_JSON or (f in _SIM_KEYS and v is None):
                continue
            out[f] = v.to_dict() if f == "simulate" else v
        return out


_SIM_KEYS = ("roofline_tokens_per_s", "roofline_joules_per_token", "roofline_power_w",
             "simulate")
_NOT_JSON = ("dynamic_power_w", "thermal_warnings")


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerSolution:
    """A power breakdown at the junction temperature that balances it."""

    dynamic_w: dict[str, float]     # independent of the temperature (given)
    static_w: dict[str, float]      # fixed parts, then leakage and refresh at the junction
    junction: JunctionSolution
    warnings: tuple[str, ...]       # thermal runaway, or a junction above the limit

    @property
    def breakdown_w(self) -> dict[str, float]:
        """Every part, dynamic first."""
        return {**self.dynamic_w, **self.static_w}

    @property
    def total_w(self) -> float:
        """All parts."""
        return sum(self.breakdown_w.values())


def solve_power(design: DesignSpec, dyn: dict[str, float],
                static_fixed: dict[str, float], *,
                statics: Callable[[float], dict[str, float]] | None = None,
                pkg: PackageSpec | None = None) -> PowerSolution:
    """Power breakdown at the junction temperature that balances it.

    ``dyn`` (dynamic W per part) and ``static_fixed`` (PHY, other) do not depend on the
    temperature; every on-chip macro's leakage and refresh does. Solves
    Tj = Ta + θJA x P(Tj) (:func:`janus1.tech.thermal.solve_junction`); warns on thermal
    runaway or a junction above the package limit.

    ``statics`` (leakage and refresh per on-chip tier at Tj, in W, in tier order) and
    ``pkg`` (the design's package) may be given by a caller that has them precomputed
    (the sweep's :class:`janus1.sweep.DesignContext`); they must equal what this function
    derives from ``design``.
    """
    if statics is None:
        statics = _statics_of(design)
    # Compute logic leakage is not modelled separately (the MAC energies are dynamic
    # only); it is part of other_power_w when a preset states it.
    fixed = sum(dyn.values()) + sum(static_fixed.values())
    if pkg is None:
        pkg = design.package_spec
    sol = solve_junction(lambda tj: fixed + sum(statics(tj).values()), design.ambient_c, pkg)
    warnings: list[str] = []
    static = {**static_fixed, **statics(min(sol.junction_c, 250.0))}
    if sol.runaway:
        warnings.append(f"thermal runaway: no junction temperature below 250 °C balances "
                        f"leakage in package {pkg.name} at {design.ambient_c:g} °C ambient")
    elif sol.junction_c > pkg.tj_max_c:
        warnings.append(f"junction {sol.junction_c:.0f} °C exceeds the {pkg.tj_max_c:.0f} °C "
                        f"limit in package {pkg.name}")
    return PowerSolution(dynamic_w=dict(dyn), static_w=static, junction=sol,
                         warnings=tuple(warnings))


def _statics_of(design: DesignSpec) -> Callable[[float], dict[str, float]]:
    """Leakage and refresh (W) of every on-chip tier at a junction temperature."""
    def statics(tj: float) -> dict[str, float]:
        out: dict[str, float] = {}
        for t in design.tiers:
            if t.on_chip:
                m = design.macro(t, temperature_c=tj)
                assert m is not None
                out[f"{t.name} leakage"] = m.leakage_mw * 1e-3
                if m.refresh_mw:
                    out[f"{t.name} refresh"] = m.refresh_mw * 1e-3
        return out

    return statics


def ppa(design: DesignSpec, spec: ModelSpec, *, context: int = 4096, precision: str = "int4",
        kv_precision: str | None = None, batch: int = 1) -> PPAResult:
    """PPA of ``design`` running decode of ``spec`` at ``context`` tokens.

    Raises:
        InputError: bad context/batch/precision (from the workload analysis).
    """
    from ..workload.analysis import analyze

    if not isinstance(design, DesignSpec) or not isinstance(spec, ModelSpec):
        raise InputError("ppa needs a DesignSpec and a ModelSpec")
    if not isinstance(precision, str) or (kv_precision is not None
                                          and not isinstance(kv_precision, str)):
        raise InputError("precision and kv_precision must be names")
    dev = design.device()
    an = analyze(spec, context=context, batch=batch, precision=precision,
                 kv_precision=kv_precision, device=dev)
    return ppa_from_analysis(design, spec, an, context=context, precision=precision,
                             macros=design.macros, tops=design.peak_ops_per_s())


def ppa_from_analysis(design: DesignSpec, spec: ModelSpec, an: Analysis, *, context: int,
                      precision: str, macros: Sequence[MacroResult | None],
                      tops: Mapping[str, float],
                      statics: Callable[[float], dict[str, float]] | None = None,
                      pkg: PackageSpec | None = None) -> PPAResult:
    """The PPA given ``an``, the roofline analysis of ``spec`` on the design's device:
    the one body of :func:`ppa` and of the sweep's fast path, which passes what it
    computed once per design (``macros`` at 27 °C, peak ``tops`` in ops/s, the
    temperature-dependent ``statics``, the package)."""
    sec = an.decode.seconds
    if not sec:
        raise InputError("the roofline gave no decode time")
    tokens_per_s = an.decode.tokens / sec
    node = design.node_info

    # ---- area ----
    area, warnings = area_breakdown(design, macros)
    total_area = sum(area.values())

    # ---- traffic per token: each tier serves what it holds, once per token ----
    tier_bytes = {u.name: float(u.used_bytes) for u in an.tiers}
    scale = an.decode.bytes_per_token / max(1.0, sum(tier_bytes.values()))
    tier_bytes = {k: v * scale for k, v in tier_bytes.items()}

    # ---- power as a function of junction temperature ----
    dyn: dict[str, float] = {}
    static_fixed: dict[str, float] = {}
    macs_per_token = an.decode.flops_per_token / 2.0
    compute_prec = precision if precision in TILE_PRECISIONS else "fp16"
    dyn["compute"] = macs_per_token * tokens_per_s * mac_energy_pj(compute_prec, node) * 1e-12
    read_pj_per_byte: dict[str, float] = {}
    for t, m in zip(design.tiers, macros):
        b = tier_bytes.get(t.name, 0.0)
        if t.on_chip:
            assert m is not None
            read_pj_per_byte[t.name] = m.read_energy_pj / t.block_bytes
        else:
            read_pj_per_byte[t.name] = (t.energy_pj_per_bit or 0.0) * 8
            static_fixed[f"{t.name} PHY"] = t.phy_power_w
        dyn[f"{t.name} dynamic"] = b * tokens_per_s * read_pj_per_byte[t.name] * 1e-12
    if design.other_power_w:
        static_fixed["other"] = design.other_power_w

    solved = solve_power(design, dyn, static_fixed, statics=statics, pkg=pkg)
    warnings += solved.warnings
    power, sol = solved.breakdown_w, solved.junction
    total_power = solved.total_w
    pkg = pkg or design.package_spec

    # ---- feasibility checks against the design's claims and shipped densities ----
    bounds, claim_warnings = area_claim_checks(design, area, total_area)
    warnings += claim_warnings
    if an.fits is False:
        warnings.append(f"{spec.name} at {precision} does not fit the on-chip tiers: "
                        f"{an.spill_bytes / 2**30:.2f} GiB spill to "
                        f"{design.tiers[-1].name}" if an.spill_bytes else
                        f"{spec.name} does not fit the design's memory")
    tops_t = {p: v / 1e12 for p, v in tops.items()}
    mem_w = sum(v for k, v in power.items() if k != "compute")
    bits_per_s = an.decode.bytes_per_token * tokens_per_s * 8
    return PPAResult(
        design=design.name, model=spec.name, context=context, precision=precision,
        area_mm2=total_area, power_w=total_power, area_breakdown_mm2=area,
        power_breakdown_w=power, tops=tops_t, tokens_per_s=tokens_per_s,
        joules_per_token=total_power / tokens_per_s, seconds_per_token=sec / an.decode.tokens,
        bytes_per_token=an.decode.bytes_per_token, tier_bytes_per_token=tier_bytes,
        junction_c=sol.junction_c, thermal_margin_c=sol.margin_c(pkg),
        ambient_c=design.ambient_c, package=pkg.name, runaway=sol.runaway, fits=an.fits,
        memory_pj_per_bit=mem_w / bits_per_s * 1e12 if bits_per_s else 0.0,
        edram_bounds_mm2=bounds, warnings=warnings, dynamic_power_w=dict(dyn),
        thermal_warnings=solved.warnings)



