"""The ``hw_schedule`` study section: runs without options, writes its tables and figure."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from janus1.study import run_study


def test_hw_schedule_section(tmp_path: Path) -> None:
    out = run_study(name="hw", out_root=tmp_path, only=["hw_schedule"])
    d = out / "hw_schedule"
    for f in ("decode.csv", "prefill.csv", "sweep.csv", "guard.csv", "hw_schedule.json",
              "prefill_gantt.png"):
        assert (d / f).exists(), f
    sweep = list(csv.DictReader((d / "sweep.csv").open()))
    assert {(r["model"], r["lanes"], r["engines"]) for r in sweep} == {
        (m, str(p), e) for m in ("seed004-small", "stories260K") for p in (1, 4, 16, 64)
        for e in ("shared", "per_layer")}
    assert all(r["kv_hazards"] == "0" for r in sweep)
    # more lanes never make a decode step slower
    for m in ("seed004-small", "stories260K"):
        cyc = [float(r["decode_cycles_mean"]) for r in sweep
               if r["model"] == m and r["engines"] == "shared"]
        assert cyc == sorted(cyc, reverse=True)
    claims = json.loads((out / "claims.json").read_text())
    mine = [c for c in claims if c["section"] == "hw_schedule"]
    assert len(mine) == 4 and all(c["seed"] == "004" for c in mine)
    assert any(c["claim"].startswith("M4: no KV hazards") and c["verdict"] == "holds"
               for c in mine)
    assert "hw_schedule/prefill_gantt.png" in (out / "report.md").read_text()
