"""``janus1 hw schedule``: JSON on stdout, one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from janus1.cli import main
from janus1.models import asset_path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(["hw", "schedule", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_decode_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "stories260k", "--json")
    assert code == 0
    d = json.loads(out)                       # exactly one JSON object on stdout
    assert d["datapath"] == "stories260k"     # the preset named like the model
    assert set(d["positions"]) == {"first", "middle", "last"}
    assert d["positions"]["last"]["pos"] == 511
    assert d["cycles"] == pytest.approx(
        sum(d["by_class"].values()))
    assert d["tokens_per_s"] == pytest.approx(200e6 / d["cycles"])
    assert "scheduling" in err


def test_prefill_json_and_gantt(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    png = tmp_path / "g.png"
    code, out, _ = _run(capsys, "seed004-small", "--phase", "prefill", "--prompt", "8",
                        "--set", "engines='per_layer'", "--gantt", str(png), "--json")
    assert code == 0
    d = json.loads(out)
    for k in ("kv_hazards", "kv_guard_bubbles", "cycles_per_token", "fill_cycles",
              "speedup_vs_global_fsm"):
        assert k in d
    assert d["n_tokens"] == 8 and d["kv_hazards"] == 0 and d["engines"] == "per_layer"
    assert png.stat().st_size > 1000


def test_model_path_finds_the_preset(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(asset_path("stories260K", "stories260K.bin")), "--json")
    assert code == 0 and json.loads(out)["datapath"] == "stories260k"


@pytest.mark.parametrize("args,needle", [
    (["stories260k", "--phase", "prefill", "--prompt", "0"], "--prompt"),
    (["stories260k", "--prompt", "513"], "--prompt"),
    (["stories260k", "--datapath", "nope"], "unknown datapath"),
    (["stories260k", "--datapath", "/no/such/dp.toml"], "/no/such/dp.toml"),
    (["stories260k", "--set", "mac.lanes=0"], "mac.lanes"),
    (["stories260k", "--set", "mac.colour=1"], "colour"),
    (["stories260k", "--set", "kv_ram.capacity=100"], "kv_ram.capacity"),
    (["stories15m", "--datapath", "stories260k"], "weights.onchip"),
    (["gpt2"], "--datapath"),
    (["llama-99b"], "unknown model"),
])
def test_bad_input_one_line_exit_2(capsys: pytest.CaptureFixture[str], args: list[str],
                                   needle: str) -> None:
    code, out, err = _run(capsys, *args, "--json")
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], err
    assert out == ""


def test_unparsable_datapath_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "dp.toml"
    p.write_text("clock = \n")
    code, _, err = _run(capsys, "stories260k", "--datapath", str(p))
    assert code == 2 and str(p) in err and "malformed TOML" in err


def test_whole_process() -> None:
    res = subprocess.run([sys.executable, "-m", "janus1", "hw", "schedule", "sanity",
                          "--json"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["datapath"] == "seed004-small"
