"""The timed kernel: one chunk of accesses through the whole hierarchy, cycle by cycle.

This file is ordinary Python and, imported as it is, a working kernel: the generic one
without a prefetcher. It is also the template of every other variant. The generator
(:mod:`janus1.sim.kernels.build`) fills its **holes**, the lines marked
``# <<hole: NAME>>``, and nothing else:

- ``structure-alias`` / ``structure-table``: the generic kernel reads the structural
  columns of the parameter table (:data:`janus1.sim.layout.STRUCTURAL`: levels, ways,
  policies, line shifts, write policy) at run time through ``S = P``. A specialised
  kernel drops that line and defines ``S`` as a module-level constant table instead,
  a tuple of tuples indexed like the array (``S[i, c]``, see
  :mod:`janus1.sim.kernels.ops`); numba freezes a global tuple into the compiled code,
  so LLVM folds every ``S[...]`` read into a constant where the level is known or the
  column is the same on every level (the way count of a tag search, the number of
  levels, the policy branches, ...). It also rebinds ``match`` to a tag search with a vector
  compare for each of the hierarchy's way counts (:func:`match_ways`).
- ``prefetch-imports`` / ``prefetch-hook``: the prefetcher's ``on_access`` body is
  pasted in place of ``npf = 0`` (see :mod:`janus1.sim.prefetch` for its contract), and
  the named state offsets it reads are imported.

Why a template and not a call: numba reference-counts every array passed to a called
function, and on the per-access path those atomic operations cost more than the lookup
itself. Rare paths (write-backs, victims of the scanned policies) are ordinary calls.

State (built by :mod:`janus1.sim.state`, kept across chunks so a trace can be fed in
pieces; the column names are in :mod:`janus1.sim.layout`):

- ``P[level, P_*]``: per-level parameters; ``S`` the same table for structural reads.
- ``tags``: the line number + 1 held by each way of every cache level (0 = invalid, so
  a fresh zeroed array is an empty cache and untouched pages are never written), level
  after level, set after set; entries never move.
- ``rec``: for LRU/FIFO levels of at most 16 ways, one rank word per set
  (:mod:`janus1.sim.kernels.ops`): a use (LRU) moves the way to the front
  (:func:`promote`), a fill takes the way at the last rank (:func:`take_oldest`).
  Initially rank r holds way W-1-r, so invalid ways are filled way 0 first.
- ``stamp``: for LRU/FIFO levels of more than 16 ways, per way, the replacement clock
  at the last use (LRU) or fill (FIFO); the victim is the smallest stamp (invalid ways
  have 0 and go first, lowest way first). Both orders are the same LRU/FIFO order.
- ``meta``: per way, bit 0 dirty, bit 1 prefetched and not yet used, bits 4-5 the SRRIP
  re-reference prediction value.
- ``ready``: per way, the cycle its data arrives (timed mode): a hit on a line still in
  flight waits for it (a merged miss, or a late prefetch).
- ``mshr``: per level, the cycles its MSHRs become free, a ring kept sorted from
  ``mhead[level]`` (the earliest first: O(1) to find, usually O(1) to insert).
- ``bankfree``: the cycle each bank becomes free; ``bankoff``: each bank's refresh phase
  offset, ``(bank * refresh_interval) // banks`` (banks refresh in turn).
- ``mp``: the backing store: ``[idle read latency in cycles, bytes per cycle, model,
  clock ratio hierarchy/DRAM, DRAM/hierarchy]``; model 0 is the fixed latency plus a
  first-come-first-served bandwidth queue, model 1 the DRAM model
  (:mod:`janus1.sim.dram._stream`, state ``dp``/``ds``), which returns each line read's
  completion and takes write-backs as posted writes. The common DRAM read (a row hit
  with nothing before it) is inlined here (``dram_read_fast``); any other request is a
  call (``dram_request``).
- ``stats[level, S_*]``, ``g[G_*]``, ``f`` (float clocks: the DRAM channel's free time),
  ``hist`` (latency histogram; the last bin collects overflow), ``pf`` (the
  prefetcher's state), ``pf_out`` (the lines it asks for), ``mtmp`` (scratch: which
  lower levels took an MSHR for the current request).

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
once.
"""

