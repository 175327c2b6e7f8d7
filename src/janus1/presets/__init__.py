"""Presets: TOML files under ``janus1/presets/<kind>/<name>.toml``, loaded by name.

Each kind (models, devices, designs, hierarchies, packages, ...) is a folder; adding a
preset is adding a file. A preset may say ``extends = "other"`` to inherit another
preset of the same kind and override only what changes (the gem5 subclass idea).
Every preset carries a ``source`` string naming where its numbers come from.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from ..config import parse_toml
from ..errors import InputError

__all__ = ["preset_kinds", "preset_names", "load_preset", "has_preset"]


_SINGULAR = {"hierarchies": "hierarchy", "packages": "package"}


def _folder(kind: str) -> Any:
    return resources.files(__name__).joinpath(kind)


def preset_kinds() -> list[str]:
    """Kinds of preset shipped (the sub-folders)."""
    root = resources.files(__name__)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))


def preset_names(kind: str) -> list[str]:
    """Names of the presets of one kind, sorted."""
    if not isinstance(kind, str) or not kind or "/" in kind or kind.startswith("."):
        return []
    folder = _folder(kind)
    try:
        if not folder.is_dir():
            return []
    except (OSError, ValueError):  # a name the OS refuses (too long, NUL byte)
        return []
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def has_preset(kind: str, name: str) -> bool:
    """Whether a preset ``name`` of ``kind`` exists (names are case-insensitive)."""
    return name.lower() in preset_names(kind)


def load_preset(kind: str, name: str, *, _seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """Load preset ``name`` of ``kind`` as a dict, with ``extends`` resolved.

    Raises:
        InputError: no such preset (the message lists the known ones).
    """
    if not isinstance(kind, str) or not isinstance(name, str):
        raise InputError(f"preset kind and name must be strings, not {kind!r}, {name!r}")
    key = name.lower()
    names = preset_names(kind)
    if key not in names:
        singular = _SINGULAR.get(kind, kind[:-1] if kind.endswith("s") else kind)
        raise InputError(f"unknown {singular} preset {name!r} (known: {', '.join(names)})")
    text = _folder(kind).joinpath(f"{key}.toml").read_text(encoding="utf-8")
    data = parse_toml(text, source=f"preset {kind}/{key}")
    base_name = data.pop("extends", None)
    if base_name is not None:
        if base_name in _seen:
            raise InputError(f"preset {kind}/{key}: circular extends {base_name!r}")
        base = load_preset(kind, base_name, _seen=(*_seen, key))
        data = _merge(base, data)
    data["name"] = key
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out
