"""The KV write sequencer and the streaming attention of one layer at one position, cycle
by cycle, with the KV-RAM access checker (numba-compiled: ~10^7 row reads per prefill).

Per layer there is one K RAM and one V RAM, each dual-port: the write sequencer owns the
write port, the attention kernel the read port. Addresses are (KV head, row, beat). The
write cycle of every address is kept in ``wk``/``wv`` (``NEVER`` until written). A read at
cycle ``c`` of an address written at cycle ``w`` returns the new data when ``w < c``, or
when ``w == c`` and the RAM is write-first; otherwise it returns older data: a hazard. A
write to an address already written in this prompt (a live row overwritten) is one too. The
controller's guard (when on) holds a read until its row's write is visible under the rule
the guard was designed for, and counts the cycles held as bubbles.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["NEVER", "attention_stage", "STAT_HAZARDS", "STAT_BUBBLES", "STAT_READS",
           "STAT_WRITES", "STAT_COLLISIONS", "N_STATS"]

NEVER = np.int64(1) << 62        # write cycle of an address never written
STAT_HAZARDS, STAT_BUBBLES, STAT_READS, STAT_WRITES, STAT_COLLISIONS = 0, 1, 2, 3, 4
N_STATS = 5


@njit(cache=True)
def attention_stage(start: int, p: int, n_heads: int, kv_mul: int, n_kv: int, kb: int,
                    vb: int, row_cycles: int, q_latch: int, v_offset: int, tail: int,
                    wk: np.ndarray, wv: np.ndarray, ram_write_first: bool, guard: bool,
                    guard_write_first: bool, stats: np.ndarray) -> int:
    """Write K/V rows of position ``p`` while every query head attends over rows ``0..p``.

    Both start at ``start``. The write sequencer, per KV head ``g``: one cycle for the
    rows' exponents, then ``max(kb, vb)`` beats (K and V RAMs in parallel). The kernel, per
    query head in turn: ``q_latch`` cycles, then K row ``t`` beat ``b`` issued at
    ``t * row_cycles + b`` and V row ``t`` beat ``b`` at ``t * row_cycles + v_offset + b``
    (plus the bubbles so far), in time order; ``tail`` cycles after the last V beat.

    Args:
        wk: (n_kv, seq_len, kb) int64 write cycle of each K address (updated here).
        wv: (n_kv, seq_len, vb) int64 write cycle of each V address (updated here).
        ram_write_first: the RAM's same-cycle same-address rule (True: new data).
        guard: the controller holds reads of rows not yet visible.
        guard_write_first: the rule the guard was designed for.
        stats: (N_STATS,) int64 counters, added to.

    Returns:
        The cycle the stage is done (writes and every head finished).
    """
    wb = kb if kb > vb else vb
    for g in range(n_kv):
        w0 = start + g * (1 + wb) + 1
        for b in range(kb):
            if wk[g, p, b] != NEVER:          # overwrites a row still in use: stale later
                stats[STAT_HAZARDS] += 1
            wk[g, p, b] = w0 + b
        for b in range(vb):
            if wv[g, p, b] != NEVER:
                stats[STAT_HAZARDS] += 1
            wv[g, p, b] = w0 + b
        stats[STAT_WRITES] += kb + vb
    write_end = start + n_kv * (1 + wb)
    c = start
    nk = (p + 1) * kb
    nv = (p + 1) * vb
    for h in range(n_heads):
        g = h // kv_mul
        base = c + q_latch
        d = 0
        i = 0
        j = 0
        last = base
        while i < nk or j < nv:
            tk = (i // kb) * row_cycles + (i % kb) if i < nk else NEVER
            tv = (j // vb) * row_cycles + v_offset + (j % vb) if j < nv else NEVER
            if tk <= tv:
                w = wk[g, i // kb, i % kb]
                rc = base + tk + d
                i += 1
            else:
                w = wv[g, j // vb, j % vb]
                rc = base + tv + d
                j += 1
            if guard:
                earliest = w if guard_write_first else w + 1
                if rc < earliest:
                    stats[STAT_BUBBLES] += earliest - rc
                    d += earliest - rc
                    rc = earliest
            if w == rc:
                stats[STAT_COLLISIONS] += 1
            if not (w < rc or (w == rc and ram_write_first)):
                stats[STAT_HAZARDS] += 1
            stats[STAT_READS] += 1
            last = rc
        c = last + 1 + tail
    return c if c > write_end else write_end
