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

__all__ = ["CODE", "Config", "make_state", "on_access"]

CODE = 2  # registry code

# state offsets: a header, then PF_ENTRY_WORDS words per table entry
PF_ENTRIES = 0        # table entries
PF_DEGREE = 1         # prefetches per trigger
PF_DISTANCE = 2       # strides ahead of the first prefetch
PF_THRESHOLD = 3      # repeats of a stride before prefetching
PF_REGION_SHIFT = 4   # log2(region lines)
PF_TABLE = 8          # the first entry
PF_ENTRY_WORDS = 4
PF_E_TAG = 0          # region tag (-1: none yet)
PF_E_LAST = 1         # last line seen in the region
PF_E_STRIDE = 2       # last stride
PF_E_CONF = 3         # confidence, saturating at 3


def on_access(pf: np.ndarray, x: int, hit: bool, pf_out: np.ndarray) -> int:
    """Train the region's entry on ``x``; once its stride is confirmed, ask for the
    next ``degree`` strides from ``distance`` strides ahead."""
    npf = 0
    pf_region = x >> pf[PF_REGION_SHIFT]
    pf_e = PF_TABLE + PF_ENTRY_WORDS * (pf_region % pf[PF_ENTRIES])
    if pf[pf_e + PF_E_TAG] != pf_region:
        pf[pf_e + PF_E_TAG] = pf_region
        pf[pf_e + PF_E_LAST] = x
        pf[pf_e + PF_E_STRIDE] = 0
        pf[pf_e + PF_E_CONF] = 0
    else:
        pf_s = x - pf[pf_e + PF_E_LAST]
        if pf_s != 0:
            if pf_s == pf[pf_e + PF_E_STRIDE]:
                if pf[pf_e + PF_E_CONF] < 3:
                    pf[pf_e + PF_E_CONF] += 1
            else:
                pf[pf_e + PF_E_STRIDE] = pf_s
                pf[pf_e + PF_E_CONF] = 0
            pf[pf_e + PF_E_LAST] = x
            if pf[pf_e + PF_E_CONF] >= pf[PF_THRESHOLD]:
                npf = pf[PF_DEGREE]
                for pf_k in range(npf):
                    pf_out[pf_k] = x + pf_s * (pf[PF_DISTANCE] + pf_k)
    return npf


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
    """The header, then the table (no region tagged yet)."""
    st = np.zeros(PF_TABLE + PF_ENTRY_WORDS * cfg.entries, dtype=np.int64)
    st[PF_ENTRIES] = cfg.entries
    st[PF_DEGREE] = cfg.degree
    st[PF_DISTANCE] = cfg.distance
    st[PF_THRESHOLD] = cfg.threshold
    st[PF_REGION_SHIFT] = int(cfg.region_lines).bit_length() - 1
    st[PF_TABLE + PF_E_TAG::PF_ENTRY_WORDS] = -1
    return st
