"""Janus-Prefetch-1 in hardware: its parameters and its Python golden model.

The behaviour is the simulator's stream prefetcher (:mod:`janus1.sim.prefetch.stream`,
Palacharla & Kessler, ISCA 1994): ``trackers`` FSMs (invalid -> training -> streaming),
a demand miss near no tracker allocates the least recently used one, an access within
``window`` lines of a training tracker fixes its direction, and each access that
advances a streaming tracker issues up to ``degree`` prefetches no more than
``lookahead`` lines ahead. The trackers are tried from the one that matched last.

:class:`StreamModel` restates that behaviour in plain Python with the simulator's own
bookkeeping (a global clock and LRU stamps, the next line to prefetch as an absolute
line number), independently of the simulator's state-array layout: the tests check it
against the simulator's compiled hook access by access, and the RTL
(:mod:`._prefetcher_hdl`, which keeps LRU ranks and a small offset instead) against it.

Addresses: ``address_bits``-bit physical byte addresses and ``line_bytes`` lines give
``line_bits``-bit line addresses (48 and 64 -> 42 bits). A prefetch that would leave
``[0, 2**line_bits)`` is not issued (the simulator drops lines below 0 the same way;
above the top there is no line to fetch).

This module imports neither Amaranth nor numba.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ..errors import ConfigError

__all__ = ["PrefetcherParams", "StreamModel", "LIMITS"]

# The RTL's own ranges (inclusive). The sweep of issue 21 spans trackers 1..8 and
# look-ahead 4..32; the bounds leave room around it while keeping elaboration small.
LIMITS: dict[str, tuple[int, int]] = {
    "trackers": (1, 32),
    "lookahead": (1, 1024),
    "degree": (1, 64),          # the simulator's bound (its pf_out holds 64 lines)
    "window": (1, 1024),
    "ports": (1, 64),           # prefetch addresses emitted per cycle (<= degree)
    "address_bits": (16, 64),   # the simulator's lines are int64
    "line_bytes": (4, 4096),    # a power of two
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PrefetcherParams:
    """Parameters of the ``prefetcher`` block.

    The first four are the simulator's stream ``Config`` fields (same names, same
    defaults, see :meth:`from_sim`); the rest fix the hardware's widths and ports.
    """

    trackers: int = 8          # concurrent streams (sim stream.Config default)
    lookahead: int = 16        # lines prefetches may run ahead of the demand line
    degree: int = 4            # prefetches per advancing access
    window: int = 4            # lines a demand may skip and still belong to a stream
    address_bits: int = 48     # physical byte-address width (x86-64/Arm v8 common 48)
    line_bytes: int = 64       # cache line (the simulator's hierarchies use 64 B)
    ports: int = 1             # prefetch line addresses emitted per cycle

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise ConfigError(f"prefetcher: {f.name} must be an integer, not {v!r}")
            lo, hi = LIMITS[f.name]
            if not lo <= v <= hi:
                raise ConfigError(f"prefetcher: {f.name} must be in {lo}..{hi}, not {v}")
        if self.line_bytes & (self.line_bytes - 1):
            raise ConfigError(f"prefetcher: line_bytes must be a power of two, not "
                              f"{self.line_bytes}")
        if self.ports > self.degree:
            raise ConfigError(f"prefetcher: ports ({self.ports}) must not exceed degree "
                              f"({self.degree})")
        reach = self.window + self.lookahead + 1  # farthest line a tracker compares
        if self.line_bits < 8 or reach >= 1 << (self.line_bits - 1):
            raise ConfigError(
                f"prefetcher: address_bits {self.address_bits} with {self.line_bytes}-byte "
                f"lines leaves {self.line_bits}-bit line addresses, too narrow for "
                f"window + lookahead = {reach - 1} lines")

    @property
    def line_bits(self) -> int:
        """Width of a line address: ``address_bits - log2(line_bytes)``."""
        return self.address_bits - (self.line_bytes.bit_length() - 1)

    @classmethod
    def from_sim(cls, options: dict[str, Any] | None = None, **hw: int) -> PrefetcherParams:
        """Parameters from the simulator's stream configuration (its defaults when
        ``options`` is empty) plus hardware fields in ``hw``."""
        from ..sim.prefetch import build_prefetcher

        _, cfg, _ = build_prefetcher("stream", options or {})
        return cls(trackers=cfg.trackers, lookahead=cfg.lookahead, degree=cfg.degree,
                   window=cfg.window, **hw)

    def label(self) -> str:
        """A short description, e.g. ``trackers=8 lookahead=16 degree=4 window=4 ...``."""
        return " ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))


class StreamModel:
    """Janus-Prefetch-1's behaviour, access by access (the golden model).

    :meth:`access` takes a demand line and whether it hit the first level and returns the
    lines to prefetch, in issue order, exactly as the simulator's hook writes them
    (possibly below 0); :meth:`issued` filters those to the hardware's address space.
    """

    def __init__(self, p: PrefetcherParams) -> None:
        self.p = p
        self.clock = 0                       # accesses seen
        self.last_hit = 0                    # the tracker that matched last
        n = p.trackers
        self.valid = [False] * n
        self.last = [0] * n                  # last demand line of the stream
        self.dir = [0] * n                   # 0 = training, +1 up, -1 down
        self.next = [0] * n                  # next line to prefetch (absolute)
        self.stamp = [0] * n                 # clock of the last touch (LRU)

    def access(self, x: int, hit: bool) -> list[int]:
        p = self.p
        self.clock += 1
        out: list[int] = []
        found = -1
        for j in range(p.trackers):          # from the last matched tracker, wrapping
            k = (self.last_hit + j) % p.trackers
            if not self.valid[k]:
                continue
            d = x - self.last[k]
            if self.dir[k] == 0:             # training: any move within the window
                if d != 0 and -p.window <= d <= p.window:
                    self.dir[k] = 1 if d > 0 else -1
                    self.next[k] = x + self.dir[k]
                    found = k
                    break
            elif 0 < d * self.dir[k] <= p.window + p.lookahead:  # streaming: ahead
                found = k
                break
        if found >= 0:
            k = found
            self.last_hit = k
            step = self.dir[k]
            self.last[k] = x
            self.stamp[k] = self.clock
            nxt = self.next[k]
            if (nxt - x) * step <= 0:        # the demand overtook the prefetches
                nxt = x + step
            while len(out) < p.degree and (nxt - x) * step <= p.lookahead:
                out.append(nxt)
                nxt += step
            self.next[k] = nxt
        elif not hit:                        # a miss near no stream: allocate
            victim = 0
            oldest = self.stamp[0]
            for k in range(p.trackers):
                if not self.valid[k]:
                    victim = k
                    break
                if self.stamp[k] < oldest:
                    oldest = self.stamp[k]
                    victim = k
            self.valid[victim] = True
            self.last[victim] = x
            self.dir[victim] = 0
            self.next[victim] = 0
            self.stamp[victim] = self.clock
        return out

    def issued(self, lines: list[int]) -> list[int]:
        """The lines of :meth:`access`'s answer that lie in the hardware's address space."""
        top = 1 << self.p.line_bits
        return [y for y in lines if 0 <= y < top]
