"""The simulator's compiled kernels (see docs/simulator.md, "How a kernel is built").

- :mod:`.timed`: the timed kernel, an ordinary Python file with named holes
  (structure, prefetch hook);
- :mod:`.counts`: the counts-only kernels' template (per-shape code in its holes);
- :mod:`.ops`: the small operations they share (vector tag search, move-to-front, rank
  words), expanded in place;
- :mod:`.build`: the one generator: fills the holes, writes the module to the kernel
  cache folder once and imports it (numba's on-disk cache compiles each variant once).

Nothing here is imported by ``import janus1.sim``: numba loads with the first kernel.
"""
