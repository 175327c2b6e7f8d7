"""``janus1 ppa --simulate``: a simulated decode step replaces the roofline's time and
memory energy. Small runs (stories15M, caches shrunk so that it streams from DRAM)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from click.testing import CliRunner

from janus1.cli import cli
from janus1.design import load_design, ppa
from janus1.design.simulate import (
    design_hierarchy,
    fixed_latency_memory,
    ppa_simulated,
    simulate_decode,
)
from janus1.errors import InputError
from janus1.models import load_spec
from janus1.workload.analysis import analyze

MODEL = "stories15m"
CTX = 256
# 1 MiB SRAM + 2 MiB eDRAM: stories15M INT4 (7.6 MB of weights) streams from LPDDR5.
SMALL = ("tiers.0.capacity=1MiB", "tiers.1.capacity=2MiB")


def _run(*args: str) -> dict:
    r = CliRunner().invoke(cli, ["ppa", "janus-1", "--model", MODEL, "--context", str(CTX),
                                 "--simulate", "--json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def small() -> dict:
    return _run(*[a for o in SMALL for a in ("--set", o)])


def test_json_keys(small: dict) -> None:
    for k in ("area_mm2", "power_w", "tokens_per_s", "joules_per_token", "junction_c",
              "roofline_tokens_per_s", "roofline_joules_per_token", "simulate", "warnings"):
        assert k in small
    s = small["simulate"]
    for k in ("layers_simulated", "n_layers", "scale", "levels", "dram_bytes", "stall_cycles",
              "latency", "seconds_per_token", "hierarchy", "vs_roofline", "energy_pj_per_token"):
        assert k in s
    for lv in s["levels"]:
        for k in ("name", "hits", "misses", "bytes_moved", "energy_pj"):
            assert k in lv
    assert set(s["latency"]) >= {"p50", "p90", "p99", "p999", "p9999", "max", "mean"}
    assert s["layers_simulated"] == 2 and s["n_layers"] == 6
    assert s["scale"] == pytest.approx(s["trace_accesses_full"] / s["trace_accesses_simulated"])
    assert s["scale"] > 1
    # the plain command's figures are kept alongside
    plain = ppa(load_design("janus-1", SMALL), load_spec(MODEL), context=CTX)
    assert small["roofline_tokens_per_s"] == pytest.approx(plain.tokens_per_s)
    assert small["roofline_joules_per_token"] == pytest.approx(plain.joules_per_token)


def test_time_at_least_the_bandwidth_bound(small: dict) -> None:
    s = small["simulate"]
    bw = s["memory"]["peak_bandwidth_bytes_per_s"]
    # the design's DRAM model lpddr5x-8533: 2 channels x 64 B per BL16 burst of 2 CK at
    # tCK 0.9375 ns = 2 x 64 B / 1.875 ns = 68.27 GB/s (the tier states 68.3 GB/s)
    assert s["memory"]["model"] == "dram" and s["memory"]["dram"] == "lpddr5x-8533"
    assert bw == pytest.approx(2 * 64 / (2 * 0.9375e-9))
    print(f"simulated {s['seconds_per_token'] * 1e6:.1f} us/token, DRAM "
          f"{s['dram_bytes'] / 1e6:.2f} MB -> bound {s['dram_bytes'] / bw * 1e6:.1f} us; "
          f"roofline {s['vs_roofline']['roofline_seconds_per_token'] * 1e6:.1f} us")
    # the DRAM channel cannot move the simulated traffic faster than its peak
    assert s["seconds_per_token"] >= s["dram_bytes"] / bw * (1 - 1e-9)
    assert small["tokens_per_s"] == pytest.approx(1 / max(s["seconds_per_token"],
                                                          s["compute_seconds_per_token"]))


def test_streaming_model_reads_every_weight_from_dram(small: dict) -> None:
    # 7.6 MB of weights cycle through 3 MiB of LRU caches: nothing survives from one
    # token to the next, so every weight byte comes from DRAM again, while the roofline
    # assumes the tiers keep 3 MiB of them. Simulated tokens/s is then at most the
    # roofline's; the DRAM model streams at about 46% of its peak (a stream's lines stay
    # in one bank group for 4 KiB: tCCD_L 4 CK per 2-CK burst), so the simulated step
    # takes 270 us against the roofline's 86 us (measured ratio 0.318); a DRAM slower
    # than that fails the lower bound.
    an = analyze(load_spec(MODEL), context=CTX, precision="int4")
    s = small["simulate"]
    assert s["dram_bytes"] >= 0.99 * an.weight_bytes
    assert s["dram_bytes"] >= s["vs_roofline"]["roofline_dram_bytes_per_token"]
    ratio = small["tokens_per_s"] / small["roofline_tokens_per_s"]
    print(f"tokens/s simulated/roofline = {ratio:.3f}")
    assert 0.3 <= ratio <= 1.0


def test_energy_from_counts(small: dict) -> None:
    s = small["simulate"]
    d = load_design("janus-1", SMALL)
    tj = s["passes"][-1]["junction_c_for_refresh"]
    tps = small["tokens_per_s"]
    for t, lv in zip([t for t in d.tiers if t.on_chip], s["levels"]):
        m = d.macro(t, temperature_c=tj)
        acc = lv["hits"] + lv["misses"]
        reads = lv["hits"] * (1 - lv["stores"] / acc) + lv["writebacks"]
        writes = lv["stores"] + lv["fills"] + lv["writebacks_in"]
        e = reads * m.read_energy_pj + writes * m.write_energy_pj
        assert lv["energy_pj"] == pytest.approx(e)
        assert small["power_breakdown_w"][f"{t.name} dynamic"] == pytest.approx(e * 1e-12 * tps)
    # the DRAM model's IDD energy: commands per token, standby and refresh as powers over
    # the memory time (here the memory time is the token's: memory-bound)
    m, pb = s["memory"], small["power_breakdown_w"]
    bg, ref, e = m["energy_background_pj"], m["energy_refresh_pj"], m["energy_pj"]
    assert 0 < bg + ref < e
    assert s["seconds_per_token"] >= s["compute_seconds_per_token"]
    assert pb["LPDDR5 dynamic"] == pytest.approx((e - bg - ref) * 1e-12 * tps)
    assert pb["LPDDR5 background"] == pytest.approx(bg * 1e-12 / s["seconds_per_token"])
    assert pb["LPDDR5 refresh"] == pytest.approx(ref * 1e-12 / s["seconds_per_token"])
    assert s["energy_pj_per_token"]["LPDDR5"] == pytest.approx(e)
    assert s["dram_energy_source"].startswith("DRAM model lpddr5x-8533")
    assert small["power_w"] == pytest.approx(sum(small["power_breakdown_w"].values()))
    assert small["joules_per_token"] == pytest.approx(small["power_w"] / tps)


def test_hierarchy_follows_the_design() -> None:
    d = load_design("janus-1", ["tiers.0.banks=8", "tiers.1.ways=8", "tiers.1.mshrs=40",
                                "tiers.2.latency=80ns"])
    dh = design_hierarchy(d, junction_c=60.0)
    h = dh.hierarchy
    m0 = d.macro(d.tiers[0], 60.0)
    assert h.level[0].size_bytes == 32 * 2**20 and h.level[0].banks == 8
    assert h.level[0].hit_latency_cycles == math.ceil(m0.latency_ns * 1e-9 * h.clock_hz - 1e-9)
    assert h.level[1].ways == 8 and h.level[1].mshrs == 40
    # the tier's DRAM model backs the hierarchy: its idle read latency (30 CK of 0.9375
    # ns) and peak; the tier's own latency and bandwidth are the fixed-latency memory
    assert h.memory.dram == "lpddr5x-8533"
    assert h.memory.bandwidth_bytes_per_s == pytest.approx(2 * 64 / (2 * 0.9375e-9))
    assert h.memory.latency_ns == pytest.approx(30 * 0.9375)
    fixed = fixed_latency_memory(d, dh)
    assert not fixed.dram and fixed.name == "LPDDR5"
    assert fixed.bandwidth_bytes_per_s == pytest.approx(68.3e9)
    assert fixed.latency_ns == pytest.approx(80.0)
    assert h.level[1].refresh_interval_ns > h.level[1].refresh_busy_ns > 0
    # the MSHR rule sizes the level that states none
    assert any(n.startswith("MSHRs") and "T1-SRAM" in n for n in dh.notes)


def test_tier_size_override_changes_hits(small: dict) -> None:
    big = _run("--set", "tiers.0.capacity=16MiB", "--set", "tiers.1.capacity=2MiB")
    h_small = small["simulate"]["levels"][0]["hits"]
    h_big = big["simulate"]["levels"][0]["hits"]
    print(f"T1 hits per token: 1 MiB {h_small:.0f}, 16 MiB {h_big:.0f}")
    # 16 MiB holds the whole model: in steady state the step hits in T1
    assert big["simulate"]["levels"][0]["hit_rate"] > 0.99
    assert h_big > 2 * h_small
    assert big["simulate"]["dram_bytes"] < 0.01 * small["simulate"]["dram_bytes"]


def test_all_layers_means_no_scaling() -> None:
    r = ppa_simulated(load_design("janus-1", SMALL), load_spec(MODEL), context=CTX,
                      sim_layers=99)
    assert r.simulate is not None
    assert r.simulate.decode.layers_simulated == 6 and r.simulate.decode.scale == 1.0


@pytest.mark.parametrize("args,msg", [
    (["--simulate", "--sim-layers", "0"], "--sim-layers must be a positive integer"),
    (["--simulate", "--sim-layers", "-3"], "--sim-layers must be a positive integer"),
    (["--sim-layers", "2"], "--sim-layers needs --simulate"),
    (["--simulate", "--context", "9999"], "context 9999 must be in 1..256"),
])
def test_bad_options_exit_2(args: list[str], msg: str) -> None:
    # the error path lives in janus1.cli.main: run the command as a user does
    r = subprocess.run([sys.executable, "-m", "janus1", "ppa", "janus-1", "--model", MODEL,
                        *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    err = r.stderr.strip()
    assert err.startswith("janus1: error:") and msg in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_runaway_roofline_simulates_refresh_at_the_package_limit() -> None:
    # 100 °C ambient: the plain PPA has no thermal equilibrium; the simulated eDRAM
    # refresh then uses the package's Tj limit instead of failing.
    d = load_design("janus-1", ["ambient_c=100"])
    r = ppa_simulated(d, load_spec(MODEL), context=CTX)
    assert r.runaway and r.simulate is not None
    assert r.simulate.passes[0].junction_c_for_refresh == d.package_spec.tj_max_c
    assert any("package limit" in w for w in r.warnings)
    v = r.simulate.vs_roofline
    assert v.dynamic_joules_per_token > 0 and v.roofline_dynamic_joules_per_token > 0


# ------------------------------------------------- roofline, fixed latency, DRAM model

def test_three_memory_models_side_by_side(small: dict) -> None:
    s = small["simulate"]
    rows = {r["model"]: r for r in s["memory_models"]["rows"]}
    assert [r["model"] for r in s["memory_models"]["rows"]] == ["roofline", "fixed-latency",
                                                                "dram"]
    roof, fixed, dram = rows["roofline"], rows["fixed-latency"], rows["dram"]
    # the DRAM model's row is the result's own figures
    assert dram["tokens_per_s"] == pytest.approx(small["tokens_per_s"])
    assert dram["joules_per_token"] == pytest.approx(small["joules_per_token"])
    assert dram["dram_bytes_per_token"] == pytest.approx(s["dram_bytes"])
    assert roof["tokens_per_s"] == pytest.approx(small["roofline_tokens_per_s"])
    assert roof["joules_per_token"] == pytest.approx(small["roofline_joules_per_token"])
    # achieved bandwidth = DRAM bytes / memory time, at most the peak; the row's
    # utilization is the simulator's own
    for r in (fixed, dram):
        bw = r["dram_bytes_per_token"] / r["memory_seconds_per_token"]
        assert r["dram_bandwidth_bytes_per_s"] == pytest.approx(bw)
        assert bw <= r["dram_peak_bandwidth_bytes_per_s"] * (1 + 1e-9)
        assert r["dram_utilization"] == pytest.approx(bw / r["dram_peak_bandwidth_bytes_per_s"])
    assert dram["dram_utilization"] == pytest.approx(s["memory"]["utilization"])
    assert dram["dram_peak_bandwidth_bytes_per_s"] == pytest.approx(2 * 64 / 1.875e-9)
    assert fixed["dram_peak_bandwidth_bytes_per_s"] == pytest.approx(68.3e9)  # the tier's
    # the DRAM model's energy is in J/token; the fixed-latency run's is bytes x 4 pJ/bit
    assert dram["dram_energy_pj_per_token"] == pytest.approx(s["energy_pj_per_token"]["LPDDR5"])
    assert dram["dram_energy_pj_per_token"] == pytest.approx(s["memory"]["energy_pj"])
    assert dram["dram_per_bit_pj_per_token"] == pytest.approx(s["dram_bytes"] * 8 * 4.0)
    assert fixed["dram_energy_pj_per_token"] == pytest.approx(
        fixed["dram_bytes_per_token"] * 8 * 4.0)
    assert dram["dynamic_joules_per_token"] * 1e12 > dram["dram_energy_pj_per_token"]
    assert small["joules_per_token"] * 1e12 > dram["dram_energy_pj_per_token"]
    # figures only the DRAM model has
    assert 0 < dram["row_hit_rate"] <= 1 and dram["act_per_kib"] > 0
    assert dram["ref_cmds_per_token"] > 0
    assert fixed["row_hit_rate"] is None and roof["row_hit_rate"] is None
    # the same trace: the same lines leave the hierarchy (timing moves only prefetches)
    assert fixed["dram_bytes_per_token"] == pytest.approx(dram["dram_bytes_per_token"],
                                                          rel=0.02)
    print({m: (round(r["tokens_per_s"]), round(r["dram_utilization"], 3))
           for m, r in rows.items()})


def test_fixed_latency_backing_is_the_tier_without_its_dram() -> None:
    d = load_design("janus-1", SMALL)
    kw = dict(context=CTX, precision="int4", junction_c=60.0, sim_layers=1)
    fixed = simulate_decode(d, load_spec(MODEL), backing="fixed-latency", **kw)
    m = fixed.step.memory
    assert fixed.memory_model == "fixed-latency" and m["model"] == "fixed-latency"
    assert m["dram"] is None and m["row_hit_rate"] is None and fixed.dram_energy_pj is None
    assert fixed.hierarchy.hierarchy.memory.latency_ns == pytest.approx(100.0)
    assert any("its DRAM model removed" in n for n in fixed.hierarchy.notes)
    # the levels are the design's either way
    dram = simulate_decode(d, load_spec(MODEL), **kw)
    assert dram.memory_model == "dram" and dram.dram_energy_pj > 0
    assert dram.hierarchy.hierarchy.level == fixed.hierarchy.hierarchy.level
    with pytest.raises(InputError, match="backing must be one of"):
        simulate_decode(d, load_spec(MODEL), backing="ddr", **kw)


def test_design_without_a_dram_model_compares_roofline_and_fixed_latency() -> None:
    # the LPDDR5 tier without its DRAM model: the result is the fixed-latency run, its
    # DRAM energy the tier's 4 pJ/bit, and the comparison has no DRAM-model row
    d = load_design("janus-1", [*SMALL, 'tiers.2.dram=""'])
    r = ppa_simulated(d, load_spec(MODEL), context=CTX, sim_layers=1, compare=True)
    s = r.simulate
    assert s is not None and s.comparison is not None
    assert [x.model for x in s.comparison.rows] == ["roofline", "fixed-latency"]
    assert s.decode.memory_model == "fixed-latency"
    assert s.decode.step.memory["peak_bandwidth_bytes_per_s"] == pytest.approx(68.3e9)
    assert s.energy_pj_per_token["LPDDR5"] == pytest.approx(s.decode.dram_bytes * 8 * 4.0)
    assert "LPDDR5 background" not in r.power_breakdown_w
    assert s.dram_energy_source.startswith("DRAM bytes x 4 pJ/bit")
    fixed = s.comparison.row("fixed-latency")
    assert fixed is not None and fixed.tokens_per_s == pytest.approx(r.tokens_per_s)
    assert "names no DRAM model" in s.comparison.note
