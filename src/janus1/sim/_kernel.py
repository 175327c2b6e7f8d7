"""The compiled hot loop: one numba function over integer state arrays, generated per
prefetch policy.

Why generated: numba reference-counts every array passed to a helper function, even an
``inline="always"`` one, and those atomic operations cost more than the cache lookup
itself. So the loop is written once here as a template in which the small operations
(set index, tag search, replacement update, victim choice, bank and refresh wait, MSHR
choice) are macros expanded in place, and the chosen prefetcher's hook (its ``HOOK``
source, see :mod:`janus1.sim.prefetch`) is pasted in. The generated module is written to
a cache folder (``$JANUS1_CACHE_DIR`` or ``~/.cache/janus1/kernels``) under a name that
hashes its text, so numba's on-disk cache (``cache=True``) compiles each variant once.

State (built by :mod:`janus1.sim.engine`, kept across chunks so a trace can be fed in
pieces):

- ``P[level, P_*]``: per-level parameters (shifts, sets, ways, latencies, banks, ...).
- ``tags``: the line number + 1 held by each way of every cache level (0 = invalid,
  so a fresh zeroed array is an empty cache and untouched pages are never written),
  level after level, set after set; entries never move.
- ``rec``: for LRU/FIFO levels of at most 16 ways, one word per set of 4-bit ranks
  (nibble r = the way at rank r, 0 = most recent): a use (LRU) moves the way's nibble
  to the front with shifts and masks (its rank found by a zero-nibble test, no loop),
  a fill takes the way in the top nibble and rotates it to the front. Initially rank r
  holds way W-1-r, so invalid ways are filled way 0 first.
- ``stamp``: for LRU/FIFO levels of more than 16 ways, per way, the replacement clock
  at the last use (LRU) or fill (FIFO); the victim is the smallest stamp (invalid ways
  have 0 and go first, lowest way first). Both orders are the same LRU/FIFO order.
- ``meta``: per way, bit 0 dirty, bit 1 prefetched and not yet used, bits 4-5 the
  SRRIP re-reference prediction value.
- ``ready``: per way, the cycle its data arrives (timed mode): a hit on a line still in
  flight waits for it (a merged miss, or a late prefetch).
- ``mshr``: per level, the cycles its MSHRs become free, a ring kept sorted from
  ``mhead[level]`` (the earliest first: O(1) to find, usually O(1) to insert).
- ``bankfree``: the cycle each bank becomes free; ``bankoff``: each bank's refresh
  phase offset, ``(bank * refresh_interval) // banks`` (banks refresh in turn).
- ``stats[level, S_*]``, ``g[G_*]`` (global counters and clocks), ``f`` (float clocks:
  DRAM channel free time), ``hist`` (latency histogram; the last bin collects overflow).

Write-backs (and write-through stores) take banks and the DRAM channel at the issue
cycle of the access that caused them, not when the fill that evicted them completes:
the channel is one first-come-first-served clock, and reserving it in the future would
block reads that arrive earlier.

A repeat of the line accessed just before is counted without a lookup: it is the most
recent line of its set and only a prefetch fill can have evicted it (which resets this).
Runs of such repeats go through a tight loop that keeps the line's ready time, its
first-level bank and the latency histogram's current bin in registers; once the line
has arrived and that bank cannot be busy at the next issue, every further repeat takes
exactly the hit latency, so the loop only finds the run's end and accounts for it at
once. With the hierarchy's shape compiled in (``shape_key``), a tag search is one vector
compare of the set's ways (:func:`janus1.sim._fast.match_fn`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["get_kernel", "kernel_source", "load_generated", "shape_key", "RUNTIME_COLS",
           "NP", "NS", "NG", "LRU", "FIFO", "RANDOM", "SRRIP"]

# replacement policy codes
LRU = 0
FIFO = 1
RANDOM = 2
SRRIP = 3

# ---- per-level parameter columns ----
P_DSHIFT = 0     # log2(line of this level / line of level 0)
P_SETS = 1
P_MASK = 2       # sets - 1 (when sets is a power of two)
P_POW2 = 3       # 1 if sets is a power of two
P_WAYS = 4
P_TBASE = 5      # first index of this level in tags/meta/ready
P_POLICY = 6
P_HITLAT = 7     # lookup latency, cycles
P_BANKS = 8
P_BANKBUSY = 9   # cycles a bank stays busy per access
P_BANKBASE = 10  # first index in bankfree
P_MSHRS = 11
P_MSHRBASE = 12  # first index in mshr
P_REFINT = 13    # refresh interval per bank, cycles (0 = no refresh)
P_REFBUSY = 14   # refresh busy time, cycles
P_WB = 15        # write-back (1) or write-through (0)
P_WA = 16        # write-allocate
P_SCRATCH = 17   # 1 for a scratchpad
P_SPLO = 18      # scratchpad: first line held (in this level's lines)
P_SPHI = 19      # scratchpad: one past the last line held
P_LBYTES = 20    # line size in bytes
P_LSHIFT = 21    # log2(line bytes)
P_RECW = 22      # 1: LRU/FIFO order kept in one 64-bit word of 4-bit ranks per set (<= 16 ways)
P_RBASE = 23     # first index of this level's words in rec
P_BANKMASK = 24  # banks - 1 when the bank count is a power of two, else -1
NP = 25

# ---- per-level statistics columns ----
S_HITS = 0
S_MISSES = 1
S_EVICT = 2
S_WB = 3         # dirty lines written back to the next level
S_FILLS = 4      # lines allocated
S_WBIN = 5       # write-backs / write-throughs received from above
S_STORES = 6     # demand stores seen by this level
S_BANKWAIT = 7   # cycles spent waiting for a busy bank
S_REFWAIT = 8    # cycles spent waiting for a refresh
S_MSHRWAIT = 9   # cycles spent waiting for a free MSHR
S_BYPASS = 10    # accesses that went past a scratchpad outside its range
S_PFFILLS = 11   # lines filled by prefetches
NS = 12

# ---- global counters ----
G_NOW = 0          # issue cycle of the latest line access
G_LAST = 1         # last first-level line accessed (-1 none)
G_LASTSLOT = 2     # its index in tags
G_DRAM_RD = 3      # bytes read from DRAM
G_DRAM_WR = 4      # bytes written to DRAM
G_STALL = 5        # cycles the core waited to issue (MSHRs full)
G_LINEACC = 6      # line accesses (an access crossing a line counts twice)
G_REQS = 7         # trace accesses
G_PF_ISSUED = 8
G_PF_USEFUL = 9
G_PF_LATE = 10
G_PF_DROPPED = 11    # no free MSHR
G_PF_REDUNDANT = 12  # line already present
G_LAT_SUM = 13
G_LAT_MAX = 14
G_END = 15           # latest completion cycle
G_DRAM_QWAIT = 16    # cycles requests waited for the DRAM channel
G_DRAM_REQ = 17      # DRAM line reads
G_PF_USELESS = 18    # prefetched lines evicted unused
G_STORES = 19
G_DRAM_WREQ = 20
G_CLOCK = 21         # replacement clock (LRU/FIFO stamps)
NG = 24

# ---- macros: expanded in place, so no array crosses a function boundary ----
_MACROS: dict[str, str] = {
    "SETBASE": """
