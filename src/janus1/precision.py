"""Numeric precisions: bits per element and how they are named on the command line.

The one definition of the precision names (floor 0 of docs/ARCHITECTURE.md): the
workload analysis, the tech tiles, the decoder's quantization schemes and every
``--precision`` option take them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError

__all__ = ["Precision", "PRECISIONS", "PRECISION_NAMES", "WIDENING", "parse_precision"]


@dataclass(frozen=True, slots=True)
class Precision:
    """A storage/compute precision."""

    name: str       # canonical name: fp32, fp16, bf16, int8, int4
    bits: int       # bits per element
    is_float: bool  # floating point (True) or integer (False)

    @property
    def bytes(self) -> float:
        """Bytes per element (0.5 for INT4)."""
        return self.bits / 8


PRECISIONS: dict[str, Precision] = {
    p.name: p
    for p in (
        Precision("fp32", 32, True),
        Precision("fp16", 16, True),
        Precision("bf16", 16, True),
        Precision("int8", 8, False),
        Precision("int4", 4, False),
    )
}
# The canonical names, in the order the CLI lists them.
PRECISION_NAMES: tuple[str, ...] = tuple(PRECISIONS)
# Narrowest to widest: a device without a precision's peak falls back along this order.
WIDENING: tuple[str, ...] = ("int4", "int8", "fp16", "bf16", "fp32")
_ALIASES = {"float32": "fp32", "f32": "fp32", "float16": "fp16", "f16": "fp16",
            "half": "fp16", "bfloat16": "bf16", "i8": "int8", "i4": "int4",
            "q8": "int8", "q4": "int4"}


def parse_precision(name: str | Precision) -> Precision:
    """Look a precision up by name (case-insensitive; float16/half/i8... accepted).

    Raises:
        InputError: unknown name.
    """
    if isinstance(name, Precision):
        return name
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in PRECISIONS:
        raise InputError(f"unknown precision {name!r} (known: {', '.join(PRECISIONS)})")
    return PRECISIONS[key]
