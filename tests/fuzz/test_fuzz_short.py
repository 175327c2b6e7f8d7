"""A short run of the fuzz harness (benchmarks/fuzz_readers.py): every target, a few
cases each, at most 60 s in all. The full run (3,000 cases per target) is on demand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "benchmarks" / "fuzz_readers.py"


@pytest.mark.slow
def test_short_fuzz_run(tmp_path: Path) -> None:
    out = tmp_path / "fuzz.json"
    # cases are dealt round-robin over the targets, so the time budget still reaches
    # every target; 40 s of cases plus start-up stays under the 60 s the issue allows
    proc = subprocess.run(
        [sys.executable, str(HARNESS), "--cases", "60", "--jobs", "2", "--time-budget", "40",
         "--seed", "11", "--json", str(out)],
        capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.exists(), proc.stderr[-2000:]
    res = json.loads(out.read_text())
    listed = subprocess.run([sys.executable, str(HARNESS), "--list"], capture_output=True,
                            text=True, timeout=60, cwd=ROOT).stdout.split()
    assert set(res["targets"]) == set(listed)
    from janus1.presets import preset_kinds

    assert {f"preset_{k}" for k in preset_kinds()} <= set(listed)
    bad = {n: t["causes"] for n, t in res["targets"].items()
           if t["crash"] or t["hang"] or t["blow-up"]}
    assert not bad, proc.stdout[-3000:]
    for name, t in res["targets"].items():
        assert t["accepted"] + t["clean"] >= 1, name   # every target ran
    assert proc.returncode == 0, proc.stdout[-3000:]
