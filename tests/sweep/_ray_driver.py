"""Runs the Ray scenarios of tests/sweep/test_ray.py in one process (started by the
test's session fixture inside a loopback-only network namespace).

Usage: python _ray_driver.py OUT_DIR ANALYTIC_SWEEP ACTOR_SWEEP

Writes OUT_DIR/report.json: per scenario, whether it ran and its summary or error. The
stores go to OUT_DIR/stores/<scenario>/.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path


def main() -> None:
    out = Path(sys.argv[1])
    analytic, actor = sys.argv[2], sys.argv[3]
    stores = out / "stores"
    report: dict[str, object] = {}
    # loopback only, no usage statistics, no auth; Ray's files inside the test folder
    # refuse to start Ray anywhere but in test_ray.py's loopback-only namespace
    if [name for _, name in socket.if_nameindex()] != ["lo"]:
        raise SystemExit("_ray_driver.py runs only inside `unshare -n` (loopback only)")
    from janus1.sweep.backends import RAY_LOOPBACK_ENV

    os.environ.update(RAY_LOOPBACK_ENV)
    assert os.environ["RAY_TMPDIR"]          # Ray keeps its sessions under it

    import ray

    from janus1.sweep import load_sweep
    from janus1.sweep.backends import RayBackend
    from janus1.sweep.run import run_sweep

    def scenario(name: str, fn: Callable[[], object]) -> None:
        t0 = time.perf_counter()
        try:
            report[name] = {"ok": True, "result": fn(), "seconds": time.perf_counter() - t0}
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            report[name] = {"ok": False, "error": "".join(traceback.format_exception(exc))}

    def local() -> object:
        ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
                 log_to_driver=False, configure_logging=False)
        try:
            with RayBackend() as b:
                s1 = run_sweep(load_sweep(analytic), b, out_root=stores, name="local",
                               figures=False)
                s2 = run_sweep(load_sweep(actor), b, out_root=stores, name="actors",
                               figures=False)
            return {"analytic": s1.to_dict(), "actors": s2.to_dict(),
                    "nodes": len(ray.nodes())}
        finally:
            ray.shutdown()

    def two_nodes() -> object:
        from ray.cluster_utils import Cluster

        cluster = Cluster(initialize_head=True,
                          head_node_args={"num_cpus": 1, "include_dashboard": False,
                                          "node_ip_address": "127.0.0.1"})
        try:
            cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
            cluster.wait_for_nodes()
            ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
            try:
                nodes = [n for n in ray.nodes() if n["Alive"]]
            finally:
                ray.shutdown()
            # `janus1 sweep --ray ADDRESS` joins the running cluster
            from janus1.cli import main as cli_main

            try:
                cli_main(["sweep", analytic, "--ray", cluster.address, "--out", str(stores),
                          "--name", "cluster", "--no-figures", "--json"])
            except SystemExit as exc:
                if exc.code:
                    raise
            s = json.loads((stores / "cluster" / "summary.json").read_text())
            return {"analytic": s, "nodes": len(nodes),
                    "node_ips": sorted({n["NodeManagerAddress"] for n in nodes}),
                    "initialized_after": ray.is_initialized()}
        finally:
            cluster.shutdown()

    def cli_auto() -> object:
        from janus1.cli import main as cli_main

        try:
            cli_main(["sweep", analytic, "--ray", "auto", "--workers", "2", "--out",
                      str(stores), "--name", "auto", "--no-figures", "--json"])
        except SystemExit as exc:
            if exc.code:
                raise
        return {"initialized_after": ray.is_initialized()}

    scenario("local", local)
    scenario("two_nodes", two_nodes)
    scenario("cli_auto", cli_auto)
    (out / "report.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
