"""Run a batch of requests through a :class:`DramSpec`: :func:`simulate_dram`.

Requests are admitted as DRAMsim3's trace front-end admits them (``src/cpu.cc``
TraceBasedCPU, commit 2981759): one per controller cycle, in order, not before the
request's cycle, and blocked (with every later request) while its channel's read
queue or write buffer is full. Statistics follow DRAMsim3's definitions
(``shared/reference/dramsim3.md``, "Columns"): ``cycles`` is the tick of the last
completion + 1; read latency runs from the cycle after a request enters the
controller to the cycle its data returns; a row hit is a column command that is not
the first since its row was opened.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ...errors import ConfigError, InputError
from .spec import DramSpec

__all__ = ["DramStats", "DramResult", "LatencyStats", "EnergyBreakdown", "simulate_dram",
           "map_addresses", "first_out_of_range", "idd_energy"]



@dataclass(frozen=True, kw_only=True)
class LatencyStats:
    """Read latency in controller cycles (nearest-rank percentiles); None without reads."""

    mean: float | None
    p50: float | None
    p90: float | None
    p99: float | None
    p999: float | None
    p9999: float | None
    max: float | None


@dataclass(frozen=True, kw_only=True)
class EnergyBreakdown:
    """Energy in pJ by DRAMsim3's IDD model (its per-cycle increments x tCK in ns)."""

    act: float
    read: float
    write: float
    refresh: float
    refresh_bank: float
    active_standby: float
    precharge_standby: float

    @property
    def total(self) -> float:
        return (self.act + self.read + self.write + self.refresh + self.refresh_bank
                + self.active_standby + self.precharge_standby)


@dataclass(frozen=True, kw_only=True)
class DramStats:
    """Statistics of one run, summed over channels (DRAMsim3's names where it has one)."""

    cycles: int                     # controller cycles until the last completion
    read_latency_mean: float | None  # controller cycles (DRAMsim3 average_read_latency)
    row_hit_rate: float | None      # read row hits / read commands
    requests: int
    reads: int
    writes: int
    reads_done: int
    writes_done: int
    read_cmds: int
    read_row_hits: int
    write_cmds: int
    write_row_hits: int
    act_cmds: int
    pre_cmds: int
    ondemand_pre_cmds: int
    ref_cmds: int
    refb_cmds: int
    dual_cmds: int
    writes_left_in_buffer: int      # posted writes never issued before the run ended
    tck_ns: float
    time_ns: float
    access_bytes: int
    bandwidth_bytes_per_s: float    # requests x access bytes / time
    peak_bandwidth_bytes_per_s: float
    efficiency: float               # bandwidth / peak
    data_bus_utilization: float     # column commands x burst cycles / (cycles x channels)
    read_latency: LatencyStats
    read_latency_ns_mean: float | None
    energy: EnergyBreakdown
    energy_pj: float
    energy_pj_per_bit: float | None
    average_power_mw: float
    dramsim3_energy_raw: float      # DRAMsim3's printed total_energy (V x mA x cycles)
    rank_active_cycles: int         # summed over ranks and channels
    rank_idle_cycles: int
    ticks_simulated: int            # cycles the event-driven loop visited (<= cycles)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["energy"]["total"] = self.energy.total
        return d


@dataclass(frozen=True)
class DramResult:
    """Statistics plus, per request, the completion tick and read latency (-1: write)."""

    stats: DramStats
    done_cycle: np.ndarray
    read_latency: np.ndarray


def idd_energy(spec: DramSpec, *, act: int, read: int, write: int, ref: int, refb: int,
               active_cycles: int, idle_cycles: int) -> EnergyBreakdown:
    """Energy in pJ of these command counts and rank-cycles (active: a bank open; idle:
    all precharged), by DRAMsim3's increments (:meth:`DramSpec.energy_increments`, V x mA
    x cycles) times tCK in ns."""
    inc = spec.energy_increments()
    t = spec.tck_ns
    return EnergyBreakdown(act=act * inc["act"] * t, read=read * inc["read"] * t,
                           write=write * inc["write"] * t, refresh=ref * inc["ref"] * t,
                           refresh_bank=refb * inc["refb"] * t,
                           active_standby=active_cycles * inc["act_stb"] * t,
                           precharge_standby=idle_cycles * inc["pre_stb"] * t)


def map_addresses(spec: DramSpec, addr: np.ndarray) -> dict[str, np.ndarray]:
    """Split byte addresses into ch/ra/bg/ba/ro/co fields (DRAMsim3 AddressMapping)."""
    a = np.asarray(addr, dtype=np.int64) >> spec.shift_bits
    pos, width = spec.field_positions, spec.field_widths
    return {f: (a >> pos[f]) & ((1 << width[f]) - 1) for f in pos}


