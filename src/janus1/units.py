"""Strict parsing of quantities with units ("32KiB", "1GHz", "3.1pJ", "68GB/s").

Binary prefixes (Ki, Mi, Gi, Ti) mean powers of 1024 and decimal prefixes (k, M, G, T)
powers of 1000: ``MiB`` and ``MB`` are different, and an unknown suffix is an error
(the gem5 ``m5.util.convert`` rule). Canonical internal units: bytes, hertz, seconds,
joules, watts, bytes per second.
"""

from __future__ import annotations

import math
import re

from .errors import ConfigError

__all__ = [
    "parse_quantity",
    "parse_bytes",
    "parse_hz",
    "parse_seconds",
    "parse_joules",
    "parse_watts",
    "parse_bandwidth",
    "format_bytes",
]

_DECIMAL = {"": 1.0, "p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "m": 1e-3,
            "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}
_BINARY = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40}
_NUM = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def parse_quantity(value: str | int | float, unit: str, *, what: str = "value",
                   allow_binary: bool = False) -> float:
    """Parse ``value`` as a number followed by an optional prefix and ``unit``.

    Args:
        value: a number (taken as already in ``unit``) or a string such as "1.5GHz".
        unit: the base unit symbol, e.g. "Hz", "B", "s", "J", "W", "B/s".
        what: the name of the field, used in error messages.
        allow_binary: accept Ki/Mi/Gi/Ti prefixes (sizes and bandwidths only).

    Returns:
        The value in the base unit.

    Raises:
        ConfigError: if the string is not a number with a known prefix and this unit,
            or the quantity is not finite (NaN, infinity, or beyond float range).
    """
    out = _parse_quantity(value, unit, what, allow_binary)
    if not math.isfinite(out):
        raise ConfigError(f"{what}: {str(value)[:60]!r} is not a finite quantity in {unit}")
    return out


def _parse_quantity(value: str | int | float, unit: str, what: str,
                    allow_binary: bool) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"{what}: expected a quantity in {unit}, not {value!r}")
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:  # an int beyond float range
            return math.inf
    if not isinstance(value, str):
        raise ConfigError(f"{what}: expected a quantity in {unit}, not {str(value)[:60]!r}")
    if len(value) > 200:
        raise ConfigError(f"{what}: {value[:40]!r}... is too long to be a quantity")
    m = _NUM.match(value)
    if not m:
        raise ConfigError(f"{what}: cannot parse {value!r} as a quantity in {unit}")
    number, suffix = float(m.group(1)), m.group(2)
    if suffix == "":
        return number
    if not suffix.endswith(unit):
        raise ConfigError(f"{what}: unknown unit in {value!r} (expected {unit})")
    prefix = suffix[: len(suffix) - len(unit)]
    if prefix in _DECIMAL:
        return number * _DECIMAL[prefix]
    if allow_binary and prefix in _BINARY:
        return number * _BINARY[prefix]
    raise ConfigError(f"{what}: unknown prefix {prefix!r} in {value!r}")


def parse_bytes(value: str | int | float, *, what: str = "size") -> int:
    """Parse a size ("32KiB", "8MB", "64B", 4096) into whole bytes."""
    out = parse_quantity(value, "B", what=what, allow_binary=True)
    if out != int(out):
        raise ConfigError(f"{what}: {value!r} is not a whole number of bytes")
    return int(out)


def parse_hz(value: str | int | float, *, what: str = "frequency") -> float:
    """Parse a frequency ("1GHz", 1e9) into hertz."""
    return parse_quantity(value, "Hz", what=what)


def parse_seconds(value: str | int | float, *, what: str = "time") -> float:
    """Parse a time ("18ns", "64ms") into seconds."""
    return parse_quantity(value, "s", what=what)


def parse_joules(value: str | int | float, *, what: str = "energy") -> float:
    """Parse an energy ("3.1pJ") into joules."""
    return parse_quantity(value, "J", what=what)


def parse_watts(value: str | int | float, *, what: str = "power") -> float:
    """Parse a power ("4.05W", "120mW") into watts."""
    return parse_quantity(value, "W", what=what)


def parse_bandwidth(value: str | int | float, *, what: str = "bandwidth") -> float:
    """Parse a bandwidth ("272GB/s", "64GiB/s") into bytes per second."""
    return parse_quantity(value, "B/s", what=what, allow_binary=True)


def format_bytes(n: float) -> str:
    """Human-readable binary size, e.g. 536870912 -> '512.0 MiB'."""
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        raise ConfigError(f"format_bytes: expected a number, not {str(n)[:40]!r}")
    if not math.isfinite(n):
        return f"{n} B"
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"