if P[{i}, P_POW2]:
    {b}s = {li} & P[{i}, P_MASK]
else:
    {b}s = {li} % P[{i}, P_SETS]
{b} = P[{i}, P_TBASE] + {b}s * P[{i}, P_WAYS]
""",
    "FIND": """
{pos} = -1
for _k in range({w}):
    if tags[{b} + _k] == {li} + 1:
        {pos} = {b} + _k
""",
    "MSHRPUSH": """
_mb = P[{i}, P_MSHRBASE]
_nm = P[{i}, P_MSHRS]
_pos = mhead[{i}]
_h2 = _pos + 1
if _h2 == _nm:
    _h2 = 0
mhead[{i}] = _h2
_cnt = _nm - 1
while _cnt > 0:
    _prev = _pos - 1
    if _prev < 0:
        _prev = _nm - 1
    if mshr[_mb + _prev] <= {v}:
        break
    mshr[_mb + _pos] = mshr[_mb + _prev]
    _pos = _prev
    _cnt -= 1
mshr[_mb + _pos] = {v}
""",
    "SETBASE0": """
if pow20:
    {b}s = {li} & mask0
else:
    {b}s = {li} % sets0
{b} = tb0 + {b}s * w0
""",
    "TOUCH0": """
if lru0:
    if recw0:
        @@PROMOTE(r=rec[rb0 + {b}s], p={pos} - {b})
    else:
        clk += 1
        stamp[{pos}] = clk
elif srrip0:
    meta[{pos}] = meta[{pos}] & 0xCF
""",
    # move way p to the front of a set's rank word: its rank k is the lowest zero
    # nibble of r ^ (p * 0x11..1) (borrows only make false zeros above the first
    # true one), 4k = cttz - 3; the k nibbles below shift up and p goes in front
    "PROMOTE": """
_rr = {r}
_zt = _rr ^ (({p}) * 0x1111111111111111)
_k4 = trailing_zeros((_zt - 0x1111111111111111) & ~_zt & -0x7777777777777778) - 3
{r} = ((_rr & ~((2 << (_k4 + 3)) - 1)) | ((_rr & ((1 << _k4) - 1)) << 4)) | ({p})
""",
    "MSHR0": """
{k} = mshr[mb0 + mhead[0]]
""",
    "TOUCH": """