import numpy as np
from numba import njit

from janus1.sim.dram._stream import dram_read_fast, dram_request
from janus1.sim.kernels.ops import (bank_index, match, match_ways, promote,  # noqa: F401
                                    set_index, take_oldest, trailing_zeros, xorshift)
from janus1.sim.layout import (FIFO, G_CLOCK, G_DRAM_QWAIT, G_DRAM_RD, G_DRAM_REQ,
                               G_DRAM_WR, G_DRAM_WREQ, G_END, G_LAST, G_LASTSLOT,
                               G_LAT_MAX, G_LAT_SUM, G_LINEACC, G_NOW, G_PF_DROPPED,
                               G_PF_ISSUED, G_PF_LATE, G_PF_REDUNDANT, G_PF_USEFUL,
                               G_PF_USELESS, G_REQS, G_STALL, G_STORES, LRU, P_BANKBASE,
                               P_BANKBUSY, P_BANKMASK, P_BANKS, P_DSHIFT, P_HITLAT,
                               P_LBYTES, P_LSHIFT, P_MASK, P_MSHRBASE, P_MSHRS, P_POLICY,
                               P_POW2, P_RBASE, P_RECW, P_REFBUSY, P_REFINT, P_SCRATCH,
                               P_SETS, P_SPHI, P_SPLO, P_TBASE, P_WA, P_WAYS, P_WB,
                               RANDOM, S_BANKWAIT, S_BYPASS, S_EVICT, S_FILLS, S_HITS,
                               S_MISSES, S_MSHRWAIT, S_PFFILLS, S_REFWAIT, S_STORES, S_WB,
                               S_WBIN, SRRIP)

# <<hole: prefetch-imports>>
# <<hole: structure-table>>


@njit(cache=True)
def victim_by_scan(j, b, w, policy, tags, meta, stamp, rng, clk):
    """The victim slot of the set at ``b`` (``w`` ways) of level ``j`` when its order
    is not a rank word: LRU/FIFO by stamps (more than 16 ways; the victim is stamped
    with the next clock), else the first invalid way, else a random way or the SRRIP
    victim. Returns ``(slot, clk)``."""
    if policy == LRU or policy == FIFO:
        v = b
        sv = stamp[b]
        for k in range(1, w):
            if stamp[b + k] < sv:
                sv = stamp[b + k]
                v = b + k
        clk += 1
        stamp[v] = clk
        return v, clk
    for k in range(w):
        if tags[b + k] == 0:
            return b + k, clk
    if policy == RANDOM:
        x = xorshift(rng[j])
        rng[j] = x
        return b + x % w, clk
    # SRRIP: the first way predicted re-referenced last (RRPV 3); else age every way
    v = -1
    while v < 0:
        for k in range(w):
            if (meta[b + k] >> 4) & 3 == 3:
                v = b + k
                break
        if v < 0:
            for k in range(w):
                meta[b + k] = meta[b + k] + 16
    return v, clk


