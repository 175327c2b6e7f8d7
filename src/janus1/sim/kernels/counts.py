"""The counts-only kernels: a template completed per hierarchy shape.

Used by ``simulate(..., counts_only=True, prefetcher="none")`` when every level is a
write-back, write-allocate LRU or FIFO cache with at most 16 ways (the common case and
the pycachesim comparison). They give exactly the counts of the timed kernel
(:mod:`janus1.sim.kernels.timed`) and are several times faster:

- each level is unrolled with its ways, line shift and set mask as constants, so a tag
  search is one fixed-width vector compare (``match_W``, :mod:`janus1.sim.kernels.ops`)
  and the lookups below the first level are nested ``if``s, the next level's only in
  the ``else`` of the level above;
- tags hold line + 1 (0 = invalid: a zeroed array is an empty cache, and pages the
  trace never reaches are never written), as int32 while the lines fit (addresses
  below 2^37 bytes with 64-byte lines: an 8-way set is 32 bytes, one 256-bit compare,
  and the tags of a 256 KiB cache fit in 16 KiB of the host's first-level cache). The
  loop stops at an access whose last line does not fit; the engine then widens the
  tags to int64 (the same slots) and calls the kernel again from that access, which
  numba has compiled for int64 tags (``lane_match``/``lane_mtf`` take either width).
  The tag array is 64-byte aligned and every level starts on a 64-byte boundary;
- the trace is fetched :data:`AHEAD` accesses ahead (``prefetch``): without it the
  hardware prefetcher leaves the loop waiting on the address stream (a loop that only
  reads 10^7 addresses ran at 60% of its speed with the prefetch);
- an absent ``sizes`` or ``kinds`` is ``None``: numba compiles a variant without
  their branches (``if sizes is not None`` is decided at compile time);
- one unsigned compare per access catches both a negative address and, with int32
  tags, one past the last line they hold;
- a repeat of the line just accessed is counted without a lookup;
- lookups branch on hit or miss (predicted) rather than computing the way to move
  from the compare: with a branch the move-to-front does not wait for the compare,
  and the branch-free form was a third slower on the uniform trace;
- counters live in local variables during the loop (numba cannot keep array elements
  in registers: the arrays may alias) and are added to ``stats``/``g`` at the end;
- nothing is called per access (numba reference-counts arrays passed to helpers).

Two kernels, one state layout: each set's tags are kept in recency order (lane 0 the
most recent; FIFO: the most recently filled) and updated with one vector move-to-front
(``mtf_W``): a hit moves its lane to the front, a fill puts the new line in front and
the last lane (the oldest line, or an invalid one: zeros stay behind the valid lines)
falls out. ``dirty`` holds one word per set, bit k for lane k, kept in the same order
(:func:`dirty_to_front`, :func:`dirty_fill`).

- :func:`run_loads` (until the first store): no dirty bits. It counts first-level
  misses and lower-level hits only; the misses and fills below follow at the end
  (every miss fills, and level i+1 sees the misses of level i), evictions in the
  engine (fills beyond the lines now valid).
- :func:`run_stores` (from the first store on): counts everything in the loop, keeps
  the dirty bits and writes dirty victims down level by level. The words are all zero
  while :func:`run_loads` runs (nothing is dirty), so the engine switches kernels
  without converting anything.

This file is valid Python, but not a kernel by itself: the generator
(:func:`janus1.sim.kernels.build.counts_source`) fills its holes (the lines marked
``# <<hole: NAME>>``) with the per-shape code: the intrinsic imports, the first-level
line shift, the per-line body (``loads-line``, ``stores-line``), the local counters
and their flush (``*-counters``, ``*-flush``), the first level's slot of the last
line (``last-slot``) and the loads-only epilogue (``derive``).
``tests/sim/test_kernel_source.py`` keeps a snapshot of one generated module.
"""

import numpy as np
from numba import njit

from janus1.sim.kernels.ops import (dirty_fill, dirty_to_front, lane_top,  # noqa: F401
                                   prefetch, trailing_zeros)
from janus1.sim.layout import (G_DRAM_RD, G_DRAM_REQ, G_DRAM_WR, G_DRAM_WREQ,  # noqa: F401
                               G_LAST, G_LASTSLOT, G_LINEACC, G_REQS, G_STORES, S_EVICT,
                               S_FILLS, S_HITS, S_MISSES, S_STORES, S_WB, S_WBIN)

# <<hole: intrinsics>>

# how far ahead of the access being simulated its trace arrays are fetched into the host's
# cache (in accesses: 8 KiB of addresses); the hardware's own prefetcher falls behind
AHEAD = 1024


