"""``janus1 simulate --json`` and the two simulator study sections (small settings)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from janus1.cli import cli
from janus1.study import StudyContext, parse_options


def test_simulate_json_from_a_model() -> None:
    r = CliRunner().invoke(cli, ["simulate", "--hierarchy", "two-level", "--model",
                                 "stories260k", "--layers", "1", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert [lv["name"] for lv in d["levels"]] == ["L1", "L2"]
    assert {"hits", "misses", "evictions", "writebacks", "bytes_moved",
            "bandwidth_bytes_per_s"} <= set(d["levels"][0])
    assert set(d["latency"]) == {"p50", "p90", "p99", "p999", "p9999", "max", "mean"}
    assert {"issued", "useful", "late", "useless", "coverage", "accuracy"} <= set(d["prefetch"])
    assert d["levels"][0]["hits"] + d["levels"][0]["misses"] == d["line_accesses"]


def test_simulate_counts_only_from_a_file(tmp_path: Path) -> None:
    p = tmp_path / "t.npy"
    np.save(p, np.arange(10_000, dtype=np.int64) * 8)
    r = CliRunner().invoke(cli, ["simulate", "--hierarchy", "two-level", "--trace", str(p),
                                 "--prefetcher", "none", "--counts-only", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    # 10,000 sequential 8-byte loads = 1250 lines: one miss per line, 7 hits
    assert (d["levels"][0]["hits"], d["levels"][0]["misses"]) == (8750, 1250)
    assert d["latency"]["p99"] is None


def test_study_sections_run_small(tmp_path: Path) -> None:
    from janus1.study.sections import sim_memory, sim_prefetch

    # the sections read their typed options (ctx.opts), so the small settings go there
    cfg = {"model": "stories260k", "precision": "int8", "layers": 1}
    out = tmp_path / "sim_prefetch"
    out.mkdir()
    opts = parse_options(sim_prefetch.SECTION, {**cfg, "lookaheads": [4, 16]})
    res = sim_prefetch.SECTION.run(StudyContext(out_dir=out, options=opts))
    assert (out / "lookahead_sweep.png").exists() and (out / "lookahead_sweep.csv").exists()
    claims = {c.claimed: c for c in res.claims}
    assert {"99.99% (65520/65536 reads)", "1.0 cycle", "16 lines"} <= set(claims)
    assert claims["1.0 cycle"].verdict == "refuted"
    out2 = tmp_path / "sim_memory"
    out2.mkdir()
    opts2 = parse_options(sim_memory.SECTION, {**cfg, "factors": [1.0]})
    res2 = sim_memory.SECTION.run(StudyContext(out_dir=out2, options=opts2))
    assert (out2 / "memory_sweep.png").exists()
    assert "p99.99" in res2.markdown
