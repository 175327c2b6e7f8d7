"""Stream prefetcher: Janus-Prefetch-1 as seed 001 describes it.

Seed 001 calls it "an FSM-based stream prefetcher" with a look-ahead depth swept from
4 to 32 lines (optimum claimed at 16) and under 2K gates. This is the classic design of
Palacharla & Kessler, "Evaluating stream buffers as a secondary cache replacement",
ISCA 1994, in the form used by current cores: ``trackers`` stream trackers, each an
FSM with the states invalid -> training -> streaming.

- A demand miss not near any tracker allocates one (least recently used) in training.
- A later access within ``window`` lines of a training tracker fixes its direction:
  the tracker is streaming.
- Each access that advances a streaming tracker issues up to ``degree`` new
  prefetches, never running more than ``lookahead`` lines ahead of the demand line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ConfigError

__all__ = ["CODE", "Config", "make_state", "HOOK"]

CODE = 3  # registry code

# Kernel hook. State ``pf``: header [trackers, lookahead, degree, window, clock,
# last matched tracker, 0, 0],
# then 5 words per tracker: last line, direction (0 = training), next line to prefetch,
# LRU stamp, valid.
HOOK = """
npf = 0
pf[4] += 1
pf_hit_k = -1
# the tracker that matched last is tried first (hardware compares all in parallel;
# a stream engine sees long runs of one stream)
for pf_j in range(pf[0]):
    pf_k = pf[5] + pf_j
    if pf_k >= pf[0]:
        pf_k -= pf[0]
    pf_e = 8 + 5 * pf_k
    if pf[pf_e + 4] == 0:
        continue
    pf_d = x - pf[pf_e]
    if pf[pf_e + 1] == 0:
        if pf_d != 0 and -pf[3] <= pf_d <= pf[3]:
            pf[pf_e + 1] = 1 if pf_d > 0 else -1
            pf[pf_e + 2] = x + pf[pf_e + 1]
            pf_hit_k = pf_k
            break
    else:
        pf_dd = pf_d * pf[pf_e + 1]
        if pf_dd > 0 and pf_dd <= pf[3] + pf[1]:
            pf_hit_k = pf_k
            break
if pf_hit_k >= 0:
    pf[5] = pf_hit_k
    pf_e = 8 + 5 * pf_hit_k
    pf_dir = pf[pf_e + 1]
    pf[pf_e] = x
    pf[pf_e + 3] = pf[4]
    pf_nxt = pf[pf_e + 2]
    if (pf_nxt - x) * pf_dir <= 0:
        pf_nxt = x + pf_dir
    while npf < pf[2] and (pf_nxt - x) * pf_dir <= pf[1]:
        pf_out[npf] = pf_nxt
        pf_nxt += pf_dir
        npf += 1
    pf[pf_e + 2] = pf_nxt
elif not hit:
    pf_v = 0
    pf_old = pf[8 + 3]
    for pf_k in range(pf[0]):
        pf_e = 8 + 5 * pf_k
        if pf[pf_e + 4] == 0:
            pf_v = pf_k
            break
        if pf[pf_e + 3] < pf_old:
            pf_old = pf[pf_e + 3]
            pf_v = pf_k
    pf_e = 8 + 5 * pf_v
    pf[pf_e] = x
    pf[pf_e + 1] = 0
    pf[pf_e + 2] = 0
    pf[pf_e + 3] = pf[4]
    pf[pf_e + 4] = 1
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Janus-Prefetch-1 parameters (all sweepable)."""

    trackers: int = 8      # concurrent streams followed
    lookahead: int = 16    # how far ahead of the demand line prefetches may run, in lines
    degree: int = 4        # prefetches issued per advancing access
    window: int = 4        # lines a demand may skip and still belong to a stream

    def __post_init__(self) -> None:
        for name in ("trackers", "lookahead", "degree", "window"):
            if getattr(self, name) < 1:
                raise ConfigError(f"stream: {name} must be >= 1, not {getattr(self, name)}")
        if self.degree > 64:
            raise ConfigError(f"stream: degree must be <= 64, not {self.degree}")


def make_state(cfg: Config) -> np.ndarray:
    """Header ``[trackers, lookahead, degree, window, clock]`` then the trackers."""
    st = np.zeros(8 + 5 * cfg.trackers, dtype=np.int64)
    st[0:4] = (cfg.trackers, cfg.lookahead, cfg.degree, cfg.window)
    return st
