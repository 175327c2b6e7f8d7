"""Same inputs, same bytes: every CSV and JSON of a results folder except timings.json."""

from __future__ import annotations

import json
from pathlib import Path

from janus1.study import discover_sections, run_study

FAST = tuple(s.name for s in discover_sections() if s.budget_s <= 5.0)


def _data_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.suffix in (".csv", ".json") and p.name != "timings.json"}


def test_fast_sections_twice_give_identical_csv_and_json(tmp_path: Path) -> None:
    assert {"kvcache", "tech_compare", "ppa", "thermal"} <= set(FAST)
    a = run_study(name="t", out_root=tmp_path / "a", only=FAST)
    b = run_study(name="t", out_root=tmp_path / "b", only=FAST)
    fa, fb = _data_files(a), _data_files(b)
    assert len(fa) >= 2 + len(FAST) and set(fa) == set(fb)
    for name in fa:
        assert fa[name] == fb[name], name
    # the clock readings went to timings.json, one entry per section
    t = json.loads((a / "timings.json").read_text())
    assert set(t["sections"]) == set(FAST)
    assert all(v["seconds"] >= 0 for v in t["sections"].values())
    prov = json.loads((a / "provenance.json").read_text())
    assert "created_utc" not in prov and "seconds" not in json.dumps(prov["config"])
    # strict JSON everywhere (no NaN/Infinity literals)
    for p in a.rglob("*.json"):
        json.loads(p.read_text(), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))


def test_kvstudy_measurements_go_to_timings(tmp_path: Path) -> None:
    from janus1.study.sections.kvstudy import TIMED_KEYS

    out = run_study(name="k", out_root=tmp_path, only=("kvstudy",),
                    section_config={"kvstudy": {"lengths": [16, 32], "batches": [1, 4],
                                                "torch": False}})
    header = (out / "kvstudy" / "kvstudy.csv").read_text().splitlines()[0].split(",")
    assert "kv_bytes_measured" in header and "arithmetic_intensity" in header
    assert not set(header) & set(TIMED_KEYS)
    runs = json.loads((out / "kvstudy" / "kvstudy.json").read_text())["runs"]
    assert runs and not set(runs[0]) & set(TIMED_KEYS)
    t = json.loads((out / "timings.json").read_text())
    timed_runs = t["sections"]["kvstudy"]["runs"]
    assert len(timed_runs) == len(runs)
    for k in ("tokens_per_s", "latency_p50_ms", "latency_p95_ms", "peak_mem_bytes", "verdict"):
        assert k in timed_runs[0]
    assert t["sections"]["kvstudy"]["machine"]["bandwidth_bytes_per_s"] > 0
    # claims built on the clock are timed; the KV-bytes claim is exact and stays
    claims = json.loads((out / "claims.json").read_text())
    assert [c["claim"] for c in claims] == [
        "KV-cache bytes match the formula and grow linearly with length"]
    assert len(t["timed_claims"]) == 6
    assert "(timed)" in (out / "report.md").read_text()
