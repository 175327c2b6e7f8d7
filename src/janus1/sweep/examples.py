"""The sweeps the package itself runs (the study's ``sweep`` section).

:data:`JANUS1_NEIGHBOURHOOD` is the text of ``examples/sweeps/janus-1.toml``, kept here
so the study runs without the repository's examples folder; a test checks that the two
are identical.
"""

from __future__ import annotations

__all__ = ["JANUS1_NEIGHBOURHOOD"]

JANUS1_NEIGHBOURHOOD = '''\
# The janus-1 neighbourhood: seed 001's design (src/janus1/presets/designs/janus-1.toml)
# with each architectural choice moved around it, decoding Llama-2-7B. A grid: the point
# set follows from this file alone (4 x 4 x 3 x 4 x 3 x 2 x 3 = 3,456 designs x 3 contexts).
# The study's `sweep` section runs this file; `janus1 sweep examples/sweeps/janus-1.toml`
# runs it from the command line.
name = "janus-1"
description = "janus-1 neighbourhood: T1/T2 capacity, tiles, clock, node, precision, T2 technology"
evaluators = ["roofline", "ppa"]

[base]
design = "janus-1"
model = "llama-2-7b"
precision = "int4"
context = 4096
batch = 1

[search]
kind = "grid"

[[axis]]
field = "design.tiers.T1 SRAM.capacity"
values = ["8MiB", "16MiB", "32MiB", "64MiB"]

[[axis]]
field = "design.tiers.T2 eDRAM.capacity"
values = ["64MiB", "128MiB", "224MiB", "448MiB"]

[[axis]]
# the second tier's technology: eDRAM (the seed's), SRAM, or STT-MRAM
name = "t2_tech"
fields = ["design.tiers.T2 eDRAM.tech", "design.tiers.T2 eDRAM.cell"]
values = [["edram", "lp-dram"], ["sram", "itrs-lstp"], ["mram", "stt-mram"]]
labels = ["edram", "sram", "mram"]

[[axis]]
field = "design.compute.tiles"
values = [4, 8, 16, 32]

[[axis]]
field = "design.clock"
range = { start = 5e8, stop = 2e9, num = 3, scale = "log" }   # 0.5, 1, 2 GHz

[[axis]]
field = "design.node"
values = ["3nm", "5nm", "7nm"]

[[axis]]
field = "precision"
values = ["int4", "int8"]

[[axis]]
field = "context"
values = [1024, 4096, 16384]

[[objective]]
metric = "area_mm2"

[[objective]]
metric = "tokens_per_joule"

[[objective]]
metric = "tokens_per_s"

[[constraint]]
metric = "junction_c"
max = 105.0          # the package's limit (fcbga-21mm tj_max)

[[constraint]]
metric = "area_mm2"
max = 150.0          # janus1 choice: an edge die budget about twice the seed's 79 mm²
'''
