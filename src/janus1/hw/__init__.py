"""The decoder as hardware: a cycle-level schedule of seed 004's datapath (M2, M3, M4).

- :mod:`~janus1.hw.datapath`: :class:`DatapathSpec` (MAC lanes and engines, weight memory,
  KV RAM, LUT and divider latencies, clock) from TOML presets (``presets/datapaths``);
- :mod:`~janus1.hw.blocks`: per-block cycle counts, the contract the RTL matches
  (:func:`matvec_cycles`, :func:`attention_cycles`, :func:`argmax_cycles`);
- :mod:`~janus1.hw.schedule`: one decode step walked operation by operation;
- :mod:`~janus1.hw.prefill`: the prefill wavefront as an event-driven simulation with the
  KV-RAM access checker.

``hw`` sits above ``numerics`` and ``decoder`` and below ``design`` and ``study``; it never
imports ``design``, ``study``, ``cli`` or ``sim``. See ``docs/hw.md``.
"""

from .blocks import argmax_cycles, attention_cycles, matvec_cycles
from .datapath import DatapathSpec, check_fits, datapath_presets, load_datapath
from .prefill import PrefillResult, prefill, simulate_prefill
from .schedule import DecodeSchedule, DecodeStep, decode_schedule, decode_step, macs_per_token

__all__ = ["DatapathSpec", "load_datapath", "datapath_presets", "check_fits",
           "matvec_cycles", "attention_cycles", "argmax_cycles", "DecodeStep",
           "DecodeSchedule", "decode_step", "decode_schedule", "macs_per_token",
           "PrefillResult", "prefill", "simulate_prefill"]
