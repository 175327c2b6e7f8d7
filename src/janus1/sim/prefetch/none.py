"""No prefetching (the baseline)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CODE", "Config", "make_state", "HOOK"]

CODE = 0  # registry code

# The kernel hook (see janus1.sim.prefetch): sets ``npf``, the number of lines in ``pf_out``.
HOOK = "npf = 0\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The ``none`` policy has no parameters."""


def make_state(cfg: Config) -> np.ndarray:
    """An empty state array."""
    return np.zeros(1, dtype=np.int64)
