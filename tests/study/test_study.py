"""The study runner: results folder, provenance, atomicity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from janus1.study import Section, SectionOutput, discover_sections, run_study


def test_kv_and_roofline_sections(tmp_path: Path) -> None:
    out = run_study(name="t", out_root=tmp_path, only=("kvcache", "roofline"))
    prov = json.loads((out / "provenance.json").read_text())
    for key in ("janus1_version", "git_commit", "seed", "config"):
        assert key in prov
    report = (out / "report.md").read_text()
    assert "512 MiB" in report and "refuted" in report
    assert (out / "kvcache" / "kv_cache.png").stat().st_size > 1000
    assert (out / "roofline" / "roofline.png").stat().st_size > 1000
    claims = json.loads((out / "claims.json").read_text())
    int4 = next(c for c in claims if "INT4" in c["claim"] and c["seed"] == "001"
                and "KV cache at 4096" in c["claim"])
    assert int4["verdict"] == "refuted" and int4["claimed"] == "256 MB"
    # no staging folders left behind
    assert [p.name for p in tmp_path.iterdir()] == ["t"]


def test_failed_section_leaves_previous_results(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from janus1.study import _core

    run_study(name="t", out_root=tmp_path, only=("kvcache",))
    before = (tmp_path / "t" / "report.md").read_text()

    def boom(ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("section failed")

    bad = Section(name="kvcache", title="x", order=1, run=boom)
    monkeypatch.setattr(_core, "discover_sections", lambda: [bad])
    with pytest.raises(RuntimeError):
        run_study(name="t", out_root=tmp_path, only=("kvcache",))
    assert (tmp_path / "t" / "report.md").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t"]


def test_sections_are_discovered_in_order() -> None:
    secs = discover_sections()
    names = [s.name for s in secs]
    assert "kvcache" in names and "roofline" in names
    assert [s.order for s in secs] == sorted(s.order for s in secs)
    assert all(isinstance(s, Section) for s in secs)
    assert SectionOutput(markdown="x").claims == ()
