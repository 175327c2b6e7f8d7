"""The study section `fixed` runs end to end on a short configuration."""

import json

from janus1.study import run_study


def test_fixed_section_writes_report_budget_and_claims(tmp_path):
    out = run_study(name="fx", out_root=tmp_path, only=["fixed"],
                    section_config={"fixed": {"max_tokens": 768, "budget_tokens": 512,
                                              "greedy_steps": 24}})
    d = json.loads((out / "fixed" / "fixed.json").read_text())
    assert d["teacher_forced"]["tokens"] == 3 * 127          # 3 windows of 256, second half
    assert d["greedy"]["greedy_steps"] == 24
    names = [r["configuration"] for r in d["error_budget"]]
    assert any(n.startswith("only K cache") for n in names)
    assert all(r["within"] for r in d["primitives"])
    assert (out / "fixed" / "error_budget.png").stat().st_size > 1000
    claims = json.loads((out / "claims.json").read_text())
    assert {c["seed"] for c in claims} == {"004"}
    assert "Error budget" in (out / "report.md").read_text()
