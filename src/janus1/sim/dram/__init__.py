"""A standalone, event-driven DRAM model that replays DRAMsim3's controller policy.

Public API:

- :class:`DramSpec` and :func:`load_dram` (preset name, DRAMsim3 ``.ini`` or TOML file,
  plus ``section.key=value`` overrides); :func:`read_dramsim3_ini`.
- :func:`simulate_dram` (spec, addresses, is_write, cycles) -> :class:`DramResult`
  with :class:`DramStats` and per-request completion cycles and read latencies.
- :func:`read_dram_trace`: a trace file (DRAMsim3 text, recognised by content, or any
  janus1 trace format) as arrays.

See ``docs/dram.md``.
"""

from .model import (DramResult, DramStats, EnergyBreakdown, LatencyStats, first_out_of_range,
                    map_addresses, simulate_dram)
from .spec import DramSpec, dram_presets, load_dram, read_dramsim3_ini
from .trace import DramTrace, read_dram_trace

__all__ = ["DramSpec", "load_dram", "read_dramsim3_ini", "dram_presets", "simulate_dram",
           "DramResult", "DramStats", "LatencyStats", "EnergyBreakdown", "map_addresses",
           "first_out_of_range", "DramTrace", "read_dram_trace"]
