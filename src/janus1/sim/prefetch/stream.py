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

__all__ = ["CODE", "Config", "make_state", "on_access"]

CODE = 3  # registry code

# state offsets: a header, then PF_TRACKER_WORDS words per tracker
PF_TRACKERS = 0       # trackers
PF_LOOKAHEAD = 1      # lines prefetches may run ahead of the demand line
PF_DEGREE = 2         # prefetches per advancing access
PF_WINDOW = 3         # lines a demand may skip and still belong to a stream
PF_CLOCK = 4          # accesses seen (the trackers' LRU clock)
PF_LAST_MATCH = 5     # the tracker that matched last (tried first)
PF_TRACKER = 8        # the first tracker
PF_TRACKER_WORDS = 5
PF_T_LAST = 0         # last line of the stream
PF_T_DIR = 1          # direction +1 / -1, 0 while training
PF_T_NEXT = 2         # next line to prefetch
PF_T_STAMP = 3        # clock at the last use (LRU)
PF_T_VALID = 4        # 1 once allocated


def on_access(pf: np.ndarray, x: int, hit: bool, pf_out: np.ndarray) -> int:
    """Advance the tracker ``x`` belongs to and ask for the lines ahead of it; a miss
    that belongs to no tracker starts one (the least recently used)."""
    npf = 0
    pf[PF_CLOCK] += 1
    pf_hit_k = -1
    # the tracker that matched last is tried first (hardware compares all in parallel;
    # a stream engine sees long runs of one stream)
    for pf_j in range(pf[PF_TRACKERS]):
        pf_k = pf[PF_LAST_MATCH] + pf_j
        if pf_k >= pf[PF_TRACKERS]:
            pf_k -= pf[PF_TRACKERS]
        pf_e = PF_TRACKER + PF_TRACKER_WORDS * pf_k
        if pf[pf_e + PF_T_VALID] == 0:
            continue
        pf_d = x - pf[pf_e + PF_T_LAST]
        if pf[pf_e + PF_T_DIR] == 0:
            if pf_d != 0 and -pf[PF_WINDOW] <= pf_d <= pf[PF_WINDOW]:
                pf[pf_e + PF_T_DIR] = 1 if pf_d > 0 else -1
                pf[pf_e + PF_T_NEXT] = x + pf[pf_e + PF_T_DIR]
                pf_hit_k = pf_k
                break
        else:
            pf_dd = pf_d * pf[pf_e + PF_T_DIR]
            if pf_dd > 0 and pf_dd <= pf[PF_WINDOW] + pf[PF_LOOKAHEAD]:
                pf_hit_k = pf_k
                break
    if pf_hit_k >= 0:
        pf[PF_LAST_MATCH] = pf_hit_k
        pf_e = PF_TRACKER + PF_TRACKER_WORDS * pf_hit_k
        pf_dir = pf[pf_e + PF_T_DIR]
        pf[pf_e + PF_T_LAST] = x
        pf[pf_e + PF_T_STAMP] = pf[PF_CLOCK]
        pf_nxt = pf[pf_e + PF_T_NEXT]
        if (pf_nxt - x) * pf_dir <= 0:
            pf_nxt = x + pf_dir
        while npf < pf[PF_DEGREE] and (pf_nxt - x) * pf_dir <= pf[PF_LOOKAHEAD]:
            pf_out[npf] = pf_nxt
            pf_nxt += pf_dir
            npf += 1
        pf[pf_e + PF_T_NEXT] = pf_nxt
    elif not hit:
        pf_v = 0
        pf_old = pf[PF_TRACKER + PF_T_STAMP]
        for pf_k in range(pf[PF_TRACKERS]):
            pf_e = PF_TRACKER + PF_TRACKER_WORDS * pf_k
            if pf[pf_e + PF_T_VALID] == 0:
                pf_v = pf_k
                break
            if pf[pf_e + PF_T_STAMP] < pf_old:
                pf_old = pf[pf_e + PF_T_STAMP]
                pf_v = pf_k
        pf_e = PF_TRACKER + PF_TRACKER_WORDS * pf_v
        pf[pf_e + PF_T_LAST] = x
        pf[pf_e + PF_T_DIR] = 0
        pf[pf_e + PF_T_NEXT] = 0
        pf[pf_e + PF_T_STAMP] = pf[PF_CLOCK]
        pf[pf_e + PF_T_VALID] = 1
    return npf


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
    """The header ``[trackers, lookahead, degree, window, clock, last match]``, then
    the trackers (all invalid)."""
    st = np.zeros(PF_TRACKER + PF_TRACKER_WORDS * cfg.trackers, dtype=np.int64)
    st[PF_TRACKERS] = cfg.trackers
    st[PF_LOOKAHEAD] = cfg.lookahead
    st[PF_DEGREE] = cfg.degree
    st[PF_WINDOW] = cfg.window
    return st
