"""The DRAM backing store of the cycle-level simulator: one request at a time, compiled.

The timed cache kernel (:mod:`janus1.sim.kernels.timed`) needs a miss's completion
cycle when it issues the miss (it becomes the line's ready time and frees an MSHR),
so it cannot wait for the batch controller of :mod:`._kernel`, which decides what to
issue from requests that arrive later (FR-FCFS). This model schedules each request
when it arrives, on the same :class:`~janus1.sim.dram.spec.DramSpec`: the same address
mapping, the same timing table (``model._tables``: DRAMsim3's constraints, applied at
bank, bank-group and rank level), refresh, activation windows and IDD energy.

Per channel it keeps two command streams in time order: row commands (ACT, REF, REFB)
and column commands (RD, WR, or RDA/WRA under the close-page policy). A request takes
the open row if it is its own (a row hit), else a PRE (if another row is open: as
early as its bank allows, outside the row stream) and an ACT, each at the earliest
cycle its timing allows and, for ACT, not before the previous row command; then its
column command, not before the previous column command. Banks therefore work in
parallel (an ACT may be issued while an earlier request waits for its data), but a
later request never overtakes an earlier one on the data bus: this is first come,
first served, where DRAMsim3 would let a later row hit go first. Every constraint an
earlier command sets is in the tables when a later one is placed, and each stream is
in time order, so no command is placed before one that constrains it. Unlike DRAMsim3
there is no one-command-per-cycle limit: a row and a column command may share a cycle.

Writes are posted: they enter the channel's write buffer (``trans_queue_size``
entries) and are issued all at once when it is full, or when more than
``write_drain_low`` wait and the channel has been idle since before the arriving
request (DRAMsim3 drains in both cases); a read of an address waiting there is
served from it the next cycle. Refresh units (ranks, or banks under per-bank
refresh) fall due every refresh interval, staggered as DRAMsim3 staggers them; a due
refresh precharges its banks and issues before the next request that would start
after it.

Clocks: requests arrive in hierarchy cycles and are converted to controller cycles
rounded up (``ceil(t * period_h / period_d)``, the periods in whole femtoseconds, so a
3 GHz clock is 333,333 fs: a drift of 1e-6); completions go back rounded up the same
way.

State lives in two int64 arrays: ``dp`` (parameters, offsets and the timing table,
``D_*`` indices) and ``ds`` (everything that changes, at the offsets ``dp`` holds).
Two arrays, because the cache kernel calls :func:`dram_request` per DRAM request and
numba pays a reference-count update per array argument.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._kernel import (ACT, N_SLOTS, PRE, RD, RDA, REF, REF_BANK_STAGGERED, REFB, S_ACT, S_PRE,
                      S_RD, S_REF, S_REFB, S_WR, WR, WRA)

# ---- dp: parameters ------------------------------------------------------------------
# what a streak read (see _read_hit) needs comes first: its three host cache lines
(D_NBURST, D_CAPMASK, D_SHIFT, D_PH, D_PD, D_O_CH, D_CLOSE, D_RDELAY) = range(8)
D_POS = 8             # 6 field positions: ch ra bg ba ro co
D_MASK = 14           # 6 field masks
D_RR = 20             # RD to RD on the same bank (a copy of the RD table's)
D_KEYMASK = 21        # the burst-address bits that are not the column: (channel, bank, row)
(D_NCH, D_NRANKS, D_NBANKS, D_NBG, D_BPG, D_TFAW, D_T32AW, D_REFPOL, D_REFPERIOD,
 D_REFSTEP, D_NUNITS, D_WBCAP, D_DRAIN, D_REQBYTES) = range(22, 36)
# offsets of the state blocks in ds
(D_O_OPEN, D_O_HITS, D_O_NXB, D_O_NXG, D_O_NXR, D_O_FAW, D_O_AW, D_O_OCNT, D_O_PWR,
 D_O_REF, D_O_WB, D_O_CNT) = range(36, 48)
D_TAB_N = 48          # timing table: counts (8 types x 4 relations)
D_TAB_S = D_TAB_N + 32           # slots (8 x 4 x N_SLOTS)
D_TAB_D = D_TAB_S + 32 * N_SLOTS  # delays
D_RDT = D_TAB_D + 32 * N_SLOTS  # a RD's delays by relation (4) and slot (-1: none)
D_BMAP = D_RDT + 4 * N_SLOTS    # per flat bank: its rank, then its flat bank group
N_DP = D_BMAP  # plus 2 x (ranks x banks) entries of the bank map

# ---- ds: per-channel scalars (block D_O_CH, N_CH per channel) -------------------------
(CH_COL_T, CH_WB_N, CH_REF_NEXT, CH_SK_KEY, CH_SK_N, CH_READS, CH_RLAT_SUM, CH_SK_BANK,
 CH_LAST_DONE, CH_ROW_T) = range(10)
N_CH = 10
# rank power states per (channel, rank): active and idle cycles, and since when
PW_ACTIVE, PW_IDLE, PW_FROM = range(3)
PW_LEN = 3
# activation windows per (channel, rank): head, count, then the entries
FAW_LEN = 2 + 4
AW_LEN = 2 + 32
# per-channel counters (block D_O_CNT, N_K per channel)
K_ACT, K_PRE, K_REF, K_REFB, K_RD, K_RDHIT, K_WR, K_WRHIT, K_WRITES, K_FWD = range(10)
N_K = 10
WB_LEN = 2            # write-buffer entry: burst address, arrival cycle


@njit(cache=True, inline="always")
def _scale(t, num, den, ratio):
    """ceil(t x num / den) for t >= 0, from the float estimate t x ratio (ratio =
    num / den, computed once by the caller) corrected exactly."""
    a = t * num
    q = np.int64(t * ratio)
    while q * den < a:
        q += 1
    while q > 0 and (q - 1) * den >= a:
        q -= 1
    return q


@njit(cache=True, inline="always")
def _nx(dp, ds, c, b, s):
    """Earliest cycle bank ``b`` of channel ``c`` may take a command of slot ``s``: the
    latest of its bank, bank-group and rank constraints (see ``_kernel``)."""
    nr = dp[D_NRANKS]
    nb = nr * dp[D_NBANKS]
    v = ds[dp[D_O_NXB] + (c * nb + b) * N_SLOTS + s]
    g = ds[dp[D_O_NXG] + (c * nr * dp[D_NBG] + dp[D_BMAP + nb + b]) * N_SLOTS + s]
    r = ds[dp[D_O_NXR] + (c * nr + dp[D_BMAP + b]) * N_SLOTS + s]
    if g > v:
        v = g
    if r > v:
        v = r
    return v


@njit(cache=True, inline="always")
def _act_window(dp, ds, c, r, t):
    """Earliest cycle >= t at which tFAW (and t32AW) allow an ACT in rank r."""
    o = dp[D_O_FAW] + (c * dp[D_NRANKS] + r) * FAW_LEN
    if ds[o + 1] >= 4:
        f = ds[o + 2 + ds[o]]
        if f > t:
            t = f
    if dp[D_T32AW] > 0:
        o = dp[D_O_AW] + (c * dp[D_NRANKS] + r) * AW_LEN
        if ds[o + 1] >= 32:
            f = ds[o + 2 + ds[o]]
            if f > t:
                t = f
    return t


@njit(cache=True, inline="always")
def _push_window(ds, o, size, t, until):
    """Record an ACT at t in the ring at ``o`` (entries expire at ``until``)."""
    if ds[o + 1] > 0 and t >= ds[o + 2 + ds[o]]:
        ds[o] = 0 if ds[o] + 1 == size else ds[o] + 1
        ds[o + 1] -= 1
    k = ds[o] + ds[o + 1]
    ds[o + 2 + (k - size if k >= size else k)] = until
    ds[o + 1] += 1


@njit(cache=True, inline="always")
def _account(ds, o, active, t):
    """A rank's power state changes at cycle t: the cycles since its last change go to
    active (some bank open) or idle (all precharged). ``o``: the rank's PWR entry."""
    d = t - ds[o + PW_FROM]
    if d > 0:
        ds[o + (PW_ACTIVE if active else PW_IDLE)] += d
        ds[o + PW_FROM] = t


