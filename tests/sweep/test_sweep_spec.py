"""Sweep files: strict validation. A bad file is one line naming the file and the
problem, exit code 2, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from janus1.cli import main
from janus1.errors import ConfigError
from janus1.sweep import load_sweep, parse_sweep

from sweep_helpers import ANALYTIC

BAD = [
    # (what, sweep text, words the one-line message must hold)
    ("unknown top-level key", ANALYTIC.replace("chunk = 4", "chunks = 4"), ["chunks",
                                                                          "unknown key"]),
    ("unknown key in an axis", ANALYTIC.replace("values = [4, 8, 16]", "valuez = [4, 8, 16]"),
     ["axis[0]", "valuez"]),
    ("unknown design field", ANALYTIC.replace("design.compute.tiles", "design.compute.tilez"),
     ["tilez", "unknown field"]),
    ("unknown tier", ANALYTIC.replace("design.compute.tiles", "design.tiers.T9.capacity"),
     ["T9"]),
    ("unknown model field", ANALYTIC.replace("design.compute.tiles", "model.n_layerz"),
     ["n_layerz"]),
    ("unknown target", ANALYTIC.replace("design.compute.tiles", "chip.tiles"), ["chip.tiles"]),
    ("empty axis", ANALYTIC.replace("values = [4, 8, 16]", "values = []"), ["empty axis"]),
    ("empty range", ANALYTIC.replace("values = [4, 8, 16]",
                                     "range = { start = 1, stop = 4, num = 0 }"),
     ["empty axis"]),
    ("log range through zero", ANALYTIC.replace(
        "values = [4, 8, 16]", 'range = { start = 0, stop = 4, num = 3, scale = "log" }'),
     ["log range"]),
    ("values and range", ANALYTIC.replace(
        "values = [4, 8, 16]", "values = [4]\nrange = { start = 1, stop = 4, num = 2 }"),
     ["exactly one of values or range"]),
    ("unknown evaluator", ANALYTIC.replace('["roofline", "ppa"]', '["roofline", "spice"]'),
     ["spice", "unknown evaluator"]),
    ("unknown objective metric", ANALYTIC + '\n[[objective]]\nmetric = "tokens_per_watt"\n',
     ["tokens_per_watt", "unknown metric"]),
    ("metric of an evaluator not run", ANALYTIC + '\n[[objective]]\nmetric = "ppl_delta_pct"\n',
     ["ppl_delta_pct", "accuracy"]),
    ("not an objective", ANALYTIC + '\n[[objective]]\nmetric = "fits"\n', ["fits",
                                                                         "not an objective"]),
    ("contradictory bounds", ANALYTIC + '\n[[constraint]]\nmetric = "junction_c"\nmin = 110.0\n',
     ["contradictory", "junction_c"]),
    ("contradictory min > max", ANALYTIC.replace(
        'max = 105.0', 'max = 10.0\nmin = 20.0'), ["contradictory"]),
    ("contradictory booleans", ANALYTIC + '\n[[constraint]]\nmetric = "fits"\nequals = true\n'
     '\n[[constraint]]\nmetric = "fits"\nequals = false\n', ["contradictory", "fits"]),
    ("unknown constraint metric", ANALYTIC.replace('metric = "junction_c"',
                                                   'metric = "junction_k"'), ["junction_k"]),
    ("unknown search", ANALYTIC + '\n[search]\nkind = "annealing"\n', ["annealing"]),
    ("random without points", ANALYTIC + '\n[search]\nkind = "random"\n', ["search.points"]),
    ("nsga2 without objectives", ANALYTIC + '\n[search]\nkind = "nsga2"\nbudget = 10\n',
     ["objective"]),
    ("bad precision value", ANALYTIC.replace("values = [512, 4096]", "values = [512, 4096]")
     + '\n[[axis]]\nfield = "precision"\nvalues = ["int3"]\n', ["int3"]),
    ("bad context value", ANALYTIC.replace("values = [512, 4096]", "values = [512, 0]"),
     ["context"]),
    ("unknown base design", ANALYTIC.replace('design = "janus-1"', 'design = "janus-9"'),
     ["janus-9"]),
    ("field twice", ANALYTIC + '\n[[axis]]\nfield = "context"\nvalues = [64]\n', ["twice"]),
    ("malformed TOML", ANALYTIC + "\n[[axis]\n", ["malformed TOML"]),
]


@pytest.mark.parametrize("what,text,needles", BAD, ids=[b[0] for b in BAD])
def test_bad_sweep_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], what: str,
                        text: str, needles: list[str]) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    out = tmp_path / "results"
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(f), "--serial", "--out", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert str(f) in lines[0] and "Traceback" not in err
    for n in needles:
        assert n in lines[0], lines[0]
    assert not out.exists()                       # nothing written


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(tmp_path / "none.toml"), "--out", str(tmp_path / "r")])
    assert exc.value.code == 2
    assert "no such sweep file" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_axes_values_and_ranges() -> None:
    s = parse_sweep(ANALYTIC + """
