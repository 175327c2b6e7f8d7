"""Memory cell types: names, technologies, defaults and bit-cell areas per node.

Cell names follow CACTI 7: ``itrs-hp`` and ``itrs-lstp`` (6T SRAM on high-performance
or low-standby-power transistors), ``lp-dram`` (logic-process eDRAM, the kind Intel
and IBM ship), ``comm-dram`` (a commodity-DRAM stack cell), plus ``stt-mram``.
"""

from __future__ import annotations

from ..errors import ConfigError
from .nodes import NodeInfo

__all__ = ["TECHS", "CELLS", "DEFAULT_CELL", "cell_area_um2", "check_cell"]

TECHS: tuple[str, ...] = ("sram", "edram", "mram")

CELLS: dict[str, str] = {            # cell name -> technology
    "itrs-hp": "sram",
    "itrs-lstp": "sram",
    "lp-dram": "edram",
    "comm-dram": "edram",
    "stt-mram": "mram",
}

# Default cell of each technology. SRAM: itrs-hp, CACTI's default and the fast cell an
# on-chip weight/activation buffer needs (itrs-lstp is 2-3x slower, see cacti_sram.csv
# access times); eDRAM: lp-dram, the logic-process cell that foundries shipped
# (Intel 22 nm, IBM 14 nm); MRAM: the only one.
DEFAULT_CELL: dict[str, str] = {"sram": "itrs-hp", "edram": "lp-dram", "mram": "stt-mram"}

# CACTI 7 DRAM cell areas in F² [C: area x array_efficiency / bits of the rows of
# shared/reference/cacti_edram.csv; CACTI rejects lp-dram at 22 nm].
_LP_DRAM_F2 = {90: 20.7, 65: 26.0, 45: 30.4, 32: 30.6}
_COMM_DRAM_F2 = {90: 6.0, 65: 6.0, 45: 6.0, 32: 6.0, 22: 4.0}
# Published eDRAM cells [S: ANCHORS.md]: Intel 22 nm 0.029 µm² (Hamzaoglu, JSSC 2015),
# IBM 14 nm 0.0174 µm².
_INTEL22_EDRAM_UM2 = 0.029
_IBM14_EDRAM_UM2 = 0.0174
# STT-MRAM: TSMC 22 nm eMRAM bit cell 0.0456 µm² [S: TSMC ISSCC 2020 via press], scaled
# with F² at larger nodes; below 22 nm about 32 % of the HD SRAM cell [S: imec 3-5 nm
# DTCO, ANCHORS.md].
_TSMC22_MRAM_UM2 = 0.0456
_IMEC_MRAM_SRAM_RATIO = 0.32


def check_cell(tech: str | None, cell: str | None) -> tuple[str, str]:
    """Resolve (technology, cell) from either or both.

    Raises:
        ConfigError: unknown technology or cell, or a cell of another technology.
    """
    if tech is not None:
        tech = tech.lower()
        if tech not in TECHS:
            raise ConfigError(f"unknown memory technology {tech!r} (known: {', '.join(TECHS)})")
    if cell is not None:
        cell = cell.lower()
        if cell not in CELLS:
            raise ConfigError(f"unknown cell type {cell!r} (known: {', '.join(CELLS)})")
        if tech is not None and CELLS[cell] != tech:
            raise ConfigError(f"cell {cell!r} is a {CELLS[cell]} cell, not {tech}")
        return CELLS[cell], cell
    if tech is None:
        raise ConfigError("a memory needs a technology or a cell type")
    return tech, DEFAULT_CELL[tech]


def cell_area_um2(cell: str, node: NodeInfo) -> tuple[float, str | None]:
    """Bit-cell area (µm²) of ``cell`` at ``node`` and a warning when extrapolated."""
    n = node.node_nm
    F2 = (n * 1e-3) ** 2
    if cell in ("itrs-hp", "itrs-lstp"):
        return node.sram_cell_um2, None
    if cell == "lp-dram":
        if n in _LP_DRAM_F2:
            return _LP_DRAM_F2[n] * F2, None
        if n == 28:
            return _LP_DRAM_F2[32] * F2, None
        if n == 22:
            return _INTEL22_EDRAM_UM2, None
        warn = None if node.edram_offered else (
            f"eDRAM at {node.label}: no foundry offers it; modelled with the IBM 14 nm "
            f"cell ({_IBM14_EDRAM_UM2} µm², no shrink below 14 nm: the capacitor does not "
            f"scale) and extrapolated periphery")
        return _IBM14_EDRAM_UM2, warn
    if cell == "comm-dram":
        if n in _COMM_DRAM_F2:
            return _COMM_DRAM_F2[n] * F2, None
        if n > 22:
            return 6.0 * F2, None
        return _COMM_DRAM_F2[22] * 0.022 ** 2, (
            f"comm-dram at {node.label}: no embedded commodity-DRAM process exists; "
            f"the CACTI 22 nm cell (4 F²) is held constant")
    if cell == "stt-mram":
        if node.cacti_range or n == 28:
            a = _TSMC22_MRAM_UM2 * (n / 22.0) ** 2
        else:
            a = _IMEC_MRAM_SRAM_RATIO * node.sram_cell_um2
        warn = None if node.mram_offered else (
            f"STT-MRAM at {node.label}: no foundry offers it; cell from the imec 3-5 nm "
            f"DTCO projection (32 % of the SRAM cell)" if not node.cacti_range else
            f"STT-MRAM at {node.label}: not offered at this node; cell scaled from TSMC 22 nm")
        return a, warn
    raise ConfigError(f"unknown cell type {cell!r} (known: {', '.join(CELLS)})")