if P[{i}, P_POLICY] == LRU:
    if P[{i}, P_RECW]:
        @@PROMOTE(r=rec[P[{i}, P_RBASE] + {b}s], p={pos} - {b})
    else:
        clk += 1
        stamp[{pos}] = clk
elif P[{i}, P_POLICY] == SRRIP:
    meta[{pos}] = meta[{pos}] & 0xCF
""",
    "BANKIDX": """
_nb = P[{i}, P_BANKS]
_bk = 0
if _nb > 1:
    if P[{i}, P_BANKMASK] >= 0:
        _bk = {li} & P[{i}, P_BANKMASK]
    else:
        _bk = {li} % _nb
""",
    "BANKREG0": """
if bf0 > {t}:
    stats[0, S_BANKWAIT] += bf0 - {t}
    {t} = bf0
_ri = P[0, P_REFINT]
if _ri > 0:
    _ph = ({t} - bankoff[kb0]) % _ri
    if _ph < P[0, P_REFBUSY]:
        stats[0, S_REFWAIT] += P[0, P_REFBUSY] - _ph
        {t} += P[0, P_REFBUSY] - _ph
bf0 = {t} + P[0, P_BANKBUSY]
bankfree[kb0] = bf0
""",
    "HIST": """
if {lat} != hl:
    hist[hl if hl < hmax else hmax] += hr
    hl = {lat}
    hr = 0
hr += 1
""",
    "BANK": """
@@BANKIDX(i={i}, li={li})
_kb = P[{i}, P_BANKBASE] + _bk
if bankfree[_kb] > {t}:
    stats[{i}, S_BANKWAIT] += bankfree[_kb] - {t}
    {t} = bankfree[_kb]
_ri = P[{i}, P_REFINT]
if _ri > 0:
    _ph = ({t} - bankoff[_kb]) % _ri
    if _ph < P[{i}, P_REFBUSY]:
        stats[{i}, S_REFWAIT] += P[{i}, P_REFBUSY] - _ph
        {t} += P[{i}, P_REFBUSY] - _ph
bankfree[_kb] = {t} + P[{i}, P_BANKBUSY]
""",
    "MSHR": """
{k} = mshr[P[{i}, P_MSHRBASE] + mhead[{i}]]
""",
    "VICTIM": """
_pol = P[{i}, P_POLICY]
if (_pol == LRU or _pol == FIFO) and P[{i}, P_RECW]:
    _rx = P[{i}, P_RBASE] + {b}s
    _rv = rec[_rx]
    _top = (_rv >> (4 * {w} - 4)) & 15
    # the least recent way (top rank) becomes the most recent
    rec[_rx] = ((_rv << 4) & ((2 << (4 * {w} - 1)) - 1)) | _top
    {v} = {b} + _top
elif _pol == LRU or _pol == FIFO:
    {v} = {b}
    _sv = stamp[{b}]
    for _k in range(1, {w}):
        if stamp[{b} + _k] < _sv:
            _sv = stamp[{b} + _k]
            {v} = {b} + _k
else:
    {v} = -1
    for _k in range({w}):
        if tags[{b} + _k] == 0:
            {v} = {b} + _k
            break
    if {v} < 0:
        if _pol == RANDOM:
            _x = rng[{i}]
            _x ^= (_x << 13) & 0x7FFFFFFFFFFFFFFF
            _x ^= _x >> 7
            _x ^= (_x << 17) & 0x7FFFFFFFFFFFFFFF
            _x &= 0x7FFFFFFFFFFFFFFF
            if _x == 0:
                _x = 0x2545F4914F6CDD1D
            rng[{i}] = _x
            {v} = {b} + _x % {w}
        else:
            while {v} < 0:
                for _k in range({w}):
                    if (meta[{b} + _k] >> 4) & 3 == 3:
                        {v} = {b} + _k
                        break
                if {v} < 0:
                    for _k in range({w}):
                        meta[{b} + _k] = meta[{b} + _k] + 16
""",
    "PLACE": """
{slot} = {v}
if (_pol == LRU or _pol == FIFO) and not P[{i}, P_RECW]:
    clk += 1
    stamp[{v}] = clk
elif _pol == SRRIP:
    {m} = {m} | 32
tags[{v}] = {li} + 1
meta[{v}] = {m}
if timed:
    ready[{v}] = {r}
""",
    "WRITEDOWN": """
