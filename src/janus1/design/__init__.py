"""Designs: DesignSpec from TOML presets and files, its device view, and PPA.
See docs/technology.md."""

from .ppa import PPAResult, edram_area_bounds, ppa
from .spec import ClaimsSpec, ComputeSpec, DesignSpec, TierSpec, design_presets, load_design

__all__ = ["PPAResult", "edram_area_bounds", "ppa", "ClaimsSpec", "ComputeSpec", "DesignSpec",
           "TierSpec", "design_presets", "load_design"]
