"""Running sweeps: backends agree, resume after SIGKILL, the store, query and pareto."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from janus1.sweep import load_sweep
from janus1.sweep.backends import PoolBackend, SerialBackend
from janus1.sweep.points import PointIds, grid_points, resolve
from janus1.sweep.run import run_sweep
from janus1.sweep.store import read_table

from sweep_helpers import ANALYTIC, stable_rows, sweep_writer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def write_sweep(tmp_path: Path) -> Any:
    return sweep_writer(tmp_path)


def _cli(*args: str, cwd: Path | None = None,
         timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get(
        "PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "janus1", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout, env=env)


def test_serial_and_pool_store_identical_rows(tmp_path: Path, write_sweep: Any) -> None:
    spec = load_sweep(write_sweep(ANALYTIC))
    s1 = run_sweep(spec, SerialBackend(), out_root=tmp_path, name="serial", figures=False)
    with PoolBackend(2) as pool:
        s2 = run_sweep(spec, pool, out_root=tmp_path, name="pool", figures=False)
    assert s1.points_evaluated == s2.points_evaluated == 18
    # node "1nm" is unknown: 3 tiles x 2 contexts fail, stored with their error
    assert s1.points_failed == s2.points_failed == 6
    a, b = stable_rows(tmp_path / "serial"), stable_rows(tmp_path / "pool")
    assert a == b                                   # floats compared exactly
    assert len({r["point_id"] for r in a}) == 18
    failed = [r for r in a if r["error"] is not None]
    assert len(failed) == 6 and all("1nm" in r["error"] for r in failed)
    assert all(r["area_mm2"] is None and r["feasible"] is False for r in failed)
    # workers of the pool are other processes than this one
    workers = set(read_table(tmp_path / "pool").column("worker").to_pylist())
    assert all(not w.endswith(f":{os.getpid()}") for w in workers)


def test_rows_match_the_library(tmp_path: Path, write_sweep: Any) -> None:
    """A stored row holds what analyze and ppa give for its inputs."""
    from janus1.design import load_design, ppa
    from janus1.models import load_spec
    from janus1.workload.analysis import analyze

    spec = load_sweep(write_sweep(ANALYTIC))
    run_sweep(spec, SerialBackend(), out_root=tmp_path, name="s", figures=False)
    rows = {r["point_id"]: r for r in stable_rows(tmp_path / "s")}
    ids = PointIds(spec)
    checked = 0
    for v in grid_points(spec):
        p = resolve(spec, v)
        if "1nm" in " ".join(p.design_set):
            continue
        r = rows[ids(p)]
        d = load_design(p.design, p.design_set)
        m = load_spec(p.model)
        ref = ppa(d, m, context=p.context, precision=p.precision, kv_precision=p.kv_precision)
        an = analyze(m, context=p.context, precision=p.precision, kv_precision=p.kv_precision,
                     device=d.device())
        assert r["area_mm2"] == ref.area_mm2 and r["power_w"] == ref.power_w
        assert r["joules_per_token"] == ref.joules_per_token
        assert r["junction_c"] == ref.junction_c and r["fits"] == ref.fits
        assert r["tokens_per_s"] == ref.tokens_per_s == an.decode.tokens_per_s
        assert r["feasible"] == (ref.junction_c <= 105.0)
        checked += 1
    assert checked == 12


def test_existing_store_is_refused_and_resume_skips(tmp_path: Path, write_sweep: Any) -> None:
    f = write_sweep(ANALYTIC)
    r = _cli("sweep", str(f), "--serial", "--out", str(tmp_path), "--no-figures")
    assert r.returncode == 0, r.stderr
    r = _cli("sweep", "run", str(f), "--serial", "--out", str(tmp_path))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "--resume" in r.stderr
    r = _cli("sweep", str(f), "--serial", "--resume", "--out", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["points_evaluated"] == 0 and s["points_skipped"] == 18 and s["points_stored"] == 18


@pytest.mark.slow
def test_sigkill_then_resume(tmp_path: Path, write_sweep: Any) -> None:
    """Kill the main process once a part is stored; workers exit; resume completes the
    grid with no point missing or stored twice."""
    text = ANALYTIC.replace("chunk = 4", "chunk = 40").replace(
        'values = [4, 8, 16]', 'values = [2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32]').replace(
        'values = ["3nm", "7nm", "1nm"]', 'values = ["3nm", "5nm", "7nm", "16nm", "28nm"]').replace(
        'values = [512, 4096]', 'values = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768]')
    text += ('\n[[axis]]\nfield = "design.tiers.T1 SRAM.capacity"\n'
             'values = ["4MiB", "8MiB", "16MiB", "32MiB", "64MiB"]\n'
             '\n[[axis]]\nfield = "precision"\nvalues = ["int4", "int8"]\n')
    f = write_sweep(text)
    spec = load_sweep(f)
    n = spec.grid_size
    assert n == 12 * 5 * 8 * 5 * 2     # long enough to be killed half-way on a fast machine
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "janus1", "sweep", str(f), "--workers", "2",
                             "--out", str(tmp_path), "--part-rows", "40", "--no-figures"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    points = tmp_path / "small" / "points"
    children: list[int] = []
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 120:
            if points.is_dir() and any(p.suffix == ".parquet" and p.name.startswith("part-")
                                       for p in points.iterdir()):
                break
            assert proc.poll() is None, "the sweep finished before a part was seen"
            time.sleep(0.02)
        else:
            pytest.fail("no part written within 120 s")
        children = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert children, "the pool had no worker processes"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(c) for c in children):
        time.sleep(0.1)
    assert not any(_alive(c) for c in children), "workers outlived the main process"
    before = read_table(tmp_path / "small").num_rows
    assert 0 < before < n
    r = _cli("sweep", str(f), "--workers", "2", "--resume", "--out", str(tmp_path), "--json",
             "--no-figures")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["points_skipped"] == before and s["points_evaluated"] == n - before
    ids = [row["point_id"] for row in stable_rows(tmp_path / "small")]
    assert len(ids) == len(set(ids)) == n
    pid = PointIds(spec)
    assert set(ids) == {pid(resolve(spec, v)) for v in grid_points(spec)}
    assert not list(points.glob(".part-*"))      # leftovers of the killed run are gone
    q = _cli("sweep", "query", "small", "SELECT count(*) AS n, count(DISTINCT point_id) AS d "
             "FROM points", "--out", str(tmp_path))
    assert q.returncode == 0 and q.stdout == f"n,d\n{n},{n}\n" and q.stderr == ""


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        txt = (task / "children").read_text().split()
        out += [int(c) for c in txt]
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_query_csv_json_and_pareto(tmp_path: Path, write_sweep: Any) -> None:
    f = write_sweep(ANALYTIC)
    assert _cli("sweep", str(f), "--serial", "--out", str(tmp_path)).returncode == 0
    q = _cli("sweep", "query", "small", "SELECT compute_tiles, count(*) AS n FROM points "
             "WHERE error IS NULL GROUP BY 1 ORDER BY 1", "--out", str(tmp_path))
    assert q.returncode == 0 and q.stderr == ""
    assert q.stdout == "compute_tiles,n\n4,4\n8,4\n16,4\n"
    j = _cli("sweep", "query", "small", "SELECT point_id, area_mm2 FROM points ORDER BY 1 "
             "LIMIT 2", "--out", str(tmp_path), "--json")
    assert j.returncode == 0 and j.stderr == ""
    rows = json.loads(j.stdout)
    assert len(rows) == 2 and set(rows[0]) == {"point_id", "area_mm2"}
    bad = _cli("sweep", "query", "small", "SELECT nope FROM points", "--out", str(tmp_path))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    p = _cli("sweep", "pareto", "small", "--x", "area_mm2", "--y", "tokens_per_joule",
             "--out", str(tmp_path), "--json")
    assert p.returncode == 0, p.stderr
    fr = json.loads(p.stdout)
    assert Path(fr["figure"]).is_file() and fr["front"]
    # the front is non-dominated and every other usable point is dominated by it
    pts = [r for r in stable_rows(tmp_path / "small") if r["error"] is None and r["feasible"]]
    front = {r["point_id"] for r in fr["front"]}
    for r in pts:
        dominated = any(o["area_mm2"] <= r["area_mm2"] and o["tokens_per_joule"] >=
                        r["tokens_per_joule"] and (o["area_mm2"] < r["area_mm2"] or
                                                   o["tokens_per_joule"] > r["tokens_per_joule"])
                        for o in pts)
        assert dominated == (r["point_id"] not in front)
    figs = sorted(x.name for x in (tmp_path / "small" / "figures").iterdir())
    assert "scatter-matrix.png" in figs


def test_pareto_mask_small() -> None:
    import numpy as np

    from janus1.sweep.pareto import pareto_mask

    x = np.array([1.0, 2.0, 3.0, 2.0, 1.0, 4.0])
    y = np.array([1.0, 3.0, 2.0, 3.0, 0.5, 4.0])
    # min x, max y: (1,1), (2,3) twice (duplicates), (4,4) are on the front
    assert pareto_mask(x, y).tolist() == [True, True, False, True, False, True]


def test_all_points_infeasible_is_a_result(tmp_path: Path, write_sweep: Any) -> None:
    f = write_sweep(ANALYTIC.replace("max = 105.0", "max = 1.0"))
    r = _cli("sweep", str(f), "--serial", "--out", str(tmp_path), "--no-figures")
    assert r.returncode == 0, r.stderr
    assert "0 meet every constraint" in r.stdout
    assert "no stored point meets the constraints" in r.stdout
    assert read_table(tmp_path / "small").num_rows == 18


def test_study_and_sweep_refuse_each_other(tmp_path: Path, write_sweep: Any) -> None:
    f = write_sweep(ANALYTIC)
    assert _cli("sweep", str(f), "--serial", "--out", str(tmp_path), "--name", "x",
                "--no-figures").returncode == 0
    r = _cli("study", "--only", "thermal", "--out", str(tmp_path), "--name", "x")
    assert r.returncode == 2 and "sweep store" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert (tmp_path / "x" / "sweep.json").is_file()         # untouched
    study = tmp_path / "y"
    study.mkdir()
    (study / "report.md").write_text("# a study\n")
    r = _cli("sweep", str(f), "--serial", "--out", str(tmp_path), "--name", "y")
    assert r.returncode == 2 and "holds a study" in r.stderr
    assert sorted(p.name for p in study.iterdir()) == ["report.md"]


@pytest.mark.parametrize("kind", ["nsga2", "tpe"])
def test_optuna_search_is_seeded_and_resumable(tmp_path: Path, write_sweep: Any,
                                               kind: str) -> None:
    text = ANALYTIC.replace('["3nm", "7nm", "1nm"]', '["3nm", "5nm", "7nm", "16nm"]') + f"""