@njit(cache=True, inline="always")
def _issue(dp, ds, c, ty, b, t, row):
    """Issue command ``ty`` to bank ``b`` of channel ``c`` at cycle ``t``: counters,
    bank state, activation windows and timing (DRAMsim3 UpdateState/UpdateTiming)."""
    nr = dp[D_NRANKS]
    nb = nr * dp[D_NBANKS]
    r = dp[D_BMAP + b]
    kc = dp[D_O_CNT] + c * N_K
    ob = dp[D_O_OPEN] + c * nb + b
    oh = dp[D_O_HITS] + c * nb + b
    oc = dp[D_O_OCNT] + c * nr + r
    if ty == RD or ty == RDA:
        ds[kc + K_RD] += 1
        if ds[oh] != 0:
            ds[kc + K_RDHIT] += 1
    elif ty == WR or ty == WRA:
        ds[kc + K_WR] += 1
        if ds[oh] != 0:
            ds[kc + K_WRHIT] += 1
    elif ty == ACT:
        ds[kc + K_ACT] += 1
    elif ty == PRE:
        ds[kc + K_PRE] += 1
    elif ty == REF:
        ds[kc + K_REF] += 1
    else:
        ds[kc + K_REFB] += 1
    if ty == RD or ty == WR:
        ds[oh] += 1
    elif ty == RDA or ty == WRA or ty == PRE:
        if ds[ob] >= 0:
            ds[oc] -= 1
            if ds[oc] == 0:  # the rank goes idle
                _account(ds, dp[D_O_PWR] + (c * nr + r) * PW_LEN, True, t)
        ds[ob] = -1
        ds[oh] = 0
    elif ty == ACT:
        ds[ob] = row
        ds[oh] = 0
        if ds[oc] == 0:  # the rank becomes active
            _account(ds, dp[D_O_PWR] + (c * nr + r) * PW_LEN, False, t)
        ds[oc] += 1
        _push_window(ds, dp[D_O_FAW] + (c * nr + r) * FAW_LEN, 4, t, t + dp[D_TFAW])
        if dp[D_T32AW] > 0:
            _push_window(ds, dp[D_O_AW] + (c * nr + r) * AW_LEN, 32, t, t + dp[D_T32AW])
    _timing(dp, ds, c, ty, b, r, t)