wd_j = {j}
wd_x = {x}
wd_lb = {lb}
wd_t = {t}
while wd_j < n:
    wd_li = wd_x >> P[wd_j, P_DSHIFT]
    stats[wd_j, S_WBIN] += 1
    if P[wd_j, P_SCRATCH]:
        if P[wd_j, P_SPLO] <= wd_li < P[wd_j, P_SPHI]:
            break
        wd_j += 1
        continue
    wd_w = P[wd_j, P_WAYS]
    @@SETBASE(i=wd_j, li=wd_li, b=wd_b)
    @@FIND(i=wd_j, b=wd_b, w=wd_w, li=wd_li, pos=wd_pos)
    if timed:
        @@BANK(i=wd_j, li=wd_li, t=wd_t)
    if wd_pos >= 0:
        @@TOUCH(i=wd_j, b=wd_b, pos=wd_pos)
        if P[wd_j, P_WB]:
            meta[wd_pos] = meta[wd_pos] | 1
            break
        wd_lb = P[wd_j, P_LBYTES]
        wd_j += 1
        continue
    if not (P[wd_j, P_WA] and P[wd_j, P_WB]):
        wd_j += 1
        continue
    @@VICTIM(i=wd_j, b=wd_b, w=wd_w, v=wd_v)
    wd_old = tags[wd_v] - 1
    wd_oldm = meta[wd_v]
    wd_m = 1
    @@PLACE(i=wd_j, b=wd_b, v=wd_v, li=wd_li, m=wd_m, r=wd_t, slot=wd_slot)
    stats[wd_j, S_FILLS] += 1
    if wd_old < 0:
        break
    stats[wd_j, S_EVICT] += 1
    if wd_j == 0 and wd_oldm & 2:
        g[G_PF_USELESS] += 1
    if not wd_oldm & 1:
        break
    stats[wd_j, S_WB] += 1
    wd_x = wd_old << P[wd_j, P_DSHIFT]
    wd_lb = P[wd_j, P_LBYTES]
    wd_j += 1
if wd_j >= n:
    g[G_DRAM_WR] += wd_lb
    g[G_DRAM_WREQ] += 1
    if timed:
        fch = max(float(wd_t), fch) + wd_lb / mp[1]
