"""Technology models: memory macros (SRAM, eDRAM, STT-MRAM) per process node, systolic
compute tiles, and package thermals. See docs/technology.md."""

from .cells import CELLS, DEFAULT_CELL, TECHS, cell_area_um2, check_cell
from .memory import (RETICLE_LIMIT_MM2, MacroResult, leakage_temperature_factor,
                     load_cacti_rows, macro, predict_cacti_row, retention_us)
from .memtech import MemtechRow, memtech_rows
from .nodes import NODES, NodeInfo, node_names, parse_node
from .thermal import (JunctionSolution, PackageSpec, load_package, package_names,
                      solve_junction, steady_junction_c, transient_junction_c)
from .tile import DATAFLOWS, TILE_PRECISIONS, GemmResult, mac_energy_pj, tile_cycles

__all__ = ["CELLS", "DEFAULT_CELL", "TECHS", "cell_area_um2", "check_cell",
           "RETICLE_LIMIT_MM2", "MacroResult", "leakage_temperature_factor", "macro",
           "predict_cacti_row", "retention_us", "NODES", "NodeInfo", "node_names",
           "parse_node", "JunctionSolution", "PackageSpec", "load_package", "package_names",
           "solve_junction", "steady_junction_c", "transient_junction_c", "DATAFLOWS",
           "TILE_PRECISIONS", "GemmResult", "mac_energy_pj", "tile_cycles",
           "load_cacti_rows", "MemtechRow", "memtech_rows"]
