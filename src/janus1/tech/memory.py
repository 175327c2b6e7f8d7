"""Memory macro model: SRAM, eDRAM (with refresh) and STT-MRAM per process node.

A physically structured model with a few coefficients per cell type, fitted to the
CACTI 7 reference tables (``shared/reference/cacti_sram.csv``, ``cacti_edram.csv``;
the fit is :func:`janus1.tech._fit.fit_coefficients`, the stored result
:mod:`janus1.tech._coeffs`). Nothing in here looks a CACTI row up.

Structure (bits = capacity x 8, Mb = 10^6 bits, λ = effective feature size of the
node, see :class:`janus1.tech.nodes.NodeInfo.feature_nm`):

* area = bits x cell area  +  banks x P x (Mb per bank)^g x (λ/45 nm)^d.
  The first term is the cell array (published or CACTI cells, :mod:`.cells`); the
  second the periphery (decoders, sense amplifiers, drivers, routing), which grows a
  little slower than the capacity and scales with the logic pitch, not with the cell.
* read energy = s_E(node) x sqrt(area) x (c_io x io_bits/512 + c_addr): the H-tree
  wires that carry address and data grow with the side of the macro; s_E is
  (λ/45)^β in the CACTI range and V² below 22 nm (wire capacitance per mm is about
  constant, so only the supply scales it).
* access latency = s_t(node) x (t_0 + t_1 x sqrt(area)) (repeated wires are linear in
  length).
* leakage (excluding refresh) at 300 K = ρ(cell, node) x Mb^(γ + γ2 ln Mb) x banks^q x
  e^(μ·[banks>1]): a per-bit device leakage per node (CACTI's ITRS device tables are not monotonic in
  node, so it is one coefficient per node) times bank overheads; below 22 nm it is
  scaled from 22 nm by cell area x Vdd x a FinFET subthreshold-slope factor (1/13). Temperature: the subthreshold law
  (T/T0)² exp(Vth/(n k/q) (1/T0 - 1/T)) with Vth = 0.30 V, n = 1.5 (leakage roughly
  doubles every 25 °C; Roy et al., Proc. IEEE 2003, eq. 2).
* refresh = bits x e_ref / t_ret(T): e_ref per bit = r x (λ/45)^r1 (bit-line charge
  scales with the node); t_ret is the refresh period the cell is specified for up to
  T_spec and halves every 10 °C above it (JEDEC 2x refresh above 85 °C; the retention
  of DRAM cells halves about every 10 °C, Hamamoto et al., IEEE TED 1998).
* STT-MRAM: the itrs-lstp periphery, wires and leakage with the MRAM cell; the
  cells themselves do not leak and need no refresh; writes add a per-bit MTJ
  switching energy (Samsung 14 nm about 25 pJ/bit; imec 3-5 nm DTCO 1.1-1.4 pJ/bit;
  interpolated in log-log between, [S] ANCHORS.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..errors import ConfigError
from ..limits import check_float, check_int
from . import _coeffs
from .cells import CELLS, cell_area_um2, check_cell
from .nodes import NODES, NodeInfo, parse_node

__all__ = ["MacroResult", "macro", "leakage_temperature_factor", "retention_us",
           "RETICLE_LIMIT_MM2", "predict_cacti_row", "Tables"]

# (COEFFS, LEAK_NODE) as in :mod:`janus1.tech._coeffs`.
Tables = tuple[dict[str, dict[str, float]], dict[str, dict[int, float]]]

# Largest die one exposure can print: 26 mm x 33 mm [P: ASML scanner field, every
# EUV/DUV tool since the 1990s]. A tier that needs more cannot be one die.
RETICLE_LIMIT_MM2 = 26.0 * 33.0

# Argument bounds (no physical macro comes near them; they keep the arithmetic finite):
MAX_CAPACITY_BYTES = 1 << 50      # 1 PiB
MAX_BANKS = 1 << 20
MAX_BLOCK_BYTES = 1 << 20
MAX_TEMPERATURE_C = 1000.0        # silicon melts at 1414 °C; the thermal solver stops at 250

T0_K = 300.0                 # CACTI's reference temperature (cacti.md)
_VTH_V = 0.30                # effective threshold for the leakage-temperature law
_N_SUB = 1.5                 # subthreshold slope factor
_KB_Q = 8.617e-5             # Boltzmann constant / electron charge (V/K)

# Refresh specifications (period, and the junction temperature it holds to):
# comm-dram 64 ms to 85 °C [P: JEDEC JESD79-3 tREFW]; CACTI uses 64 ms (cacti.md).
# lp-dram: CACTI's computed worst-case period at 90..32 nm (cacti.md: 128, 137.8,
# 126.9, 119 µs), taken as holding to 95 °C like Intel's 22 nm eDRAM, which retains
# 100 µs at 95 °C [S: Hamzaoglu JSSC 2015, ANCHORS.md]; 22 nm and below use Intel's.
_LP_RET_US = {90: 128.0, 65: 137.8, 45: 126.9, 32: 119.0}
_INTEL_RET_US, _LP_SPEC_C = 100.0, 95.0
_COMM_RET_US, _COMM_SPEC_C = 64000.0, 85.0

# MTJ write energy per bit (pJ) [S: ANCHORS.md]: Samsung 14 nm 25; imec 3-5 nm 1.25 (mid
# of 1.1-1.4). Interpolated log-log in node between 14 and 4 nm, held outside.
_MTJ_WRITE_PJ = ((14.0, 25.0), (4.0, 1.25))
# MRAM read latency adds the MTJ sense time; TSMC 22 nm eMRAM reads in about 10 ns
# [S: TSMC ISSCC 2020 via press]; imec projects 7-15 ns writes [S: ANCHORS.md].
_MRAM_WRITE_NS = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class MacroResult:
    """One memory macro (all banks), as the model sees it.

    Energies are per access of ``block_bytes`` (one bank, including routing);
    ``leakage_mw`` excludes refresh; both are at ``temperature_c``.
    """

    tech: str                 # sram | edram | mram
    cell: str                 # CACTI cell name or stt-mram
    node_nm: int
    capacity_bytes: int
    banks: int
    block_bytes: int
    io_bits: int
    temperature_c: float
    area_mm2: float
    cell_area_mm2: float      # bits x cell area (the array efficiency is its share)
    read_energy_pj: float
    write_energy_pj: float
    leakage_mw: float         # subthreshold + gate leakage, no refresh
    refresh_mw: float         # 0 for SRAM and MRAM
    retention_us: float       # refresh period used (0 when none)
    latency_ns: float         # random read access time
    write_latency_ns: float
    warnings: tuple[str, ...] = field(default=())

    @property
    def static_mw(self) -> float:
        """Leakage plus refresh (mW)."""
        return self.leakage_mw + self.refresh_mw

    @property
    def density_mbit_per_mm2(self) -> float:
        """Macro density in 10^6 bits per mm²."""
        return self.capacity_bytes * 8 / 1e6 / self.area_mm2

    @property
    def array_efficiency(self) -> float:
        """Cell area over total area (0..1)."""
        return self.cell_area_mm2 / self.area_mm2

    def dynamic_w(self, accesses_per_s: float, write_fraction: float = 0.0) -> float:
        """Dynamic power at an access rate (accesses of ``block_bytes`` per second)."""
        e = (1 - write_fraction) * self.read_energy_pj + write_fraction * self.write_energy_pj
        return accesses_per_s * e * 1e-12


def leakage_temperature_factor(temperature_c: float) -> float:
    """Leakage at ``temperature_c`` relative to 300 K (subthreshold law, see module doc)."""
    temperature_c = check_float(temperature_c, "temperature", hi=MAX_TEMPERATURE_C)
    t = temperature_c + 273.15
    if t <= 0:
        raise ConfigError(f"temperature {temperature_c} °C is below absolute zero")
    q = _VTH_V / (_N_SUB * _KB_Q)
    return (t / T0_K) ** 2 * math.exp(q * (1.0 / T0_K - 1.0 / t))


def retention_us(cell: str, node: NodeInfo, temperature_c: float | None) -> float:
    """Refresh period (µs) of a DRAM cell at a junction temperature.

    ``None`` means CACTI's convention: the specified period, no temperature scaling.
    """
    if cell == "comm-dram":
        base, spec = _COMM_RET_US, _COMM_SPEC_C
    elif cell == "lp-dram":
        base, spec = _LP_RET_US.get(node.node_nm, _INTEL_RET_US), _LP_SPEC_C
    else:
        return 0.0
    if temperature_c is None or temperature_c <= spec:
        return base
    return base * 2.0 ** (-(temperature_c - spec) / 10.0)


# FinFET/GAA nodes (below 22 nm here; CACTI's 22 nm is a planar ITRS device): the
# subthreshold swing drops from about 95 mV/dec (planar HP) to about 70 mV/dec
# [P: Auth et al., VLSI 2012, Intel 22 nm tri-gate], so at the same Vth (0.30 V) the
# off current falls by 10^(0.30/0.070 - 0.30/0.095) = 13x. This puts a 3 nm HD SRAM
# at about 0.3 nW/bit (itrs-hp, 27 °C), inside the 0.1-1 nW/bit typical range that
# ANCHORS.md states.
_FINFET_LEAK_FACTOR = 10.0 ** (_VTH_V / 0.095 - _VTH_V / 0.070)

_LMB_LO, _LMB_HI = math.log(0.524288), math.log(536.870912)  # 64 KiB .. 64 MiB in Mb


def _energy_scale(node: NodeInfo, beta: float) -> float:
    lam = node.feature_nm
    if lam >= 22.0:
        return (lam / 45.0) ** beta
    return (22.0 / 45.0) ** beta * (node.vdd_v / NODES[22].vdd_v) ** 2


def _time_scale(node: NodeInfo, tau: float) -> float:
    return (max(node.feature_nm, 22.0) / 45.0) ** tau


def _leak_log_density(cell: str, node: NodeInfo, tables: Tables) -> float:
    """log of leakage (mW) of 1 Mb in one bank at 300 K for ``cell`` at ``node``."""
    table = tables[1][cell]
    n = node.node_nm
    if n in table:
        return table[n]
    known = sorted(table)
    a_cell = cell_area_um2(cell, node)[0]
    if n < known[0]:                       # below the fitted range: scale by cell and V
        ref = NODES[known[0]]
        a_ref = cell_area_um2(cell, ref)[0]
        fin = _FINFET_LEAK_FACTOR if n < 22 else 1.0
        return table[known[0]] + math.log(a_cell / a_ref * node.vdd_v / ref.vdd_v * fin)
    if n > known[-1]:                      # above: same rule
        ref = NODES[known[-1]]
        a_ref = cell_area_um2(cell, ref)[0]
        return table[known[-1]] + math.log(a_cell / a_ref * node.vdd_v / ref.vdd_v)
    lo = max(k for k in known if k < n)    # between two fitted nodes: log-log interpolation
    hi = min(k for k in known if k > n)
    w = math.log(n / lo) / math.log(hi / lo)
    return (1 - w) * table[lo] + w * table[hi]


def _core(cell: str, node: NodeInfo, bits: float, banks: int, io_bits: int,
          a_cell_um2: float, tables: Tables) -> tuple[float, float, float, float, float]:
    """(area, cell area, read pJ, latency ns, leakage mW at 300 K) for a CACTI cell."""
    c = tables[0][cell]
    cells = bits * a_cell_um2 * 1e-6
    periph = math.exp(c["area_k"]) * (bits / 1e6) ** c["area_g"] * banks ** c["area_q"] * \
        (node.feature_nm / 45.0) ** c["area_d"]
    area = cells + periph
    side = math.sqrt(area)
    e_read = _energy_scale(node, c["e_beta"]) * side * (
        math.exp(c["e_io"]) * io_bits / 512.0 + math.exp(c["e_addr"]))
    t = _time_scale(node, c["t_tau"]) * (math.exp(c["t_0"]) + math.exp(c["t_1"]) * side)
    lmb = math.log(bits / 1e6)
    # The curvature term is held at the fitted size range (0.5 Mb .. 537 Mb) so it does
    # not extrapolate a parabola.
    lq = min(max(lmb, _LMB_LO), _LMB_HI)
    leak = math.exp(_leak_log_density(cell, node, tables) + c["leak_g"] * lmb + c["leak_g2"] * lq ** 2
                    + c["leak_q"] * math.log(banks) + (c["leak_m"] if banks > 1 else 0.0))
    return area, cells, e_read, t, leak


def macro(tech: str | None = None, capacity_bytes: int = 0, node: str | int | NodeInfo = 22,
          *, cell: str | None = None, banks: int = 1, block_bytes: int = 64,
          io_bits: int | None = None, temperature_c: float | None = 27.0,
          tables: Tables | None = None) -> MacroResult:
    """Model one memory macro.

    Args:
        tech: ``sram``, ``edram`` or ``mram`` (or None when ``cell`` is given).
        capacity_bytes: total capacity over all banks (bytes).
        node: process node (``3``, ``"3nm"``, ``"N3E"``, ``22`` ...).
        cell: CACTI cell name (``itrs-hp``, ``itrs-lstp``, ``lp-dram``, ``comm-dram``) or
            ``stt-mram``; default: the technology's default cell.
        banks: independent banks (each with its own periphery).
        block_bytes: bytes per access.
        io_bits: width of the data path (default: 8 x block_bytes).
        temperature_c: junction temperature for leakage and retention; None applies
            CACTI's convention (300 K, retention at its specified period).
        tables: coefficient tables ``(COEFFS, LEAK_NODE)`` to use instead of the stored
            fit (:mod:`janus1.tech._coeffs`); the cross-validation of the fit passes
            tables fitted on part of the CACTI rows.

    Returns:
        A :class:`MacroResult`.

    Raises:
        ConfigError: unknown technology, cell or node; a non-positive size. (A macro
            larger than a reticle-limited die is a warning here; designs and the CLI
            reject it.)
    """
    if tech is not None and not isinstance(tech, str) or cell is not None and \
            not isinstance(cell, str):
        raise ConfigError("tech and cell must be names")
    tech, cell = check_cell(tech, cell)
    info = node if isinstance(node, NodeInfo) else parse_node(node)
    for name, v in (("capacity_bytes", capacity_bytes), ("banks", banks),
                    ("block_bytes", block_bytes)):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ConfigError(f"{name} must be a positive integer, not {v!r}")
    check_int(capacity_bytes, "capacity_bytes", lo=1, hi=MAX_CAPACITY_BYTES)
    check_int(banks, "banks", lo=1, hi=MAX_BANKS)
    check_int(block_bytes, "block_bytes", lo=1, hi=MAX_BLOCK_BYTES)
    io = 8 * block_bytes if io_bits is None else io_bits
    check_int(io, "io_bits", lo=1, hi=8 * MAX_BLOCK_BYTES)
    if temperature_c is not None:
        check_float(temperature_c, "temperature_c", lo=-273.15, hi=MAX_TEMPERATURE_C,
                    lo_open=True)
    if capacity_bytes < banks * block_bytes:
        raise ConfigError(f"capacity {capacity_bytes} B is less than one {block_bytes}-B "
                          f"block per bank ({banks} banks)")
    bits = capacity_bytes * 8.0
    if tables is None:
        tables = (_coeffs.COEFFS, _coeffs.LEAK_NODE)
    a_cell, warn = cell_area_um2(cell, info)
    warnings = [warn] if warn else []
    t_leak = T0_K - 273.15 if temperature_c is None else temperature_c
    f_t = leakage_temperature_factor(t_leak)
    if cell == "stt-mram":
        area, cells, e_read, t, leak = _core("itrs-lstp", info, bits, banks, io, a_cell, tables)
        # The MTJ cells do not leak: keep the periphery share of the lstp leakage.
        leak *= (area - cells) / area
        e_write = e_read + io * _mtj_write_pj(info.node_nm)
        t_write = max(t, _MRAM_WRITE_NS)
        t = t + _coeffs.MRAM_SENSE_NS
        ret = 0.0
        refresh = 0.0
    else:
        area, cells, e_read, t, leak = _core(cell, info, bits, banks, io, a_cell, tables)
        c = tables[0][cell]
        if tech == "sram":
            e_write = e_read * c["write_ratio"]
            ret, refresh = 0.0, 0.0
        else:
            # CACTI's DRAM write energy is an artifact (cacti.md); a DRAM write costs
            # about a read (the row is restored on every access anyway).
            e_write = e_read
            ret = retention_us(cell, info, temperature_c)
            e_ref_fj = math.exp(c["ref_0"]) * (info.feature_nm / 45.0) ** c["ref_1"]
            refresh = bits * e_ref_fj * 1e-15 / (ret * 1e-6) * 1e3  # mW
        t_write = t
    if area > RETICLE_LIMIT_MM2:
        warnings.append(f"{capacity_bytes} B of {cell} at {info.label} needs {area:.0f} mm², "
                        f"more than a reticle-limited die ({RETICLE_LIMIT_MM2:.0f} mm²)")
    return MacroResult(
        tech=tech, cell=cell, node_nm=info.node_nm, capacity_bytes=capacity_bytes,
        banks=banks, block_bytes=block_bytes, io_bits=io,
        temperature_c=T0_K - 273.15 if temperature_c is None else temperature_c,
        area_mm2=area, cell_area_mm2=cells, read_energy_pj=e_read, write_energy_pj=e_write,
        leakage_mw=leak * f_t, refresh_mw=refresh, retention_us=ret, latency_ns=t,
        write_latency_ns=t_write, warnings=tuple(warnings))


def _mtj_write_pj(node_nm: int) -> float:
    (n_hi, e_hi), (n_lo, e_lo) = _MTJ_WRITE_PJ
    n = min(max(float(node_nm), n_lo), n_hi)
    w = math.log(n / n_lo) / math.log(n_hi / n_lo)
    return math.exp((1 - w) * math.log(e_lo) + w * math.log(e_hi))


def predict_cacti_row(row: dict[str, str], tables: Tables | None = None) -> MacroResult:
    """The model's answer for one row of a CACTI reference table (its inputs only).

    Uses the row's cell type, node, capacity, banks, block and io width, at CACTI's
    300 K and refresh convention; ``tables`` as in :func:`macro`.
    """
    cell = row["cell_type"]
    if cell not in CELLS:
        raise ConfigError(f"unknown cell type {cell!r}")
    return macro(None, int(row["capacity_bytes"]), int(row["node_nm"]), cell=cell,
                 banks=int(row["banks"]), block_bytes=int(row["block_bytes"]),
                 io_bits=int(row["io_bits"]), temperature_c=None, tables=tables)
