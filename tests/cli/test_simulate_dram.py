"""``janus1 simulate --dram PRESET|FILE``: a DRAM model behind any hierarchy, its figures in
the text and JSON output, and one-line errors for a bad name or file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from janus1.cli import cli
from janus1.sim.dram import load_dram
from conftest import shared_path

# a small decode trace through the two-level preset (fixed latency by default)
ARGS = ["simulate", "--hierarchy", "two-level", "--model", "stories260k", "--layers", "1"]


def _json(*extra: str) -> dict:
    r = CliRunner().invoke(cli, [*ARGS, *extra, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _check_dram_figures(m: dict, name: str) -> None:
    spec = load_dram(name, [])
    assert m["model"] == "dram" and m["dram"] == name
    assert m["idle_latency_ns"] == pytest.approx(spec.idle_read_latency_ns)
    assert m["peak_bandwidth_bytes_per_s"] == pytest.approx(spec.peak_bandwidth_bytes_per_s)
    # every line read leaves as one 64-B request here; the model's commands account for it
    assert m["read_bytes"] == 64 * m["reads"] > 0
    assert m["read_cmds"] == m["reads"] - m["forwarded_reads"]
    assert 0 <= m["read_row_hits"] <= m["read_cmds"]
    assert m["row_hit_rate"] == pytest.approx(m["read_row_hits"] / m["read_cmds"])
    assert m["act_cmds"] >= 1 and m["ref_cmds"] >= 0
    assert 0 < m["utilization"] <= 1
    assert m["energy_pj"] > m["energy_background_pj"] + m["energy_refresh_pj"] > 0


def test_dram_preset_replaces_the_fixed_latency() -> None:
    plain = _json()["memory"]
    assert plain["model"] == "fixed-latency" and plain["dram"] is None
    assert plain["row_hit_rate"] is None and plain["act_cmds"] is None
    d = _json("--dram", "lpddr4-2400")
    _check_dram_figures(d["memory"], "lpddr4-2400")
    # the same trace through the same caches: the same lines reach the memory
    # (prefetches may differ with the timing, so only the demand side is compared)
    assert d["levels"][0]["hits"] + d["levels"][0]["misses"] == \
        _json()["levels"][0]["hits"] + _json()["levels"][0]["misses"]


def test_dram_ini_file() -> None:
    ini = shared_path("reference", "dramsim3_configs", "DDR4_8Gb_x8_3200.ini")
    _check_dram_figures(_json("--dram", str(ini))["memory"], str(ini))


def test_dram_toml_file_with_dram_set(tmp_path: Path) -> None:
    # a TOML DRAM file extending a preset, and --set memory.dram_set on top of --dram
    import janus1

    text = (Path(janus1.__file__).parent / "presets" / "drams" / "lpddr4-2400.toml").read_text()
    assert 'row_buf_policy = "OPEN_PAGE"' in text
    f = tmp_path / "my dram.toml"
    f.write_text(text.replace('row_buf_policy = "OPEN_PAGE"', 'row_buf_policy = "CLOSE_PAGE"'))
    m = _json("--dram", str(f))["memory"]
    _check_dram_figures(m, str(f))
    # close page: no read finds its row open
    assert m["read_row_hits"] == 0
    m2 = _json("--dram", "lpddr4-2400", "--set",
               'memory.dram_set=["system.row_buf_policy=CLOSE_PAGE"]')["memory"]
    assert m2["read_row_hits"] == 0 and m2["act_cmds"] == m["act_cmds"]


def test_text_output_shows_the_model() -> None:
    r = CliRunner().invoke(cli, [*ARGS, "--dram", "lpddr4-2400"], env={"COLUMNS": "160"})
    assert r.exit_code == 0, r.output
    m = _json("--dram", "lpddr4-2400")["memory"]
    out = r.output
    assert "DRAM model lpddr4-2400" in out
    assert f"{m['row_hit_rate']:.4f}" in out and f"{m['act_cmds']:,}" in out
    assert f"= {m['utilization']:.1%} of the" in out
    assert f"{m['energy_pj'] * 1e-6:.4g}" in out
    plain = CliRunner().invoke(cli, ARGS, env={"COLUMNS": "160"})
    assert "fixed-latency, 100 ns" in plain.output and "row-hit" not in plain.output


@pytest.mark.parametrize("value,needle", [
    ("lpddr9-1", "unknown dram preset 'lpddr9-1'"),
    ("/no/such/dram.ini", "no such DRAM configuration file"),
    ("", "--dram: empty"),
])
def test_bad_dram_exits_2_with_one_line(value: str, needle: str) -> None:
    r = subprocess.run([sys.executable, "-m", "janus1", *ARGS, "--dram", value],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("janus1: error:") and needle in err
    if value:
        assert "--dram" in err and value in err
    assert r.stdout == ""


def test_bad_ini_content_names_the_file(tmp_path: Path) -> None:
    f = tmp_path / "broken.ini"
    f.write_text("[dram_structure]\nprotocol = DDR4\nbankgroups = banana\n")
    r = subprocess.run([sys.executable, "-m", "janus1", *ARGS, "--dram", str(f)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and str(f) in err and "Traceback" not in err
