"""TOML loading into frozen dataclasses, with unknown-key errors and ``--set`` overrides.

Every configurable thing in janus1 is a frozen, keyword-only dataclass. Configs are
read with :func:`load_toml`, overridden with :func:`apply_overrides` (dotted paths,
``key=value`` with TOML literals) and turned into objects with :func:`from_dict`, which
rejects unknown keys and parses unit strings: a TOML key ``size = "32KiB"`` fills the
field ``size_bytes`` when the dataclass has no field ``size`` (and likewise ``_hz``,
``_s``, ``_ns``, ``_j``, ``_pj``, ``_w``, ``_mw``, ``_bytes_per_s``).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from . import units
from .errors import ConfigError
from .limits import MAX_INT
from .limits import short_repr as _short

__all__ = ["load_toml", "parse_toml", "from_dict", "apply_overrides", "parse_override",
           "to_dict"]

T = TypeVar("T")

# field-name suffix -> parser giving the value in the unit the suffix names
_UNIT_SUFFIXES: dict[str, Any] = {
    "_bytes_per_s": units.parse_bandwidth,
    "_bytes": units.parse_bytes,
    "_hz": units.parse_hz,
    "_ns": lambda v, what: units.parse_seconds(v, what=what) * 1e9,
    "_us": lambda v, what: units.parse_seconds(v, what=what) * 1e6,
    "_ms": lambda v, what: units.parse_seconds(v, what=what) * 1e3,
    "_s": units.parse_seconds,
    "_pj": lambda v, what: units.parse_joules(v, what=what) * 1e12,
    "_j": units.parse_joules,
    "_mw": lambda v, what: units.parse_watts(v, what=what) * 1e3,
    "_w": units.parse_watts,
}


_MAX_TOML_BYTES = 16 << 20  # configs are a few KB; refuse a file above 16 MiB unread


def parse_toml(text: str, *, source: str) -> dict[str, Any]:
    """Parse TOML text; errors name ``source`` and the line."""
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:  # deeply nested arrays recurse
        raise ConfigError(f"{source}: malformed TOML: {str(exc)[:200] or 'too deeply nested'}"
                          ) from None


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file into a dict.

    Raises:
        ConfigError: the file is missing, unreadable or not valid TOML.
    """
    p = Path(path)
    try:
        if p.stat().st_size > _MAX_TOML_BYTES:
            raise ConfigError(f"{p}: {p.stat().st_size} bytes, too large for a config "
                              f"(at most {_MAX_TOML_BYTES})")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{str(p)[:200]}: cannot read: {str(exc)[:200]}") from None
    return parse_toml(text, source=str(p))


def parse_override(item: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=value`` into a path and a value (a TOML literal, else a string)."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected key=value")
    key, raw = item.split("=", 1)
    path = [k.strip() for k in key.strip().split(".")]
    if not all(path):
        raise ConfigError(f"--set {item!r}: empty key")
    try:
        value: Any = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return path, value


