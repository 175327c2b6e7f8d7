"""DRAM configurations: the DRAMsim3 .ini reader, TOML presets, derived values, errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import shared_path
from janus1.errors import ConfigError, InputError
from janus1.sim.dram import dram_presets, load_dram, read_dramsim3_ini

CONFIGS = ("DDR4_8Gb_x8_3200", "LPDDR4_8Gb_x16_2400", "HBM2_8Gb_x128", "GDDR6_8Gb_x16")
PRESET_OF = {"DDR4_8Gb_x8_3200": "ddr4-3200", "LPDDR4_8Gb_x16_2400": "lpddr4-2400",
             "HBM2_8Gb_x128": "hbm2", "GDDR6_8Gb_x16": "gddr6"}


def _row(config: str) -> dict[str, str]:
    with shared_path("reference", "dramsim3_runs.csv").open(newline="") as fh:
        return next(r for r in csv.DictReader(fh) if r["config"] == config)


@pytest.mark.parametrize("config", CONFIGS)
def test_ini_derived_values_match_dramsim3(config: str) -> None:
    """Each value DRAMsim3 derived (CSV columns) comes out the same from the .ini."""
    spec = read_dramsim3_ini(shared_path("reference", "dramsim3_configs", f"{config}.ini"))
    row = _row(config)
    for col, got in (("tCL", spec.CL), ("tCWL", spec.CWL), ("tRCD", spec.tRCD),
                     ("tRCDWR", spec.tRCDWR), ("tRP", spec.tRP), ("tRAS", spec.tRAS),
                     ("tRC", spec.tRC), ("tRFC", spec.tRFC), ("tREFI", spec.tREFI),
                     ("tCCD_S", spec.tCCD_S), ("tCCD_L", spec.tCCD_L), ("tRRD_S", spec.tRRD_S),
                     ("tRRD_L", spec.tRRD_L), ("tFAW", spec.tFAW), ("tWTR_S", spec.tWTR_S),
                     ("tWTR_L", spec.tWTR_L), ("tWR", spec.tWR), ("tRTP", spec.tRTP),
                     ("tRTRS", spec.tRTRS), ("BL", spec.BL), ("burst_cycles", spec.burst_cycles),
                     ("banks", spec.banks), ("bankgroups", spec.bankgroups),
                     ("banks_per_group", spec.banks_per_group), ("ranks", spec.ranks),
                     ("channels", spec.channels), ("bus_width", spec.bus_width),
                     ("device_width", spec.device_width),
                     ("request_granularity_B", spec.request_bytes), ("rows", spec.rows),
                     ("columns", spec.columns)):
        assert got == int(row[col]), col
    if row["t32AW"]:
        assert spec.t32AW == int(row["t32AW"])
    assert spec.refresh_policy == row["refresh_policy"]
    assert spec.tREFI // spec.ranks == int(row["refresh_interval_cycles"])
    assert spec.describe_mapping() == row["address_bits"]
    assert spec.peak_bandwidth_bytes_per_s / 1e9 == pytest.approx(
        float(row["peak_bandwidth_GBps"]), rel=1e-4)


@pytest.mark.parametrize("config", CONFIGS)
def test_preset_equals_its_ini(config: str) -> None:
    ini = read_dramsim3_ini(shared_path("reference", "dramsim3_configs", f"{config}.ini"))
    preset = load_dram(PRESET_OF[config])
    skip = {"name", "source", "notes"}
    for f in ini.__dataclass_fields__:
        if f not in skip:
            assert getattr(ini, f) == getattr(preset, f), f


def test_ignored_keys_are_listed() -> None:
    spec = read_dramsim3_ini(shared_path("reference", "dramsim3_configs",
                                         "DDR4_8Gb_x8_3200.ini"))
    text = " ".join(spec.notes)
    for key in ("tRFC2", "tRFC4", "tWR2", "IPP0"):
        assert key in text
    assert "tRCD" not in text  # read keys are not listed


def test_energy_increments_ddr4() -> None:
    """DRAMsim3 config.cc: ACT = VDD (IDD0 tRC - (IDD3N tRAS + IDD2N tRP)) x devices
    = 1.2 x (57 x 74 - (52 x 52 + 37 x 22)) x 8 = 1.2 x 700 x 8 = 6720;
    READ = 1.2 x (168 - 52) x 4 x 8 = 4454.4; active standby 1.2 x 52 x 8 = 499.2."""
    inc = load_dram("ddr4-3200").energy_increments()
    assert inc["act"] == pytest.approx(6720.0)
    assert inc["read"] == pytest.approx(4454.4)
    assert inc["act_stb"] == pytest.approx(499.2)
    assert inc["pre_stb"] == pytest.approx(1.2 * 37 * 8)
    assert inc["ref"] == pytest.approx(1.2 * (250 - 52) * 560 * 8)


def test_presets_have_sources_and_lpddr5_caveats() -> None:
    names = dram_presets()
    assert {"ddr4-3200", "lpddr4-2400", "hbm2", "gddr6", "lpddr5-6400",
            "lpddr5x-8533"} <= set(names)
    for n in names:
        spec = load_dram(n)
        assert spec.source
    for n in ("lpddr5-6400", "lpddr5x-8533"):
        spec = load_dram(n)
        assert any("not validated" in x.lower() for x in spec.notes)
    # 64-bit LPDDR5-6400: 8 B x 6400 MT/s = 51.2 GB/s; LPDDR5X-8533: 68.3 GB/s
    assert load_dram("lpddr5-6400").peak_bandwidth_bytes_per_s == pytest.approx(51.2e9)
    assert load_dram("lpddr5x-8533").peak_bandwidth_bytes_per_s == pytest.approx(68.27e9,
                                                                                 rel=1e-3)


def _ini(tmp_path: Path, **edits: str) -> Path:
    text = shared_path("reference", "dramsim3_configs", "DDR4_8Gb_x8_3200.ini").read_text()
    lines = []
    for line in text.splitlines():
        key = line.split("=")[0].strip()
        lines.append(f"{key} = {edits.pop(key)}" if key in edits else line)
    p = tmp_path / "edited.ini"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_malformed_value_names_file_and_key(tmp_path: Path) -> None:
    p = _ini(tmp_path, CL="twenty")
    with pytest.raises(ConfigError, match=r"edited\.ini.*\[timing\] CL.*integer"):
        read_dramsim3_ini(p)
    with pytest.raises(ConfigError, match="VDD"):
        read_dramsim3_ini(_ini(tmp_path, VDD="1.2V"))


def test_contradicting_timings() -> None:
    with pytest.raises(ConfigError, match="tRAS = 52 exceeds tRC = 40"):
        load_dram("ddr4-3200", ["timing.tRC=40"])
    with pytest.raises(ConfigError, match="tRFC"):
        load_dram("ddr4-3200", ["timing.tREFI=500"])


@pytest.mark.parametrize("mapping, msg", [
    ("rochrababgro", "field 'ro' repeated \\('co' missing\\)"),
    ("rorarabgbaco", "field 'ra' repeated \\('ch' missing\\)"),
    ("rochrababg", "12 characters"),
    ("xxchrababgco", "unknown field"),
])
def test_bad_mapping(mapping: str, msg: str) -> None:
    with pytest.raises(ConfigError, match=msg):
        load_dram("ddr4-3200", [f"system.address_mapping={mapping!r}".replace("'", '"')])


def test_mapping_wider_than_an_address() -> None:
    with pytest.raises(ConfigError, match="more than a 63-bit address"):
        load_dram("ddr4-3200", ["dram_structure.rows=1125899906842624"])


def test_unknown_preset_and_key() -> None:
    with pytest.raises(InputError, match="unknown dram preset"):
        load_dram("ddr9")
    with pytest.raises(ConfigError, match="unknown key"):
        load_dram("ddr4-3200", ["timing.tXYZ=3"])


def test_overrides_apply_to_ini_files_and_are_checked() -> None:
    ini = shared_path("reference", "dramsim3_configs", "DDR4_8Gb_x8_3200.ini")
    assert read_dramsim3_ini(ini, ["timing.tRCD=24"]).tRCD == 24
    with pytest.raises(ConfigError, match="tRAS = 52 exceeds tRC = 40"):
        read_dramsim3_ini(ini, ["timing.tRC=40"])  # a janus1 key, honoured when set
    with pytest.raises(ConfigError, match="unknown key 'tFOO'"):
        read_dramsim3_ini(ini, ["timing.tFOO=1"])
    with pytest.raises(ConfigError, match="tRCD = 60 exceeds tRAS = 52"):
        read_dramsim3_ini(ini, ["timing.tRCD=60"])
