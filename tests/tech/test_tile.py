"""Systolic tile cycles against SCALE-Sim 3.0 (shared/reference/scalesim_gemm.csv)."""

from __future__ import annotations

import csv
import json

import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import shared_path

from janus1.tech import tile_cycles


def _rows() -> list[dict[str, str]]:
    with open(shared_path("reference", "scalesim_gemm.csv"), newline="") as fh:
        return list(csv.DictReader(fh))


def test_cycles_within_10_percent_of_scalesim_on_every_row() -> None:
    worst = 0.0
    for r in _rows():
        g = tile_cycles(int(r["array_rows"]), int(r["array_cols"]), int(r["M"]), int(r["K"]),
                        int(r["N"]), dataflow=r["dataflow"])
        err = g.cycles / int(r["total_cycles"]) - 1
        worst = max(worst, abs(err))
        assert abs(err) <= 0.10, r
        assert g.utilization * 100 == pytest.approx(float(r["overall_util_pct"]), rel=0.10)
    print(f"\nworst |error| over {len(_rows())} rows: {worst:.4f}")


def test_gemv_on_os_uses_one_row_of_the_array() -> None:
    # M=1 on a 16x16 os array: 1/16 of the PEs are mapped (scalesim.md mapping_eff 6.25 %).
    g = tile_cycles(16, 16, 1, 4096, 4096, dataflow="os")
    assert g.utilization < 1 / 16


def test_int4_packs_two_macs_and_halves_long_reductions() -> None:
    a = tile_cycles(16, 16, 256, 4096, 256, dataflow="os", precision="int8")
    b = tile_cycles(16, 16, 256, 4096, 256, dataflow="os", precision="int4")
    assert b.cycles == pytest.approx(a.cycles / 2, rel=0.02)


def test_peak_tops_of_janus1() -> None:
    from janus1.design import load_design

    d = load_design("janus-1")
    assert d.peak_ops_per_s()["int8"] / 1e12 == pytest.approx(8.192)
    assert d.peak_ops_per_s()["int4"] / 1e12 == pytest.approx(16.384)


def test_tile_cli_json_and_errors() -> None:
    from janus1.cli import cli

    r = CliRunner().invoke(cli, ["tile", "--rows", "16", "--cols", "16", "--dataflow", "ws",
                                  "--gemm", "16", "64", "64", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["cycles"] == 991 and 0 < out["utilization"] <= 1
    bad = _run_bad(["tile", "--dataflow", "xs", "--gemm", "1", "2", "3"])
    assert bad.returncode == 2 and "unknown dataflow" in bad.stderr
    assert "Traceback" not in bad.stderr


def _run_bad(args: list[str]) -> subprocess.CompletedProcess:
    """Run ``janus1 args`` in a subprocess (the error path lives in janus1.cli.main)."""
    return subprocess.run([sys.executable, "-m", "janus1", *args], capture_output=True,
                          text=True, timeout=60)


# Closed forms worked by hand from SCALE-Sim 3.0's demand matrices (scalesim.md;
# compute/systolic_compute_os.py and _ws.py): os per fold T + R + C - 2, ws/is per fold
# T + 2R + C - 2 with R = array rows (the weight preload), partial folds padded to the
# full array; total = folds x per fold - 1.
@pytest.mark.parametrize("rows,cols,df,m,k,n,cycles", [
    (8, 32, "os", 16, 64, 64, 2 * 2 * (64 + 8 + 32 - 2) - 1),      # non-square, os
    (32, 8, "os", 64, 64, 16, 2 * 2 * (64 + 32 + 8 - 2) - 1),      # its transpose
    (8, 32, "ws", 16, 64, 64, 8 * 2 * (16 + 16 + 32 - 2) - 1),     # 2R uses the rows
    (32, 8, "ws", 16, 64, 64, 2 * 8 * (16 + 64 + 8 - 2) - 1),
    (8, 32, "is", 16, 64, 64, 8 * 1 * (64 + 16 + 32 - 2) - 1),
    (16, 16, "os", 1, 8, 8, 1 * (8 + 16 + 16 - 2) - 1),            # GEMV, K and N < array
    (16, 16, "ws", 1, 8, 8, 1 * (1 + 32 + 16 - 2) - 1),
    (16, 16, "is", 1, 8, 8, 1 * (8 + 32 + 16 - 2) - 1),
    (16, 16, "ws", 1, 8, 1000, 63 * (1 + 32 + 16 - 2) - 1),        # GEMV, K < rows, N folds
    (32, 32, "os", 1, 4096, 33, 2 * (4096 + 62) - 1),              # N just over the array
])
def test_schedule_is_the_general_closed_form(rows, cols, df, m, k, n, cycles) -> None:
    g = tile_cycles(rows, cols, m, k, n, dataflow=df)
    assert g.cycles == cycles
    assert g.utilization == pytest.approx(m * k * n / (cycles * rows * cols))
