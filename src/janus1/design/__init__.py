"""Designs: DesignSpec from TOML presets and files, its device view, and PPA.
See docs/technology.md."""

from .ppa import PPAResult, edram_area_bounds, ppa
from .spec import (ClaimsSpec, ComputeSpec, DesignSpec, TierSpec, design_presets, load_design,
                   load_device)

__all__ = ["PPAResult", "edram_area_bounds", "ppa", "ClaimsSpec", "ComputeSpec", "DesignSpec",
           "TierSpec", "design_presets", "load_design", "load_device", "ppa_simulated"]


def __getattr__(name: str) -> object:
    # ppa_simulated pulls in the simulator (numba); import it only when asked for, so
    # `janus1 analyze --device <design>` stays fast.
    if name == "ppa_simulated":
        from .simulate import ppa_simulated

        return ppa_simulated
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
