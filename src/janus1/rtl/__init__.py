"""RTL of janus1's hardware blocks, co-simulated against their Python models and put
through Yosys and nextpnr-ecp5 (the optional extra ``rtl``).

- :mod:`.blocks`: the registry (``BLOCKS``): each block's parameters dataclass,
  Amaranth elaboratable, golden model and co-simulation driver. ``prefetcher`` is
  Janus-Prefetch-1 (:class:`PrefetcherParams`, :class:`StreamModel`,
  ``StreamPrefetcher`` in ``_prefetcher_hdl``).
- :mod:`.cosim`: Amaranth's simulator against the golden model.
- :mod:`.flow`: synthesis (``ecp5``, ``gates``), place and route, Verilog export,
  the result cache.

Importing this package does not import Amaranth; building, simulating or synthesizing
a block does, and raises :class:`RtlUnavailable` (a one-line user error) without it.
"""

from .blocks import BLOCKS, Block, block_names, block_params, get_block
from .flow import (
    ECP5,
    GATE_WEIGHTS,
    TARGETS,
    CriticalPath,
    Ecp5Report,
    GateReport,
    RtlToolError,
    RtlUnavailable,
    cached_report,
    export_verilog,
    missing_tools,
    require_rtl,
    synthesize,
    tool_versions,
    warm_tools,
)
from .prefetcher import PrefetcherParams, StreamModel

__all__ = ["BLOCKS", "Block", "block_names", "block_params", "get_block", "ECP5",
           "GATE_WEIGHTS", "TARGETS", "CriticalPath", "Ecp5Report", "GateReport",
           "RtlToolError", "RtlUnavailable", "cached_report", "export_verilog",
           "missing_tools", "require_rtl", "synthesize", "tool_versions", "warm_tools",
           "PrefetcherParams", "StreamModel"]