""",
}

_TEMPLATE = '''\
# Generated by janus1.sim._kernel from its template; do not edit.
import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

from janus1.sim._kernel import (LRU, FIFO, RANDOM, SRRIP, P_DSHIFT, P_SETS, P_MASK, P_POW2,
    P_WAYS, P_TBASE, P_POLICY, P_HITLAT, P_BANKS, P_BANKBUSY, P_BANKBASE, P_MSHRS,
    P_MSHRBASE, P_REFINT, P_REFBUSY, P_WB, P_WA, P_SCRATCH, P_SPLO, P_SPHI, P_LBYTES,
    P_LSHIFT, P_RECW, P_RBASE, P_BANKMASK, S_HITS, S_MISSES, S_EVICT, S_WB, S_FILLS, S_WBIN,
    S_STORES, S_BANKWAIT,
    S_REFWAIT, S_MSHRWAIT, S_BYPASS, S_PFFILLS, G_NOW, G_LAST, G_LASTSLOT, G_DRAM_RD,
    G_DRAM_WR, G_STALL, G_LINEACC, G_REQS, G_PF_ISSUED, G_PF_USEFUL, G_PF_LATE,
    G_PF_DROPPED, G_PF_REDUNDANT, G_LAT_SUM, G_LAT_MAX, G_END, G_DRAM_QWAIT, G_DRAM_REQ,
    G_PF_USELESS, G_STORES, G_DRAM_WREQ, G_CLOCK)


@njit(cache=True)
def run_chunk(addr, kinds, sizes, default_size, timed, P, mp, tags, meta, ready, stamp,
              rec, mshr, mhead, bankfree, bankoff, rng, stats, g, f, hist, pf, pf_out, mtmp,
              issue):
    """Simulate one chunk of accesses, updating every state array in place; returns the
    index of a negative address (where it stopped) or -1."""
    n = P.shape[0]
    has_kind = kinds.size > 0
    has_size = sizes.size > 0
    sh0 = P[0, P_LSHIFT]
    scratch0 = P[0, P_SCRATCH] != 0
    wb0 = P[0, P_WB] != 0
    wa0 = P[0, P_WA] != 0
    hit0 = P[0, P_HITLAT]
    w0 = P[0, P_WAYS]
    lb0 = P[0, P_LBYTES]
    # level-0 parameters as locals: loads from P cannot be hoisted by the compiler
    # (P may alias the state arrays it stores to)
    pow20 = P[0, P_POW2] != 0
    tb0 = P[0, P_TBASE]
    mask0 = P[0, P_MASK]
    sets0 = P[0, P_SETS]
    lru0 = P[0, P_POLICY] == LRU
    srrip0 = P[0, P_POLICY] == SRRIP
    mb0 = P[0, P_MSHRBASE]
    nm0 = P[0, P_MSHRS]
    recw0 = P[0, P_RECW] != 0
    rb0 = P[0, P_RBASE]
    # a DRAM line read: channel time (the same division as per access, done once) and
    # latency (mp[1] > 0: the configuration requires a positive bandwidth)
    xfer_rd = P[n - 1, P_LBYTES] / mp[1]
    lat_rd = int(mp[0])
    fch = f[0]  # the DRAM channel's free time
    # level-0 bank waits are impossible with one bank, no refresh and a bank free again
    # before the next issue: then the bank model is skipped for level 0
    bank0 = not (P[0, P_BANKS] == 1 and P[0, P_REFINT] == 0 and P[0, P_BANKBUSY] <= issue)
    refint0 = P[0, P_REFINT]
    busy0 = P[0, P_BANKBUSY]
    dsz1 = max(default_size, 1) - 1
    hmax = hist.size - 1
    last = g[G_LAST]
    lastslot = g[G_LASTSLOT]
    now = g[G_NOW]
    end = g[G_END]
    hits0 = 0
    lineacc = 0
    stall = 0
    lat_sum = 0
    lat_max = g[G_LAT_MAX]
    clk = g[G_CLOCK]
    nstores = 0
    # kept in registers for repeats of the last line: its ready time (rlast), its
    # first-level bank (kb0) and that bank's free time (bf0); only level-0 accesses
    # touch level-0 banks, and a fill into the last line's way clears ``last``
    rlast = 0
    kb0 = 0
    bf0 = 0
    if timed and last >= 0:
        rlast = ready[lastslot]
        if bank0:
            @@BANKIDX(i=0, li=last)
            kb0 = P[0, P_BANKBASE] + _bk
            bf0 = bankfree[kb0]
    # the latency histogram is updated per run of equal latencies (hl repeated hr times)
    hl = 0
    hr = 0
    nacc = addr.size
    idx = 0
    bad = -1
    while idx < nacc:
        # ---- a run of accesses to the line just accessed (first-level hits without a
        # lookup, the common case): a tight loop with few live values ----
        if last >= 0:
            run0 = idx
            # (a) accesses that may wait: the line is still in flight, or level 0 has
            # refresh or banks that can be busy at the next issue
            while timed and idx < nacc and not (
                    now + issue + hit0 >= rlast and (not bank0 or (
                        refint0 == 0 and busy0 <= issue and bf0 <= now + issue))):
                a = addr[idx]
                sz = default_size
                if has_size:
                    sz = sizes[idx]
                    if sz < 1:
                        sz = 1
                if (a >> sh0) != last or ((a + sz - 1) >> sh0) != last:
                    break
                if has_kind and kinds[idx] != 0:
                    if not wb0:
                        break
                    nstores += 1
                    meta[lastslot] = meta[lastslot] | 1
                now += issue
                t = now
                if bank0:
                    @@BANKREG0(t=t)
                t += hit0
                if rlast > t:
                    t = rlast
                lat = t - now
                lat_sum += lat
                if lat > lat_max:
                    lat_max = lat
                @@HIST(lat=lat)
                if t > end:
                    end = t
                idx += 1
            # (b) from here on every repeat takes exactly hit0 cycles and never waits
            # (the line has arrived; a bank used at the previous issue is free again):
            # find the run's end, then account for it at once
            k0 = idx
            if has_size:
                while idx < nacc:
                    a = addr[idx]
                    sz = sizes[idx]
                    if sz < 1:
                        sz = 1
                    if (a >> sh0) != last or ((a + sz - 1) >> sh0) != last:
                        break
                    if has_kind and kinds[idx] != 0:
                        if not wb0:
                            break
                        nstores += 1
                        meta[lastslot] = meta[lastslot] | 1
                    idx += 1
            else:
                while idx < nacc:
                    a = addr[idx]
                    # (a negative address fails the first test: last >= 0)
                    if (a >> sh0) != last or ((a + dsz1) >> sh0) != last:
                        break
                    if has_kind and kinds[idx] != 0:
                        if not wb0:
                            break
                        nstores += 1
                        meta[lastslot] = meta[lastslot] | 1
                    idx += 1
            k = idx - k0
            if k > 0:
                now += k * issue
                if timed:
                    if bank0:
                        bf0 = now + busy0
                        bankfree[kb0] = bf0
                    lat_sum += k * hit0
                    if hit0 > lat_max:
                        lat_max = hit0
                    if hit0 != hl:
                        hist[hl if hl < hmax else hmax] += hr
                        hl = hit0
                        hr = 0
                    hr += k
                    if now + hit0 > end:
                        end = now + hit0
            hits0 += idx - run0
            lineacc += idx - run0
            if idx == nacc:
                break
        a = addr[idx]
        if a < 0:
            bad = idx
            break
        ia = idx
        idx += 1
        st = False
        if has_kind:
            st = kinds[ia] != 0
            if st:
                nstores += 1
        sz = default_size
        if has_size:
            sz = sizes[ia]
            if sz < 1:
                sz = 1
        first = a >> sh0
        lastl = (a + sz - 1) >> sh0
        for x in range(first, lastl + 1):
            lineacc += 1
            now += issue
            want = now
            # ---- a repeat of the line just accessed: a first-level hit, no lookup ----
            if x == last and (wb0 or not st):
                hits0 += 1
                if st:
                    meta[lastslot] = meta[lastslot] | 1
                if timed:
                    t = now
                    if bank0:
                        @@BANKREG0(t=t)
                    t += hit0
                    if rlast > t:
                        t = rlast
                    lat = t - want
                    lat_sum += lat
                    if lat > lat_max:
                        lat_max = lat
                    @@HIST(lat=lat)
                    if t > end:
                        end = t
                continue
            # ---- first level ----
            hit = False
            wt = False
            t = now
            done = now
            demand = False
            i0 = 1
            m0 = -1
            if scratch0:
                demand = True
                i0 = 0
                last = -1
                lastslot = -1
            else:
                @@SETBASE0( li=x, b=b)
                @@FIND(i=0, b=b, w=w0, li=x, pos=pos)
                if timed and bank0:
                    @@BANK(i=0, li=x, t=t)
                    kb0 = _kb
                    bf0 = bankfree[_kb]
                if pos >= 0:
                    hit = True
                    hits0 += 1
                    done = t + hit0
                    if timed and ready[pos] > done:
                        done = ready[pos]
                    if meta[pos] & 2:
                        g[G_PF_USEFUL] += 1
                        if timed and ready[pos] > t + hit0:
                            g[G_PF_LATE] += 1
                        meta[pos] = meta[pos] & 0xFD
                    @@TOUCH0( b=b, pos=pos)
                    if st:
                        if wb0:
                            meta[pos] = meta[pos] | 1
                        else:
                            wt = True
                    last = x
                    lastslot = pos
                else:
                    stats[0, S_MISSES] += 1
                    if st and not wa0:
                        # write-around: the store goes below, nothing is allocated
                        wt = True
                        done = t + hit0
                        last = -1
                        lastslot = -1
                    else:
                        demand = True
                        t += hit0
                        if timed:
                            @@MSHR0(k=mf)
                            m0 = 1
                            if mf > t:
                                # all MSHRs busy: the core stalls until one frees
                                _wt = mf - t
                                stats[0, S_MSHRWAIT] += _wt
                                stall += _wt
                                t += _wt
                                now += _wt
            # ---- the prefetcher trains on each access to a new first-level line ----
            npf = 0
            if not scratch0:
                @@PF_HOOK
            # ---- requests below the first level: the demand miss, then prefetches ----
            nreq = npf + (1 if demand else 0)
            for r in range(nreq):
                is_pf = not (demand and r == 0)
                if is_pf:
                    y = pf_out[r - 1 if demand else r]
                    if y < 0:
                        continue
                    @@SETBASE0( li=y, b=b)
                    @@FIND(i=0, b=b, w=w0, li=y, pos=pos)
                    if pos >= 0:
                        g[G_PF_REDUNDANT] += 1
                        continue
                    mm = -1
                    if timed:
                        @@MSHR0(k=mf)
                        mm = 1
                        if mf > now:
                            g[G_PF_DROPPED] += 1
                            continue
                    g[G_PF_ISSUED] += 1
                    tt = now + hit0
                    j0 = 1
                else:
                    y = x
                    tt = t
                    mm = m0
                    j0 = i0
                hit_lvl = n
                for i in range(j0, n):
                    li = y >> P[i, P_DSHIFT]
                    mtmp[i] = -1
                    if P[i, P_SCRATCH]:
                        if P[i, P_SPLO] <= li < P[i, P_SPHI]:
                            stats[i, S_HITS] += 1
                            if timed:
                                @@BANK(i=i, li=li, t=tt)
                                tt += P[i, P_HITLAT]
                            hit_lvl = i
                            break
                        stats[i, S_BYPASS] += 1
                        continue
                    wi = P[i, P_WAYS]
                    @@SETBASE(i=i, li=li, b=b)
                    @@FIND(i=i, b=b, w=wi, li=li, pos=pos)
                    if timed:
                        @@BANK(i=i, li=li, t=tt)
                    if pos >= 0:
                        stats[i, S_HITS] += 1
                        if timed:
                            tt += P[i, P_HITLAT]
                            if ready[pos] > tt:
                                tt = ready[pos]
                        @@TOUCH(i=i, b=b, pos=pos)
                        hit_lvl = i
                        break
                    stats[i, S_MISSES] += 1
                    if timed:
                        tt += P[i, P_HITLAT]
                        @@MSHR(i=i, k=mf)
                        if mf > tt:
                            stats[i, S_MSHRWAIT] += mf - tt
                            tt = mf
                        mtmp[i] = 1
                if hit_lvl == n:
                    lb = P[n - 1, P_LBYTES]
                    g[G_DRAM_RD] += lb
                    g[G_DRAM_REQ] += 1
                    if timed:
                        fs = max(float(tt), fch)
                        g[G_DRAM_QWAIT] += int(fs - tt)
                        fch = fs + xfer_rd
                        tt = int(np.ceil(fch)) + lat_rd
                slot0 = -1
                for j in range(hit_lvl - 1, -1, -1):
                    if P[j, P_SCRATCH]:
                        continue
                    lj = y >> P[j, P_DSHIFT]
                    wj = P[j, P_WAYS]
                    @@SETBASE(i=j, li=lj, b=b)
                    @@VICTIM(i=j, b=b, w=wj, v=v)
                    old = tags[v] - 1
                    oldm = meta[v]
                    m = 0
                    if j == 0:
                        if is_pf:
                            m = 2
                        elif st and wb0:
                            m = 1
                    @@PLACE(i=j, b=b, v=v, li=lj, m=m, r=tt, slot=slot)
                    stats[j, S_FILLS] += 1
                    if is_pf:
                        stats[j, S_PFFILLS] += 1
                    if timed:
                        kk = mm if j == 0 else mtmp[j]
                        if kk >= 0:
                            @@MSHRPUSH(i=j, v=tt)
                    if j == 0:
                        slot0 = slot
                        if old == last:
                            # a prefetch fill evicted the line just accessed
                            last = -1
                            lastslot = -1
                    if old >= 0:
                        stats[j, S_EVICT] += 1
                        if j == 0 and oldm & 2:
                            g[G_PF_USELESS] += 1
                        if oldm & 1:
                            stats[j, S_WB] += 1
                            @@WRITEDOWN(j=j + 1, x=old << P[j, P_DSHIFT], lb=P[j, P_LBYTES], t=now)
                if is_pf:
                    if tt > end:
                        end = tt
                else:
                    done = tt
                    if scratch0:
                        last = -1
                        lastslot = -1
                    else:
                        last = x
                        lastslot = slot0
                    if st and not wb0:
                        wt = True
            if wt:
                # a write-through or write-around store continues below the first level
                @@WRITEDOWN(j=1, x=x, lb=lb0, t=now)
            if timed:
                if last >= 0:
                    rlast = ready[lastslot]
                lat = done - want
                lat_sum += lat
                if lat > lat_max:
                    lat_max = lat
                @@HIST(lat=lat)
                if done > end:
                    end = done
    if hr > 0:
        hist[hl if hl < hmax else hmax] += hr
    stats[0, S_HITS] += hits0
    stats[0, S_STORES] += nstores
    g[G_LAST] = last
    g[G_LASTSLOT] = lastslot
    g[G_NOW] = now
    g[G_END] = end
    g[G_LINEACC] += lineacc
    g[G_REQS] += idx if bad < 0 else bad
    g[G_STALL] += stall
    g[G_LAT_SUM] += lat_sum
    g[G_LAT_MAX] = lat_max
    g[G_STORES] += nstores
    g[G_CLOCK] = clk
    f[0] = fch
    return bad


@njit(cache=True)
def unused_prefetches(P, tags, meta):
    """First-level lines prefetched and never used that are still resident."""
    if P[0, P_SCRATCH]:
        return 0
    c = 0
    lo = P[0, P_TBASE]
    for k in range(lo, lo + P[0, P_SETS] * P[0, P_WAYS]):
        if tags[k] > 0 and meta[k] & 2:
            c += 1
    return c
'''


def _expand(text: str, hook: str, macros: dict[str, str] | None = None) -> str:
    while "@@" in text:
        text = _expand_once(text, hook, macros or _MACROS)
    return text


def _split_args(args: str) -> list[str]:
    """Split ``a=1, b=f(x, y)`` at top-level commas."""
    parts, depth, cur = [], 0, ""
    for ch in args:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return [p.replace(" =", "=").replace("= ", "=") for p in parts]


def _expand_once(text: str, hook: str, macros: dict[str, str]) -> str:
    out: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith("@@"):
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        if s == "@@PF_HOOK":
            body = textwrap.dedent(hook).strip("\n")
        else:
            name, _, args = s[2:].partition("(")
            kw = dict(a.split("=", 1) for a in _split_args(args[:-1]))
            body = macros[name].format(**kw).strip("\n")
        out.extend(indent + b if b.strip() else "" for b in body.splitlines())
    return "\n".join(out) + "\n"


# the structural columns baked into a kernel as constants (the number of levels too);
# sizes, latencies, banks, MSHRs and refresh stay run-time values, so sweeps over them
# reuse one compiled kernel
CONST_COLS = ("P_DSHIFT", "P_WAYS", "P_POLICY", "P_SCRATCH", "P_WB", "P_WA", "P_LBYTES",
              "P_LSHIFT", "P_RECW")
RUNTIME_COLS = tuple(k for k in globals() if k.startswith("P_") and k not in CONST_COLS)


def shape_key(P: Any) -> tuple[tuple[int, ...], ...]:
    """The compile-time part of a parameter table (run-time columns zeroed)."""
    rt = {globals()[c] for c in RUNTIME_COLS}
    return tuple(tuple(0 if k in rt else int(v) for k, v in enumerate(row)) for row in P)


def kernel_source(hook: str, shape: tuple[tuple[int, ...], ...] | None = None) -> str:
    """The generated module's text for a prefetch hook (see :mod:`janus1.sim.prefetch`)
    and, if given, a hierarchy shape (:func:`shape_key`) baked in as constants."""
    import re

    if shape is None:
        return _expand(_TEMPLATE, hook)
    # with the ways of each level known, a tag search is one vector compare
    # (janus1.sim._fast.match_fn), chosen by level
    macros = dict(_MACROS)
    find = ""
    ways = set()
    for k, row in enumerate(shape):
        if row[P_SCRATCH]:
            continue
        w = row[P_WAYS]
        ways.add(w)
        find += (f"{'if' if not find else 'elif'} {{i}} == {k}:\n"
                 f"    _mm = match_{w}(tags, {{b}}, {{li}} + 1)\n")
    find += "else:\n    _mm = 0\n" if find else "_mm = 0\n"
    find += "{pos} = -1\nif _mm != 0:\n    {pos} = {b} + trailing_zeros(_mm)\n"
    macros["FIND"] = find
    src = _expand(_TEMPLATE, hook, macros)
    if ways:
        names = ", ".join(f"match_{w}" for w in sorted(ways))
        src = src.replace("from numba.cpython.unsafe.numbers import trailing_zeros\n",
                          "from numba.cpython.unsafe.numbers import trailing_zeros\n\n"
                          f"from janus1.sim._fast import {names}  # {_simd_version()}\n", 1)

    def rep(m: re.Match[str]) -> str:
        if m.group(2) in RUNTIME_COLS:
            return m.group(0)
        return f"PC[{m.group(1)}][{m.group(2)}]"

    src = re.sub(r"\bP\[([^\[\],]+), (P_\w+)\]", rep, src)
    src = src.replace("    n = P.shape[0]\n", f"    n = {len(shape)}\n")
    return src.replace("\n\n@njit(cache=True)\ndef run_chunk",
                       f"\nPC = {shape!r}\n\n\n@njit(cache=True)\ndef run_chunk", 1)


def _simd_version() -> str:
    from ._fast import SIMD_VERSION

    return SIMD_VERSION


def _cache_dir() -> Path:
    env = os.environ.get("JANUS1_CACHE_DIR")
    cands = [Path(env) / "kernels"] if env else []
    cands += [Path.home() / ".cache" / "janus1" / "kernels",
              Path(tempfile.gettempdir()) / f"janus1-kernels-{os.getuid()}"]
    for c in cands:
        try:
            c.mkdir(parents=True, exist_ok=True)
            probe = c / f".probe-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
            return c
        except OSError:
            continue
    raise OSError("no writable folder for compiled kernels (set JANUS1_CACHE_DIR)")


_LOADED: dict[str, Any] = {}


def load_generated(src: str, prefix: str) -> Any:
    """Write generated module text to the kernel cache folder (once) and import it."""
    digest = hashlib.sha1(src.encode()).hexdigest()[:16]
    name = f"{prefix}_{digest}"
    mod = _LOADED.get(name)
    if mod is not None:
        return mod
    folder = _cache_dir()
    path = folder / f"{name}.py"
    if not path.exists() or path.read_text(encoding="utf-8") != src:
        fd, tmp = tempfile.mkstemp(prefix=".k", suffix=".py", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(src)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    _LOADED[name] = mod
    return mod


_KERNELS: dict[tuple[str, Any], Any] = {}


def get_kernel(hook: str, shape: tuple[tuple[int, ...], ...] | None = None
               ) -> tuple[Callable[..., None], Callable[..., int]]:
    """The compiled ``(run_chunk, unused_prefetches)`` for a prefetch hook and hierarchy
    shape (generated and compiled once; numba caches it on disk; the module is kept per
    process, so building a Simulator does not regenerate the text)."""
    mod = _KERNELS.get((hook, shape))
    if mod is None:
        mod = load_generated(kernel_source(hook, shape), "janus1_kernel")
        _KERNELS[(hook, shape)] = mod
    return mod.run_chunk, mod.unused_prefetches
