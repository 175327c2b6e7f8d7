"""Numeric precisions (defined in :mod:`janus1.precision`; re-exported here)."""

from ..precision import PRECISION_NAMES, PRECISIONS, Precision, parse_precision

__all__ = ["Precision", "PRECISIONS", "PRECISION_NAMES", "parse_precision"]
