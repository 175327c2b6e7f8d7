"""Stride prefetcher with a reference prediction table (RPT).

Chen & Baer, "Effective hardware-based data prefetching for high-performance
processors", IEEE Trans. Computers 44(5), 1995. The RPT there is indexed by the load's
program counter; janus1 traces carry no PC, so the table is indexed by the memory
region (``region_lines`` lines, 4 KiB by default), the usual substitute in PC-less
accelerator traces. An entry keeps the last line, the last stride and a confidence;
after ``threshold`` repeats of the same non-zero stride it fetches
``x + stride*(distance + k)`` for ``k < degree``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ConfigError

__all__ = ["CODE", "Config", "make_state", "HOOK"]

CODE = 2  # registry code

# Kernel hook. State ``pf``: header [entries, degree, distance, threshold, region_shift, 0,
# 0, 0], then 4 words per entry: region tag, last line, stride, confidence.
HOOK = """
npf = 0
pf_region = x >> pf[4]
pf_e = 8 + 4 * (pf_region % pf[0])
if pf[pf_e] != pf_region:
    pf[pf_e] = pf_region
    pf[pf_e + 1] = x
    pf[pf_e + 2] = 0
    pf[pf_e + 3] = 0
else:
    pf_s = x - pf[pf_e + 1]
    if pf_s != 0:
        if pf_s == pf[pf_e + 2]:
            if pf[pf_e + 3] < 3:
                pf[pf_e + 3] += 1
        else:
            pf[pf_e + 2] = pf_s
            pf[pf_e + 3] = 0
        pf[pf_e + 1] = x
        if pf[pf_e + 3] >= pf[3]:
            npf = pf[1]
            for pf_k in range(npf):
                pf_out[pf_k] = x + pf_s * (pf[2] + pf_k)
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """RPT parameters (all sweepable)."""

    entries: int = 64        # table entries (direct-mapped by region)
    degree: int = 2          # prefetches per trigger
    distance: int = 1        # how many strides ahead the first prefetch lands
    threshold: int = 1       # repeats of a stride before prefetching (1 = two equal deltas)
    region_lines: int = 64   # region size indexing the table, in lines (64 x 64 B = 4 KiB)

    def __post_init__(self) -> None:
        for name in ("entries", "degree", "distance", "threshold", "region_lines"):
            if getattr(self, name) < 1:
                raise ConfigError(f"stride: {name} must be >= 1, not {getattr(self, name)}")
        if self.degree > 64:
            raise ConfigError(f"stride: degree must be <= 64, not {self.degree}")
        if self.region_lines & (self.region_lines - 1):
            raise ConfigError(f"stride: region_lines {self.region_lines} is not a power of two")


def make_state(cfg: Config) -> np.ndarray:
    """Header ``[entries, degree, distance, threshold, region_shift]`` then the table."""
    st = np.zeros(8 + 4 * cfg.entries, dtype=np.int64)
    st[0:5] = (cfg.entries, cfg.degree, cfg.distance, cfg.threshold,
               int(cfg.region_lines).bit_length() - 1)
    st[8::4] = -1  # no region tagged yet
    return st
