"""Measured devices: the device file round trip, the engine terms in the roofline, and
`janus1 device measure` on this machine (quick kernels)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from janus1.cli import cli
from janus1.errors import ConfigError
from janus1.measure.host import cache_sizes, device_toml, measure_host
from janus1.models import load_spec
from janus1.workload.analysis import analyze
from janus1.workload.device import DeviceSpec, Measurement, MemoryTier, load_device


def _device(**kw: object) -> DeviceSpec:
    base = dict(name="t", source="test",
                peak_ops_per_s={"fp32": 100e9, "int8": 400e9},
                tiers=(MemoryTier(name="DRAM", capacity_bytes=2**34, bandwidth_bytes_per_s=10e9),),
                measured=Measurement(threads=1, cpu="test cpu", l3_bytes=2**25))
    base.update(kw)
    return DeviceSpec(**base)  # type: ignore[arg-type]


def test_device_file_round_trips(tmp_path: Path) -> None:
    dev = _device(matvec_ops_per_s={"int8": 5e9, "fp16": 2e9}, matmul_ops_per_s={"int8": 50e9},
                  step_overhead_s=3e-4)
    p = tmp_path / "d.toml"
    p.write_text(device_toml(dev))
    back = load_device(p)
    assert back == dev


def test_engine_terms_set_decode_time_in_closed_form() -> None:
    # stories260k at int8 (no groups), everything in the one 10 GB/s tier: each decode op
    # takes max(flops / matvec rate, bytes / 10 GB/s) (ops without MACs, such as the KV
    # write, take their memory time), and the step pays the overhead once.
    spec = load_spec("stories260k")
    rate, over = 1e6, 2e-3
    dev = _device(matvec_ops_per_s={"int8": rate}, step_overhead_s=over)
    a = analyze(spec, context=16, precision="int8", kv_precision="int8", device=dev)
    expect = sum(max(o.flops / rate, o.bytes / 10e9) for o in a.decode.ops) + over
    assert a.decode.seconds == pytest.approx(expect, rel=1e-12)
    assert all(o.bound == "compute" for o in a.decode.ops if o.flops)
    # without engine terms the same device is the plain roofline (micro-kernel peaks)
    plain = analyze(spec, context=16, precision="int8", kv_precision="int8",
                    device=dataclasses.replace(dev, matvec_ops_per_s={}, step_overhead_s=0.0))
    assert plain.decode.seconds < a.decode.seconds / 100
    # the engine rate never exceeds the device's own peak
    fast = _device(matvec_ops_per_s={"int8": 1e15})
    assert fast.decode_peak("int8") == fast.peak("int8")
    # int4 falls back to the nearest wider precision listed
    assert dev.decode_peak("int4") == rate


@pytest.mark.parametrize(("field", "value", "msg"), [
    ("matvec_ops_per_s", {"int3": 1.0}, "unknown precision"),
    ("matvec_ops_per_s", {"int8": -1.0}, "must be positive"),
    ("matmul_ops_per_s", {"fp16": math.nan}, "must be positive"),
    ("step_overhead_s", -1.0, "step_overhead_s"),
])
def test_bad_engine_terms_are_refused(field: str, value: object, msg: str) -> None:
    with pytest.raises(ConfigError, match=msg):
        _device(**{field: value})


def test_measured_table_checks_threads(tmp_path: Path) -> None:
    text = device_toml(_device()).replace("threads = 1", "threads = 0")
    p = tmp_path / "d.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match="threads"):
        load_device(p)
    p.write_text(device_toml(_device()).replace("[measured]", "[measured]\nbogus = 1"))
    with pytest.raises(ConfigError, match="bogus"):
        load_device(p)


def test_cache_sizes_are_read_from_the_system() -> None:
    sizes = cache_sizes()
    if not Path("/sys/devices/system/cpu/cpu0/cache").exists():
        assert sizes == {}
        return
    assert sizes.get("l1d", 0) >= 4096
    assert all(v > 0 for v in sizes.values())


def test_measure_host_quick_gives_a_loadable_device(tmp_path: Path) -> None:
    dev = measure_host(1, quick=True)
    assert dev.measured is not None and dev.measured.threads == 1 and dev.measured.quick
    assert all(v > 1e8 and math.isfinite(v) for v in dev.peak_ops_per_s.values())
    assert 1e8 < dev.tiers[0].bandwidth_bytes_per_s < 1e13
    p = tmp_path / "host.toml"
    p.write_text(device_toml(dev))
    assert load_device(p) == dev
    # and the roofline runs on it
    assert analyze(load_spec("stories260k"), context=64, device=load_device(p)).decode.seconds


def test_device_measure_cli_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "dev.toml"
    r = CliRunner().invoke(cli, ["device", "measure", "--quick", "--threads", "1", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert load_device(out).measured.threads == 1  # type: ignore[union-attr]
    assert "bandwidth_kernel" in out.read_text()


def test_device_measure_refuses_more_threads_than_cores(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["device", "measure", "--quick", "--threads", "100000"])
    assert r.exit_code == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "threads" in r.stderr
