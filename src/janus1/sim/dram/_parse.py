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
def _line_error(buf, i, j):
    """Classify a malformed line buf[i:j]: 1 wrong token count, 2 bad address, 3 bad
    cycle (the slow path, run only on the line that failed the fast scan)."""
    ntok = 0
    s0 = e0 = s2 = e2 = 0
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
        elif ntok == 2:
            s2, e2 = p, q
        ntok += 1
        p = q
    if ntok != 3:
        return 1
    s = s0
    if e0 - s0 > 2 and buf[s] == 48 and (buf[s + 1] == 120 or buf[s + 1] == 88):
        s += 2
    if e0 - s < 1 or e0 - s > 15:
        return 2
    for m in range(s, e0):
        if _hex(buf[m]) < 0:
            return 2
    if e2 - s2 < 1 or e2 - s2 > 18:
        return 3
    for m in range(s2, e2):
        if buf[m] < 48 or buf[m] > 57:
            return 3
    return 1  # pragma: no cover - the fast scan rejected it for another reason


@njit(cache=True)
def _hex(ch):
    if 48 <= ch <= 57:
        return ch - 48
    if 97 <= ch <= 102:
        return ch - 87
    if 65 <= ch <= 70:
        return ch - 55
    return -1


@njit(cache=True)
def _fail(buf, ls, line, k):
    j = ls
    while j < buf.shape[0] and buf[j] != 10:
        j += 1
    return k, line, _line_error(buf, ls, j)


@njit(cache=True)
def parse_dramsim3(buf, addr, wr, cyc):
    """Fill addr/wr/cyc from ``buf`` in one pass; return (count, error line, error code)
    with code 0 on success, 1 wrong token count, 2 bad address, 3 bad cycle."""
    n = buf.shape[0]
    i = 0
    line = 0
    k = 0
    while i < n:
        line += 1
        ls = i
        while i < n and _is_space(buf[i]):
            i += 1
        if i >= n:
            break
        if buf[i] == 10:  # blank line
            i += 1
            continue
        # address: hex, optional 0x
        if buf[i] == 48 and i + 1 < n and (buf[i + 1] == 120 or buf[i + 1] == 88):
            i += 2
        a = 0
        nd = 0
        while i < n:
            d = _hex(buf[i])
            if d < 0:
                break
            a = a * 16 + d
            nd += 1
            i += 1
        if nd == 0 or nd > 15 or i >= n or not _is_space(buf[i]):
            return _fail(buf, ls, line, k)
        while i < n and _is_space(buf[i]):
            i += 1
        # operation
        s1 = i
        while i < n and buf[i] != 10 and not _is_space(buf[i]):
            i += 1
        e1 = i
        if e1 == s1 or i >= n or buf[i] == 10:
            return _fail(buf, ls, line, k)
        while i < n and _is_space(buf[i]):
            i += 1
        # cycle: decimal
        c = 0
        nd = 0
        while i < n and 48 <= buf[i] <= 57:
            c = c * 10 + (buf[i] - 48)
            nd += 1
            i += 1
        if nd == 0 or nd > 18:
            return _fail(buf, ls, line, k)
        while i < n and _is_space(buf[i]):
            i += 1
        if i < n and buf[i] != 10:
            return _fail(buf, ls, line, k)
        i += 1
        addr[k] = a
        wr[k] = 1 if _op_is_write(buf, s1, e1) else 0
        cyc[k] = c
        k += 1
    return k, 0, 0
