"""The ``sim_dram`` study section: roofline, fixed latency and the DRAM model side by side,
on a small step (stories15M through caches shrunk so that it streams from the LPDDR5)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from janus1.study import StudyContext
from janus1.study._core import parse_options
from janus1.study.sections import sim_dram

from test_figures import SMALL, check_png


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("study")
    out = root / "sim_dram"
    out.mkdir()
    opts = parse_options(sim_dram.SECTION, SMALL["sim_dram"])
    res = sim_dram.SECTION.run(StudyContext(out_dir=out, options=opts))
    return out, res.markdown


def test_table_and_json_agree(ran: tuple[Path, str]) -> None:
    out, md = ran
    with open(out / "memory_models.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["model"] for r in rows] == ["roofline", "fixed-latency", "dram"]
    doc = json.loads((out / "memory_models.json").read_text())
    sim = doc["simulate"]
    dram = next(r for r in rows if r["model"] == "dram")
    fixed = next(r for r in rows if r["model"] == "fixed-latency")
    # the DRAM row is the simulation the section ran, its figures the simulator's
    assert float(dram["dram_utilization"]) == pytest.approx(sim["memory"]["utilization"])
    assert float(dram["dram_row_hit_rate"]) == pytest.approx(sim["memory"]["row_hit_rate"])
    assert float(dram["dram_energy_pj_per_token"]) == pytest.approx(
        sim["energy_pj_per_token"]["LPDDR5"])
    for r in (dram, fixed):
        bw = float(r["dram_bytes_per_token"]) / float(r["memory_seconds_per_token"])
        assert float(r["dram_bandwidth_bytes_per_s"]) == pytest.approx(bw)
        assert bw <= float(r["dram_peak_bandwidth_bytes_per_s"]) * (1 + 1e-9)
    assert fixed["dram_row_hit_rate"] == ""          # no DRAM model: no row hits
    # the markdown prints the table's numbers
    for r in rows:
        assert f"{float(r['tokens_per_s']):.2f}" in md
        assert f"{float(r['dram_utilization']):.1%}" in md
    assert f"{float(dram['dram_row_hit_rate']):.3f}" in md
    assert "![memory models](sim_dram/memory_models.png)" in md


def test_figure_is_publication_ready(ran: tuple[Path, str]) -> None:
    out, _ = ran
    png = out / "memory_models.png"
    assert png.exists()
    assert check_png(png) == []


def test_reading_derives_the_bank_group_bound(ran: tuple[Path, str]) -> None:
    # lpddr5x-8533: tCCD_L 4 CK, bursts of 2 CK, column bits lowest -> at most 50%
    _, md = ran
    assert "tCCD_L = 4 CK apart against a 2-CK burst" in md
    assert "at most 50% of a channel's peak" in md
