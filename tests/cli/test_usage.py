"""Every bad command line: exactly one line on stderr, exit code 2, no traceback, nothing
written. The group (janus1.cli) owns this, so every command gets it, new ones included."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from janus1.cli import cli

BAD = [
    ["nope"],
    ["--bogus"],
    ["analyze"],
    ["analyze", "gpt2", "extra"],
    ["analyze", "gpt2", "--counting", "x"],
    ["analyze", "gpt2", "--bogus"],
    ["analyze", "gpt2", "--context"],
    ["analyze", "gpt2", "--context", "-5"],
    ["analyze", "gpt2", "--context", "1e308"],
    ["analyze", "gpt2", "--batch", "0"],
    ["analyze", "gpt2", "--group-size", "0"],
    ["analyze", "gpt2", "--set", "n_layers"],
    ["analyze", "gpt2", "--set", "n_layers.x=1"],
    ["ppa", "janus-1", "--set", "clock.x=1"],
    ["ppa", "janus-1", "--set", "compute.tiles.x=1"],
    ["ppa", "janus-1", "--set", "clock=inf"],
    ["ppa", "janus-1", "--set", "ambient_c=nan"],
    ["analyze", "gpt2", "--set", "norm_eps=-inf"],
    ["ppa", "janus-1", "--context", "0"],
    ["ppa", "janus-1", "--sim-layers", "2"],
    ["ppa", "janus-1", "--kv-layout", "diagonal"],
    ["tile"],
    ["tile", "--gemm", "1", "2"],
    ["tile", "--gemm", "1", "2", "-3"],
    ["tile", "--gemm", "1", "2", "x"],
    ["tile", "--rows", "0", "--gemm", "1", "2", "3"],
    ["memtech", "--temperature", "nan"],
    ["memtech", "--temperature", "inf"],
    ["memtech", "--temperature", "-300"],
    ["memtech", "--capacity", "inf"],
    ["memtech", "--banks", "0"],
    ["memtech", "--bandwidth", "-1GB/s"],
    ["generate", "stories260k", "--temperature", "nan"],
    ["generate", "stories260k", "--temperature", "-1"],
    ["generate", "stories260k", "--topp", "2"],
    ["generate", "stories260k", "--topp", "inf"],
    ["generate", "stories260k", "--steps", "-1"],
    ["generate", "stories260k", "--numerics", "x"],
    ["compare", "stories260k"],
    ["compare", "stories260k", "--text", "x", "--greedy-steps", "-5"],
    ["compare", "stories260k", "--text", "x", "--greedy-steps", "5"],
    ["compare", "stories260k", "--text", "x", "--max-tokens", "1"],
    ["perplexity", "stories260k", "--text", "x", "--context", "1"],
    ["perplexity", "stories260k", "--text", "x", "--stride", "0"],
    ["simulate"],
    ["simulate", "--hierarchy", "janus-1"],
    ["simulate", "--hierarchy", "janus-1", "--model", "gpt2", "--tokens", "0"],
    ["simulate", "--hierarchy", "janus-1", "--model", "gpt2", "--trace-format", "csv"],
    ["presets", "nope"],
    ["study", "--name", ""],
    ["study", "--name", ".."],
    ["study", "--name", "."],
    ["study", "--name", "a/b"],
    ["study", "--name", ".hidden"],
    ["study", "--name", "x" * 300],
    ["study", "--seed", "x"],
    ["study", "--only", "nope"],
    ["study", "--set", "kvcache.bogus=1"],
    ["study", "--set", "bogus.x=1"],
    ["study", "--set", "kvcache=1"],
    ["study", "--set", "kvcache.context=1e308"],
    ["study", "--set", "kvcache.context=inf"],
    ["study", "--set", "kvcache.context=-1"],
    ["study", "--set", "kvcache.context=many"],
    ["study", "--set", "tech_compare.temperature_c=nan"],
    ["study", "--set", "sim_prefetch.kv_layout=diagonal"],
    ["study", "--set", "kvstudy.torch=maybe"],
    ["study", "--only", "kvcache", "--set", "quant.context=5"],
    ["study", "--out", "afile"],
    ["study", "--out", "afile/sub", "--only", "kvcache"],
]


@pytest.mark.parametrize("args", BAD, ids=lambda a: " ".join(a)[:60])
def test_bad_command_line_is_one_line_exit_2_nothing_written(
        args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("a file where a folder is expected\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    r = CliRunner().invoke(cli, args)
    assert isinstance(r.exception, SystemExit), (args, r.exception, r.output)
    assert r.exit_code == 2, (args, r.output, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, (args, r.stderr)
    assert lines[0].startswith("janus1: error: "), lines[0]
    assert "Traceback" not in r.stderr
    assert r.stdout == "", (args, r.stdout)
    assert sorted(p.name for p in tmp_path.iterdir()) == before, args


def test_messages_name_the_input() -> None:
    r = CliRunner().invoke(cli, ["study", "--set", "kvcache.bogus=1"])
    assert "kvcache" in r.stderr and "bogus" in r.stderr
    r = CliRunner().invoke(cli, ["compare", "m", "--text", "x", "--greedy-steps", "-5"])
    assert "--greedy-steps" in r.stderr
    r = CliRunner().invoke(cli, ["study", "--name", ".."])
    assert "'..'" in r.stderr and "--name" in r.stderr


def test_bare_janus1_prints_help() -> None:
    r = CliRunner().invoke(cli, [])
    assert r.exit_code == 0 and "Usage:" in r.stdout and "analyze" in r.stdout


def _run(*args: str | bytes, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "janus1", *args], capture_output=True,
                          timeout=120, env={**os.environ, **(env or {})})


def test_non_utf8_argument_real_process(tmp_path: Path) -> None:
    r = _run("generate", "stories260k", "--prompt", b"Once \xff upon", "--steps", "2")
    err = r.stderr.decode()
    assert r.returncode == 2 and len(err.splitlines()) == 1, err
    assert "UTF-8" in err and "--prompt" in err and "Traceback" not in err
    assert r.stdout == b""


def test_usage_error_real_process_is_one_line() -> None:
    """The installed entry point (janus1.cli.main) goes through the same group."""
    for args in (["nope"], ["analyze", "gpt2", "--counting", "x"], ["analyze"]):
        r = _run(*args)
        err = r.stderr.decode()
        assert r.returncode == 2 and len(err.splitlines()) == 1, err


def test_python_warnings_become_warning_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    import janus1.presets as presets

    real = presets.preset_kinds

    def noisy() -> list[str]:
        warnings.warn("something odd\non two lines", RuntimeWarning, stacklevel=1)
        return real()

    monkeypatch.setattr(presets, "preset_kinds", noisy)
    r = CliRunner().invoke(cli, ["presets", "--json"])
    assert r.exit_code == 0, r.output
    assert r.stderr == "warning: something odd on two lines\n"


@pytest.mark.parametrize("command", ["analyze", "ppa", "simulate"])
def test_set_help_example_works(command: str, tmp_path: Path) -> None:
    """The --set example each command's help shows is a real override of its config."""
    help_text = " ".join(CliRunner().invoke(cli, [command, "--help"]).stdout.split())
    m = re.search(r"e\.g\. --set (\S+?)\. Repeatable", help_text)
    assert m, help_text
    base = {"analyze": ["analyze", "llama-2-7b"], "ppa": ["ppa", "janus-1"],
            "simulate": ["simulate", "--hierarchy", "janus-1", "--model", "stories260k",
                         "--layers", "1", "--counts-only"]}[command]
    r = CliRunner().invoke(cli, [*base, "--json", "--set", m.group(1)])
    assert r.exit_code == 0, (m.group(1), r.stderr)
