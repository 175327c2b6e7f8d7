"""Next-line prefetcher: on every access to a new line ``x``, fetch ``x+1 .. x+degree``.

Smith, "Sequential program prefetching in memory hierarchies", IEEE Computer 1978
(one-block look-ahead, "prefetch always").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ConfigError

__all__ = ["CODE", "Config", "make_state", "on_access", "PF_DEGREE"]

CODE = 1  # registry code

# state offsets
PF_DEGREE = 0  # lines fetched after each accessed line


def on_access(pf: np.ndarray, x: int, hit: bool, pf_out: np.ndarray) -> int:
    """Ask for the ``degree`` lines after ``x``."""
    npf = pf[PF_DEGREE]
    for pf_k in range(npf):
        pf_out[pf_k] = x + 1 + pf_k
    return npf


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Next-line parameters."""

    degree: int = 1  # lines fetched after each accessed line

    def __post_init__(self) -> None:
        if not 1 <= self.degree <= 64:
            raise ConfigError(f"next-line: degree must be in 1..64, not {self.degree}")


def make_state(cfg: Config) -> np.ndarray:
    """State: ``[degree]``."""
    st = np.zeros(1, dtype=np.int64)
    st[PF_DEGREE] = cfg.degree
    return st
