"""DesignSpec presets, device view, PPA and the ppa/memtech commands."""

from __future__ import annotations

import json

import subprocess
import sys

import pytest
from click.testing import CliRunner

from janus1.cli import cli
from janus1.design import edram_area_bounds, load_design, ppa
from janus1.errors import ConfigError, InputError
from janus1.models import load_spec
from janus1.design import load_device


def test_presets_load_and_give_a_device() -> None:
    for name in ("janus-1", "edge-tpu-like", "orin-like"):
        d = load_design(name)
        dev = d.device()
        assert dev.tiers[0].capacity_bytes > 0
    j = load_design("janus-1")
    assert [t.capacity_bytes for t in j.tiers[:2]] == [32 * 2**20, 224 * 2**20]
    assert load_device("janus-1").peak("int8") == pytest.approx(8.192e12)


def test_edram_bounds_match_anchors() -> None:
    # ANCHORS.md: 224 MiB of eDRAM needs about 102 mm² at Intel 22 nm density.
    b = edram_area_bounds(224 * 2**20)
    assert b["intel22_mib"] == pytest.approx(102.4, abs=0.1)
    assert b["intel22_mb"] == pytest.approx(107.4, abs=0.1)
    assert b["ibm14_cell_only"] == pytest.approx(224 * 2**23 * 0.0174e-6)


def test_janus1_ppa_flags_the_79_mm2_claim() -> None:
    r = ppa(load_design("janus-1"), load_spec("llama-2-7b"), context=4096, precision="int4")
    assert r.tops["int8"] == pytest.approx(8.192)
    assert any("claimed 79" in w for w in r.warnings)
    assert r.tokens_per_s > 0 and r.joules_per_token == pytest.approx(r.power_w / r.tokens_per_s)
    assert r.area_mm2 == pytest.approx(sum(r.area_breakdown_mm2.values()))
    assert r.power_w == pytest.approx(sum(r.power_breakdown_w.values()))


def test_overrides_apply() -> None:
    d = load_design("janus-1", ["compute.tiles=8"])
    assert d.peak_ops_per_s()["int8"] == pytest.approx(4.096e12)


@pytest.mark.parametrize("override,msg", [
    ("tiers.0.capacity=-1", "capacity must be positive"),
    ("tiers.1.tech=\"flash\"", "unknown memory technology"),
    ("tiers.1.cell=\"bogus\"", "unknown cell type"),
    ("node=\"4nm\"", "unknown process node"),
    ("tiers.1.capacity=\"8GiB\"", "reticle-limited die"),
])
def test_bad_designs_raise(override: str, msg: str) -> None:
    with pytest.raises(ConfigError, match=msg):
        load_design("janus-1", [override])


def test_unknown_design_is_input_error() -> None:
    with pytest.raises(InputError, match="unknown design"):
        load_design("nope")


def test_ppa_cli_json_keys_and_bad_input() -> None:
    r = CliRunner().invoke(cli, ["ppa", "janus-1", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    for key in ("area_mm2", "power_w", "area_breakdown_mm2", "power_breakdown_w", "tops",
                "tokens_per_s", "joules_per_token", "junction_c", "warnings"):
        assert key in out
    bad = _run_bad(["ppa", "janus-1", "--set", "tiers.0.capacity=-1"])
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "Traceback" not in bad.stderr


def test_memtech_cli_json_keys() -> None:
    r = CliRunner().invoke(cli, ["memtech", "--capacity", "224MiB", "--node", "3nm", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    keys = ("tech", "cell", "node_nm", "capacity_bytes", "area_mm2", "read_energy_pj",
            "write_energy_pj", "leakage_mw", "refresh_mw", "latency_ns", "static_w", "dynamic_w")
    assert {t["tech"] for t in out["technologies"]} == {"sram", "edram", "mram"}
    for t in out["technologies"]:
        assert all(k in t for k in keys)
    bad = _run_bad(["memtech", "--tech", "flash"])
    assert bad.returncode == 2 and "unknown memory technology" in bad.stderr


def _run_bad(args: list[str]) -> subprocess.CompletedProcess:
    """Run ``janus1 args`` in a subprocess (the error path lives in janus1.cli.main)."""
    return subprocess.run([sys.executable, "-m", "janus1", *args], capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("measured,claimed,verdict", [
    (8.192, 8.2, "holds"),          # seed 001 TOPS
    (3.15, 4.05, "partly"),         # 22 % below the seed's ~4.05 W
    (82.0, 63.0, "refuted"),        # 30.2 % above
    (1.09, 1.0, "holds"), (1.11, 1.0, "partly"), (0.71, 1.0, "partly"), (0.69, 1.0, "refuted"),
    ((49.6, 114.6), 79.0, "refuted"),   # both janus1 values > 30 % away
    ((60.0, 85.0), 79.0, "holds"),      # the closer value decides
])
def test_claim_verdict_rule_is_uniform(measured, claimed, verdict) -> None:
    from janus1.study.helpers import VERDICT_RULE, numeric_verdict

    assert numeric_verdict(measured, claimed)[0] == verdict
    assert "10%" in VERDICT_RULE and "30%" in VERDICT_RULE
