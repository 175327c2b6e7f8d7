"""Compiled scanner for DRAMsim3 trace text (bytes in, integer arrays out)."""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def _is_space(ch):
    return ch == 32 or ch == 9 or ch == 13 or ch == 11 or ch == 12


@njit(cache=True)
def _op_is_write(buf, s, e):
    """DRAMsim3: WRITE, write, P_MEM_WR and BOFF are writes; anything else a read."""
    n = e - s
    if n == 5:
        w = (buf[s] == 87 and buf[s + 1] == 82 and buf[s + 2] == 73 and buf[s + 3] == 84
             and buf[s + 4] == 69)  # WRITE
        lw = (buf[s] == 119 and buf[s + 1] == 114 and buf[s + 2] == 105 and buf[s + 3] == 116
              and buf[s + 4] == 101)  # write
        return w or lw
    if n == 8:
        pat = (80, 95, 77, 69, 77, 95, 87, 82)  # P_MEM_WR
        for k in range(8):
            if buf[s + k] != pat[k]:
                return False
        return True
    if n == 4:
        return buf[s] == 66 and buf[s + 1] == 79 and buf[s + 2] == 70 and buf[s + 3] == 70
    return False


@njit(cache=True)
def parse_dramsim3(buf, addr, wr, cyc):
    """Fill addr/wr/cyc from ``buf``; return (count, error line, error code) with code 0
    on success, 1 wrong token count, 2 bad address, 3 bad cycle."""
    n = buf.shape[0]
    i = 0
    line = 0
    k = 0
    while i < n:
        line += 1
        j = i
        while j < n and buf[j] != 10:
            j += 1
        # split [i, j) into tokens
        ntok = 0
        s0 = e0 = s1 = e1 = s2 = e2 = 0
        p = i
        while p < j:
            while p < j and _is_space(buf[p]):
                p += 1
            if p >= j:
                break
            q = p
            while q < j and not _is_space(buf[q]):
                q += 1
            if ntok == 0:
                s0, e0 = p, q
            elif ntok == 1:
                s1, e1 = p, q
            elif ntok == 2:
                s2, e2 = p, q
            ntok += 1
            p = q
        if ntok == 0:
            i = j + 1
            continue
        if ntok != 3:
            return k, line, 1
        # address: hex, optional 0x
        s = s0
        if e0 - s0 > 2 and buf[s] == 48 and (buf[s + 1] == 120 or buf[s + 1] == 88):
            s += 2
        if e0 - s < 1 or e0 - s > 15:
            return k, line, 2
        a = 0
        for m in range(s, e0):
            ch = buf[m]
            if 48 <= ch <= 57:
                d = ch - 48
            elif 97 <= ch <= 102:
                d = ch - 87
            elif 65 <= ch <= 70:
                d = ch - 55
            else:
                return k, line, 2
            a = a * 16 + d
        # cycle: decimal
        if e2 - s2 < 1 or e2 - s2 > 18:
            return k, line, 3
        c = 0
        for m in range(s2, e2):
            ch = buf[m]
            if ch < 48 or ch > 57:
                return k, line, 3
            c = c * 10 + (ch - 48)
        addr[k] = a
        wr[k] = 1 if _op_is_write(buf, s1, e1) else 0
        cyc[k] = c
        k += 1
        i = j + 1
    return k, 0, 0
