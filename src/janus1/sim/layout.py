"""Named columns of the simulator's integer state arrays.

The compiled kernels (:mod:`janus1.sim.kernels`) and the engine that builds their
state (:mod:`janus1.sim.state`) agree on these names only; nothing indexes a state
array with a bare number. numba reads module-level integers as compile-time constants,
so a named column costs nothing.

- ``P[level, P_*]``: per-level parameters. The structural ones (:data:`STRUCTURAL`)
  decide which code runs (levels, ways, policies, line shifts, write policy); a
  specialised timed kernel compiles them in as constants. The rest (sizes, latencies,
  banks, MSHRs, refresh) stay run-time values, so a sweep over them reuses a kernel.
- ``stats[level, S_*]``: per-level counters.
- ``g[G_*]``: global counters and clocks.
"""

from __future__ import annotations

__all__ = ["LRU", "FIFO", "RANDOM", "SRRIP", "POLICY_CODES", "STRUCTURAL", "RUNTIME", "NP",
           "NS", "NG", "META_DIRTY", "META_PREFETCHED", "META_RRPV_SHIFT",
           "RANK_BITS", "MAX_RANK_WAYS",
           "P_DSHIFT", "P_SETS", "P_MASK", "P_POW2", "P_WAYS", "P_TBASE",
           "P_POLICY", "P_HITLAT", "P_BANKS", "P_BANKBUSY", "P_BANKBASE", "P_MSHRS",
           "P_MSHRBASE", "P_REFINT", "P_REFBUSY", "P_WB", "P_WA", "P_SCRATCH",
           "P_SPLO", "P_SPHI", "P_LBYTES", "P_LSHIFT", "P_RECW", "P_RBASE",
           "P_BANKMASK", "S_HITS", "S_MISSES", "S_EVICT", "S_WB", "S_FILLS",
           "S_WBIN", "S_STORES", "S_BANKWAIT", "S_REFWAIT", "S_MSHRWAIT", "S_BYPASS",
           "S_PFFILLS", "G_NOW", "G_LAST", "G_LASTSLOT", "G_DRAM_RD", "G_DRAM_WR",
           "G_STALL", "G_LINEACC", "G_REQS", "G_PF_ISSUED", "G_PF_USEFUL", "G_PF_LATE",
           "G_PF_DROPPED", "G_PF_REDUNDANT", "G_LAT_SUM", "G_LAT_MAX", "G_END", "G_DRAM_QWAIT",
           "G_DRAM_REQ", "G_PF_USELESS", "G_STORES", "G_DRAM_WREQ", "G_CLOCK"]

# ---- replacement policy codes (``P[i, P_POLICY]``) ----
LRU = 0
FIFO = 1
RANDOM = 2
SRRIP = 3
POLICY_CODES = {"lru": LRU, "fifo": FIFO, "random": RANDOM, "srrip": SRRIP}

# ---- per-level parameter columns ----
P_DSHIFT = 0     # log2(line of this level / line of level 0)
P_SETS = 1
P_MASK = 2       # sets - 1 (when sets is a power of two)
P_POW2 = 3       # 1 if sets is a power of two
P_WAYS = 4
P_TBASE = 5      # first index of this level in tags/meta/ready/stamp
P_POLICY = 6     # replacement policy code
P_HITLAT = 7     # lookup latency, cycles
P_BANKS = 8
P_BANKBUSY = 9   # cycles a bank stays busy per access
P_BANKBASE = 10  # first index in bankfree/bankoff
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
P_RECW = 22      # 1: LRU/FIFO order kept in one 64-bit rank word per set (<= 16 ways)
P_RBASE = 23     # first index of this level's words in rec
P_BANKMASK = 24  # banks - 1 when the bank count is a power of two, else -1
NP = 25

# the columns a specialised kernel compiles in (the number of levels too)
STRUCTURAL = (P_DSHIFT, P_WAYS, P_POLICY, P_SCRATCH, P_WB, P_WA, P_LBYTES, P_LSHIFT, P_RECW)
RUNTIME = tuple(c for c in range(NP) if c not in STRUCTURAL)

# ---- per-level statistics columns ----
S_HITS = 0
S_MISSES = 1
S_EVICT = 2      # valid lines replaced
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

# ---- global counters and clocks ----
G_NOW = 0            # issue cycle of the latest line access
G_LAST = 1           # last first-level line accessed (-1 none)
G_LASTSLOT = 2       # its index in tags
G_DRAM_RD = 3        # bytes read from DRAM
G_DRAM_WR = 4        # bytes written to DRAM
G_STALL = 5          # cycles the core waited to issue (MSHRs full)
G_LINEACC = 6        # line accesses (an access crossing a line counts twice)
G_REQS = 7           # trace accesses
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
G_DRAM_WREQ = 20     # DRAM line writes
G_CLOCK = 21         # replacement clock (LRU/FIFO stamps)
NG = 24

# ---- bits of ``meta`` (one byte per way) ----
META_DIRTY = 1        # bit 0: the line is dirty
META_PREFETCHED = 2   # bit 1: filled by a prefetch and not used yet
META_RRPV_SHIFT = 4   # bits 4-5: SRRIP re-reference prediction value

# ---- rank words (LRU/FIFO order of a set of <= 16 ways in one int64) ----
RANK_BITS = 4         # nibble r holds the way at rank r (0 = most recent)
MAX_RANK_WAYS = 16    # 16 nibbles fill the word
