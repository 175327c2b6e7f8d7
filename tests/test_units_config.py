"""Strict units and config loading."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from janus1.config import apply_overrides, from_dict
from janus1.errors import ConfigError
from janus1.units import parse_bandwidth, parse_bytes, parse_hz


def test_binary_and_decimal_prefixes_differ() -> None:
    assert parse_bytes("32KiB") == 32768
    assert parse_bytes("32kB") == 32000
    assert parse_bytes("1MiB") == 2**20 and parse_bytes("1MB") == 10**6
    assert parse_hz("1GHz") == 1e9
    assert parse_bandwidth("68GB/s") == 68e9


@pytest.mark.parametrize("bad", ["42KX", "42kiB", "1.5B", "abc", "12 parsecs"])
def test_rejects_unknown_units(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_bytes(bad)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Level:
    name: str
    size_bytes: int
    ways: int = 8


def test_from_dict_unit_key_and_unknown_key() -> None:
    assert from_dict(_Level, {"name": "L1", "size": "32KiB"}).size_bytes == 32768
    with pytest.raises(ConfigError, match=r"^f.toml: colour: unknown key"):
        from_dict(_Level, {"name": "L1", "size": "1KiB", "colour": 3}, source="f.toml")
    with pytest.raises(ConfigError, match=r"missing required key size_bytes"):
        from_dict(_Level, {"name": "L1"}, source="f.toml")


def test_overrides() -> None:
    data = {"level": [{"name": "L1", "size": "32KiB"}, {"name": "L2", "size": "256KiB"}]}
    out = apply_overrides(data, ["level.L2.size=\"1MiB\"", "level.0.ways=4"])
    assert out["level"][1]["size"] == "1MiB" and out["level"][0]["ways"] == 4
    assert data["level"][1]["size"] == "256KiB"  # input untouched


def test_override_replaces_the_other_spelling() -> None:
    # a generated file says size_bytes; --set says size (and the reverse): one value wins
    data = {"level": [{"name": "L1", "size_bytes": 32768}], "memory": {"latency": "100ns"}}
    out = apply_overrides(data, ["level.L1.size=1MiB", "memory.latency_ns=80"])
    assert out["level"][0] == {"name": "L1", "size": "1MiB"}
    assert out["memory"] == {"latency_ns": 80}
    assert from_dict(_Level, out["level"][0]).size_bytes == 1 << 20