@njit(cache=True)
def run_loads(addr, kinds, sizes, default_size, tags, dirty, stats, g):
    """Loads only (``kinds`` is ignored: all zero while this kernel is used). Returns
    the index where it stopped (a negative address, or a line beyond int32 tags) or
    -1."""
    last = g[G_LAST]
    lastslot = g[G_LASTSLOT]
    miss0 = 0
    nacc = addr.size
    bad = -1
    extra = 0
    dsz1 = default_size - 1
    sh0 = 6  # <<hole: line-shift>>
    # where the loop stops: at a negative address (an error) and, with int32 tags (line
    # + 1 up to 2^31 - 1), at an access whose last byte lies beyond line 2^31 - 2 (the
    # engine then widens the tags to int64 and goes on from that access); unsigned
    # compares, so one test catches both
    top = lane_top(tags)  # 2^31 - 1 for int32 tags
    wide = top > 2**31
    emax = np.uint64((top << sh0) - 1)  # int32 tags: the last byte of line 2^31 - 2
    amax = np.uint64(top if wide else (top << sh0) - 1 - dsz1)
    # <<hole: loads-counters>>
    for idx in range(nacc):
        prefetch(addr, idx + AHEAD)
        a = addr[idx]
        if sizes is not None:
            prefetch(sizes, idx + AHEAD)
            sz = sizes[idx]
            if sz < 1:
                sz = 1
            e = a + sz - 1
        else:
            e = a + dsz1  # the access's last byte
        if np.uint64(a) > amax or (sizes is not None and not wide and np.uint64(e) > emax):
            bad = idx
            break
        x = a >> sh0
        xe = e >> sh0
        pass  # <<hole: loads-line>>
        if xe != x:
            # the further lines of an access that crosses line boundaries (rare)
            for x in range(x + 1, xe + 1):
                extra += 1
                pass  # <<hole: loads-line>>
    # <<hole: loads-flush>>
    lineacc = (nacc if bad < 0 else bad) + extra
    hits0 = lineacc - miss0
    stats[0, S_HITS] += hits0
    if last >= 0:
        # the slot of the last line (resident: only a miss evicts, and a miss makes its
        # own line the last)
        pass  # <<hole: last-slot>>
    # <<hole: derive>>
    g[G_LAST] = last
    g[G_LASTSLOT] = lastslot
    g[G_LINEACC] += lineacc
    g[G_REQS] += nacc if bad < 0 else bad
    return bad


@njit(cache=True)
def run_stores(addr, kinds, sizes, default_size, tags, dirty, stats, g):
    """Loads and stores (``kinds``: 0 load, else store). Returns the index where it
    stopped (a negative address, or a line beyond int32 tags) or -1."""
    last = g[G_LAST]
    lastslot = g[G_LASTSLOT]
    miss0 = 0
    nstores = 0
    nacc = addr.size
    bad = -1
    extra = 0
    dsz1 = default_size - 1
    sh0 = 6  # <<hole: line-shift>>
    # where the loop stops: at a negative address (an error) and, with int32 tags (line
    # + 1 up to 2^31 - 1), at an access whose last byte lies beyond line 2^31 - 2 (the
    # engine then widens the tags to int64 and goes on from that access); unsigned
    # compares, so one test catches both
    top = lane_top(tags)  # 2^31 - 1 for int32 tags
    wide = top > 2**31
    emax = np.uint64((top << sh0) - 1)  # int32 tags: the last byte of line 2^31 - 2
    amax = np.uint64(top if wide else (top << sh0) - 1 - dsz1)
    # <<hole: stores-counters>>
    for idx in range(nacc):
        prefetch(addr, idx + AHEAD)
        a = addr[idx]
        if sizes is not None:
            prefetch(sizes, idx + AHEAD)
            sz = sizes[idx]
            if sz < 1:
                sz = 1
            e = a + sz - 1
        else:
            e = a + dsz1  # the access's last byte
        if np.uint64(a) > amax or (sizes is not None and not wide and np.uint64(e) > emax):
            bad = idx
            break
        x = a >> sh0
        xe = e >> sh0
        st = 0  # 1 for a store
        if kinds is not None:
            prefetch(kinds, idx + AHEAD)
            if kinds[idx] != 0:
                st = 1
                nstores += 1
        pass  # <<hole: stores-line>>
        if xe != x:
            # the further lines of an access that crosses line boundaries (rare)
            for x in range(x + 1, xe + 1):
                extra += 1
                pass  # <<hole: stores-line>>
    # <<hole: stores-flush>>
    lineacc = (nacc if bad < 0 else bad) + extra
    hits0 = lineacc - miss0
    stats[0, S_HITS] += hits0
    stats[0, S_STORES] += nstores
    stats[0, S_MISSES] += miss0
    g[G_LAST] = last
    g[G_LASTSLOT] = lastslot
    g[G_LINEACC] += lineacc
    g[G_REQS] += nacc if bad < 0 else bad
    g[G_STORES] += nstores
    return bad