@njit(cache=True)
def write_down(j, x, lb, t, timed, P, mp, dp, ds, tags, meta, ready, stamp, rec, bankfree,
               bankoff, rng, stats, g, clk, fch):
    """Write the line holding first-level line ``x`` (``lb`` bytes: a dirty victim of
    level ``j - 1``, or a write-through store) into level ``j``, and on down while it
    keeps missing a write-through or non-allocating level or evicting dirty lines; the
    last level writes to DRAM. ``t`` is the issue cycle. Returns ``(clk, fch)``: the
    replacement clock and the fixed-latency DRAM channel's free time."""
    S = P  # <<hole: structure-alias>>
    n = len(S)
    while j < n:
        li = x >> S[j, P_DSHIFT]
        stats[j, S_WBIN] += 1
        if S[j, P_SCRATCH]:
            if P[j, P_SPLO] <= li < P[j, P_SPHI]:
                break
            j += 1
            continue
        w = S[j, P_WAYS]
        s = set_index(li, P[j, P_POW2], P[j, P_MASK], P[j, P_SETS])
        b = P[j, P_TBASE] + s * w
        found = match(tags, b, li + 1, w)
        if timed:
            kb = P[j, P_BANKBASE] + bank_index(li, P[j, P_BANKS], P[j, P_BANKMASK])
            if bankfree[kb] > t:
                stats[j, S_BANKWAIT] += bankfree[kb] - t
                t = bankfree[kb]
            ri = P[j, P_REFINT]
            if ri > 0:
                ph = (t - bankoff[kb]) % ri
                if ph < P[j, P_REFBUSY]:
                    stats[j, S_REFWAIT] += P[j, P_REFBUSY] - ph
                    t += P[j, P_REFBUSY] - ph
            bankfree[kb] = t + P[j, P_BANKBUSY]
        if found != 0:
            pos = b + trailing_zeros(found)
            if S[j, P_POLICY] == LRU:
                if S[j, P_RECW]:
                    rx = P[j, P_RBASE] + s
                    rec[rx] = promote(rec[rx], pos - b)
                else:
                    clk += 1
                    stamp[pos] = clk
            elif S[j, P_POLICY] == SRRIP:
                meta[pos] = meta[pos] & 0xCF
            if S[j, P_WB]:
                meta[pos] = meta[pos] | 1
                break
            lb = S[j, P_LBYTES]
            j += 1
            continue
        if not (S[j, P_WA] and S[j, P_WB]):
            j += 1
            continue
        if S[j, P_RECW]:
            rx = P[j, P_RBASE] + s
            word, way = take_oldest(rec[rx], w)
            rec[rx] = word
            v = b + way
        else:
            v, clk = victim_by_scan(j, b, w, S[j, P_POLICY], tags, meta, stamp, rng, clk)
        old = tags[v] - 1
        oldm = meta[v]
        tags[v] = li + 1
        meta[v] = 1 | 32 if S[j, P_POLICY] == SRRIP else 1
        if timed:
            ready[v] = t
        stats[j, S_FILLS] += 1
        if old < 0:
            break
        stats[j, S_EVICT] += 1
        if not oldm & 1:
            break
        stats[j, S_WB] += 1
        x = old << S[j, P_DSHIFT]
        lb = S[j, P_LBYTES]
        j += 1
    if j >= n:
        g[G_DRAM_WR] += lb
        g[G_DRAM_WREQ] += 1
        if timed:
            if mp[2] != 0:
                # the DRAM model: a posted write of the last level's line
                dram_request(dp, ds, t, (x >> S[n - 1, P_DSHIFT]) << S[n - 1, P_LSHIFT], 1)
            else:
                fch = max(float(t), fch) + lb / mp[1]
    return clk, fch


