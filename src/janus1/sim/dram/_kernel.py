"""The compiled DRAM controller loop (numba, integer arrays only).

It replays what DRAMsim3 (2981759) does per controller clock, per channel:
refresh flags, one command (refresh first, else the round-robin command queues,
oldest ready command first in each; HBM may add a second one), rank power state,
one transaction moved from the read queue or the draining write buffer into a
command queue; then the trace front-end offers its one pending request. Instead of
ticking every cycle it jumps to the next cycle at which something can change: a
command's timing constraint expiring, a refresh being due, a request's trace cycle,
or a transaction that can move. Between two such cycles no state changes, so the
jump is exact (ranks' power states are accumulated over the skipped span).

Command types and timing slots are small integers; timing constraints are a table
``(issued type, relation, target slot) -> delay`` built in :mod:`.model` from the spec,
with relation 0 same bank, 1 other bank same bank group, 2 other bank group same rank,
3 other rank (DRAMsim3 ``timing.cc``). They are applied at bank, bank-group and rank
level (see ``nxt_b/nxt_g/nxt_r`` below).

The helpers are closures over the state arrays that take scalars only: a numba function
called with dozens of arrays pays an atomic reference-count update per array per call,
which cost 8-10x of the run time when they were module-level functions.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# command types
RD, WR, ACT, PRE, REF, REFB, RDA, WRA = 0, 1, 2, 3, 4, 5, 6, 7
N_TYPES = 8
# timing slots (the command a bank must wait to issue); RDA/WRA share RD/WR's slot
S_RD, S_WR, S_ACT, S_PRE, S_REF, S_REFB = 0, 1, 2, 3, 4, 5
N_SLOTS = 6
# parameter vector indices
(P_NCH, P_NRANKS, P_NBANKS, P_NQ, P_QCAP, P_TQ, P_RDELAY, P_REFINT, P_REFPOL, P_CLOSE,
 P_DUAL, P_TFAW, P_T32AW, P_DRAIN, P_NBG, P_BPG, P_PERBANK) = range(17)
N_PARAMS = 17
# refresh policies
REF_RANK_STAGGERED, REF_RANK_SIMULTANEOUS, REF_BANK_STAGGERED = 0, 1, 2
# per-channel counters
(C_ACT, C_PRE, C_ONDEMAND, C_REF, C_REFB, C_RD, C_RDHIT, C_WR, C_WRHIT, C_READS_DONE,
 C_WRITES_DONE, C_DUAL, C_WB_LEFT, C_TICKS) = range(14)
N_COUNTERS = 14

INF = np.int64(1) << 62
FILT = 4096  # buckets of the pending-address filters


@njit(cache=True)
def _bucket(addr):
    return ((addr >> 6) ^ (addr >> 18)) & (FILT - 1)


@njit(cache=True)
def _slot(ty):
    if ty == RD or ty == RDA:
        return S_RD
    if ty == WR or ty == WRA:
        return S_WR
    return ty  # ACT, PRE, REF, REFB map to themselves


@njit(cache=True)
def map_fields(addr, shift, pos, mask, nbanks, bpg, perbank):
    """Per request: channel, flat bank (rank x banks + group x banks per group + bank),
    command queue, row and column, from byte addresses (DRAMsim3 AddressMapping; pos and
    mask in the order ch ra bg ba ro co)."""
    n = addr.shape[0]
    ch = np.empty(n, np.int64)
    bank = np.empty(n, np.int64)
    q = np.empty(n, np.int64)
    row = np.empty(n, np.int64)
    col = np.empty(n, np.int64)
    for i in range(n):
        a = addr[i] >> shift
        ra = (a >> pos[1]) & mask[1]
        ch[i] = (a >> pos[0]) & mask[0]
        bank[i] = ra * nbanks + ((a >> pos[2]) & mask[2]) * bpg + ((a >> pos[3]) & mask[3])
        q[i] = bank[i] if perbank else ra
        row[i] = (a >> pos[4]) & mask[4]
        col[i] = (a >> pos[5]) & mask[5]
    return ch, bank, q, row, col


@njit(cache=True, error_model="numpy")
def simulate_kernel(P, tab_n, tab_s, tab_d, bank_rank, bank_grp,
                    r_ch, r_bank, r_q, r_row, r_col, r_addr, r_write, r_cycle,
                    out_done, out_lat, counters, power):
    """Run all requests; fill ``out_done`` (completion tick), ``out_lat`` (read latency,
    -1 for writes), ``counters`` (channel, counter) and ``power`` (channel, rank,
    [active cycles, all-banks-idle cycles]). Returns the last completion tick (-1 if
    there are no requests, -2 if the model stalled: a bug)."""
    nch = P[P_NCH]
    nranks = P[P_NRANKS]
    nbanks = P[P_NBANKS]
    nb = nranks * nbanks
    nq = P[P_NQ]
    qcap = P[P_QCAP]
    tq = P[P_TQ]
    rdelay = P[P_RDELAY]
    refint = P[P_REFINT]
    refpol = P[P_REFPOL]
    close = P[P_CLOSE] != 0
    dual = P[P_DUAL] != 0
    tfaw = P[P_TFAW]
    t32aw = P[P_T32AW]
    drain_low = P[P_DRAIN]
    nbg = P[P_NBG]
    bpg = P[P_BPG]
    perbank = P[P_PERBANK] != 0
    n = r_ch.shape[0]

    # ---- state ---------------------------------------------------------------------
    rq = np.empty((nch, tq), np.int64)          # read queue (request ids, in order)
    rq_n = np.zeros(nch, np.int64)
    wb = np.empty((nch, tq), np.int64)          # write buffer
    wb_n = np.zeros(nch, np.int64)
    cq = np.empty((nch, nq, qcap), np.int64)    # command queues
    cq_n = np.zeros((nch, nq), np.int64)
    cq_tot = np.zeros(nch, np.int64)
    # 1: no read-queue entry can move (every target command queue is full); cleared when
    # a command queue loses an entry or a read enters the read queue
    rq_stuck = np.zeros(nch, np.int64)
    qidx = np.zeros(nch, np.int64)              # round-robin pointer
    open_row = np.full((nch, nb), -1, np.int64)
    hits = np.zeros((nch, nb), np.int64)        # column commands since the row opened
    open_cnt = np.zeros((nch, nranks), np.int64)
    # earliest tick per timing slot, kept at three levels: a bank may issue a command
    # at max(bank, its bank group, its rank). DRAMsim3's constraints nest: every slot of
    # the "other bank group" list is in the "other bank, same group" list with a delay
    # no larger (given tCCD_L >= tCCD_S, tRRD_L >= tRRD_S, tWTR_L >= tWTR_S, which the
    # spec checks; model._tables asserts it), and the same-bank list has that slot with
    # a delay no smaller, or the bank's own state rules the command out for longer (a
    # closed bank needs its ACT first). So applying a group delay to the whole group,
    # the issuing bank included, changes nothing, and a command updates O(1) entries.
    nxt_b = np.zeros((nch, nb, N_SLOTS), np.int64)
    nxt_g = np.zeros((nch, nranks * nbg, N_SLOTS), np.int64)
    nxt_r = np.zeros((nch, nranks, N_SLOTS), np.int64)
    faw = np.zeros((nch, nranks, 4), np.int64)
    faw_h = np.zeros((nch, nranks), np.int64)
    faw_n = np.zeros((nch, nranks), np.int64)
    aw = np.zeros((nch, nranks, 32), np.int64)
    aw_h = np.zeros((nch, nranks), np.int64)
    aw_n = np.zeros((nch, nranks), np.int64)
    refq = np.zeros((nch, 64), np.int64)        # pending refreshes (rank, or flat bank)
    refq_n = np.zeros(nch, np.int64)
    in_ref = np.zeros(nch, np.int64)
    ref_key = np.zeros(nch, np.int64)           # queues skipped while refreshing
    ref_next_rank = np.zeros(nch, np.int64)
    ref_next_bg = np.zeros(nch, np.int64)
    ref_next_bank = np.zeros(nch, np.int64)
    draining = np.zeros(nch, np.int64)
    acc_from = np.zeros(nch, np.int64)
    ch_next = np.full(nch, INF, np.int64)
    # a lower bound on the tick at which some queued command can be issued: the queues
    # are scanned only from then on (recomputed after every issue, lowered on arrivals)
    cmd_ready = np.full(nch, INF, np.int64)
    # the same bound per command queue: only the queue of a bank whose state changed is
    # rescanned (timing constraints and activation windows only ever move later)
    qready = np.full((nch, nq), INF, np.int64)
    mnext = np.full(n, -1, np.int64)            # merged reads chain
    # counting filters of the addresses of pending reads and writes: a zero bucket means
    # "not pending" without scanning the queues (a non-zero one is checked by a scan)
    rd_filt = np.zeros((nch, FILT), np.int64)
    wr_filt = np.zeros((nch, FILT), np.int64)
    added = np.zeros(n, np.int64)
    q_rank = np.empty(nq, np.int64)
    for qi in range(nq):
        q_rank[qi] = qi // nbanks if perbank else qi

    # ---- helpers: closures over the state arrays, taking scalars only (numba inlines
    # them; passing dozens of arrays to a function costs atomic refcount updates)
    def _excluded(c, qi):
        """Queues of the rank (or bank) being refreshed are skipped (DRAMsim3)."""
        if in_ref[c] == 0:
            return False
        if refpol == REF_BANK_STAGGERED:
            return qi == ref_key[c]
        return q_rank[qi] == ref_key[c]

    def _nx(c, b, s):
        v = nxt_b[c, b, s]
        g = nxt_g[c, bank_grp[b], s]
        r = nxt_r[c, bank_rank[b], s]
        if g > v:
            v = g
        if r > v:
            v = r
        return v

    def _account(c, t):
        d = t - acc_from[c]
        if d > 0:
            for r in range(nranks):
                if open_cnt[c, r] > 0:
                    power[c, r, 0] += d
                else:
                    power[c, r, 1] += d
        acc_from[c] = t

    def _erase(c, qi, k):
        for j in range(k, cq_n[c, qi] - 1):
            cq[c, qi, j] = cq[c, qi, j + 1]
        cq_n[c, qi] -= 1
        cq_tot[c] -= 1
        rq_stuck[c] = 0

    def _pending_read(c, addr, qi):
        """A pending read of ``addr`` (in the read queue or its command queue), else -1."""
        if rd_filt[c, _bucket(addr)] == 0:
            return -1
        for i in range(rq_n[c]):
            if r_addr[rq[c, i]] == addr:
                return rq[c, i]
        for i in range(cq_n[c, qi]):
            o = cq[c, qi, i]
            if r_write[o] == 0 and r_addr[o] == addr:
                return o
        return -1

    def _pending_write(c, addr, qi):
        if wr_filt[c, _bucket(addr)] == 0:
            return -1
        for i in range(wb_n[c]):
            if r_addr[wb[c, i]] == addr:
                return wb[c, i]
        for i in range(cq_n[c, qi]):
            o = cq[c, qi, i]
            if r_write[o] != 0 and r_addr[o] == addr:
                return o
        return -1

    def _act_window(c, r, s):
        """Earliest tick >= s at which the activation windows allow an ACT in rank r."""
        if faw_n[c, r] >= 4:
            f = faw[c, r, faw_h[c, r]]
            if f > s:
                s = f
        if t32aw > 0 and aw_n[c, r] >= 32:
            f = aw[c, r, aw_h[c, r]]
            if f > s:
                s = f
        return s

    def _pre_blocked(c, qi, k, b):
        """DRAMsim3 ArbitratePrecharge: an older command to the bank goes first, and a row
        with pending hits stays open until 4 hits have been served."""
        for j in range(k):
            if r_bank[cq[c, qi, j]] == b:
                return True
        orow = open_row[c, b]
        for j in range(k, cq_n[c, qi]):
            o = cq[c, qi, j]
            if r_bank[o] == b and r_row[o] == orow:
                return hits[c, b] < 4
        return False

    def _wr_blocked(c, qi, k):
        """DRAMsim3 HasRWDependency: an older read of the same column goes first."""
        req = cq[c, qi, k]
        for j in range(k):
            o = cq[c, qi, j]
            if (r_write[o] == 0 and r_row[o] == r_row[req] and r_col[o] == r_col[req]
                    and r_bank[o] == r_bank[req]):
                return True
        return False

    def _get_command(c, t):
        """DRAMsim3 GetCommandToIssue: queues round-robin from the one after the last,
        the first ready command of a queue (oldest first)."""
        for _ in range(nq):
            qi = qidx[c] + 1
            if qi == nq:
                qi = 0
            qidx[c] = qi
            if qready[c, qi] > t or _excluded(c, qi):
                continue  # nothing in this queue can be ready yet: DRAMsim3 finds nothing
            qmin = INF  # this queue's bound, tightened on the way (if nothing issues)
            for k in range(cq_n[c, qi]):
                req = cq[c, qi, k]
                b = r_bank[req]
                orow = open_row[c, b]
                if orow < 0:
                    ty = ACT
                elif orow == r_row[req]:
                    if r_write[req] != 0:
                        ty = WRA if close else WR
                    else:
                        ty = RDA if close else RD
                else:
                    ty = PRE
                s = _nx(c, b, _slot(ty))
                if t < s:
                    if s < qmin:
                        qmin = s
                    continue
                if ty == ACT:
                    w = _act_window(c, bank_rank[b], s)
                    if w > t:
                        if w < qmin:
                            qmin = w
                        continue
                elif ty == PRE:
                    if _pre_blocked(c, qi, k, b):
                        continue
                    counters[c, C_ONDEMAND] += 1
                elif ty == WR or ty == WRA:
                    if _wr_blocked(c, qi, k):
                        continue
                return ty, req, qi, k
            qready[c, qi] = qmin
        return -1, -1, -1, -1

    def _issue(c, ty, b, req, t, last_done, unresolved):
        """Issue one command at tick t: statistics, completions, bank state, timing."""
        r = bank_rank[b]
        _account(c, t)
        if ty == RD or ty == RDA:
            rd_filt[c, _bucket(r_addr[req])] -= 1
            counters[c, C_RD] += 1
            if hits[c, b] != 0:
                counters[c, C_RDHIT] += 1
            done = t + rdelay
            i = req
            while i >= 0:
                out_done[i] = done
                out_lat[i] = done - added[i]
                counters[c, C_READS_DONE] += 1
                unresolved -= 1
                i = mnext[i]
            if done > last_done:
                last_done = done
        elif ty == WR or ty == WRA:
            wr_filt[c, _bucket(r_addr[req])] -= 1
            counters[c, C_WR] += 1
            if hits[c, b] != 0:
                counters[c, C_WRHIT] += 1
        elif ty == ACT:
            counters[c, C_ACT] += 1
        elif ty == PRE:
            counters[c, C_PRE] += 1
        elif ty == REF:
            counters[c, C_REF] += 1
        else:
            counters[c, C_REFB] += 1
        # bank state (BankState::UpdateState)
        if ty == RD or ty == WR:
            hits[c, b] += 1
        elif ty == RDA or ty == WRA or ty == PRE:
            if open_row[c, b] >= 0:
                open_cnt[c, r] -= 1
            open_row[c, b] = -1
            hits[c, b] = 0
        elif ty == ACT:
            open_row[c, b] = r_row[req]
            open_cnt[c, r] += 1
            # activation windows (ChannelState::UpdateActivationTimes)
            if faw_n[c, r] > 0 and t >= faw[c, r, faw_h[c, r]]:
                faw_h[c, r] = (faw_h[c, r] + 1) % 4
                faw_n[c, r] -= 1
            faw[c, r, (faw_h[c, r] + faw_n[c, r]) % 4] = t + tfaw
            faw_n[c, r] += 1
            if t32aw > 0:
                if aw_n[c, r] > 0 and t >= aw[c, r, aw_h[c, r]]:
                    aw_h[c, r] = (aw_h[c, r] + 1) % 32
                    aw_n[c, r] -= 1
                aw[c, r, (aw_h[c, r] + aw_n[c, r]) % 32] = t + t32aw
                aw_n[c, r] += 1
        elif ty == REF or ty == REFB:
            key = r if ty == REF else b
            for j in range(refq_n[c]):
                if refq[c, j] == key:
                    for m in range(j, refq_n[c] - 1):
                        refq[c, m] = refq[c, m + 1]
                    refq_n[c] -= 1
                    break
        # timing (ChannelState::UpdateTiming)
        g = bank_grp[b]
        for m in range(tab_n[ty, 0]):
            s = tab_s[ty, 0, m]
            v = t + tab_d[ty, 0, m]
            if v > nxt_b[c, b, s]:
                nxt_b[c, b, s] = v
        for m in range(tab_n[ty, 1]):
            s = tab_s[ty, 1, m]
            v = t + tab_d[ty, 1, m]
            if v > nxt_g[c, g, s]:
                nxt_g[c, g, s] = v
        for m in range(tab_n[ty, 2]):
            s = tab_s[ty, 2, m]
            v = t + tab_d[ty, 2, m]
            if v > nxt_r[c, r, s]:
                nxt_r[c, r, s] = v
        if tab_n[ty, 3] > 0:
            for rr in range(nranks):
                if rr != r:
                    for m in range(tab_n[ty, 3]):
                        s = tab_s[ty, 3, m]
                        v = t + tab_d[ty, 3, m]
                        if v > nxt_r[c, rr, s]:
                            nxt_r[c, rr, s] = v
        return last_done, unresolved

    def _ready_of(c, req):
        """Earliest tick the command ``req`` needs next is allowed by timing (queue rules aside)."""
        b = r_bank[req]
        orow = open_row[c, b]
        if orow < 0:
            return _act_window(c, bank_rank[b], _nx(c, b, S_ACT))
        if orow == r_row[req]:
            return _nx(c, b, S_WR) if r_write[req] != 0 else _nx(c, b, S_RD)
        return _nx(c, b, S_PRE)

    def _enqueue(c, req, qi):
        """A transaction into command queue qi (ScheduleTransaction), lowering the
        queue's and the channel's ready bounds to the tick its next command may issue."""
        cq[c, qi, cq_n[c, qi]] = req
        cq_n[c, qi] += 1
        cq_tot[c] += 1
        tr = _ready_of(c, req)
        if tr < qready[c, qi]:
            qready[c, qi] = tr
        if tr < cmd_ready[c]:
            cmd_ready[c] = tr

    def _queue_scan(c, qi):
        """The earliest tick a command of queue qi may issue: its timing, skipping commands
        a queue rule holds back (they wait for another command, itself an event)."""
        best = INF
        for k in range(cq_n[c, qi]):
            req = cq[c, qi, k]
            b = r_bank[req]
            orow = open_row[c, b]
            if orow < 0:
                s = _act_window(c, bank_rank[b], _nx(c, b, S_ACT))
            elif orow == r_row[req]:
                if r_write[req] != 0:
                    if _wr_blocked(c, qi, k):
                        continue
                    s = _nx(c, b, S_WR)
                else:
                    s = _nx(c, b, S_RD)
            else:
                if _pre_blocked(c, qi, k, b):
                    continue
                s = _nx(c, b, S_PRE)
            if s < best:
                best = s
        return best

    def _cmd_scan(c, full):
        """The earliest tick any eligible queued command may issue (a lower bound)."""
        best = INF
        for qi in range(nq):
            if full:
                qready[c, qi] = _queue_scan(c, qi)
            if qready[c, qi] < best and not _excluded(c, qi):
                best = qready[c, qi]
        return best

    def _next_event(c, t, cready):
        """The earliest tick after t at which this channel can change state (a lower bound)."""
        t1 = t + 1
        best = cready
        # a transaction that can move into the command queues
        d = draining[c]
        if d == 0 and (wb_n[c] >= tq or (wb_n[c] > drain_low and cq_tot[c] == 0)):
            d = wb_n[c]
        if d > 0:
            for i in range(wb_n[c]):
                if cq_n[c, r_q[wb[c, i]]] < qcap:
                    return t1
        elif rq_stuck[c] == 0:
            for i in range(rq_n[c]):
                if cq_n[c, r_q[rq[c, i]]] < qcap:
                    return t1
        # a pending refresh
        if refq_n[c] > 0:
            if in_ref[c] == 0:
                return t1
            e = refq[c, 0]
            if refpol == REF_BANK_STAGGERED:
                s = _nx(c, e, S_PRE) if open_row[c, e] >= 0 else _nx(c, e, S_REFB)
            else:
                s = INF
                any_open = False
                for j in range(nbanks):
                    b = e * nbanks + j
                    if open_row[c, b] >= 0:
                        any_open = True
                        if _nx(c, b, S_PRE) < s:
                            s = _nx(c, b, S_PRE)
                if not any_open:
                    s = 0
                    for j in range(nbanks):
                        if _nx(c, e * nbanks + j, S_REF) > s:
                            s = _nx(c, e * nbanks + j, S_REF)
            if s < best:
                best = s
        if best <= t1:
            return t1
        return best


    line = 0
    unresolved = n
    last_done = np.int64(-1)
    next_ref = refint
    t = np.int64(0)
    if n == 0:
        return np.int64(-1)

    while True:
        counters[0, C_TICKS] += 1
        # ---- refresh flags (Refresh::ClockTick, start of the tick) ------------------
        force = False
        if t == next_ref:
            force = True
            next_ref += refint
            for c in range(nch):
                if refpol == REF_RANK_SIMULTANEOUS:
                    for r in range(nranks):
                        if refq_n[c] < 64:
                            refq[c, refq_n[c]] = r
                            refq_n[c] += 1
                elif refpol == REF_RANK_STAGGERED:
                    if refq_n[c] < 64:
                        refq[c, refq_n[c]] = ref_next_rank[c]
                        refq_n[c] += 1
                    ref_next_rank[c] = (ref_next_rank[c] + 1) % nranks
                else:
                    if refq_n[c] < 64:
                        refq[c, refq_n[c]] = (ref_next_rank[c] * nbanks
                                              + ref_next_bg[c] * bpg + ref_next_bank[c])
                        refq_n[c] += 1
                    ref_next_bg[c] = (ref_next_bg[c] + 1) % nbg
                    if ref_next_bg[c] == 0:
                        ref_next_bank[c] = (ref_next_bank[c] + 1) % bpg
                        if ref_next_bank[c] == 0:
                            ref_next_rank[c] = (ref_next_rank[c] + 1) % nranks

        # ---- every channel controller ---------------------------------------------
        for c in range(nch):
            if not force and ch_next[c] > t:
                continue
            # one command: refresh first, else the command queues
            ty = -1
            cb = -1
            creq = -1
            cqi = -1
            ck = -1
            if refq_n[c] > 0:
                e = refq[c, 0]
                if in_ref[c] == 0:
                    in_ref[c] = 1
                    if refpol == REF_BANK_STAGGERED:
                        ref_key[c] = e if perbank else e // nbanks
                    else:
                        ref_key[c] = e
                if refpol == REF_BANK_STAGGERED:
                    if open_row[c, e] >= 0:
                        if t >= _nx(c, e, S_PRE):
                            ty = PRE
                            cb = e
                    elif t >= _nx(c, e, S_REFB):
                        ty = REFB
                        cb = e
                else:
                    ready = 0
                    for j in range(nbanks):
                        b = e * nbanks + j
                        if open_row[c, b] >= 0:
                            if t >= _nx(c, b, S_PRE):
                                ty = PRE
                                cb = b
                                break
                        elif t >= _nx(c, b, S_REF):
                            ready += 1
                    if ty < 0 and ready == nbanks:
                        ty = REF
                        cb = e * nbanks
                if ty == REF or ty == REFB:
                    in_ref[c] = 0
            full = False  # rescan every queue (the bound was stale, or a refresh ended)
            dq1 = -1      # queues whose bank changed state
            dq2 = -1
            if ty < 0 and t >= cmd_ready[c]:
                ty, creq, cqi, ck = _get_command(c, t)
                if ty >= 0:
                    cb = r_bank[creq]
                else:
                    full = True
            if ty >= 0:
                dq1 = cb if perbank else bank_rank[cb]
                if ty == REF or ty == REFB:
                    full = True
                first_rw = ty == RD or ty == WR or ty == RDA or ty == WRA
                if first_rw:
                    _erase(c, cqi, ck)
                last_done, unresolved = _issue(c, ty, cb, creq, t, last_done, unresolved)
                if dual:
                    ty2, creq2, cqi2, ck2 = _get_command(c, t)
                    if ty2 >= 0:
                        rw2 = ty2 == RD or ty2 == WR or ty2 == RDA or ty2 == WRA
                        if rw2 != first_rw:
                            if rw2:
                                _erase(c, cqi2, ck2)
                            counters[c, C_DUAL] += 1
                            b2 = r_bank[creq2]
                            dq2 = b2 if perbank else bank_rank[b2]
                            last_done, unresolved = _issue(c, ty2, b2, creq2, t, last_done,
                                                           unresolved)
            # one transaction into the command queues (ScheduleTransaction)
            if draining[c] == 0:
                if wb_n[c] >= tq or (wb_n[c] > drain_low and cq_tot[c] == 0):
                    draining[c] = wb_n[c]
            if draining[c] > 0:
                for i in range(wb_n[c]):
                    req = wb[c, i]
                    qi = r_q[req]
                    if cq_n[c, qi] < qcap:
                        if _pending_read(c, r_addr[req], qi) >= 0:
                            draining[c] = 0
                            break
                        draining[c] -= 1
                        _enqueue(c, req, qi)
                        for j in range(i, wb_n[c] - 1):
                            wb[c, j] = wb[c, j + 1]
                        wb_n[c] -= 1
                        break
            elif rq_stuck[c] == 0:
                rq_stuck[c] = 1
                for i in range(rq_n[c]):
                    req = rq[c, i]
                    qi = r_q[req]
                    if cq_n[c, qi] < qcap:
                        rq_stuck[c] = 0
                        _enqueue(c, req, qi)
                        for j in range(i, rq_n[c] - 1):
                            rq[c, j] = rq[c, j + 1]
                        rq_n[c] -= 1
                        break
            if full:
                cmd_ready[c] = _cmd_scan(c, True)
            elif dq1 >= 0:
                qready[c, dq1] = _queue_scan(c, dq1)
                if dq2 >= 0 and dq2 != dq1:
                    qready[c, dq2] = _queue_scan(c, dq2)
                cmd_ready[c] = _cmd_scan(c, False)
            ch_next[c] = _next_event(c, t, cmd_ready[c])

        # ---- the trace front-end: one request per tick, in order -------------------
        if line < n and r_cycle[line] <= t:
            c = r_ch[line]
            w = r_write[line] != 0
            if (w and wb_n[c] < tq) or ((not w) and rq_n[c] < tq):
                i = line
                line += 1
                added[i] = t + 1
                qi = r_q[i]
                if w:
                    if _pending_write(c, r_addr[i], qi) < 0:
                        wb[c, wb_n[c]] = i
                        wb_n[c] += 1
                        wr_filt[c, _bucket(r_addr[i])] += 1
                    out_done[i] = t + 2
                    out_lat[i] = -1
                    counters[c, C_WRITES_DONE] += 1
                    unresolved -= 1
                    if t + 2 > last_done:
                        last_done = t + 2
                else:
                    if _pending_write(c, r_addr[i], qi) >= 0:
                        out_done[i] = t + 2
                        out_lat[i] = 1
                        counters[c, C_READS_DONE] += 1
                        unresolved -= 1
                        if t + 2 > last_done:
                            last_done = t + 2
                    else:
                        h = _pending_read(c, r_addr[i], qi)
                        if h >= 0:
                            mnext[i] = mnext[h]
                            mnext[h] = i
                        else:
                            rq[c, rq_n[c]] = i
                            rq_n[c] += 1
                            rd_filt[c, _bucket(r_addr[i])] += 1
                            rq_stuck[c] = 0
                if t + 1 < ch_next[c]:
                    ch_next[c] = t + 1

        # ---- next tick -------------------------------------------------------------
        tn = next_ref
        for c in range(nch):
            if ch_next[c] < tn:
                tn = ch_next[c]
        if line < n:
            if r_cycle[line] > t:
                if r_cycle[line] < tn:
                    tn = r_cycle[line]
            else:
                c = r_ch[line]
                if (r_write[line] != 0 and wb_n[c] < tq) or (r_write[line] == 0
                                                             and rq_n[c] < tq):
                    tn = t + 1
        if line == n and unresolved == 0:
            if tn > last_done:
                break
        elif tn >= INF:
            return np.int64(-2)
        t = tn

    # close the power accounting at the end of the last tick
    for c in range(nch):
        _account(c, last_done + 1)
        counters[c, C_WB_LEFT] = wb_n[c]
    return last_done
