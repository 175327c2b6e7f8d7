"""The memory model against CACTI 7 (shared/reference/cacti_*.csv, conventions in cacti.md).

For each technology (SRAM = itrs-hp + itrs-lstp rows, eDRAM = lp-dram + comm-dram rows)
and each of area, read energy and leakage (excluding refresh): median |error| <= 20 %
and >= 80 % of rows within ±30 %. Refresh and access time are printed, not gated.
CACTI's DRAM write energy is ignored (cacti.md: an artifact).
"""

from __future__ import annotations

import csv
import statistics

import pytest
from conftest import shared_path

from janus1.tech import macro, predict_cacti_row

QUANTITIES = {"area": ("area_mm2", "area_mm2"),
              "read_energy": ("read_energy_pj", "read_energy_pj"),
              "leakage": ("leakage_mw", "leakage_excl_refresh_mw")}


def _rows() -> list[dict[str, str]]:
    out = []
    for name in ("cacti_sram.csv", "cacti_edram.csv"):
        with open(shared_path("reference", name), newline="") as fh:
            out += list(csv.DictReader(fh))
    return out


def _errors(rows: list[dict[str, str]], attr: str, col: str) -> list[float]:
    errs = []
    for r in rows:
        ref = float(r[col])
        if ref == 0:
            continue
        errs.append(getattr(predict_cacti_row(r), attr) / ref - 1.0)
    return errs


@pytest.mark.parametrize("tech,cells", [("sram", ("itrs-hp", "itrs-lstp")),
                                        ("edram", ("lp-dram", "comm-dram"))])
@pytest.mark.parametrize("quantity", list(QUANTITIES))
def test_model_within_cacti_tolerance(tech: str, cells: tuple[str, ...], quantity: str) -> None:
    rows = [r for r in _rows() if r["cell_type"] in cells]
    attr, col = QUANTITIES[quantity]
    errs = _errors(rows, attr, col)
    med = statistics.median(abs(e) for e in errs)
    within = sum(abs(e) <= 0.30 for e in errs) / len(errs)
    print(f"\n{tech} {quantity}: {len(errs)} rows, median |err| {med:.3f}, "
          f"within ±30 % {within:.2f}, errors {[round(e, 2) for e in errs]}")
    assert med <= 0.20
    assert within >= 0.80


def test_refresh_and_latency_errors_are_reported() -> None:
    rows = [r for r in _rows() if r["cell_type"] in ("lp-dram", "comm-dram")]
    ref = _errors(rows, "refresh_mw", "refresh_mw")
    lat = _errors(_rows(), "latency_ns", "access_time_ns")
    print(f"\nrefresh: median |err| {statistics.median(abs(e) for e in ref):.3f}, "
          f"within ±30 % {sum(abs(e) <= .3 for e in ref) / len(ref):.2f}")
    print(f"latency: median |err| {statistics.median(abs(e) for e in lat):.3f}, "
          f"within ±30 % {sum(abs(e) <= .3 for e in lat) / len(lat):.2f}")
    assert statistics.median(abs(e) for e in ref) <= 0.5
    assert statistics.median(abs(e) for e in lat) <= 0.2


def test_stored_coefficients_are_the_fit_of_the_reference() -> None:
    pytest.importorskip("scipy")
    from janus1.tech import _coeffs
    from janus1.tech._fit import fit_coefficients

    coeffs, leak = fit_coefficients(_rows())
    for cell, c in coeffs.items():
        for k, v in c.items():
            assert _coeffs.COEFFS[cell][k] == pytest.approx(v, abs=0.02), (cell, k)
    for cell, c in leak.items():
        for n, v in c.items():
            assert _coeffs.LEAK_NODE[cell][n] == pytest.approx(v, abs=0.02), (cell, n)


def test_n3e_sram_density_near_published_31_8_mib_per_mm2() -> None:
    # ANCHORS.md: N3E HD SRAM about 31.8 Mib/mm² macro density (WikiChip via press).
    for mib in (1, 8, 32):
        m = macro("sram", mib * 2**20, "3nm")
        density = m.capacity_bytes * 8 / 2**20 / m.area_mm2
        print(f"N3E SRAM {mib} MiB: {density:.1f} Mib/mm²")
        assert density == pytest.approx(31.8, rel=0.15)


def test_edram_refresh_doubles_per_10c_above_spec_and_leakage_rises() -> None:
    cool = macro("edram", 64 * 2**20, "22nm", temperature_c=95.0)
    hot = macro("edram", 64 * 2**20, "22nm", temperature_c=105.0)
    assert cool.retention_us == pytest.approx(100.0)        # Intel 22 nm: 100 µs at 95 °C
    assert hot.refresh_mw == pytest.approx(2 * cool.refresh_mw)
    assert hot.leakage_mw > cool.leakage_mw


def test_unoffered_technology_warns_not_errors() -> None:
    assert macro("edram", 2**20, "3nm").warnings
    assert macro("mram", 2**20, "3nm").warnings
    assert not macro("sram", 2**20, "3nm").warnings


@pytest.mark.parametrize("kwargs,msg", [
    ({"tech": "flash", "capacity_bytes": 1024, "node": 22}, "unknown memory technology"),
    ({"tech": "sram", "capacity_bytes": 1024, "node": 4}, "unknown process node"),
    ({"tech": "sram", "capacity_bytes": -5, "node": 22}, "capacity_bytes must be a positive integer"),
    ({"tech": "sram", "capacity_bytes": 1024, "node": 22, "cell": "lp-dram"}, "is a edram cell"),
])
def test_bad_macro_inputs_raise_config_error(kwargs: dict, msg: str) -> None:
    from janus1.errors import ConfigError

    with pytest.raises(ConfigError, match=msg):
        macro(**kwargs)
