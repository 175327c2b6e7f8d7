"""Typed, validated study section options (``--set section.key=value``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from janus1.errors import ConfigError
from janus1.study import Section, SectionOutput, StudyContext, discover_sections, option
from janus1.study import parse_options, run_study
from janus1.study import _core


def _section(name: str) -> Section:
    return next(s for s in discover_sections() if s.name == name)


def test_every_shipped_section_parses_its_defaults() -> None:
    for s in discover_sections():
        o = parse_options(s, {})
        assert (o is None) == (s.options is None)
        if o is not None:
            assert dataclasses.is_dataclass(o)
            assert o.__dataclass_params__.frozen  # type: ignore[attr-defined]


@pytest.mark.parametrize(("raw", "match"), [
    ({"bogus": 1}, r"kvcache\.bogus: unknown option of study section 'kvcache' \(known: "
                   r"context, group_size\)"),
    ({"context": 1e308}, "must be an integer"),
    ({"context": 4096.0}, "must be an integer"),
    ({"context": True}, "must be an integer"),
    ({"context": "4k"}, "must be an integer"),
    ({"context": 0}, "at least 1"),
])
def test_kvcache_option_errors(raw: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_options(_section("kvcache"), raw)


@pytest.mark.parametrize(("name", "raw", "match"), [
    ("tech_compare", {"temperature_c": float("nan")}, "finite"),
    ("tech_compare", {"temperature_c": float("inf")}, "finite"),
    ("tech_compare", {"temperature_c": 400}, "at most 150"),
    ("tech_compare", {"bandwidth_bytes_per_s": 0}, "at least 1"),
    ("sim_prefetch", {"kv_layout": "diagonal"}, "one of position-major, head-major"),
    ("sim_prefetch", {"lookaheads": [4, 0]}, "at least 1"),
    ("sim_prefetch", {"lookaheads": []}, "at least one"),
    ("kvstudy", {"torch": "auto"}, "true or false"),
    ("quant", {"model": ""}, "non-empty"),
])
def test_option_checks(name: str, raw: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_options(_section(name), raw)


def test_values_are_converted() -> None:
    o = parse_options(_section("sim_prefetch"), {"lookaheads": "4, 8,16", "layers": 2})
    assert o.lookaheads == (4, 8, 16) and o.layers == 2 and o.kv_layout == "position-major"
    o = parse_options(_section("sim_memory"), {"factors": [1, 0.5]})
    assert o.factors == (1.0, 0.5)
    o = parse_options(_section("tech_compare"), {"temperature_c": 25})
    assert o.temperature_c == 25.0 and isinstance(o.temperature_c, float)
    o = parse_options(_section("kvstudy"), {"torch": False, "batches": 2})
    assert o.torch is False and o.batches == (2,)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Opts:
    steps: int = option(3, min=1)


def _fake_sections(seen: dict) -> list[Section]:
    def plain(ctx: StudyContext) -> SectionOutput:
        seen["plain"] = (ctx.options, dict(ctx.config), ctx.opts(_Opts).steps)
        return SectionOutput(markdown="plain")

    def typed(ctx: StudyContext) -> SectionOutput:
        seen["typed"] = ctx.opts(_Opts)
        return SectionOutput(markdown="typed", timings={"ops_per_s": 1.5})

    return [Section(name="plain", title="Plain", order=1, run=plain),
            Section(name="typed", title="Typed", order=2, run=typed, options=_Opts)]


def test_section_without_options_runs_and_refuses_options(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict = {}
    monkeypatch.setattr(_core, "discover_sections", lambda: _fake_sections(seen))
    out = run_study(name="t", out_root=tmp_path, section_config={"typed": {"steps": 7}})
    assert seen["plain"] == (None, {}, 3)          # no options: None, empty config, defaults
    assert seen["typed"] == _Opts(steps=7)
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["config"]["sections"]["typed"]["options"] == {"steps": 7}
    timings = json.loads((out / "timings.json").read_text())
    assert timings["sections"]["typed"]["ops_per_s"] == 1.5
    with pytest.raises(ConfigError, match="'plain' takes no options"):
        run_study(name="u", out_root=tmp_path, section_config={"plain": {"x": 1}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t"]
