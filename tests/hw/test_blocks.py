"""Closed forms of the per-block cycle functions (the RTL contract) and the datapath's
loading rules."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from janus1.errors import ConfigError, InputError
from janus1.hw import argmax_cycles, attention_cycles, check_fits, load_datapath, matvec_cycles
from janus1.hw.blocks import (attention_row_cycles, kv_row_beats, matvec_fill_cycles,
                              matvec_timing)
from janus1.hw.datapath import kv_bytes, weight_bytes
from janus1.models import load_spec

DP = load_datapath("seed004-small")


def _dp(*sets: str):  # noqa: ANN202
    return load_datapath("seed004-small", list(sets))


def test_matvec_full_bandwidth_closed_form() -> None:
    # seed004-small: P = 16, port 16 B/cycle; fill = read 2 + MAC 3 + tree 2 + acc 1 + wb 1 = 9
    assert matvec_fill_cycles(DP) == 9
    for rows, cols in ((64, 64), (192, 64), (64, 192), (7, 33), (1, 1)):
        assert matvec_cycles(rows, cols, DP) == math.ceil(cols / 16) * rows + 9
    # 33 columns on 16 lanes: 3 beats per row (the last one 1/16 full)
    assert matvec_cycles(7, 33, DP) == 7 * 3 + 9
    for P in (1, 4, 16, 64):
        dp = DP.with_lanes(P)
        assert matvec_cycles(100, 64, dp) == math.ceil(64 / P) * 100 + 9


def test_halving_the_port_doubles_a_port_bound_matvec() -> None:
    # port 8 B/cycle on 16 lanes: port-bound, 64 / 8 = 8 issue cycles per row
    dp8, dp4 = _dp("weights.port_bytes_per_cycle=8"), _dp("weights.port_bytes_per_cycle=4")
    t8, t4 = matvec_timing(64, 64, dp8), matvec_timing(64, 64, dp4)
    assert t8.port_bound and t4.port_bound
    assert t8.compute + t8.port_stall == 64 * 8
    assert t4.compute + t4.port_stall == 2 * (t8.compute + t8.port_stall)
    assert t4.port_stall == 64 * 16 - 64 * 4          # beyond the 4 beats a row needs
    # a port wider than the lanes does not help: the lanes set the pace
    assert matvec_cycles(64, 64, _dp("weights.port_bytes_per_cycle=64")) == 64 * 4 + 9


def test_external_weights_stream_at_the_memory_bandwidth() -> None:
    # 400 MB/s at 200 MHz = 2 B/cycle; 100 ns first word = 20 cycles in place of the read 2
    dp = _dp("weights.external_bandwidth='400MB/s'", "weights.external_latency_ns=100")
    t = matvec_timing(64, 64, dp, external=True)
    assert t.fill == 20 + 3 + 2 + 1 + 1
    assert t.compute + t.port_stall == 64 * 64 // 2 and t.port_bound


def test_attention_closed_form() -> None:
    # head_size 16, width 8 B: K and V rows 2 beats; per row R = 2; v_offset = score 3 +
    # softmax 1 + exp2 4 = 8; tail = read 2 + update 1 + 16 divides + divider 34 = 53
    assert kv_row_beats(16, DP) == (2, 2) and attention_row_cycles(16, DP) == 2
    for pos in (0, 1, 15, 100):
        assert attention_cycles(pos, 16, DP) == 1 + 2 * pos + 8 + 2 + 53
    # one row per position more costs exactly R
    dp = _dp("kv_ram.width_bytes=4")                     # 4 beats per row
    assert attention_cycles(10, 16, dp) - attention_cycles(9, 16, dp) == 4


def test_argmax_is_the_classifier_scan_plus_the_compare() -> None:
    assert argmax_cycles(512, 64, DP) == 512 * 4 + 9 + 1
    assert argmax_cycles(32000, 288, DP) == 32000 * math.ceil(288 / 16) + 9 + 1


def test_fits_checks_name_the_field() -> None:
    spec = load_spec("stories260k")
    check_fits(spec, load_datapath("stories260k"))
    small = load_datapath("stories260k", ["kv_ram.capacity=1024"])
    with pytest.raises(ConfigError, match="kv_ram.capacity"):
        check_fits(spec, small)
    # exactly the KV cache: fits; one byte less: does not
    need = kv_bytes(spec, small)
    check_fits(spec, load_datapath("stories260k", [f"kv_ram.capacity={need}"]))
    with pytest.raises(ConfigError, match="kv_ram.capacity"):
        check_fits(spec, load_datapath("stories260k", [f"kv_ram.capacity={need - 1}"]))
    big = load_spec("stories15m")
    with pytest.raises(ConfigError, match="weights.onchip"):
        check_fits(big, load_datapath("stories260k", ["kv_ram.capacity='4MiB'"]))
    check_fits(big, load_datapath("stories260k", ["kv_ram.capacity='4MiB'",
                                                  "weights.external_bandwidth='4GB/s'"]))
    assert 15_000_000 < weight_bytes(big) < 16_000_000


@pytest.mark.parametrize("sets,field", [
    (["mac.lanes=0"], "mac.lanes"),
    (["weights.port_bytes_per_cycle=0"], "weights.port_bytes_per_cycle"),
    (["kv_ram.collision='sometimes'"], "kv_ram.collision"),
    (["engines='two'"], "engines"),
    (["mac.bogus=1"], "bogus"),
    (["kv_ram.k_bits=4"], "kv_ram.k_bits"),
])
def test_bad_values_name_the_field(sets: list[str], field: str) -> None:
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_datapath("seed004-small", sets)


def test_unknown_preset_and_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown datapath"):
        load_datapath("nope")
    with pytest.raises(InputError, match="no such file"):
        load_datapath(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("clock = [\n")
    with pytest.raises(ConfigError, match="malformed TOML"):
        load_datapath(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('source = "x"\nclock = "100MHz"\ncolour = 1\n'
                       '[mac]\nlanes = 4\n[weights]\nonchip = "1MiB"\nport_bytes_per_cycle = 4\n'
                       '[kv_ram]\ncapacity = "1MiB"\nwidth_bytes = 8\n')
    with pytest.raises(ConfigError, match="colour: unknown key"):
        load_datapath(unknown)
    good = tmp_path / "good.toml"
    good.write_text(unknown.read_text().replace("colour = 1\n", ""))
    dp = load_datapath(good)
    assert dp.name == "good" and dp.clock_hz == 100e6 and dp.mac.lanes == 4


def test_presets_load_and_every_line_has_a_source() -> None:
    from importlib import resources

    folder = resources.files("janus1.presets").joinpath("datapaths")
    for name in ("seed004-small", "stories260k", "stories15m"):
        dp = load_datapath(name)
        assert dp.source
        text = folder.joinpath(f"{name}.toml").read_text()
        for line in text.splitlines():
            s = line.strip()
            if s and not s.startswith(("#", "[", "source", "extends", "notes")):
                assert "#" in s, f"{name}: {s!r} has no source or 'choice' comment"