@njit(cache=True, inline="always")
def _table_row(dp, ds, k, base, t):
    """Row ``k`` (type x 4 + relation) of the timing table, applied at ``base``."""
    for m in range(dp[D_TAB_N + k]):
        at = base + dp[D_TAB_S + k * N_SLOTS + m]
        v = t + dp[D_TAB_D + k * N_SLOTS + m]
        if v > ds[at]:
            ds[at] = v


@njit(cache=True, inline="always")
def _timing(dp, ds, c, ty, b, r, t):
    """The constraints command ``ty`` at cycle ``t`` on bank ``b`` (rank ``r``) of
    channel ``c`` sets: relation 0 the bank, 1 its bank group, 2 its rank, 3 the other
    ranks (DRAMsim3 UpdateTiming, the table of ``model._tables``)."""
    nr = dp[D_NRANKS]
    nb = nr * dp[D_NBANKS]
    _table_row(dp, ds, ty * 4, dp[D_O_NXB] + (c * nb + b) * N_SLOTS, t)
    _table_row(dp, ds, ty * 4 + 1,
               dp[D_O_NXG] + (c * nr * dp[D_NBG] + dp[D_BMAP + nb + b]) * N_SLOTS, t)
    _table_row(dp, ds, ty * 4 + 2, dp[D_O_NXR] + (c * nr + r) * N_SLOTS, t)
    k = ty * 4 + 3
    if dp[D_TAB_N + k] > 0:
        for rr in range(nr):
            if rr != r:
                base = dp[D_O_NXR] + (c * nr + rr) * N_SLOTS
                for m in range(dp[D_TAB_N + k]):
                    at = base + dp[D_TAB_S + k * N_SLOTS + m]
                    v = t + dp[D_TAB_D + k * N_SLOTS + m]
                    if v > ds[at]:
                        ds[at] = v


@njit(cache=True)
def _row_cmd(dp, ds, c, ty, b, t, row, slot):
    """A row command (PRE, ACT, REF, REFB) at the earliest cycle >= t that its timing
    and the channel's row-command stream allow; returns that cycle."""
    oc = dp[D_O_CH] + c * N_CH
    if ty != PRE and ds[oc + CH_ROW_T] > t:
        t = ds[oc + CH_ROW_T]
    s = _nx(dp, ds, c, b, slot)
    if s > t:
        t = s
    if ty == ACT:
        t = _act_window(dp, ds, c, dp[D_BMAP + b], t)
    _issue(dp, ds, c, ty, b, t, row)
    if ty != PRE:
        ds[oc + CH_ROW_T] = t
    return t