[search]
kind = "{kind}"
seed = 3
budget = 12
population = 4

[[objective]]
metric = "area_mm2"

[[objective]]
metric = "tokens_per_joule"
"""
    spec = load_sweep(write_sweep(text))
    a = run_sweep(spec, SerialBackend(), out_root=tmp_path, name="a", figures=False)
    b = run_sweep(spec, SerialBackend(), out_root=tmp_path, name="b", figures=False)
    ra, rb = stable_rows(tmp_path / "a"), stable_rows(tmp_path / "b")
    assert ra == rb and 0 < len(ra) <= 12 and a.points_evaluated == len(ra)
    # a resumed optuna run replays the same asks from the store: nothing new to evaluate
    c = run_sweep(spec, SerialBackend(), out_root=tmp_path, name="a", resume=True,
                  figures=False)
    assert c.points_evaluated == 0 and stable_rows(tmp_path / "a") == ra


def test_random_search_is_seeded_and_distinct(write_sweep: Any) -> None:
    from janus1.sweep.points import random_points

    text = ANALYTIC + '\n[search]\nkind = "random"\npoints = 10\nseed = 5\n'
    spec = load_sweep(write_sweep(text))
    pts = random_points(spec)
    assert pts == random_points(spec) and len(pts) == len(set(pts)) == 10
    grid = set(grid_points(spec))
    assert set(pts) <= grid
    spec2 = load_sweep(write_sweep(text.replace("points = 10", "points = 100"), "t.toml"))
    assert set(random_points(spec2)) == grid          # capped at the grid


def test_example_sweep_is_the_study_sweep() -> None:
    from janus1.sweep.examples import JANUS1_NEIGHBOURHOOD

    text = (ROOT / "examples" / "sweeps" / "janus-1.toml").read_text(encoding="utf-8")
    assert text == JANUS1_NEIGHBOURHOOD
    s = load_sweep(ROOT / "examples" / "sweeps" / "janus-1.toml")
    assert s.search.kind == "grid" and s.grid_size == 10368
    big = load_sweep(ROOT / "examples" / "sweeps" / "analytic-100k.toml")
    assert big.grid_size == 100_000 and set(big.evaluators) == {"roofline", "ppa"}


def test_import_direction() -> None:
    """sweep imports neither cli nor study; only cli and study import sweep."""
    import ast

    src = ROOT / "src" / "janus1"
    for p in (src / "sweep").rglob("*.py"):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                mod = ("." * node.level) + node.module
                assert not any(x in mod.split(".") for x in ("cli", "study")), (p, mod)
    for p in src.rglob("*.py"):
        rel = p.relative_to(src).parts
        if rel[0] in ("sweep", "cli", "study"):
            continue
        assert "sweep" not in {(getattr(n, "module", "") or "").split(".")[-1]
                               for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                               if isinstance(n, ast.ImportFrom)}, p


@pytest.mark.slow
def test_study_section(tmp_path: Path) -> None:
    """The study's sweep section runs the shipped grid and reports it."""
    from janus1.study import run_study

    out = run_study(name="s", out_root=tmp_path, only=["sweep"])
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "A grid of 10,368 points around janus-1" in md
    assert "Seed 001's configuration" in md
    claims = json.loads((out / "claims.json").read_text(encoding="utf-8"))
    (c,) = [c for c in claims if c["section"] == "sweep"]
    assert c["seed"] == "001" and c["verdict"] in ("holds", "partly", "refuted")
    assert "edram" in c["measured"] and "mram" in c["measured"]
    store = out / "sweep" / "store"
    assert read_table(store).num_rows == 10368
    assert (out / "sweep" / "figures" / "scatter-matrix.png").is_file()
    assert (out / "sweep" / "pareto_area_tokens_per_joule.csv").is_file()


