"""What commands print: tables that never cut a value at 80 columns, strict JSON with
null for non-finite numbers, stdout holding exactly one JSON document."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from janus1.cli._common import table_groups
from janus1.report import dumps_json


def _strict(text: str) -> object:
    def bad(c: str) -> object:
        raise ValueError(f"not JSON: {c}")
    return json.loads(text, parse_constant=bad)


def janus(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "janus1", *args], capture_output=True,
                          text=True, timeout=300, check=True,
                          env={**os.environ, "COLUMNS": str(columns)})


def test_dumps_json_writes_null_for_non_finite() -> None:
    obj = {"nan": float("nan"), "inf": -math.inf, "np": np.float64("inf"),
           "arr": np.array([1.0, np.nan]), "ok": np.float32(0.5), "i": np.int64(3),
           "t": (1, float("nan")), "missing": None, "b": np.bool_(True)}
    d = _strict(dumps_json(obj))
    assert d == {"nan": None, "inf": None, "np": None, "arr": [1.0, None], "ok": 0.5,
                 "i": 3, "t": [1, None], "missing": None, "b": True}


def test_table_groups_fit_and_repeat_keys() -> None:
    widths = [9, 9] + [8] * 9
    groups = table_groups(widths, 80, keys=2)
    assert len(groups) > 1 and all(g[:2] == [0, 1] for g in groups)
    assert sorted({i for g in groups for i in g}) == list(range(len(widths)))
    for g in groups:
        assert sum(widths[i] for i in g) + 3 * len(g) + 1 <= 80
    assert table_groups([5, 5], 80) == [[0, 1]]


def _lines_fit(text: str, width: int = 80) -> None:
    """Every table line fits (plain text lines wrap in the terminal, nothing is cut)."""
    for ln in text.splitlines():
        if any(c in ln for c in "│┃┏┡└"):
            assert len(ln) <= width, ln
    assert "…" not in text


def test_memtech_at_80_columns_shows_every_value() -> None:
    out = janus("memtech").stdout
    _lines_fit(out)
    rows = _strict(janus("memtech", "--json").stdout)["technologies"]  # type: ignore[index]
    for r in rows:
        assert r["cell"] in out
        for v in (f"{r['dynamic_w']:.3f}", f"{r['leakage_mw'] / 1e3:.3f}",
                  f"{r['pj_per_bit_delivered']:.2f}", f"{r['latency_ns']:.1f}"):
            assert v in out, v
    # the two SRAM rows are told apart by their cell on every printed table
    for block in out.split("(continued)"):
        assert ("itrs-hp" in block) == ("itrs-lstp" in block)


def test_simulate_at_80_columns_keeps_the_hit_rate() -> None:
    args = ("simulate", "--hierarchy", "janus-1", "--model", "stories260k", "--layers", "1")
    out = janus(*args).stdout
    _lines_fit(out)
    d = _strict(janus(*args, "--json").stdout)
    for lv in d["levels"]:  # type: ignore[index]
        assert f"{lv['hit_rate']:.4%}" in out


@pytest.mark.parametrize("args", [("analyze", "llama-2-7b"), ("ppa", "janus-1"),
                                  ("presets",), ("tile", "--gemm", "1", "4096", "4096")])
def test_other_tables_fit(args: tuple[str, ...]) -> None:
    _lines_fit(janus(*args).stdout)


@pytest.mark.parametrize("args", [("ppa", "janus-1"), ("memtech",), ("analyze", "gpt2"),
                                  ("simulate", "--hierarchy", "janus-1", "--model",
                                   "stories260k", "--layers", "1", "--counts-only"),
                                  ("tile", "--gemm", "1", "64", "64", "--node", "7nm")])
def test_json_mode_is_one_strict_document(args: tuple[str, ...]) -> None:
    r = janus(*args, "--json")
    _strict(r.stdout)
    for ln in r.stderr.splitlines():
        assert ln.startswith("warning: "), ln
