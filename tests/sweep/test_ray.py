"""The Ray backend on local clusters the tests start, kept on loopback.

One session-scoped fixture runs every Ray scenario (tests/sweep/_ray_driver.py) in a
subprocess inside a new network namespace that has only the loopback interface up
(``unshare -n``; needs root, as CI has), with ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``
(bind to 127.0.0.1), ``RAY_USAGE_STATS_ENABLED=0``, ``RAY_AUTH_MODE=disabled``,
``RAY_TMPDIR`` inside the test's temporary folder and no dashboard, so nothing can leave
the machine. Scenarios: ``ray.init(num_cpus=2)`` (tasks, then actors for the accuracy
evaluator), a two-node ``ray.cluster_utils.Cluster``, and ``janus1 sweep --ray auto``.
Teardown checks that no process of this Ray session is left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import IN_CI, require
from janus1.sweep import load_sweep
from janus1.sweep.backends import SerialBackend
from janus1.sweep.run import run_sweep

from sweep_helpers import ACCURACY, ANALYTIC, stable_rows

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("_ray_driver.py")


def _skip_or_fail(msg: str) -> None:
    if IN_CI:
        pytest.fail(msg)
    pytest.skip(msg)


def _ray_processes(tag: str) -> list[str]:
    """Processes whose command line or environment names this session's RAY_TMPDIR."""
    left = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            env = (d / "environ").read_bytes()
        except OSError:
            continue
        if tag in cmd or f"RAY_TMPDIR={tag}".encode() in env:
            left.append(f"{d.name}: {cmd[:120]}")
    return left


@pytest.fixture(scope="session")
def ray_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Runs the driver once per test run: under pytest-xdist the first worker to get the
    lock runs it and the others read its report and stores."""
    import fcntl

    require("ray")
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None \
            or shutil.which("ip") is None:
        _skip_or_fail("the Ray tests need Linux with unshare and ip (util-linux, iproute2)")
    if os.geteuid() != 0:
        _skip_or_fail("the Ray tests need root for a loopback-only network namespace")
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent                        # shared by the xdist workers
    out = root / "ray-session"
    with open(root / "ray-session.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "report.json").exists():
            _run_driver(out)
    report = json.loads((out / "report.json").read_text())
    if "skip" in report:
        _skip_or_fail(report["skip"])
    if "fail" in report:
        pytest.fail(report["fail"])
    yield {"base": out, "report": report, "left": report["left"]}
    left = _ray_processes(report["tmpdir"])
    assert not left, f"Ray processes left behind: {left}"


def _run_driver(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "analytic.toml").write_text(ANALYTIC, encoding="utf-8")
    (out / "accuracy.toml").write_text(ACCURACY, encoding="utf-8")
    # a short folder: Ray's unix sockets live under RAY_TMPDIR (107-byte path limit)
    tmp = Path(tempfile.mkdtemp(prefix="j1ray-", dir="/tmp"))
    tmpdir = str(tmp / "r")
    extra: dict[str, Any] = {"tmpdir": tmpdir}
    try:
        from janus1.sweep.backends import RAY_LOOPBACK_ENV

        env = {**os.environ, "RAY_TMPDIR": tmpdir, **RAY_LOOPBACK_ENV,
               "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
        cmd = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"',
               sys.executable, str(DRIVER), str(out), str(out / "analytic.toml"),
               str(out / "accuracy.toml")]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 and not (out / "report.json").exists():
            if "unshare failed" in proc.stderr or "Operation not permitted" in proc.stderr:
                extra["skip"] = f"cannot make a network namespace: {proc.stderr.strip()[:200]}"
            else:
                extra["fail"] = f"the Ray driver failed: {proc.stderr[-3000:]}"
            report: dict[str, Any] = {}
        else:
            report = json.loads((out / "report.json").read_text())
        extra["left"] = _ray_processes(tmpdir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    (out / "report.json").write_text(json.dumps({**report, **extra}, indent=2))


def _ok(session: dict[str, Any], name: str) -> dict[str, Any]:
    r = session["report"][name]
    assert isinstance(r, dict)
    assert r["ok"], r.get("error")
    return r["result"]


@pytest.fixture(scope="module")
def serial_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serial")
    f = out / "analytic.toml"
    f.write_text(ANALYTIC, encoding="utf-8")
    run_sweep(load_sweep(f), SerialBackend(), out_root=out, name="s", figures=False)
    return out / "s"


@pytest.mark.slow
def test_ray_local_tasks_store_what_serial_stores(ray_session: dict[str, Any],
                                                  serial_store: Path) -> None:
    res = _ok(ray_session, "local")
    assert res["nodes"] == 1 and res["analytic"]["backend"] == "ray"
    assert res["analytic"]["points_evaluated"] == 18
    assert stable_rows(ray_session["base"] / "stores" / "local") == stable_rows(serial_store)


@pytest.mark.slow
def test_ray_two_node_cluster_stores_what_serial_stores(ray_session: dict[str, Any],
                                                        serial_store: Path) -> None:
    res = _ok(ray_session, "two_nodes")
    assert res["nodes"] == 2 and res["node_ips"] == ["127.0.0.1"]
    assert res["analytic"]["workers"] == 2 and res["analytic"]["backend"] == "ray"
    assert res["initialized_after"] is False      # the CLI left the cluster it joined
    assert stable_rows(ray_session["base"] / "stores" / "cluster") == stable_rows(serial_store)
    # every row names the Ray worker process that ran it (which node runs which chunk is
    # Ray's choice: SPREAD usually uses both, but a fast sweep may finish on one)
    workers = {r["worker"] for r in _rows_with_worker(ray_session["base"] / "stores" /
                                                      "cluster")}
    assert workers and all(":" in w for w in workers)


def _rows_with_worker(store: Path) -> list[dict[str, Any]]:
    from janus1.sweep.store import read_table

    return read_table(store).to_pylist()


@pytest.mark.slow
def test_ray_auto_cli(ray_session: dict[str, Any], serial_store: Path) -> None:
    res = _ok(ray_session, "cli_auto")
    assert res["initialized_after"] is False      # the CLI shut its head down
    assert stable_rows(ray_session["base"] / "stores" / "auto") == stable_rows(serial_store)


@pytest.mark.slow
def test_ray_actors_match_serial(ray_session: dict[str, Any], tmp_path: Path) -> None:
    _ok(ray_session, "local")
    f = tmp_path / "acc.toml"
    f.write_text(ACCURACY, encoding="utf-8")
    run_sweep(load_sweep(f), SerialBackend(), out_root=tmp_path, name="acc", figures=False)
    ray_rows = stable_rows(ray_session["base"] / "stores" / "actors")
    assert ray_rows == stable_rows(tmp_path / "acc")
    assert len(ray_rows) == 2 and all(r["error"] is None for r in ray_rows)
    # INT4 weights and KV lose more than INT8 on stories260K
    by = {r["precision"]: r["ppl_delta_pct"] for r in ray_rows}
    assert by["int4"] > by["int8"]


@pytest.mark.slow
def test_no_ray_process_left(ray_session: dict[str, Any]) -> None:
    assert ray_session["left"] == []


def test_ray_missing_is_one_line(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(ANALYTIC, encoding="utf-8")
    code = ("import sys; sys.modules['ray'] = None; from janus1.cli import main; "
            f"main(['sweep', {str(f)!r}, '--ray', 'auto', '--out', {str(tmp_path / 'r')!r}])")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "--ray needs Ray" in lines[0], r.stderr
    assert not (tmp_path / "r").exists()
