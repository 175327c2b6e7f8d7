"""Cycle-level memory-hierarchy simulator with prefetchers.

Public API (stable names):

- :func:`load_hierarchy` (preset name, TOML path, dict or config) -> :class:`HierarchyConfig`
- :func:`simulate` (hierarchy, trace chunks, prefetcher="stream", counts_only=False)
  -> :class:`SimResult` (``.to_dict()``)
- :class:`Simulator` to feed chunks one at a time.

The hot loops are numba-compiled functions over integer state arrays
(:mod:`janus1.sim.kernels`, state in :mod:`janus1.sim.state`, column names in
:mod:`janus1.sim.layout`); see docs/simulator.md.
"""

from .config import (
    HierarchyConfig,
    LevelConfig,
    MemoryConfig,
    hierarchy_presets,
    load_hierarchy,
)
from .engine import Simulator, simulate
from .result import LATENCY_KEYS, LevelStats, SimResult

__all__ = ["HierarchyConfig", "LevelConfig", "MemoryConfig", "load_hierarchy",
           "hierarchy_presets", "simulate", "Simulator", "SimResult", "LevelStats",
           "LATENCY_KEYS"]
