"""Process nodes: the per-node constants every technology model shares.

Two regimes, stated once here and used everywhere:

* 90 nm .. 22 nm is the range of the CACTI 7 reference tables
  (``shared/reference/cacti_*.csv``). There the models use CACTI's own conventions:
  the feature size F is the node name, the SRAM cell is 146 F², periphery and wires
  scale with F, and the nominal supply is the ITRS high-performance Vdd that CACTI's
  technology files use.
* Below 22 nm node names no longer measure anything physical. Areas there are
  anchored on *published* cells and pitches (SRAM high-density bit cell, contacted
  poly pitch x minimum metal pitch), and energies scale with V² only (wire
  capacitance per mm stays about 0.2 pF/mm across nodes, ITRS interconnect tables).

Every number names its source next to it. [P] primary, [S] secondary (press /
WikiChip quoting a paper), [C] CACTI 7 as reproduced in shared/reference/cacti.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigError

__all__ = ["NodeInfo", "NODES", "parse_node", "node_names"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeInfo:
    """Constants of one process node.

    Args:
        node_nm: the node's name in nm ("3" means TSMC N3E).
        label: a display name.
        vdd_v: nominal logic supply (V).
        sram_cell_um2: high-density 6T SRAM bit cell (µm²) used below 22 nm; at and
            above 22 nm the CACTI 146 F² cell is used for CACTI's cell names.
        logic_pitch_nm2: contacted poly pitch x minimum metal pitch (nm²); periphery
            area scales with it below 22 nm.
        cacti_range: True for the nodes CACTI 7 models (90..22 nm).
        edram_offered: a foundry offers eDRAM at this node.
        mram_offered: a foundry offers embedded STT-MRAM at this node.
        source: where the numbers come from.
    """

    node_nm: int
    label: str
    vdd_v: float
    sram_cell_um2: float
    logic_pitch_nm2: float
    cacti_range: bool
    edram_offered: bool
    mram_offered: bool
    source: str

    @property
    def feature_nm(self) -> float:
        """Effective feature size for periphery and wires (nm).

        The node name in the CACTI range; below it 22 nm x sqrt(pitch / 7200 nm²),
        so periphery area scales with the published CPP x MxP, not the marketing name.
        """
        return 22.0 * (self.logic_pitch_nm2 / 7200.0) ** 0.5


# CACTI's ITRS high-performance Vdd per node [C: CACTI 7 tech_params, itrs-hp vdd]:
# 90 nm 1.2 V, 65 nm 1.1 V, 45 nm 1.0 V, 32 nm 0.9 V, 22 nm 0.8 V.
# Published pitches (CPP x MxP, nm): Intel 22 nm 90x80 [P: Auth et al., VLSI 2012];
# TSMC 16FF 90x64 [S: WikiChip]; Intel 14 nm 70x52 [P: Natarajan et al., IEDM 2014];
# TSMC N10 66x44 [S: WikiChip]; TSMC N7 57x40 [P: Wu et al., IEDM 2016];
# TSMC N5 51x28 [P: Yeap et al., IEDM 2019]; TSMC N3E 48x23 [S: WikiChip].
# HD SRAM cells: TSMC 28 nm 0.127 µm² [S: WikiChip], TSMC 16FF 0.070 µm²
# [P: Wu et al., IEDM 2013], Intel 14 nm 0.0588 µm² [P: Natarajan IEDM 2014],
# TSMC N10 0.042 µm² [S], TSMC N7 0.027 µm² [P: Wu IEDM 2016], N5 0.021 µm²
# [P: Yeap IEDM 2019], N3E 0.021 µm² [S: WikiChip via press; shared/reference/ANCHORS.md].
# Supplies below 22 nm: foundry nominal core voltages (16FF 0.8 V, N7 0.75 V,
# N5 0.75 V, N3E 0.70 V) [S: the same IEDM papers' operating points].
# Foundry offers [S: ANCHORS.md]: eDRAM shipped at Intel 22 nm and IBM 14 nm (and
# older logic nodes); embedded MRAM at TSMC 22 nm and 16/12 nm, Samsung 28 nm FD-SOI
# and 14 nm; nothing at 7 nm and below.
_F2 = 146.0  # CACTI SRAM cell in F² [C: area x efficiency / bits of every SRAM row]


def _cacti(n: int, vdd: float, edram: bool, mram: bool) -> NodeInfo:
    return NodeInfo(node_nm=n, label=f"{n}nm", vdd_v=vdd,
                    sram_cell_um2=_F2 * (n * 1e-3) ** 2,
                    logic_pitch_nm2=7200.0 * (n / 22.0) ** 2,
                    cacti_range=True, edram_offered=edram, mram_offered=mram,
                    source="CACTI 7 ITRS node (F = node), Vdd from CACTI itrs-hp")


NODES: dict[int, NodeInfo] = {
    90: _cacti(90, 1.2, True, False),
    65: _cacti(65, 1.1, True, False),
    45: _cacti(45, 1.0, True, False),
    32: _cacti(32, 0.9, True, False),
    28: NodeInfo(node_nm=28, label="28nm", vdd_v=0.9, sram_cell_um2=0.127,
                 logic_pitch_nm2=117 * 90, cacti_range=False, edram_offered=False,
                 mram_offered=True,
                 source="TSMC 28 nm HD cell 0.127 µm² [S]; Samsung 28FDS eMRAM [S]"),
    22: _cacti(22, 0.8, True, True),
    16: NodeInfo(node_nm=16, label="16nm", vdd_v=0.8, sram_cell_um2=0.070,
                 logic_pitch_nm2=90 * 64, cacti_range=False, edram_offered=False,
                 mram_offered=True, source="TSMC 16FF: cell 0.070 µm², CPP 90, MxP 64"),
    14: NodeInfo(node_nm=14, label="14nm", vdd_v=0.8, sram_cell_um2=0.0588,
                 logic_pitch_nm2=70 * 52, cacti_range=False, edram_offered=True,
                 mram_offered=True,
                 source="Intel 14 nm cell 0.0588 µm², CPP 70, MxP 52; IBM 14 nm eDRAM"),
    10: NodeInfo(node_nm=10, label="10nm", vdd_v=0.75, sram_cell_um2=0.042,
                 logic_pitch_nm2=66 * 44, cacti_range=False, edram_offered=False,
                 mram_offered=False, source="TSMC N10: cell 0.042 µm², CPP 66, MxP 44"),
    7: NodeInfo(node_nm=7, label="7nm", vdd_v=0.75, sram_cell_um2=0.027,
                logic_pitch_nm2=57 * 40, cacti_range=False, edram_offered=False,
                mram_offered=False, source="TSMC N7: cell 0.027 µm², CPP 57, MxP 40"),
    5: NodeInfo(node_nm=5, label="5nm", vdd_v=0.75, sram_cell_um2=0.021,
                logic_pitch_nm2=51 * 28, cacti_range=False, edram_offered=False,
                mram_offered=False, source="TSMC N5: cell 0.021 µm², CPP 51, MxP 28"),
    3: NodeInfo(node_nm=3, label="3nm (N3E)", vdd_v=0.70, sram_cell_um2=0.021,
                logic_pitch_nm2=48 * 23, cacti_range=False, edram_offered=False,
                mram_offered=False, source="TSMC N3E: cell 0.021 µm², CPP 48, MxP 23"),
}
# In the CACTI range the logic pitch is taken as 7200 nm² x (F/22 nm)², i.e. pinned
# to Intel 22 nm's published 90x80 nm and scaled with F² above it, so that
# ``feature_nm`` (below) equals the node name there and is continuous across 22 nm.

_NODE_RE = re.compile(r"^\s*(?:n)?(\d+)\s*(?:nm)?\s*(?:e|b|p)?\s*$", re.IGNORECASE)


def node_names() -> list[str]:
    """The node names accepted, largest first."""
    return [f"{n}nm" for n in sorted(NODES, reverse=True)]


def parse_node(value: str | int | float, *, what: str = "node") -> NodeInfo:
    """Look up a node: ``3``, ``"3nm"``, ``"N3E"``, ``"22nm"``, ``0.022`` (µm, CACTI).

    Raises:
        ConfigError: an unknown node (the message lists the known ones).
    """
    n: int | None = None
    if isinstance(value, bool):
        n = None
    elif isinstance(value, (int, float)):
        v = float(value) if abs(value) < 1e6 else 0.0  # no node is a million nm
        n = int(round(v * 1000)) if 0 < v < 1 else int(round(v))
        if v != int(v) and not 0 < v < 1:
            n = None
    elif isinstance(value, str):
        m = _NODE_RE.match(value)
        if m:
            n = int(m.group(1))
    if n is None or n not in NODES:
        raise ConfigError(f"{what}: unknown process node {value!r} "
                          f"(known: {', '.join(node_names())})")
    return NODES[n]