def test_ppa_sim_evaluator(tmp_path: Path, write_sweep: Any) -> None:
    """A simulation-backed point stores what ppa_simulated gives."""
    from janus1.design import load_design, ppa_simulated
    from janus1.models import load_spec

    f = write_sweep('name = "sim"\nevaluators = ["ppa_sim"]\n[base]\nmodel = "stories15m"\n'
                    'context = 256\n[ppa_sim]\nlayers = 1\n[[axis]]\n'
                    'field = "design.tiers.T1 SRAM.capacity"\nvalues = ["1MiB", "8MiB"]\n'
                    '[[objective]]\nmetric = "sim_latency_p9999"\n')
    spec = load_sweep(f)
    run_sweep(spec, SerialBackend(), out_root=tmp_path, name="sim", figures=False)
    rows = {r["tiers_t1_sram_capacity"]: r for r in stable_rows(tmp_path / "sim")}
    ref = ppa_simulated(load_design("janus-1", ['tiers.T1 SRAM.capacity="1MiB"']),
                        load_spec("stories15m"), context=256, precision="int4",
                        kv_precision="int4", sim_layers=1)
    r = rows["1MiB"]
    assert r["error"] is None and r["sim_tokens_per_s"] == ref.tokens_per_s
    assert ref.simulate is not None
    doc = ref.simulate.to_dict()                   # what ppa --simulate --json prints
    assert r["sim_latency_p9999"] == doc["latency"]["p9999"] is not None
    assert r["sim_latency_p99"] == doc["latency"]["p99"]
    assert r["sim_dram_bytes_per_token"] == doc["dram_bytes"] > 0
    assert r["sim_joules_per_token"] == ref.joules_per_token
    assert "area_mm2" not in r                     # ppa's metrics need the ppa evaluator
