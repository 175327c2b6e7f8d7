"""janus1.limits: the bounds helpers every reader uses."""

from __future__ import annotations

import math

import pytest

from janus1.errors import ConfigError, FormatError, InputError
from janus1.limits import (DEFAULT_MAX_BUFFER_BYTES, ByteCursor, check_buffer, check_count,
                           check_float, check_int, max_buffer_bytes, path_exists)


def test_check_count_against_bytes_left() -> None:
    assert check_count(10, 8, 80, "x") == 10          # exactly fits
    with pytest.raises(FormatError, match="declares 11 items of 8 bytes, but only 80"):
        check_count(11, 8, 80, "x")
    with pytest.raises(FormatError):
        check_count(1 << 40, 4, 10**6, "token_type")


def test_buffer_limit_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    assert max_buffer_bytes() == DEFAULT_MAX_BUFFER_BYTES == 1 << 30
    assert check_buffer(1 << 30, "kv") == 1 << 30
    with pytest.raises(FormatError, match=r"kv would need 1\.0 GiB, more than the limit"):
        check_buffer((1 << 30) + 1, "kv")
    with pytest.raises(ConfigError):
        check_buffer(float("nan"), "kv", error=ConfigError)
    monkeypatch.setenv("JANUS1_MAX_BUFFER_BYTES", "8GiB")
    assert max_buffer_bytes() == 8 << 30
    assert check_buffer(2 << 30, "kv") == 2 << 30
    for bad in ("garbage", "0", "-1GiB"):
        monkeypatch.setenv("JANUS1_MAX_BUFFER_BYTES", bad)
        with pytest.raises(ConfigError, match="JANUS1_MAX_BUFFER_BYTES.*not a positive size"):
            max_buffer_bytes()


@pytest.mark.parametrize("v", [True, "3", 1.5, math.nan, math.inf, None, [1]])
def test_check_int_refuses(v: object) -> None:
    with pytest.raises(ConfigError, match="expected an integer"):
        check_int(v, "n")


def test_check_int_range() -> None:
    assert check_int(4.0, "n", lo=1, hi=4) == 4
    with pytest.raises(InputError, match="n must be <= 4, not 5"):
        check_int(5, "n", hi=4, error=InputError)
    with pytest.raises(ConfigError, match=r"must be <= 4611686018427387903"):
        check_int(1 << 62, "n")


def test_check_float() -> None:
    assert check_float(3, "x", lo=0.0) == 3.0
    for bad in (math.nan, math.inf, -math.inf, "1", True, 10**400):
        with pytest.raises(ConfigError):
            check_float(bad, "x")
    with pytest.raises(ConfigError, match="x must be > 0, not 0"):
        check_float(0.0, "x", lo=0.0, lo_open=True)


def test_byte_cursor() -> None:
    data = (5).to_bytes(8, "little") + b"hello" + (1 << 40).to_bytes(8, "little") + b"ab"
    c = ByteCursor(data, "f.bin", kind="test")
    assert c.string("first") == "hello"
    with pytest.raises(FormatError, match=r"f\.bin: truncated or corrupt test at byte 21: "
                                          r"second needs 1099511627776 bytes, 2 left"):
        c.string("second")
    c2 = ByteCursor(b"\x02\x00\x00\x00\x00\x00\x00\x00\xff\xfe", "g")
    with pytest.raises(FormatError, match="not UTF-8"):
        c2.string("s")


def test_path_exists_refuses_impossible_names() -> None:
    assert path_exists(".")
    with pytest.raises(InputError, match="not a usable path"):
        path_exists("a" * 5000)
