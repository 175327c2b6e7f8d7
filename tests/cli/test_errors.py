"""Bad input: one line on stderr naming the input, exit code 2, no traceback, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from janus1.models import asset_path


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "janus1", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def assert_one_line_error(res: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert res.returncode == 2, res
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_unknown_preset() -> None:
    assert_one_line_error(run("analyze", "llama-99b", "--json"), "llama-99b", "unknown model")


def test_missing_file() -> None:
    assert_one_line_error(run("analyze", "/no/such/model.gguf"), "/no/such/model.gguf")


def test_truncated_bin(tmp_path: Path) -> None:
    p = tmp_path / "trunc.bin"
    p.write_bytes(asset_path("stories260K", "stories260K.bin").read_bytes()[:100_000])
    assert_one_line_error(run("analyze", str(p)), str(p), "truncated")


def test_corrupt_bin_header(tmp_path: Path) -> None:
    data = bytearray(asset_path("stories260K", "stories260K.bin").read_bytes())
    data[0:4] = (-5 & 0xFFFFFFFF).to_bytes(4, "little")  # dim = -5
    p = tmp_path / "corrupt.bin"
    p.write_bytes(bytes(data))
    assert_one_line_error(run("analyze", str(p)), str(p), "dim")


def test_corrupt_gguf(tmp_path: Path) -> None:
    data = bytearray(asset_path("stories260K", "stories260K.gguf").read_bytes())
    data[8:16] = (2**40).to_bytes(8, "little")  # absurd tensor count
    p = tmp_path / "corrupt.gguf"
    p.write_bytes(bytes(data))
    assert_one_line_error(run("analyze", str(p)), str(p), "GGUF")


def test_truncated_gguf(tmp_path: Path) -> None:
    p = tmp_path / "trunc.gguf"
    p.write_bytes(asset_path("stories260K", "stories260K.gguf").read_bytes()[:2000])
    assert_one_line_error(run("analyze", str(p)), str(p))


@pytest.mark.parametrize("opt", [("--context", "-5"), ("--batch", "0"), ("--group-size", "0")])
def test_non_positive_numbers(opt: tuple[str, str]) -> None:
    assert_one_line_error(run("analyze", "llama-2-7b", *opt), opt[0])


def test_malformed_device_toml(tmp_path: Path) -> None:
    p = tmp_path / "dev.toml"
    p.write_text("peak_ops_per_s = { fp16 = 1e12 \n[[tiers]]\nname=")
    assert_one_line_error(run("analyze", "gpt2", "--device", str(p)), str(p), "malformed TOML")


def test_device_toml_unknown_key(tmp_path: Path) -> None:
    p = tmp_path / "dev.toml"
    p.write_text('source = "x"\npeak_ops_per_s = { fp16 = 1e12 }\nbogus = 1\n'
                 '[[tiers]]\nname = "d"\ncapacity = "1GiB"\nbandwidth_bytes_per_s = 1e9\n')
    assert_one_line_error(run("analyze", "gpt2", "--device", str(p)), "bogus", "unknown key")


def test_unknown_device() -> None:
    assert_one_line_error(run("analyze", "gpt2", "--device", "tpu-v9"), "tpu-v9")


def test_study_unknown_section_writes_nothing(tmp_path: Path) -> None:
    res = run("study", "--only", "nope", "--out", str(tmp_path / "res"))
    assert_one_line_error(res, "nope")
    assert not (tmp_path / "res").exists() or not any((tmp_path / "res").iterdir())