def apply_overrides(data: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Return a deep copy of ``data`` with each ``key.path=value`` override applied.

    Lists of tables can be addressed by index (``level.1.size=1MiB``) or by a
    ``name`` key (``level.L2.size=1MiB``). An override replaces its field whichever
    spelling the data used (``size = "32MiB"`` or ``size_bytes = 33554432``).

    Raises:
        ConfigError: a malformed override, a non-finite number (``inf``, ``nan``), a path
            through a value that is not a table (``clock.x=1`` where ``clock = "1GHz"``)
            or into a list element.
    """
    import copy

    out: dict[str, Any] = copy.deepcopy(dict(data))
    for item in overrides:
        path, value = parse_override(item)
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"--set {item!r}: {value} is not a finite number")
        node: Any = out
        for key in path[:-1]:
            node = _descend(node, key, item, create=True)
        last = path[-1]
        if isinstance(node, list):
            raise ConfigError(f"--set {item!r}: cannot assign to a list element")
        if not isinstance(node, dict):
            where = ".".join(path[:-1])
            raise ConfigError(f"--set {item!r}: {where!r} is a value ({node!r}), not a table "
                              f"with keys; set it directly (--set {where}=...)")
        for other in _spellings(last):
            node.pop(other, None)  # the override replaces the value whichever spelling held it
        node[last] = value
    return out


def _spellings(key: str) -> list[str]:
    """The other spellings of the field ``key`` names: ``size`` for ``size_bytes`` and
    ``size_bytes`` for ``size`` (a file written with one, an override with the other)."""
    stems = [key[: -len(s)] for s in _UNIT_SUFFIXES if key.endswith(s) and len(key) > len(s)]
    return stems + [key + s for s in _UNIT_SUFFIXES]


def _descend(node: Any, key: str, item: str, *, create: bool) -> Any:
    if isinstance(node, list):
        if key.isdigit() and int(key) < len(node):
            return node[int(key)]
        for elem in node:
            if isinstance(elem, dict) and elem.get("name") == key:
                return elem
        raise ConfigError(f"--set {item!r}: no element {key!r}")
    if not isinstance(node, dict):
        raise ConfigError(f"--set {item!r}: {key!r} is not a table")
    if key not in node:
        if not create:
            raise ConfigError(f"--set {item!r}: no key {key!r}")
        node[key] = {}
    return node[key]


def _strip_optional(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def from_dict(cls: type[T], data: Mapping[str, Any], *, source: str = "config") -> T:
    """Build dataclass ``cls`` from ``data``, recursively, rejecting unknown keys.

    Args:
        cls: a dataclass type (nested dataclass, ``list[Dataclass]`` and
            ``dict[str, Dataclass]`` fields are built recursively).
        data: the table, usually from TOML.
        source: a name for error messages (a file name, a preset name).

    Raises:
        ConfigError: an unknown or missing key, a bad unit, or an invariant broken
            in the dataclass's ``__post_init__``.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a table, not {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{source}: {key if str(key).isprintable() else ascii(key)}"
        if key in fields:
            kwargs[key] = _convert(hints[key], value, where, key)
            continue
        for suffix, parser in _UNIT_SUFFIXES.items():
            if key + suffix in fields:
                name = key + suffix
                if name in data:
                    raise ConfigError(f"{where}: given twice (also as {name})")
                kwargs[name] = _convert(hints[name], parser(value, what=where), where, name)
                break
        else:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"{where}: unknown key (known: {known})")
    for name, f in fields.items():
        if (name not in kwargs and f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING and f.init):
            raise ConfigError(f"{source}: missing required key {name}")
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        msg = str(exc)
        raise ConfigError(msg if msg.startswith(source) else f"{source}: {msg}") from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        # a value so large or odd that the dataclass's own checks overflow on it
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{source}: {msg[:200]}") from None


def _convert(tp: Any, value: Any, where: str, name: str) -> Any:
    tp = _strip_optional(tp)
    if value is None:
        return None
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, source=where)  # type: ignore[arg-type]
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (list, tuple, Sequence) and args:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, not {value!r}")
        inner = args[0]
        items = [_convert(inner, v, f"{where}[{i}]", name) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin in (dict, Mapping) and len(args) == 2:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a table, not {value!r}")
        return {k: _convert(args[1], v, f"{where}.{k}", name) for k, v in value.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            for suffix, parser in _UNIT_SUFFIXES.items():
                if name.endswith(suffix) and isinstance(value, str):
                    return float(parser(value, what=where))
            raise ConfigError(f"{where}: expected a number, not {_short(value)}")
        try:
            out = float(value)
        except OverflowError:
            raise ConfigError(f"{where}: {value} is too large") from None
        if not math.isfinite(out):
            raise ConfigError(f"{where}: must be a finite number, not {out}")
        return out
    if tp is int:
        if isinstance(value, str) and name.endswith("_bytes"):
            value = units.parse_bytes(value, what=where)
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and math.isfinite(value) and value.is_integer():
                value = int(value)
            else:
                raise ConfigError(f"{where}: expected an integer, not {_short(value)}")
        if abs(value) > MAX_INT:
            raise ConfigError(f"{where}: {value} is out of range (|value| <= 2^62)")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, not {_short(value)}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, not {_short(value)}")
        return value
    return value


def to_dict(obj: Any) -> Any:
    """A dataclass (or nested containers of them) as plain JSON-able data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, Mapping):
        return {str(k): to_dict(v) for k, v in obj.items()}
    return obj