@njit(cache=True)
def _refresh_upto(dp, ds, c, t):
    """Issue every refresh of channel ``c`` due at or before cycle ``t``, earliest
    first: precharge the unit's open banks, then REF (a rank) or REFB (a bank)."""
    nunits = dp[D_NUNITS]
    nr = dp[D_NRANKS]
    nbk = dp[D_NBANKS]
    nb = nr * nbk
    o_ref = dp[D_O_REF] + c * nunits
    o_open = dp[D_O_OPEN] + c * nb
    bank_pol = dp[D_REFPOL] == REF_BANK_STAGGERED
    oc = dp[D_O_CH] + c * N_CH
    if ds[oc + CH_REF_NEXT] > t:
        return
    while True:
        u = -1
        due = t + 1
        nxt = ds[o_ref]
        for k in range(nunits):
            if ds[o_ref + k] < due:
                due = ds[o_ref + k]
                u = k
            if ds[o_ref + k] < nxt:
                nxt = ds[o_ref + k]
        if u < 0:
            ds[oc + CH_REF_NEXT] = nxt
            return
        if bank_pol:
            # unit k: bank groups fastest, then banks in a group, then ranks (DRAMsim3)
            nbg = dp[D_NBG]
            bpg = dp[D_BPG]
            b = (u // (nbg * bpg)) * nbk + (u % nbg) * bpg + (u // nbg) % bpg
            if ds[o_open + b] >= 0:
                _row_cmd(dp, ds, c, PRE, b, due, -1, S_PRE)
            _row_cmd(dp, ds, c, REFB, b, due, -1, S_REFB)
        else:
            first = u * nbk
            for b in range(first, first + nbk):
                if ds[o_open + b] >= 0:
                    _row_cmd(dp, ds, c, PRE, b, due, -1, S_PRE)
            tr = due
            for b in range(first, first + nbk):
                s = _nx(dp, ds, c, b, S_REF)
                if s > tr:
                    tr = s
            _row_cmd(dp, ds, c, REF, first, tr, -1, S_REF)
        ds[o_ref + u] = due + dp[D_REFPERIOD]


@njit(cache=True, inline="always")
def _fields(dp, a):
    """(channel, flat bank, row) of burst address ``a`` (DRAMsim3 AddressMapping)."""
    x = a >> dp[D_SHIFT]
    ch = (x >> dp[D_POS]) & dp[D_MASK]
    ra = (x >> dp[D_POS + 1]) & dp[D_MASK + 1]
    bg = (x >> dp[D_POS + 2]) & dp[D_MASK + 2]
    ba = (x >> dp[D_POS + 3]) & dp[D_MASK + 3]
    row = (x >> dp[D_POS + 4]) & dp[D_MASK + 4]
    return ch, ra * dp[D_NBANKS] + bg * dp[D_BPG] + ba, row


@njit(cache=True)
def _column(dp, ds, c, b, row, write, t):
    """One burst to bank ``b``, row ``row`` of channel ``c``, arriving at cycle t:
    refreshes due first, PRE/ACT if the row is not open, then the column command.
    Returns the column command's cycle."""
    _flush(dp, ds, c)
    oc = dp[D_O_CH] + c * N_CH
    start = ds[oc + CH_COL_T]
    if t > start:
        start = t
    if ds[oc + CH_REF_NEXT] <= start:
        _refresh_upto(dp, ds, c, start)
    nb = dp[D_NRANKS] * dp[D_NBANKS]
    orow = ds[dp[D_O_OPEN] + c * nb + b]
    if orow != row:
        if orow >= 0:
            _row_cmd(dp, ds, c, PRE, b, t, -1, S_PRE)
        _row_cmd(dp, ds, c, ACT, b, t, row, S_ACT)
    close = dp[D_CLOSE] != 0
    if write:
        ty = WRA if close else WR
        slot = S_WR
    else:
        ty = RDA if close else RD
        slot = S_RD
    tc = t
    if ds[oc + CH_COL_T] > tc:
        tc = ds[oc + CH_COL_T]
    s = _nx(dp, ds, c, b, slot)
    if s > tc:
        tc = s
    _issue(dp, ds, c, ty, b, tc, row)
    ds[oc + CH_COL_T] = tc
    return tc


@njit(cache=True)
def _drain(dp, ds, c, t):
    """Issue every write waiting in channel ``c``'s buffer, oldest first, not before t."""
    _flush(dp, ds, c)
    ow = dp[D_O_WB] + c * dp[D_WBCAP] * WB_LEN
    oc = dp[D_O_CH] + c * N_CH
    for i in range(ds[oc + CH_WB_N]):
        a = ds[ow + i * WB_LEN]
        ta = ds[ow + i * WB_LEN + 1]
        if t > ta:
            ta = t
        ch, b, row = _fields(dp, a)
        tc = _column(dp, ds, c, b, row, True, ta)
        done = tc + dp[D_RDELAY]  # the write's data is on the bus by then (a bound)
        if done > ds[oc + CH_LAST_DONE]:
            ds[oc + CH_LAST_DONE] = done
    ds[oc + CH_WB_N] = 0


@njit(cache=True, inline="always")
def _max_at(ds, i, v):
    if v > ds[i]:
        ds[i] = v


@njit(cache=True, inline="always")
def _rd_timing(dp, ds, c, b, tc):
    """The constraints of a RD at ``tc`` on bank ``b`` of channel ``c`` (the table's RD
    rows, unpacked in ``dp[D_RDT...]``: a RD constrains the RD, WR and PRE slots only)."""
    nr = dp[D_NRANKS]
    nb = nr * dp[D_NBANKS]
    r = dp[D_BMAP + b]
    ob = dp[D_O_NXB] + (c * nb + b) * N_SLOTS
    og = dp[D_O_NXG] + (c * nr * dp[D_NBG] + dp[D_BMAP + nb + b]) * N_SLOTS
    orr = dp[D_O_NXR] + (c * nr + r) * N_SLOTS
    _max_at(ds, ob + S_RD, tc + dp[D_RDT + S_RD])
    _max_at(ds, ob + S_WR, tc + dp[D_RDT + S_WR])
    _max_at(ds, ob + S_PRE, tc + dp[D_RDT + S_PRE])
    _max_at(ds, og + S_RD, tc + dp[D_RDT + N_SLOTS + S_RD])
    _max_at(ds, og + S_WR, tc + dp[D_RDT + N_SLOTS + S_WR])
    _max_at(ds, og + S_PRE, tc + dp[D_RDT + N_SLOTS + S_PRE])
    _max_at(ds, orr + S_RD, tc + dp[D_RDT + 2 * N_SLOTS + S_RD])
    _max_at(ds, orr + S_WR, tc + dp[D_RDT + 2 * N_SLOTS + S_WR])
    _max_at(ds, orr + S_PRE, tc + dp[D_RDT + 2 * N_SLOTS + S_PRE])
    if nr > 1:
        for rr in range(nr):
            if rr != r:
                o = dp[D_O_NXR] + (c * nr + rr) * N_SLOTS
                _max_at(ds, o + S_RD, tc + dp[D_RDT + 3 * N_SLOTS + S_RD])
                _max_at(ds, o + S_WR, tc + dp[D_RDT + 3 * N_SLOTS + S_WR])
                _max_at(ds, o + S_PRE, tc + dp[D_RDT + 3 * N_SLOTS + S_PRE])


@njit(cache=True, inline="always")
def _flush(dp, ds, c):
    """End channel ``c``'s streak (see :func:`_read_hit`): count its pending RDs (all
    row hits) and apply the constraints of its last one (they are monotone in time, so
    the last RD's are those of all)."""
    oc = dp[D_O_CH] + c * N_CH
    b = ds[oc + CH_SK_BANK]
    if b < 0:
        return
    n = ds[oc + CH_SK_N]
    if n > 0:
        kc = dp[D_O_CNT] + c * N_K
        ds[kc + K_RD] += n
        ds[kc + K_RDHIT] += n
        ds[dp[D_O_HITS] + c * dp[D_NRANKS] * dp[D_NBANKS] + b] += n
        _rd_timing(dp, ds, c, b, ds[oc + CH_COL_T])
        done = ds[oc + CH_COL_T] + dp[D_RDELAY]
        if done > ds[oc + CH_LAST_DONE]:
            ds[oc + CH_LAST_DONE] = done
    ds[oc + CH_SK_BANK] = -1
    ds[oc + CH_SK_KEY] = -1
    ds[oc + CH_SK_N] = 0


@njit(cache=True, inline="always")
def _read_hit(dp, ds, c, b, row, key, td):
    """The common read, with nothing to do before its RD: its row open (open-page
    policy), no refresh due, no write waiting in the channel's buffer (the caller
    checks). Issues the RD and returns its completion (controller cycles); -1, with
    nothing changed, for any other read.

    A run of such reads to one row of one bank (a streak: a sequential stream) is
    cheaper still: nothing else has issued in the channel since the streak's first
    RD, so the next RD waits only for the arrival and the same-bank RD-to-RD delay
    after the last; its counters and constraints are applied when the streak ends
    (:func:`_flush`, called before any other command of the channel)."""
    oc = dp[D_O_CH] + c * N_CH
    if dp[D_CLOSE] != 0:
        return -1
    col_t = ds[oc + CH_COL_T]
    start = td if td > col_t else col_t
    if ds[oc + CH_REF_NEXT] <= start:
        return -1
    if ds[oc + CH_SK_KEY] == key:
        tc = col_t + dp[D_RR]
        if start > tc:
            tc = start
        ds[oc + CH_SK_N] += 1
        ds[oc + CH_COL_T] = tc
        # the streak's last completion is the channel's latest: set when it ends
        ds[oc + CH_READS] += 1
        ds[oc + CH_RLAT_SUM] += tc + dp[D_RDELAY] - td + 1
        return tc + dp[D_RDELAY]
    else:
        nb = dp[D_NRANKS] * dp[D_NBANKS]
        if ds[dp[D_O_OPEN] + c * nb + b] != row:
            return -1
        _flush(dp, ds, c)
        tc = _nx(dp, ds, c, b, S_RD)
        if start > tc:
            tc = start
        kc = dp[D_O_CNT] + c * N_K
        oh = dp[D_O_HITS] + c * nb + b
        ds[kc + K_RD] += 1
        if ds[oh] != 0:
            ds[kc + K_RDHIT] += 1
        ds[oh] += 1
        _rd_timing(dp, ds, c, b, tc)
        ds[oc + CH_SK_BANK] = b
        ds[oc + CH_SK_KEY] = key
    ds[oc + CH_COL_T] = tc
    done = tc + dp[D_RDELAY]
    ds[oc + CH_READS] += 1
    ds[oc + CH_RLAT_SUM] += done - td + 1  # DRAMsim3: from the cycle it entered, plus one
    if done > ds[oc + CH_LAST_DONE]:
        ds[oc + CH_LAST_DONE] = done
    return done


@njit(cache=True, inline="always")
def dram_read_fast(dp, ds, t, addr, h2d, d2h):
    """:func:`dram_request` for the common read (one burst per line, see
    :func:`_read_hit`), small enough to inline in the cache kernel; -1 (nothing
    changed) for any other request, which then goes to :func:`dram_request`. ``h2d``
    and ``d2h``: the clock ratios as floats (:attr:`DramBacking.ratios`), computed
    once per chunk by the caller: a division per request would sit on the kernel's
    critical path."""
    if dp[D_NBURST] != 1:
        return -1
    a = addr & dp[D_CAPMASK]
    x = a >> dp[D_SHIFT]
    c = (x >> dp[D_POS]) & dp[D_MASK]
    oc = dp[D_O_CH] + c * N_CH
    if ds[oc + CH_WB_N] != 0:
        return -1
    key = x & dp[D_KEYMASK]
    td = _scale(t, dp[D_PH], dp[D_PD], h2d)
    if ds[oc + CH_SK_KEY] == key:
        # the streak's next read, inline (_read_hit's first branch)
        col_t = ds[oc + CH_COL_T]
        start = td if td > col_t else col_t
        if ds[oc + CH_REF_NEXT] > start:
            tc = col_t + dp[D_RR]
            if start > tc:
                tc = start
            ds[oc + CH_SK_N] += 1
            ds[oc + CH_COL_T] = tc
            done = tc + dp[D_RDELAY]
            ds[oc + CH_READS] += 1
            ds[oc + CH_RLAT_SUM] += done - td + 1
            return _scale(done, dp[D_PD], dp[D_PH], d2h)
    c, b, row = _fields(dp, a)
    done = _read_hit(dp, ds, c, b, row, key, td)
    if done < 0:
        return -1
    return _scale(done, dp[D_PD], dp[D_PH], d2h)


@njit(cache=True, inline="always")
def _burst(dp, ds, a, write, td):
    """One burst at burst address ``a`` arriving at controller cycle ``td``; returns
    its completion (reads: data returned; writes: ``td``, posted)."""
    c, b, row = _fields(dp, a)
    oc = dp[D_O_CH] + c * N_CH
    kc = dp[D_O_CNT] + c * N_K
    ow = dp[D_O_WB] + c * dp[D_WBCAP] * WB_LEN
    nwb = ds[oc + CH_WB_N]
    if write:
        ds[kc + K_WRITES] += 1
        for i in range(nwb):
            if ds[ow + i * WB_LEN] == a:
                return td  # merged into the write already waiting (DRAMsim3)
        ds[ow + nwb * WB_LEN] = a
        ds[ow + nwb * WB_LEN + 1] = td
        ds[oc + CH_WB_N] = nwb + 1
        if nwb + 1 >= dp[D_WBCAP]:
            _drain(dp, ds, c, td)
        return td
    if nwb == 0:
        done = _read_hit(dp, ds, c, b, row, (a >> dp[D_SHIFT]) & dp[D_KEYMASK], td)
        if done >= 0:
            return done
    ds[oc + CH_READS] += 1
    for i in range(nwb):
        if ds[ow + i * WB_LEN] == a:
            # served from the write buffer the next cycle (DRAMsim3)
            ds[kc + K_FWD] += 1
            ds[oc + CH_RLAT_SUM] += 1
            return td + 1
    col_t = ds[oc + CH_COL_T]
    if nwb > dp[D_DRAIN] and col_t < td:
        _drain(dp, ds, c, col_t + 1)
    tc = _column(dp, ds, c, b, row, False, td)
    done = tc + dp[D_RDELAY]
    ds[oc + CH_RLAT_SUM] += done - td + 1  # DRAMsim3: from the cycle it entered, plus one
    if done > ds[oc + CH_LAST_DONE]:
        ds[oc + CH_LAST_DONE] = done
    return done


@njit(cache=True)
def dram_request(dp, ds, t, addr, write):
    """A line read (``write`` 0) or write (1) of byte address ``addr`` issued at
    hierarchy cycle ``t``: the line's bursts go to the DRAM; returns the hierarchy
    cycle its data is back (a write: ``t``, it is posted)."""
    td = _scale(t, dp[D_PH], dp[D_PD], dp[D_PH] / dp[D_PD])
    a = (addr & dp[D_CAPMASK]) >> dp[D_SHIFT] << dp[D_SHIFT]
    done = td
    for k in range(dp[D_NBURST]):
        d = _burst(dp, ds, (a + k * dp[D_REQBYTES]) & dp[D_CAPMASK], write != 0, td)
        if d > done:
            done = d
    if write:
        return t
    return _scale(done, dp[D_PD], dp[D_PH], dp[D_PD] / dp[D_PH])


@njit(cache=True)
def dram_finish(dp, ds, t):
    """Complete the run at hierarchy cycle ``t`` (on a copy of the state): drain the
    write buffers, issue the refreshes due, account rank power states to the end.
    Returns the end in controller cycles."""
    td = _scale(t, dp[D_PH], dp[D_PD], dp[D_PH] / dp[D_PD])
    for c in range(dp[D_NCH]):
        _flush(dp, ds, c)
        oc = dp[D_O_CH] + c * N_CH
        if ds[oc + CH_WB_N] > 0:
            _drain(dp, ds, c, td)
    end = td
    for c in range(dp[D_NCH]):
        oc = dp[D_O_CH] + c * N_CH
        if ds[oc + CH_LAST_DONE] > end:
            end = ds[oc + CH_LAST_DONE]
    for c in range(dp[D_NCH]):
        _refresh_upto(dp, ds, c, end)
        nr = dp[D_NRANKS]
        for r in range(nr):
            _account(ds, dp[D_O_PWR] + (c * nr + r) * PW_LEN,
                     ds[dp[D_O_OCNT] + c * nr + r] > 0, end)
    return end



@njit(cache=True)
def replay(dp, ds, t, addr, write):
    """Every request of a batch in order (``t``: arrival, hierarchy cycles); returns the
    last completion."""
    last = 0
    for i in range(addr.size):
        d = dram_request(dp, ds, t[i], addr[i], write[i])
        if d > last:
            last = d
    return last