[[axis]]
field = "design.clock"
range = { start = 5e8, stop = 2e9, num = 3, scale = "log" }

[[axis]]
field = "design.tiers.T1 SRAM.banks"
range = { start = 1, stop = 7, num = 4, integer = true }

[[axis]]
name = "t2"
fields = ["design.tiers.T2 eDRAM.tech", "design.tiers.T2 eDRAM.cell"]
values = [["edram", "lp-dram"], ["sram", "itrs-hp"]]
""", source="t.toml")
    ax = {a.column: a for a in s.axes}
    assert ax["clock"].values == (5e8, 1e9, 2e9)              # geometric, ends exact
    assert ax["tiers_t1_sram_banks"].values == (1, 3, 5, 7)   # linear, rounded
    assert ax["t2"].labels == ("edram/lp-dram", "sram/itrs-hp")
    assert s.grid_size == 3 * 3 * 2 * 3 * 4 * 2
    assert {a.column for a in s.axes if a.target == "workload"} == {"context"}


def test_defaults_and_goals() -> None:
    s = parse_sweep(ANALYTIC + '\n[[objective]]\nmetric = "area_mm2"\n\n[[objective]]\n'
                    'metric = "tokens_per_joule"\n', source="t.toml")
    assert [(o.metric, o.goal) for o in s.objectives] == [("area_mm2", "min"),
                                                          ("tokens_per_joule", "max")]
    assert s.name == "small" and s.chunk == 4


def test_load_sweep_raises_config_error(tmp_path: Path) -> None:
    f = tmp_path / "x.toml"
    f.write_text(ANALYTIC.replace("context", "contxt"), encoding="utf-8")
    with pytest.raises(ConfigError, match="contxt"):
        load_sweep(f)


def test_design_file_base_and_ids(tmp_path: Path) -> None:
    """A design given as a file is hashed into the point ids: editing it changes them."""
    from janus1.sweep.points import PointIds, grid_points, resolve

    src = Path(__file__).resolve().parents[2] / "src/janus1/presets/designs/janus-1.toml"
    d = tmp_path / "mine.toml"
    d.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    text = ANALYTIC.replace('design = "janus-1"', f'design = "{d}"')
    s1 = parse_sweep(text, source="a.toml")
    ids1 = {PointIds(s1)(resolve(s1, v)) for v in grid_points(s1)}
    d.write_text(src.read_text(encoding="utf-8").replace('ambient_c = 45.0', 'ambient_c = 25.0'),
                 encoding="utf-8")
    s2 = parse_sweep(text, source="a.toml")
    ids2 = {PointIds(s2)(resolve(s2, v)) for v in grid_points(s2)}
    assert len(ids1) == len(ids2) == 18 and not ids1 & ids2
    s3 = parse_sweep(ANALYTIC, source="a.toml")
    assert not {PointIds(s3)(resolve(s3, v)) for v in grid_points(s3)} & ids1
