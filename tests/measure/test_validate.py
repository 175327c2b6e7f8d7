"""`janus1 validate` end to end on tiny synthetic models, and its error paths."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import require

from janus1.cli import cli
from janus1.errors import InputError
from janus1.measure.host import device_toml
from janus1.measure.synth import SynthShape, write_llama_gguf
from janus1.measure.validate import ValidationResult, ValidationRow, validate
from janus1.models import load_spec
from janus1.workload.device import DeviceSpec, Measurement, MemoryTier

TINY = (SynthShape(name="tiny-a", dim=64, n_layers=1, hidden_dim=128, n_heads=2, n_kv_heads=2),
        SynthShape(name="tiny-b", dim=128, n_layers=2, hidden_dim=256, n_heads=4, n_kv_heads=2))


def _device(threads: int = 1) -> DeviceSpec:
    return DeviceSpec(name="t", source="test", peak_ops_per_s={"fp32": 50e9, "int8": 100e9},
                      tiers=(MemoryTier(name="DRAM", capacity_bytes=2**34,
                                        bandwidth_bytes_per_s=10e9),),
                      measured=Measurement(threads=threads, cpu="test"),
                      matvec_ops_per_s={"fp16": 5e9, "int8": 10e9}, step_overhead_s=1e-4)


def test_synthetic_gguf_reads_back_with_its_parameter_count(tmp_path: Path) -> None:
    for shape in TINY:
        p = write_llama_gguf(tmp_path / f"{shape.name}.gguf", shape)
        spec = load_spec(str(p))
        assert (spec.dim, spec.n_layers, spec.hidden_dim, spec.n_heads, spec.n_kv_heads) == (
            shape.dim, shape.n_layers, shape.hidden_dim, shape.n_heads, shape.n_kv_heads)
        assert spec.params == shape.params


def test_validate_runs_llama_cpp_and_predicts(tmp_path: Path) -> None:
    require("llama_cpp")
    res = validate({"one_thread": _device()}, shapes=TINY, formats=("F16", "Q8_0"),
                   prompt=8, decode=4, workdir=tmp_path)
    assert len(res.rows) == 4
    for r in res.rows:
        assert r.measured_decode_tokens_per_s > 0 and r.predicted_decode_tokens_per_s > 0
        assert r.threads == 1 and r.threads_label == "one_thread"
    # the tiny models are under 100M parameters: no headline figure, a small-model one
    assert res.decode_mape == {"one_thread": None}
    assert res.small_models_decode_error["one_thread"] is not None
    # nothing is left behind in the work folder
    assert list(tmp_path.iterdir()) == []
    d = res.to_dict()
    assert set(d["decode_mape"]) == {"one_thread"}
    assert [k for k in d if "mape" in k and "decode" in k] == ["decode_mape"]


def test_mape_is_over_the_big_models_only(tmp_path: Path) -> None:
    def row(params: int, meas: float, pred: float) -> ValidationRow:
        return ValidationRow(model="m", params=params, format="F16", threads=1,
                             threads_label="one_thread", file_bytes=1,
                             measured_decode_tokens_per_s=meas, predicted_decode_tokens_per_s=pred,
                             measured_prefill_tokens_per_s=1.0, predicted_prefill_tokens_per_s=1.0,
                             decode_bound="memory", repack=True)
    # |+10%| and |-20%| over the two >= 100M rows -> 15%; the 10M row (+100%) is apart
    res = ValidationResult(rows=(row(200_000_000, 10, 11), row(500_000_000, 10, 8),
                                 row(10_000_000, 10, 20)),
                           devices={"one_thread": _device()}, prompt=8, decode=4)
    assert res.decode_mape["one_thread"] == pytest.approx(0.15)
    assert res.small_models_decode_error["one_thread"] == pytest.approx(1.0)
    # and the predicted-vs-measured figure passes the figure rules (units, log axes > 0)
    from janus1.measure.figures import validation_figure
    from janus1.report.plots import read_figure_meta

    png = validation_figure(res, tmp_path / "v.png")
    assert png.with_suffix(".pdf").exists()
    assert all(a["xscale"] == "log" for a in read_figure_meta(png)["axes"])


def test_validate_without_llama_cpp_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    r = CliRunner().invoke(cli, ["validate"])
    assert r.exit_code == 2
    assert r.stderr.strip().count("\n") == 0 and "llama-cpp-python" in r.stderr
    with pytest.raises(InputError, match="llama-cpp-python"):
        validate({"one_thread": _device()}, shapes=TINY)


def test_validate_cli_json_with_a_device_file(tmp_path: Path) -> None:
    require("llama_cpp")
    dev = tmp_path / "d.toml"
    dev.write_text(device_toml(_device()))
    r = CliRunner().invoke(cli, ["validate", "--device", str(dev), "--models", "synth-14m",
                                 "--format", "Q8_0", "--prompt", "8", "--decode", "4",
                                 "--workdir", str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert list(d["decode_mape"]) == ["one_thread"] and len(d["rows"]) == 1


@pytest.mark.parametrize("args", [["--models", "nope"], ["--prompt", "0"],
                                  ["--device", "/nonexistent/d.toml"]])
def test_validate_bad_options_are_one_line(args: list[str]) -> None:
    require("llama_cpp")
    r = CliRunner().invoke(cli, ["validate", *args])
    assert r.exit_code == 2, r.output
    assert len(r.stderr.strip().splitlines()) == 1


def test_validate_refuses_a_device_without_measured_table(tmp_path: Path) -> None:
    require("llama_cpp")
    r = CliRunner().invoke(cli, ["validate", "--device", "edge-box"])
    assert r.exit_code == 2 and "measured" in r.stderr


def test_validate_list_json_is_one_document() -> None:
    r = CliRunner().invoke(cli, ["validate", "--list", "--json"])
    assert r.exit_code == 0
    names = [m["name"] for m in json.loads(r.stdout)]
    assert names[0] == "synth-14m" and len(names) == 5
