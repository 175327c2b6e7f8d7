"""janus1: co-design hardware that runs large language models at the edge.

The package is a set of pure layers (models -> workload -> trace/sim, tech/design,
decoder) with I/O only in :mod:`janus1.cli` and :mod:`janus1.report`/:mod:`janus1.study`.
See docs/ARCHITECTURE.md for the map.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
