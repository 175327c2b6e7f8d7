"""No prefetching (the baseline)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CODE", "Config", "make_state", "on_access"]

CODE = 0  # registry code


def on_access(pf: np.ndarray, x: int, hit: bool, pf_out: np.ndarray) -> int:
    """Ask for nothing."""
    npf = 0
    return npf


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The ``none`` policy has no parameters."""


def make_state(cfg: Config) -> np.ndarray:
    """An empty state array."""
    return np.zeros(1, dtype=np.int64)