def first_out_of_range(spec: DramSpec, addr: np.ndarray) -> int:
    """Index of the first address at or beyond the capacity (or negative), else -1."""
    a = np.asarray(addr, dtype=np.int64)
    bad = np.flatnonzero((a < 0) | (a >= spec.capacity_bytes))
    return int(bad[0]) if bad.size else -1


def _tables(spec: DramSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Timing constraints as (issued type, relation, k) -> (slot, delay), from DRAMsim3's
    timing.cc (the derived names below are its names)."""
    from . import _kernel as K

    bc, AL = spec.burst_cycles, spec.AL
    RL, WL = spec.AL + spec.CL, spec.AL + spec.CWL
    read_delay, write_delay = spec.read_delay, spec.write_delay
    rr_l, rr_s = max(bc, spec.tCCD_L), max(bc, spec.tCCD_S)
    rr_o = bc + spec.tRTRS
    rw = RL + bc - WL + spec.tRTRS
    rw_o = read_delay + bc + spec.tRTRS - write_delay
    r_pre = AL + spec.tRTP
    rp_act = AL + bc + spec.tRTP + spec.tRP
    wr_l, wr_s = write_delay + spec.tWTR_L, write_delay + spec.tWTR_S
    wr_o = write_delay + bc + spec.tRTRS - read_delay
    ww_l, ww_s, ww_o = max(bc, spec.tCCD_L), max(bc, spec.tCCD_S), bc
    w_pre = WL + bc + spec.tWR
    p_act = spec.tRP
    r_act, w_act = r_pre + p_act, w_pre + p_act
    a_a, a_a_l, a_a_s = spec.tRC, spec.tRRD_L, spec.tRRD_S
    if spec.bankgroups == 1:
        rr_l, wr_l, ww_l, a_a_l = rr_s, write_delay + spec.tWTR_S, ww_s, a_a_s
    S_RD, S_WR, S_ACT, S_PRE, S_REF, S_REFB = (K.S_RD, K.S_WR, K.S_ACT, K.S_PRE, K.S_REF,
                                                K.S_REFB)
    rd_other = [[(S_RD, rr_l), (S_WR, rw)], [(S_RD, rr_s), (S_WR, rw)],
                [(S_RD, rr_o), (S_WR, rw_o)]]
    wr_other = [[(S_RD, wr_l), (S_WR, ww_l)], [(S_RD, wr_s), (S_WR, ww_s)],
                [(S_RD, wr_o), (S_WR, ww_o)]]
    ppd = spec.protocol.startswith(("GDDR", "LPDDR4", "LPDDR5"))
    ref_rank = [(S_ACT, spec.tRFC), (S_REF, spec.tRFC), (S_REFB, spec.tRFC)]
    rules: dict[int, list[list[tuple[int, int]]]] = {
        K.RD: [[(S_RD, rr_l), (S_WR, rw), (S_PRE, r_pre)], *rd_other],
        K.WR: [[(S_RD, wr_l), (S_WR, ww_l), (S_PRE, w_pre)], *wr_other],
        K.RDA: [[(S_ACT, rp_act), (S_REF, r_act), (S_REFB, r_act)], *rd_other],
        K.WRA: [[(S_ACT, w_act), (S_REF, w_act), (S_REFB, w_act)], *wr_other],
        K.ACT: [[(S_ACT, a_a), (S_RD, spec.tRCD), (S_WR, spec.tRCDWR), (S_PRE, spec.tRAS)],
                [(S_ACT, a_a_l), (S_REFB, spec.tRC)], [(S_ACT, a_a_s), (S_REFB, spec.tRC)],
                []],
        K.PRE: [[(S_ACT, p_act), (S_REF, p_act), (S_REFB, p_act)],
                [(S_PRE, spec.tPPD)] if ppd else [], [(S_PRE, spec.tPPD)] if ppd else [], []],
        # REFRESH: DRAMsim3's same_rank list, on every bank of the rank
        K.REF: [ref_rank, ref_rank, ref_rank, []],
        # per-bank refresh: DRAMsim3's own table is not usable here (it constrains
        # nothing after REFb at 2981759), so janus1 follows JEDEC (JESD209-4/-5,
        # "per-bank refresh"): the bank is busy tRFCpb; other banks of the rank may
        # activate after tRRD and take the next REFpb after tRFCpb (no overlap).
        K.REFB: [[(S_ACT, spec.tRFCb), (S_REF, spec.tRFCb), (S_REFB, spec.tRFCb)],
                 [(S_ACT, a_a_l), (S_REFB, spec.tRFCb)], [(S_ACT, a_a_s), (S_REFB, spec.tRFCb)],
                 []],
    }
    # the nesting the kernel's three-level timing relies on (see _kernel.nxt_b)
    for ty, rels in rules.items():
        same_group, other_group = dict(rels[1]), dict(rels[2])
        for slot, d in other_group.items():
            if slot not in same_group or same_group[slot] < d:
                raise ConfigError(f"{spec.name}: timing constraints do not nest (command "
                                  f"{ty}, slot {slot}): a _S timing exceeds its _L one")
    tab_n = np.zeros((K.N_TYPES, 4), np.int64)
    tab_s = np.zeros((K.N_TYPES, 4, K.N_SLOTS), np.int64)
    tab_d = np.zeros((K.N_TYPES, 4, K.N_SLOTS), np.int64)
    for ty, rels in rules.items():
        for rel, pairs in enumerate(rels):
            tab_n[ty, rel] = len(pairs)
            for k, (s, d) in enumerate(pairs):
                tab_s[ty, rel, k] = s
                tab_d[ty, rel, k] = d
    return tab_n, tab_s, tab_d


def _latency_stats(lat: np.ndarray) -> LatencyStats:
    """The cache simulator's percentiles (nearest rank), max and mean, by its one routine:
    latencies are small non-negative integers, so their bincount is an exact histogram."""
    from ..result import histogram_latency

    if lat.size == 0:
        return LatencyStats(mean=None, p50=None, p90=None, p99=None, p999=None, p9999=None,
                            max=None)
    return LatencyStats(**histogram_latency(np.bincount(lat)))


def simulate_dram(spec: DramSpec, addresses: np.ndarray, is_write: np.ndarray,
                  cycles: np.ndarray | None = None, *, access_bytes: int = 64) -> DramResult:
    """Simulate a batch of requests.

    Args:
        spec: the DRAM system.
        addresses: byte addresses (int64), below ``spec.capacity_bytes``.
        is_write: per request, true for a write.
        cycles: per request, the earliest controller cycle it may enter (DRAMsim3 trace
            cycle); None: offered one per cycle (request i at cycle i).
        access_bytes: bytes per request, for bandwidth and energy per bit only.

    Raises:
        InputError: arrays of different lengths, an address out of range, a negative cycle.
    """
    from . import _kernel as K

    addr = np.ascontiguousarray(addresses, dtype=np.int64)
    wr = np.ascontiguousarray(is_write, dtype=np.int8)
    n = addr.shape[0]
    cyc = (np.arange(n, dtype=np.int64) if cycles is None
           else np.ascontiguousarray(cycles, dtype=np.int64))
    if addr.ndim != 1 or wr.shape != addr.shape or cyc.shape != addr.shape:
        raise InputError("addresses, is_write and cycles must be 1-D arrays of one length")
    bad = first_out_of_range(spec, addr)
    if bad >= 0:
        raise InputError(f"request {bad}: address {int(addr[bad]):#x} is beyond the "
                         f"configured capacity ({spec.capacity_bytes} bytes, "
                         f"{spec.address_bits} address bits)")
    if n and int(cyc.min()) < 0:
        raise InputError(f"request {int(np.argmin(cyc))}: negative cycle")
    perbank = spec.queue_structure == "PER_BANK"
    fields = ("ch", "ra", "bg", "ba", "ro", "co")
    pos = np.array([spec.field_positions[k] for k in fields], np.int64)
    mask = np.array([(1 << spec.field_widths[k]) - 1 for k in fields], np.int64)
    ch, bank, q, row, col = K.map_fields(addr, spec.shift_bits, pos, mask, spec.banks,
                                         spec.banks_per_group, perbank)
    nq = spec.ranks * spec.banks if perbank else spec.ranks
    policy = {"RANK_LEVEL_STAGGERED": K.REF_RANK_STAGGERED,
              "RANK_LEVEL_SIMULTANEOUS": K.REF_RANK_SIMULTANEOUS,
              "BANK_LEVEL_STAGGERED": K.REF_BANK_STAGGERED}[spec.refresh_policy]
    refint = {K.REF_RANK_STAGGERED: spec.tREFI // spec.ranks,
              K.REF_RANK_SIMULTANEOUS: spec.tREFI,
              K.REF_BANK_STAGGERED: spec.tREFIb}[policy]
    P = np.zeros(K.N_PARAMS, np.int64)
    P[K.P_NCH], P[K.P_NRANKS], P[K.P_NBANKS] = spec.channels, spec.ranks, spec.banks
    P[K.P_NQ], P[K.P_QCAP], P[K.P_TQ] = nq, spec.cmd_queue_size, spec.trans_queue_size
    P[K.P_RDELAY], P[K.P_REFINT], P[K.P_REFPOL] = spec.read_delay, max(refint, 1), policy
    P[K.P_CLOSE] = spec.row_buf_policy == "CLOSE_PAGE"
    P[K.P_DUAL], P[K.P_TFAW], P[K.P_T32AW] = spec.dual_cmd, spec.tFAW, spec.t32AW
    P[K.P_DRAIN], P[K.P_NBG], P[K.P_BPG] = spec.write_drain_low, spec.bankgroups, \
        spec.banks_per_group
    P[K.P_PERBANK] = perbank
    tab_n, tab_s, tab_d = _tables(spec)
    bank_rank = np.arange(spec.ranks * spec.banks, dtype=np.int64) // spec.banks
    done = np.full(n, -1, np.int64)
    lat = np.full(n, -1, np.int64)
    counters = np.zeros((spec.channels, K.N_COUNTERS), np.int64)
    power = np.zeros((spec.channels, spec.ranks, 2), np.int64)
    bank_grp = np.arange(spec.ranks * spec.banks, dtype=np.int64) // spec.banks_per_group
    last = int(K.simulate_kernel(P, tab_n, tab_s, tab_d, bank_rank, bank_grp,
                                 ch, bank, q, row, col, addr, wr, cyc, done, lat, counters,
                                 power))
    if last == -2:  # pragma: no cover - a model bug, not a user error
        raise RuntimeError("DRAM model stalled with requests outstanding")
    return DramResult(stats=_stats(spec, n, wr, lat, counters, power, last, access_bytes),
                      done_cycle=done, read_latency=lat)


def _stats(spec: DramSpec, n: int, wr: np.ndarray, lat: np.ndarray, counters: np.ndarray,
           power: np.ndarray, last: int, access_bytes: int) -> DramStats:
    from . import _kernel as K

    tot = counters.sum(axis=0)
    cycles = last + 1
    writes = int(wr.sum())
    reads = n - writes
    rlat = lat[wr == 0]
    time_ns = cycles * spec.tck_ns
    active, idle = int(power[:, :, 0].sum()), int(power[:, :, 1].sum())
    energy = idd_energy(spec, act=int(tot[K.C_ACT]), read=int(tot[K.C_RD]),
                        write=int(tot[K.C_WR]), ref=int(tot[K.C_REF]),
                        refb=int(tot[K.C_REFB]), active_cycles=active, idle_cycles=idle)
    raw_total = energy.total / spec.tck_ns
    bw = n * access_bytes / (time_ns * 1e-9) if cycles > 0 else 0.0
    peak = spec.peak_bandwidth_bytes_per_s
    rd_cmds = int(tot[K.C_RD])
    lstats = _latency_stats(rlat)
    return DramStats(
        cycles=cycles, read_latency_mean=lstats.mean,
        row_hit_rate=(int(tot[K.C_RDHIT]) / rd_cmds) if rd_cmds else None,
        requests=n, reads=reads, writes=writes, reads_done=int(tot[K.C_READS_DONE]),
        writes_done=int(tot[K.C_WRITES_DONE]), read_cmds=rd_cmds,
        read_row_hits=int(tot[K.C_RDHIT]), write_cmds=int(tot[K.C_WR]),
        write_row_hits=int(tot[K.C_WRHIT]), act_cmds=int(tot[K.C_ACT]),
        pre_cmds=int(tot[K.C_PRE]), ondemand_pre_cmds=int(tot[K.C_ONDEMAND]),
        ref_cmds=int(tot[K.C_REF]), refb_cmds=int(tot[K.C_REFB]), dual_cmds=int(tot[K.C_DUAL]),
        writes_left_in_buffer=int(tot[K.C_WB_LEFT]), tck_ns=spec.tck_ns, time_ns=time_ns,
        access_bytes=access_bytes, bandwidth_bytes_per_s=bw, peak_bandwidth_bytes_per_s=peak,
        efficiency=bw / peak if peak else 0.0,
        data_bus_utilization=((rd_cmds + int(tot[K.C_WR])) * spec.burst_cycles
                              / (cycles * spec.channels)) if cycles > 0 else 0.0,
        read_latency=lstats,
        read_latency_ns_mean=None if lstats.mean is None else lstats.mean * spec.tck_ns,
        energy=energy, energy_pj=raw_total * spec.tck_ns,
        energy_pj_per_bit=(raw_total * spec.tck_ns / (n * access_bytes * 8)) if n else None,
        average_power_mw=raw_total / cycles if cycles > 0 else 0.0,
        dramsim3_energy_raw=raw_total, rank_active_cycles=active, rank_idle_cycles=idle,
        ticks_simulated=int(tot[K.C_TICKS]))
