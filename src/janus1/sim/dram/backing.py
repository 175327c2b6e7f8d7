"""A DRAM model as the cache simulator's backing store: :class:`DramBacking`.

It holds the state arrays of :mod:`._stream` (the per-request model the timed kernel
calls for every line read and write that leaves the last level) and turns them into
:class:`BackingStats`. See ``docs/dram.md`` ("Behind the cache hierarchy") for what
the model does and where it departs from the standalone controller.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .model import EnergyBreakdown, idd_energy
from .spec import DramSpec

__all__ = ["DramBacking", "BackingStats", "replay_requests"]


@dataclass(frozen=True, kw_only=True)
class BackingStats:
    """What the DRAM did behind a hierarchy (bursts and commands summed over channels;
    cycles are controller cycles of ``tck_ns``)."""

    dram: str                        # the DRAM configuration's name
    tck_ns: float
    cycles: int                      # controller cycles to the last completion (or the run's end)
    read_bursts: int                 # burst reads asked for (a line is one or more bursts)
    write_bursts: int
    forwarded_reads: int             # reads served from the write buffer
    read_cmds: int
    read_row_hits: int
    write_cmds: int
    write_row_hits: int
    act_cmds: int
    pre_cmds: int
    ref_cmds: int
    refb_cmds: int
    read_latency_mean: float | None  # controller cycles, arrival to data (as DRAMsim3)
    row_hit_rate: float | None       # read row hits / read commands
    active_cycles: int               # rank-cycles with a bank open, summed over ranks
    idle_cycles: int
    energy: EnergyBreakdown          # pJ, DRAMsim3's IDD model
    energy_pj: float

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["energy"]["total"] = self.energy.total
        return d


class DramBacking:
    """The state of one DRAM behind a hierarchy clocked at ``clock_hz`` whose last
    level has ``line_bytes`` lines. ``dp``/``ds`` go to the timed kernel."""

    def __init__(self, spec: DramSpec, *, clock_hz: float, line_bytes: int) -> None:
        from . import _stream as M
        from ._kernel import REF_BANK_STAGGERED, REF_RANK_SIMULTANEOUS, REF_RANK_STAGGERED
        from .model import _tables

        self.spec = spec
        nch, nr, nbk = spec.channels, spec.ranks, spec.banks
        nb = nr * nbk
        policy = {"RANK_LEVEL_STAGGERED": REF_RANK_STAGGERED,
                  "RANK_LEVEL_SIMULTANEOUS": REF_RANK_SIMULTANEOUS,
                  "BANK_LEVEL_STAGGERED": REF_BANK_STAGGERED}[spec.refresh_policy]
        dp = np.zeros(M.N_DP + 2 * nb, np.int64)
        flat = np.arange(nb, dtype=np.int64)
        dp[M.D_BMAP: M.D_BMAP + nb] = flat // nbk                      # rank
        dp[M.D_BMAP + nb: M.D_BMAP + 2 * nb] = flat // spec.banks_per_group  # bank group
        dp[M.D_NCH], dp[M.D_NRANKS], dp[M.D_NBANKS] = nch, nr, nbk
        dp[M.D_NBG], dp[M.D_BPG] = spec.bankgroups, spec.banks_per_group
        dp[M.D_SHIFT] = spec.shift_bits
        dp[M.D_CAPMASK] = spec.capacity_bytes - 1
        dp[M.D_RDELAY] = spec.read_delay
        dp[M.D_CLOSE] = spec.row_buf_policy == "CLOSE_PAGE"
        dp[M.D_TFAW], dp[M.D_T32AW] = spec.tFAW, spec.t32AW
        dp[M.D_REFPOL] = policy
        # refresh units and their period, as DRAMsim3 staggers them (see _kernel): one
        # refresh every `step` cycles in rotation, so each unit every step x units
        if policy == REF_BANK_STAGGERED:
            units, step = nb, max(spec.tREFIb, 1)
        elif policy == REF_RANK_STAGGERED:
            units, step = nr, max(spec.tREFI // nr, 1)
        else:
            units, step = nr, max(spec.tREFI, 1)
        dp[M.D_NUNITS] = units
        dp[M.D_REFSTEP] = step
        dp[M.D_REFPERIOD] = step if policy == REF_RANK_SIMULTANEOUS else step * units
        dp[M.D_WBCAP] = spec.trans_queue_size
        dp[M.D_DRAIN] = spec.write_drain_low
        # clock crossing in integer femtoseconds, reduced
        ph = round(1e15 / clock_hz)
        pd = round(spec.tck_ns * 1e6)
        g = math.gcd(ph, pd)
        dp[M.D_PH], dp[M.D_PD] = ph // g, pd // g
        dp[M.D_NBURST] = max(1, line_bytes // spec.request_bytes)
        dp[M.D_REQBYTES] = spec.request_bytes
        pos, width = spec.field_positions, spec.field_widths
        dp[M.D_KEYMASK] = ((1 << sum(width.values())) - 1) & ~(
            ((1 << width["co"]) - 1) << pos["co"])
        for i, f in enumerate(("ch", "ra", "bg", "ba", "ro", "co")):
            dp[M.D_POS + i] = pos[f]
            dp[M.D_MASK + i] = (1 << width[f]) - 1
        tab_n, tab_s, tab_d = _tables(spec)
        dp[M.D_TAB_N: M.D_TAB_N + 32] = tab_n.reshape(-1)
        dp[M.D_TAB_S: M.D_TAB_S + 32 * M.N_SLOTS] = tab_s.reshape(-1)
        dp[M.D_TAB_D: M.D_TAB_D + 32 * M.N_SLOTS] = tab_d.reshape(-1)
        # a RD's rows of the table by relation and slot (a large negative delay: no
        # constraint; _read_hit applies the RD, WR and PRE slots, the only ones a RD sets)
        rdt = np.full((4, M.N_SLOTS), -(1 << 40), np.int64)
        for rel in range(4):
            for m in range(int(tab_n[M.RD, rel])):
                slot = int(tab_s[M.RD, rel, m])
                assert slot in (M.S_RD, M.S_WR, M.S_PRE), "a RD constrains RD/WR/PRE only"
                rdt[rel, slot] = max(rdt[rel, slot], int(tab_d[M.RD, rel, m]))
        dp[M.D_RDT: M.D_RDT + 4 * M.N_SLOTS] = rdt.reshape(-1)
        dp[M.D_RR] = rdt[0, M.S_RD]
        # state blocks, in order
        # (the per-channel scalars first: the streak reads touch only them)
        sizes = ((M.D_O_CH, nch * M.N_CH), (M.D_O_OPEN, nch * nb), (M.D_O_HITS, nch * nb),
                 (M.D_O_NXB, nch * nb * M.N_SLOTS),
                 (M.D_O_NXG, nch * nr * spec.bankgroups * M.N_SLOTS),
                 (M.D_O_NXR, nch * nr * M.N_SLOTS), (M.D_O_FAW, nch * nr * M.FAW_LEN),
                 (M.D_O_AW, nch * nr * M.AW_LEN), (M.D_O_OCNT, nch * nr),
                 (M.D_O_PWR, nch * nr * M.PW_LEN), (M.D_O_REF, nch * units),
                 (M.D_O_WB, nch * spec.trans_queue_size * M.WB_LEN), (M.D_O_CNT, nch * M.N_K))
        off = 0
        for key, n in sizes:
            dp[key] = off
            off += n
        ds = np.zeros(off, np.int64)
        ds[dp[M.D_O_OPEN]: dp[M.D_O_OPEN] + nch * nb] = -1
        first = np.arange(1, units + 1, dtype=np.int64) * step
        if policy == REF_RANK_SIMULTANEOUS:
            first[:] = step
        for c in range(nch):
            ds[dp[M.D_O_REF] + c * units: dp[M.D_O_REF] + (c + 1) * units] = first
            ds[dp[M.D_O_CH] + c * M.N_CH + M.CH_REF_NEXT] = first.min()
            ds[dp[M.D_O_CH] + c * M.N_CH + M.CH_SK_BANK] = -1  # no streak
            ds[dp[M.D_O_CH] + c * M.N_CH + M.CH_SK_KEY] = -1
        self.dp = dp
        self.ds = ds

    @property
    def ratios(self) -> tuple[float, float]:
        """The clock ratios as floats, hierarchy to controller cycles and back (for
        :func:`janus1.sim.dram._stream.dram_read_fast`)."""
        from . import _stream as M

        ph, pd = int(self.dp[M.D_PH]), int(self.dp[M.D_PD])
        return ph / pd, pd / ph

    @property
    def idle_latency_ns(self) -> float:
        return self.spec.idle_read_latency_ns

    def stats(self, end_cycle: int) -> BackingStats:
        """Statistics of the run so far, ended at hierarchy cycle ``end_cycle``: the write
        buffers drained and rank states accounted to the end, on a copy of the state
        (the run may go on)."""
        from . import _stream as M

        ds = self.ds.copy()
        end = int(M.dram_finish(self.dp, ds, int(end_cycle)))
        spec, dp = self.spec, self.dp
        cnt = ds[dp[M.D_O_CNT]: dp[M.D_O_CNT] + spec.channels * M.N_K].reshape(
            spec.channels, M.N_K)
        tot = cnt.sum(axis=0)
        pwr = ds[dp[M.D_O_PWR]: dp[M.D_O_PWR] + spec.channels * spec.ranks * M.PW_LEN
                 ].reshape(-1, M.PW_LEN)
        active, idle = int(pwr[:, M.PW_ACTIVE].sum()), int(pwr[:, M.PW_IDLE].sum())
        energy = idd_energy(spec, act=int(tot[M.K_ACT]), read=int(tot[M.K_RD]),
                            write=int(tot[M.K_WR]), ref=int(tot[M.K_REF]),
                            refb=int(tot[M.K_REFB]), active_cycles=active, idle_cycles=idle)
        chs = ds[dp[M.D_O_CH]: dp[M.D_O_CH] + spec.channels * M.N_CH].reshape(-1, M.N_CH)
        reads = int(chs[:, M.CH_READS].sum())
        rd_cmds = int(tot[M.K_RD])
        return BackingStats(
            dram=spec.name, tck_ns=spec.tck_ns, cycles=end, read_bursts=reads,
            write_bursts=int(tot[M.K_WRITES]), forwarded_reads=int(tot[M.K_FWD]),
            read_cmds=rd_cmds, read_row_hits=int(tot[M.K_RDHIT]), write_cmds=int(tot[M.K_WR]),
            write_row_hits=int(tot[M.K_WRHIT]), act_cmds=int(tot[M.K_ACT]),
            pre_cmds=int(tot[M.K_PRE]), ref_cmds=int(tot[M.K_REF]),
            refb_cmds=int(tot[M.K_REFB]),
            read_latency_mean=int(chs[:, M.CH_RLAT_SUM].sum()) / reads if reads else None,
            row_hit_rate=int(tot[M.K_RDHIT]) / rd_cmds if rd_cmds else None,
            active_cycles=active, idle_cycles=idle, energy=energy, energy_pj=energy.total)


def replay_requests(spec: DramSpec, addresses: np.ndarray, is_write: np.ndarray,
                    cycles: np.ndarray) -> BackingStats:
    """The hierarchy's DRAM model on a batch of requests arriving at ``cycles``
    (controller cycles, non-decreasing): what it does behind the caches, for comparison
    with :func:`janus1.sim.dram.simulate_dram` (the standalone controller)."""
    from . import _stream as M

    b = DramBacking(spec, clock_hz=1e9 / spec.tck_ns, line_bytes=spec.request_bytes)
    t = np.ascontiguousarray(cycles, dtype=np.int64)
    last = int(M.replay(b.dp, b.ds, t, np.ascontiguousarray(addresses, dtype=np.int64),
                        np.ascontiguousarray(is_write, dtype=np.int64)))
    return b.stats(max(last, int(t[-1]) if t.size else 0))
