"""``StreamPrefetcher``: Janus-Prefetch-1 as an Amaranth elaboratable.

Imported only when the block is built (it needs Amaranth). The behaviour is
:class:`janus1.rtl.prefetcher.StreamModel`'s (the simulator's); the hardware keeps the
same information in fewer bits:

- per tracker: ``valid``, ``stream`` (training = 0), ``down`` (direction), ``last``
  (``line_bits``), ``off`` = (next line to prefetch - last) * direction, which the
  model's rules keep in 1..lookahead+1 (so ``bits(lookahead+1)`` bits, not a line
  address), and an LRU ``rank`` (0 = most recent; ``bits(trackers-1)`` bits). Ranks
  start as the permutation 0..T-1; a touched tracker goes to 0 and those more recent
  than it age by one, so touched trackers hold ranks 0..m-1 in recency order and, once
  every tracker is valid, rank T-1 is the model's smallest stamp.
- ``ptr``: the tracker that matched last, where the rotating priority starts.

Timing: an access is accepted in the cycle ``in_valid & in_ready``; every tracker
compares it in parallel (one ``line_bits+1``-bit subtractor each), the winner is the
first match at or after ``ptr`` (else the first match), and the state updates at that
cycle's edge. Its ``n`` prefetches (1 <= n <= degree when a tracker matched) leave from
the next cycle on, ``ports`` per cycle, lowest first, through ``pf_valid``/``pf_line``.
``in_ready`` is high while at most ``ports`` prefetches remain, so a new access is taken
in the cycle the last ones leave. A lane whose line falls outside ``[0, 2**line_bits)``
is held invalid (the simulator drops such lines).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .prefetcher import PrefetcherParams

__all__ = ["StreamPrefetcher"]


def _onehot_lowest(m: Module, vec: Signal, width: int, name: str) -> Signal:
    """The lowest set bit of ``vec`` as a one-hot signal (zero when ``vec`` is zero)."""
    oh = Signal(width, name=name)
    m.d.comb += oh.eq(vec & (~vec + 1))
    return oh


def _select(m: Module, onehot: Signal, values: list, width: int, name: str,
            shape: object = None) -> Signal:
    """AND-OR multiplexer: the value whose one-hot bit is set."""
    out = Signal(shape if shape is not None else unsigned(width), name=name)
    acc = Const(0, width)
    for k, v in enumerate(values):
        acc = acc | Mux(onehot[k], v, 0)
    m.d.comb += out.eq(acc)
    return out


class StreamPrefetcher(wiring.Component):
    """Janus-Prefetch-1 (see the module docstring for the ports' timing).

    Ports: ``in_valid``, ``in_line`` (``line_bits``), ``in_hit`` (the access hit the first
    level), ``in_ready``; ``pf_valid`` (``ports`` bits) and ``pf_line`` (``ports`` line
    addresses).
    """

    def __init__(self, p: PrefetcherParams) -> None:
        self.p = p
        w = p.line_bits
        super().__init__({
            "in_valid": In(1),
            "in_line": In(w),
            "in_hit": In(1),
            "in_ready": Out(1),
            "pf_valid": Out(p.ports),
            "pf_line": Out(data.ArrayLayout(unsigned(w), p.ports)),
        })

    def elaborate(self, platform: object) -> Module:
        p = self.p
        m = Module()
        W, T, L, D, P = p.line_bits, p.trackers, p.lookahead, p.degree, p.ports
        R = p.window + p.lookahead                    # a streaming tracker's reach
        ob = (L + 1).bit_length()                     # off in 1..L+1
        rb = max(1, (T - 1).bit_length())             # rank / pointer width
        db = (R + 1).bit_length() + 1                 # low bits of d that hold +-R
        cb = D.bit_length()                           # prefetches left in the emitter

        # ---- tracker state ----
        valid = [Signal(name=f"t{k}_valid") for k in range(T)]
        strm = [Signal(name=f"t{k}_stream") for k in range(T)]
        down = [Signal(name=f"t{k}_down", reset_less=True) for k in range(T)]
        last = [Signal(W, name=f"t{k}_last", reset_less=True) for k in range(T)]
        off = [Signal(ob, name=f"t{k}_off", reset_less=True) for k in range(T)]
        rank = [Signal(rb, name=f"t{k}_rank", init=k) for k in range(T)]
        ptr = Signal(rb, name="ptr")

        # ---- emitter state ----
        e_base = Signal(signed(W + 2), name="e_base", reset_less=True)
        e_down = Signal(name="e_down", reset_less=True)
        e_count = Signal(cb, name="e_count")

        x = self.in_line
        fire = Signal(name="fire")
        m.d.comb += [self.in_ready.eq(e_count <= P), fire.eq(self.in_valid & self.in_ready)]

        # ---- every tracker compares the demand line ----
        d = [Signal(signed(W + 1), name=f"t{k}_d") for k in range(T)]
        match = Signal(T, name="match")
        # d in [1, c] <=> d's bits from rb_ up are 0 and its low bits are 1..c; d in [-c, -1]
        # <=> those bits are all 1 and the low bits >= 2**rb_ - c (rb_ = bits(R)): small
        # comparators on the low bits instead of full-width carry chains.
        rb_ = R.bit_length()
        for k in range(T):
            m.d.comb += d[k].eq(x - last[k])
            lo = d[k][:rb_]
            pos = (d[k][rb_:] == 0) & (lo != 0)
            neg = d[k][rb_:].all()
            train = Mux(pos, lo <= p.window, neg & (lo >= (1 << rb_) - p.window))
            ahead = Mux(down[k], neg & (lo >= (1 << rb_) - R), pos & (lo <= R))
            m.d.comb += match[k].eq(valid[k] & Mux(strm[k], ahead, train))

        # ---- rotating priority: the first match at or after ptr, else the first ----
        at_or_after = Signal(T, name="at_or_after")
        m.d.comb += at_or_after.eq(Cat(*[ptr <= k for k in range(T)]) & match)
        pick = Signal(T, name="pick")
        m.d.comb += pick.eq(Mux(at_or_after.any(), at_or_after, match))
        win = _onehot_lowest(m, pick, T, "win")
        hit_any = Signal(name="any_match")
        m.d.comb += hit_any.eq(match.any())
        win_idx = _select(m, win, [Const(k, rb) for k in range(T)], rb, "win_idx")

        # ---- the winner's fields ----
        w_train = _select(m, win, [~s for s in strm], 1, "w_train")
        w_down_st = _select(m, win, down, 1, "w_down_stored")
        w_dneg = _select(m, win, [dk[W] for dk in d], 1, "w_dneg")
        w_off = _select(m, win, off, ob, "w_off")
        w_dlow = _select(m, win, [dk[:db] for dk in d], db, "w_dlow", shape=signed(db))
        new_down = Signal(name="new_down")
        m.d.comb += new_down.eq(Mux(w_train, w_dneg, w_down_st))
        dd = Signal(signed(db + 1), name="dd")        # lines advanced, 1..R when streaming
        m.d.comb += dd.eq(Mux(new_down, -w_dlow, w_dlow))
        t = Signal(signed(max(ob, db) + 2), name="t")  # off relative to the new demand line
        m.d.comb += t.eq(w_off - dd)
        s = Signal(ob, name="s")                       # first prefetch's distance, 1..L
        m.d.comb += s.eq(Mux(w_train | (t <= 0), 1, t))
        room = Signal(ob, name="room")                 # L + 1 - s, 1..L
        m.d.comb += room.eq(L + 1 - s)
        n = Signal(cb, name="n")                       # prefetches to issue, 1..D
        m.d.comb += n.eq(Mux(room < D, room, D))
        xs = Signal(signed(W + 2), name="x_ext")
        m.d.comb += xs.eq(x)
        base = Signal(signed(W + 2), name="base")
        m.d.comb += base.eq(Mux(new_down, xs - s, xs + s))

        # ---- allocation on a miss near no stream: first invalid, else LRU ----
        inv = Signal(T, name="invalid")
        m.d.comb += inv.eq(~Cat(*valid))
        first_inv = _onehot_lowest(m, inv, T, "first_invalid")
        lru = Signal(T, name="lru")
        m.d.comb += lru.eq(Cat(*[r == T - 1 for r in rank]))
        victim = Signal(T, name="victim")
        m.d.comb += victim.eq(Mux(inv.any(), first_inv, lru))
        alloc = Signal(name="alloc")
        m.d.comb += alloc.eq(fire & ~hit_any & ~self.in_hit)
        advance = Signal(name="advance")
        m.d.comb += advance.eq(fire & hit_any)

        # ---- LRU ranks ----
        touch = Signal(T, name="touch")
        m.d.comb += touch.eq(Mux(advance, win, Mux(alloc, victim, 0)))
        t_rank = _select(m, touch, rank, rb, "touched_rank")
        for k in range(T):
            with m.If(touch[k]):
                m.d.sync += rank[k].eq(0)
            with m.Elif(touch.any() & (rank[k] < t_rank)):
                m.d.sync += rank[k].eq(rank[k] + 1)

        # ---- tracker updates ----
        new_off = Signal(ob, name="new_off")
        m.d.comb += new_off.eq(s + n)
        for k in range(T):
            with m.If(advance & win[k]):
                m.d.sync += [last[k].eq(x), strm[k].eq(1), down[k].eq(new_down),
                             off[k].eq(new_off)]
            with m.Elif(alloc & victim[k]):
                m.d.sync += [valid[k].eq(1), last[k].eq(x), strm[k].eq(0)]
        with m.If(advance):
            m.d.sync += ptr.eq(win_idx)

        # ---- emitter: `ports` prefetches per cycle ----
        for i in range(P):
            a = Signal(signed(W + 2), name=f"lane{i}_line")
            m.d.comb += a.eq(Mux(e_down, e_base - i, e_base + i))
            m.d.comb += [self.pf_line[i].eq(a[:W]),
                         self.pf_valid[i].eq((e_count > i) & (a[W:] == 0))]
        with m.If(advance):
            m.d.sync += [e_base.eq(base), e_down.eq(new_down), e_count.eq(n)]
        with m.Else():
            m.d.sync += [e_base.eq(Mux(e_down, e_base - P, e_base + P)),
                         e_count.eq(Mux(e_count > P, e_count - P, 0))]
        return m
