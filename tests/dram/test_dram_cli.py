"""``janus1 dram``: output shape, trace formats, and bad input (one line, exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from conftest import shared_path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "janus1", "dram", *args],
                          capture_output=True, text=True, timeout=300)


def assert_one_line_error(res: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert res.returncode == 2, res
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    assert res.stdout == ""


def test_json_starts_with_the_headline_figures(tmp_path: Path) -> None:
    # DRAMsim3 format recognised by content (odd extension), ops as DRAMsim3 reads them
    p = tmp_path / "t.txt"
    p.write_text("0x0 READ 0\n0x40 P_MEM_WR 1\n\n0x80 write 2\n0xc0 IFETCH 3\n0x100 BOFF 9\n")
    res = run(str(p), "--dram", "ddr4-3200", "--json")
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)
    assert list(rep)[:3] == ["cycles", "read_latency_mean", "row_hit_rate"]
    assert rep["reads"] == 2 and rep["writes"] == 3
    assert rep["trace"]["format"] == "dramsim3" and rep["trace"]["timed"]
    assert rep["dram"]["name"] == "ddr4-3200"
    assert set(rep["read_latency"]) == {"mean", "p50", "p90", "p99", "p999", "p9999", "max"}
    assert rep["energy_pj"] > 0


def test_ini_file_and_npy_trace(tmp_path: Path) -> None:
    p = tmp_path / "a.npy"
    np.save(p, np.arange(100, dtype=np.int64) * 64)
    ini = shared_path("reference", "dramsim3_configs", "LPDDR4_8Gb_x16_2400.ini")
    res = run(str(p), "--dram", str(ini), "--json")
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)
    assert rep["reads"] == 100 and not rep["trace"]["timed"]
    assert any("tRFC2" in n for n in rep["dram"]["notes"])
    table = run(str(p), "--dram", str(ini))
    assert table.returncode == 0 and "row-hit" in table.stdout


def test_malformed_trace_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.trace"
    p.write_text("0x0 READ 0\n0x40 READ 1\n0xZZ READ 2\n")
    assert_one_line_error(run(str(p), "--dram", "ddr4-3200"), f"{p}:3", "bad hex address")
    p.write_text("0x0 READ 0\n0x40 READ\n")
    assert_one_line_error(run(str(p), "--dram", "ddr4-3200"), f"{p}:2")


def test_address_beyond_capacity_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "far.trace"
    p.write_text("0x0 READ 0\n\n0x400000000 READ 1\n")  # DDR4 config: 16 GiB = 2^34 B
    assert_one_line_error(run(str(p), "--dram", "ddr4-3200"), f"{p}:3", "beyond the capacity")


def test_contradicting_timings_and_bad_mapping(tmp_path: Path) -> None:
    p = tmp_path / "t.trace"
    p.write_text("0x0 READ 0\n")
    assert_one_line_error(run(str(p), "--dram", "ddr4-3200", "--set", "timing.tRC=40"),
                          "tRAS = 52 exceeds tRC = 40")
    assert_one_line_error(run(str(p), "--dram", "ddr4-3200", "--set",
                              'system.address_mapping="rorarabgbaco"'), "'ra' repeated")
    ini = tmp_path / "x.ini"
    ini.write_text(shared_path("reference", "dramsim3_configs", "DDR4_8Gb_x8_3200.ini")
                   .read_text().replace("tRAS = 52", "tRAS = fifty"))
    assert_one_line_error(run(str(p), "--dram", str(ini)), str(ini), "tRAS")
    assert_one_line_error(run(str(p), "--dram", "nosuch"), "unknown dram preset")
