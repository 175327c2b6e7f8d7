"""Package thermal model: θJA / θJC presets, steady-state and transient (RC) junction
temperature, and the leakage-temperature loop solved to a fixed point.

Steady state: Tj = Ta + θJA x P. Transient: a single RC node, Tj(t) = Ta + θJA P (1 -
e^(-t/τ)) with τ = θJA x C_th (C_th is the package's heat capacity, J/K). Leakage
grows with Tj (:func:`janus1.tech.memory.leakage_temperature_factor`), which raises P,
which raises Tj: :func:`solve_junction` iterates P(Tj) to a fixed point and reports
thermal runaway when the loop gain d(θJA·P)/dTj reaches 1 before Tj settles.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..config import from_dict
from ..errors import ConfigError
from ..presets import load_preset, preset_names

__all__ = ["PackageSpec", "load_package", "package_names", "steady_junction_c",
           "transient_junction_c", "JunctionSolution", "solve_junction"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageSpec:
    """A package with its board and cooling (JEDEC 2s2p board unless stated)."""

    name: str
    source: str                  # citation for the numbers
    theta_ja_c_per_w: float      # junction to ambient (°C/W)
    theta_jc_c_per_w: float      # junction to case (°C/W)
    heat_capacity_j_per_k: float  # lumped thermal capacitance for the RC transient
    tj_max_c: float = 105.0      # the junction limit the design is held to
    notes: str = ""

    def __post_init__(self) -> None:
        for f in ("theta_ja_c_per_w", "theta_jc_c_per_w", "heat_capacity_j_per_k"):
            if getattr(self, f) <= 0:
                raise ConfigError(f"package {self.name}: {f} must be positive")
        if self.theta_jc_c_per_w > self.theta_ja_c_per_w:
            raise ConfigError(f"package {self.name}: θJC exceeds θJA")


def package_names() -> list[str]:
    """Shipped package presets."""
    return preset_names("packages")


def load_package(name: str) -> PackageSpec:
    """A package preset by name.

    Raises:
        InputError: unknown preset.
    """
    return from_dict(PackageSpec, load_preset("packages", name), source=f"package {name}")


def steady_junction_c(power_w: float, ambient_c: float, pkg: PackageSpec) -> float:
    """Steady-state junction temperature (°C)."""
    return ambient_c + pkg.theta_ja_c_per_w * power_w


def transient_junction_c(power_w: float, ambient_c: float, pkg: PackageSpec,
                         t_s: float) -> float:
    """Junction temperature ``t_s`` seconds after a power step from ambient (one RC node)."""
    tau = pkg.theta_ja_c_per_w * pkg.heat_capacity_j_per_k
    return ambient_c + pkg.theta_ja_c_per_w * power_w * (1.0 - math.exp(-t_s / tau))


@dataclass(frozen=True, slots=True, kw_only=True)
class JunctionSolution:
    """The fixed point of the leakage-temperature loop."""

    junction_c: float
    power_w: float
    iterations: int
    converged: bool
    runaway: bool

    def margin_c(self, pkg: PackageSpec) -> float:
        """Thermal margin to the package's junction limit (°C)."""
        return pkg.tj_max_c - self.junction_c


def solve_junction(power_at: Callable[[float], float], ambient_c: float, pkg: PackageSpec,
                   *, tol_c: float = 0.01, max_iter: int = 200,
                   limit_c: float = 250.0) -> JunctionSolution:
    """Solve Tj = Ta + θJA · P(Tj) by damped fixed-point iteration.

    Args:
        power_at: total power (W) as a function of junction temperature (°C).
        ambient_c: ambient temperature.
        pkg: the package.
        tol_c: stop when Tj moves less than this.
        max_iter: iteration cap.
        limit_c: above this the loop is declared a runaway (silicon would not survive).

    Returns:
        A :class:`JunctionSolution` (``runaway`` True when no fixed point below
        ``limit_c`` exists).
    """
    tj = ambient_c
    p = power_at(tj)
    for i in range(1, max_iter + 1):
        new = ambient_c + pkg.theta_ja_c_per_w * p
        if new > limit_c:
            return JunctionSolution(junction_c=new, power_w=p, iterations=i,
                                    converged=False, runaway=True)
        step = new - tj
        tj = tj + 0.7 * step if abs(step) > tol_c else new
        p = power_at(tj)
        if abs(step) <= tol_c:
            return JunctionSolution(junction_c=tj, power_w=p, iterations=i,
                                    converged=True, runaway=False)
    return JunctionSolution(junction_c=tj, power_w=p, iterations=max_iter,
                            converged=False, runaway=False)
