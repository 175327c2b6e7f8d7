""":func:`janus1.design.ppa` for many points of one design, without re-loading anything.

``ppa`` re-reads the package preset (TOML) twice per call and models every memory
macro again at each step of the junction-temperature loop; that is most of its cost
(profiled: 0.8 ms of 0.85 ms per call). A sweep evaluates the same design at many
workloads, so :class:`DesignContext` computes the temperature-independent parts once
per design: the device view, the package, the macros at 27 °C (area, read energy,
warnings), each on-chip tier's leakage at 300 K and refresh at the specified retention.
At a junction temperature Tj the leakage is ``leakage(300 K) x
leakage_temperature_factor(Tj)``, exactly the product ``macro`` forms (its factor at
300 K is 1.0, checked on import), and the refresh equals the stored one whenever the
retention at Tj equals the specified retention (below the cell's specified temperature);
above it the real :func:`janus1.tech.memory.macro` is called.

:func:`fast_ppa` then runs the body ``ppa`` runs, :func:`janus1.design.ppa.ppa_from_analysis`,
with these macros, statics and package, so its result is the same :class:`PPAResult`,
float for float (tests/sweep/test_fastppa.py
checks equality on sampled points); the per-point cost is the workload analysis plus
about 60 µs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..design.ppa import PPAResult, ppa_from_analysis
from ..design.spec import DesignSpec, TierSpec
from ..models.spec import ModelSpec
from ..tech.memory import MacroResult, T0_K, leakage_temperature_factor, retention_us
from ..tech.nodes import NodeInfo
from ..tech.thermal import PackageSpec
from ..workload.analysis import Analysis
from ..workload.device import DeviceSpec

__all__ = ["DesignContext", "fast_ppa"]

# macro(temperature_c=None) evaluates leakage at T0_K - 273.15 °C; the product below is
# exact only if that factor is exactly 1.0.
_EXACT = leakage_temperature_factor(T0_K - 273.15) == 1.0


@dataclass(frozen=True, slots=True)
class _OnChip:
    tier: TierSpec
    cell: str                      # the resolved cell (the tier's, or its technology's default)
    leak_300k_mw: float            # leakage at 300 K (factor 1.0)
    refresh_mw: float              # refresh at the specified retention
    retention_spec_us: float


@dataclass(frozen=True, slots=True)
class DesignContext:
    """The parts of ``ppa`` that depend on the design only."""

    design: DesignSpec
    device: DeviceSpec
    node: NodeInfo
    pkg: PackageSpec
    macros27: tuple[MacroResult | None, ...]
    on_chip: tuple[_OnChip, ...]

    @staticmethod
    def of(design: DesignSpec, pkg: PackageSpec | None = None) -> DesignContext:
        """Precompute for ``design`` (``pkg``: its package, when already loaded)."""
        node = design.node_info
        m27 = tuple(design.macro(t) for t in design.tiers)
        on: list[_OnChip] = []
        for t in design.tiers:
            if t.on_chip:
                m = design.macro(t, temperature_c=None)  # type: ignore[arg-type]
                assert m is not None and m.cell is not None
                on.append(_OnChip(tier=t, cell=m.cell, leak_300k_mw=m.leakage_mw,
                                  refresh_mw=m.refresh_mw,
                                  retention_spec_us=retention_us(m.cell, node, None)))
        return DesignContext(design=design, device=design.device(), node=node,
                             pkg=pkg if pkg is not None else design.package_spec, macros27=m27,
                             on_chip=tuple(on))

    def statics(self, tj: float) -> dict[str, float]:
        """``solve_power``'s statics(tj): leakage and refresh per on-chip tier, in W
        (passed to :func:`janus1.design.ppa.solve_power` in its place)."""
        out: dict[str, float] = {}
        f_t = leakage_temperature_factor(tj) if _EXACT else 0.0
        for oc in self.on_chip:
            t = oc.tier
            if not _EXACT or retention_us(oc.cell, self.node, tj) != oc.retention_spec_us:
                m = self.design.macro(t, temperature_c=tj)
                assert m is not None
                leak, refresh = m.leakage_mw, m.refresh_mw
            else:
                leak, refresh = oc.leak_300k_mw * f_t, oc.refresh_mw
            out[f"{t.name} leakage"] = leak * 1e-3
            if refresh:
                out[f"{t.name} refresh"] = refresh * 1e-3
        return out


def fast_ppa(dc: DesignContext, spec: ModelSpec, an: Analysis, *, context: int,
             precision: str) -> PPAResult:
    """``ppa(dc.design, spec, context=..., precision=..., kv_precision=..., batch=...)``
    given ``an``, the analysis ``ppa`` would make (same spec, context, batch, precisions,
    device ``dc.device``)."""
    return ppa_from_analysis(dc.design, spec, an, context=context, precision=precision,
                             macros=dc.macros27, tops=dc.device.peak_ops_per_s,
                             statics=dc.statics, pkg=dc.pkg)
