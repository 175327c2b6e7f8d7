"""Cycle-level memory-hierarchy simulator with prefetchers.

Public API (stable names):

- :func:`load_hierarchy` (preset name, TOML path, dict or config) -> :class:`HierarchyConfig`
- :func:`simulate` (hierarchy, trace chunks, prefetcher="stream", counts_only=False)
  -> :class:`SimResult` (``.to_dict()``)
- :class:`Simulator` to feed chunks one at a time.

The hot loop is one numba-compiled function over integer state arrays
(:mod:`janus1.sim._kernel`); see docs/simulator.md.
"""

from .config import (
    HierarchyConfig,
    LevelConfig,
    MemoryConfig,
    hierarchy_presets,
    load_hierarchy,
)
from .engine import LATENCY_KEYS, LevelStats, SimResult, Simulator, simulate

__all__ = ["HierarchyConfig", "LevelConfig", "MemoryConfig", "load_hierarchy",
           "hierarchy_presets", "simulate", "Simulator", "SimResult", "LevelStats",
           "LATENCY_KEYS"]