@njit(cache=True)
def run_chunk(addr, kinds, sizes, default_size, timed, P, mp, dp, ds, tags, meta, ready,
              stamp, rec, mshr, mhead, bankfree, bankoff, rng, stats, g, f, hist, pf, pf_out,
              mtmp, issue):
    """Simulate one chunk of accesses, updating every state array in place; returns the
    index of a negative address (where it stopped) or -1."""
    S = P  # <<hole: structure-alias>>
    n = len(S)
    has_kind = kinds.size > 0
    has_size = sizes.size > 0
    # level-0 parameters as locals: loads from P cannot be hoisted by the compiler
    # (P may alias the state arrays it stores to)
    sh0 = S[0, P_LSHIFT]
    scratch0 = S[0, P_SCRATCH] != 0
    wb0 = S[0, P_WB] != 0
    wa0 = S[0, P_WA] != 0
    w0 = S[0, P_WAYS]
    lb0 = S[0, P_LBYTES]
    lru0 = S[0, P_POLICY] == LRU
    srrip0 = S[0, P_POLICY] == SRRIP
    recw0 = S[0, P_RECW] != 0
    hit0 = P[0, P_HITLAT]
    pow20 = P[0, P_POW2]
    tb0 = P[0, P_TBASE]
    mask0 = P[0, P_MASK]
    sets0 = P[0, P_SETS]
    mb0 = P[0, P_MSHRBASE]
    rb0 = P[0, P_RBASE]
    # a DRAM line read: channel time (the same division as per access, done once) and
    # latency (mp[1] > 0: the configuration requires a positive bandwidth); with a DRAM
    # model (mp[2] != 0) the model gives each read's completion (lat_rd: its idle latency)
    xfer_rd = S[n - 1, P_LBYTES] / mp[1]
    lat_rd = int(mp[0])
    dram = mp[2] != 0
    h2d = mp[3]  # the DRAM model's clock ratios (hierarchy to controller and back)
    d2h = mp[4]
    dsh = S[n - 1, P_DSHIFT]
    lsh = S[n - 1, P_LSHIFT]
    fch = f[0]  # the fixed-latency DRAM channel's free time
    # level-0 bank waits are impossible with one bank, no refresh and a bank free again
    # before the next issue: then the bank model is skipped for level 0
    bank0 = not (P[0, P_BANKS] == 1 and P[0, P_REFINT] == 0 and P[0, P_BANKBUSY] <= issue)
    refint0 = P[0, P_REFINT]
    refbusy0 = P[0, P_REFBUSY]
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
            kb0 = P[0, P_BANKBASE] + bank_index(last, P[0, P_BANKS], P[0, P_BANKMASK])
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
                    # the level-0 bank of the last line, kept in registers
                    if bf0 > t:
                        stats[0, S_BANKWAIT] += bf0 - t
                        t = bf0
                    if refint0 > 0:
                        ph = (t - bankoff[kb0]) % refint0
                        if ph < refbusy0:
                            stats[0, S_REFWAIT] += refbusy0 - ph
                            t += refbusy0 - ph
                    bf0 = t + busy0
                    bankfree[kb0] = bf0
                t += hit0
                if rlast > t:
                    t = rlast
                lat = t - now
                lat_sum += lat
                if lat > lat_max:
                    lat_max = lat
                if lat != hl:
                    hist[hl if hl < hmax else hmax] += hr
                    hl = lat
                    hr = 0
                hr += 1
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
                        if bf0 > t:
                            stats[0, S_BANKWAIT] += bf0 - t
                            t = bf0
                        if refint0 > 0:
                            ph = (t - bankoff[kb0]) % refint0
                            if ph < refbusy0:
                                stats[0, S_REFWAIT] += refbusy0 - ph
                                t += refbusy0 - ph
                        bf0 = t + busy0
                        bankfree[kb0] = bf0
                    t += hit0
                    if rlast > t:
                        t = rlast
                    lat = t - want
                    lat_sum += lat
                    if lat > lat_max:
                        lat_max = lat
                    if lat != hl:
                        hist[hl if hl < hmax else hmax] += hr
                        hl = lat
                        hr = 0
                    hr += 1
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
                s = set_index(x, pow20, mask0, sets0)
                b = tb0 + s * w0
                found = match(tags, b, x + 1, w0)
                if timed and bank0:
                    kb0 = P[0, P_BANKBASE] + bank_index(x, P[0, P_BANKS], P[0, P_BANKMASK])
                    if bankfree[kb0] > t:
                        stats[0, S_BANKWAIT] += bankfree[kb0] - t
                        t = bankfree[kb0]
                    if refint0 > 0:
                        ph = (t - bankoff[kb0]) % refint0
                        if ph < refbusy0:
                            stats[0, S_REFWAIT] += refbusy0 - ph
                            t += refbusy0 - ph
                    bf0 = t + busy0
                    bankfree[kb0] = bf0
                if found != 0:
                    pos = b + trailing_zeros(found)
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
                    if lru0:
                        if recw0:
                            rec[rb0 + s] = promote(rec[rb0 + s], pos - b)
                        else:
                            clk += 1
                            stamp[pos] = clk
                    elif srrip0:
                        meta[pos] = meta[pos] & 0xCF
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
                            mf = mshr[mb0 + mhead[0]]
                            m0 = 1
                            if mf > t:
                                # all MSHRs busy: the core stalls until one frees
                                wait = mf - t
                                stats[0, S_MSHRWAIT] += wait
                                stall += wait
                                t += wait
                                now += wait
            # ---- the prefetcher trains on each access to a new first-level line: it
            # reads x, hit and its state pf, writes lines into pf_out and sets npf ----
            npf = 0
            if not scratch0:
                npf = 0  # <<hole: prefetch-hook>>
            # ---- requests below the first level: the demand miss, then prefetches ----
            nreq = npf + (1 if demand else 0)
            for r in range(nreq):
                is_pf = not (demand and r == 0)
                if is_pf:
                    y = pf_out[r - 1 if demand else r]
                    if y < 0:
                        continue
                    s = set_index(y, pow20, mask0, sets0)
                    if match(tags, tb0 + s * w0, y + 1, w0) != 0:
                        g[G_PF_REDUNDANT] += 1
                        continue
                    mm = -1
                    if timed:
                        mf = mshr[mb0 + mhead[0]]
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
                # look the line up from level j0 down, to the first level that holds it
                hit_lvl = n
                for i in range(j0, n):
                    li = y >> S[i, P_DSHIFT]
                    mtmp[i] = -1
                    pos = -1
                    if S[i, P_SCRATCH]:
                        held = P[i, P_SPLO] <= li < P[i, P_SPHI]
                        if not held:
                            stats[i, S_BYPASS] += 1
                            continue
                    else:
                        wi = S[i, P_WAYS]
                        s = set_index(li, P[i, P_POW2], P[i, P_MASK], P[i, P_SETS])
                        b = P[i, P_TBASE] + s * wi
                        found = match(tags, b, li + 1, wi)
                        held = found != 0
                        if held:
                            pos = b + trailing_zeros(found)
                    if timed:
                        kb = P[i, P_BANKBASE] + bank_index(li, P[i, P_BANKS], P[i, P_BANKMASK])
                        if bankfree[kb] > tt:
                            stats[i, S_BANKWAIT] += bankfree[kb] - tt
                            tt = bankfree[kb]
                        ri = P[i, P_REFINT]
                        if ri > 0:
                            ph = (tt - bankoff[kb]) % ri
                            if ph < P[i, P_REFBUSY]:
                                stats[i, S_REFWAIT] += P[i, P_REFBUSY] - ph
                                tt += P[i, P_REFBUSY] - ph
                        bankfree[kb] = tt + P[i, P_BANKBUSY]
                    if held:
                        stats[i, S_HITS] += 1
                        if timed:
                            tt += P[i, P_HITLAT]
                            if pos >= 0 and ready[pos] > tt:
                                tt = ready[pos]
                        if pos >= 0:
                            if S[i, P_POLICY] == LRU:
                                if S[i, P_RECW]:
                                    rx = P[i, P_RBASE] + s
                                    rec[rx] = promote(rec[rx], pos - b)
                                else:
                                    clk += 1
                                    stamp[pos] = clk
                            elif S[i, P_POLICY] == SRRIP:
                                meta[pos] = meta[pos] & 0xCF
                        hit_lvl = i
                        break
                    stats[i, S_MISSES] += 1
                    if timed:
                        tt += P[i, P_HITLAT]
                        mf = mshr[P[i, P_MSHRBASE] + mhead[i]]
                        if mf > tt:
                            stats[i, S_MSHRWAIT] += mf - tt
                            tt = mf
                        mtmp[i] = 1
                if hit_lvl == n:
                    lb = S[n - 1, P_LBYTES]
                    g[G_DRAM_RD] += lb
                    g[G_DRAM_REQ] += 1
                    if timed:
                        if dram:
                            td = dram_read_fast(dp, ds, tt, (y >> dsh) << lsh, h2d, d2h)
                            if td < 0:
                                td = dram_request(dp, ds, tt, (y >> dsh) << lsh, 0)
                            if td - tt > lat_rd:
                                g[G_DRAM_QWAIT] += td - tt - lat_rd
                            tt = td
                        else:
                            fs = max(float(tt), fch)
                            g[G_DRAM_QWAIT] += int(fs - tt)
                            fch = fs + xfer_rd
                            tt = int(np.ceil(fch)) + lat_rd
                # fill every cache level that missed, the lowest first
                slot0 = -1
                for j in range(hit_lvl - 1, -1, -1):
                    if S[j, P_SCRATCH]:
                        continue
                    lj = y >> S[j, P_DSHIFT]
                    wj = S[j, P_WAYS]
                    s = set_index(lj, P[j, P_POW2], P[j, P_MASK], P[j, P_SETS])
                    b = P[j, P_TBASE] + s * wj
                    if S[j, P_RECW]:
                        rx = P[j, P_RBASE] + s
                        word, way = take_oldest(rec[rx], wj)
                        rec[rx] = word
                        v = b + way
                    else:
                        v, clk = victim_by_scan(j, b, wj, S[j, P_POLICY], tags, meta, stamp,
                                                rng, clk)
                    old = tags[v] - 1
                    oldm = meta[v]
                    m = 0
                    if j == 0:
                        if is_pf:
                            m = 2
                        elif st and wb0:
                            m = 1
                    if S[j, P_POLICY] == SRRIP:
                        m = m | 32
                    tags[v] = lj + 1
                    meta[v] = m
                    if timed:
                        ready[v] = tt
                    stats[j, S_FILLS] += 1
                    if is_pf:
                        stats[j, S_PFFILLS] += 1
                    if timed and (mm if j == 0 else mtmp[j]) >= 0:
                        # the MSHR frees at tt: insert it into the level's sorted ring
                        mb = P[j, P_MSHRBASE]
                        nm = P[j, P_MSHRS]
                        q = mhead[j]
                        h2 = q + 1
                        if h2 == nm:
                            h2 = 0
                        mhead[j] = h2
                        cnt = nm - 1
                        while cnt > 0:
                            prev = q - 1
                            if prev < 0:
                                prev = nm - 1
                            if mshr[mb + prev] <= tt:
                                break
                            mshr[mb + q] = mshr[mb + prev]
                            q = prev
                            cnt -= 1
                        mshr[mb + q] = tt
                    if j == 0:
                        slot0 = v
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
                            clk, fch = write_down(j + 1, old << S[j, P_DSHIFT],
                                                  S[j, P_LBYTES], now, timed, P, mp, dp, ds,
                                                  tags, meta, ready, stamp, rec, bankfree,
                                                  bankoff, rng, stats, g, clk, fch)
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
                clk, fch = write_down(1, x, lb0, now, timed, P, mp, dp, ds, tags, meta, ready,
                                      stamp, rec, bankfree, bankoff, rng, stats, g, clk, fch)
            if timed:
                if last >= 0:
                    rlast = ready[lastslot]
                lat = done - want
                lat_sum += lat
                if lat > lat_max:
                    lat_max = lat
                if lat != hl:
                    hist[hl if hl < hmax else hmax] += hr
                    hl = lat
                    hr = 0
                hr += 1
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
    S = P  # <<hole: structure-alias>>
    if S[0, P_SCRATCH]:
        return 0
    c = 0
    lo = P[0, P_TBASE]
    for k in range(lo, lo + P[0, P_SETS] * S[0, P_WAYS]):
        if tags[k] > 0 and meta[k] & 2:
            c += 1
    return c
