"""``janus1 tile``: cycles and utilisation of one GEMM on a systolic array."""

from __future__ import annotations

import click

from ...tech.tile import TILE_PRECISIONS
from .._common import echo_json, json_option

__all__ = ["command"]


@click.command("tile")
@click.option("--rows", default=16, show_default=True, type=click.IntRange(min=1),
              help="PE rows.")
@click.option("--cols", default=16, show_default=True, type=click.IntRange(min=1),
              help="PE columns.")
@click.option("--dataflow", default="os", show_default=True, help="os, ws or is.")
@click.option("--precision", default="int8", show_default=True,
              type=click.Choice(TILE_PRECISIONS, case_sensitive=False),
              help="int8, int4 (2 MACs/PE/cycle), fp16 or bf16 (1/2).")
@click.option("--gemm", nargs=3, type=click.IntRange(min=1), required=True, metavar="M K N",
              help="C[M,N] = A[M,K] B[K,N]; M=1 is a GEMV (decode).")
@click.option("--node", default=None, help="Also report MAC energy at this node.")
@json_option
def command(rows: int, cols: int, dataflow: str, precision: str, gemm: tuple[int, int, int],
            node: str | None, as_json: bool) -> None:
    """Cycles (SCALE-Sim 3.0 convention) and utilisation of one GEMM."""
    from ...tech import mac_energy_pj, tile_cycles

    m, k, n = gemm
    r = tile_cycles(rows, cols, m, k, n, dataflow=dataflow, precision=precision)
    out = {"rows": rows, "cols": cols, "dataflow": r.dataflow, "precision": r.precision,
           "M": m, "K": k, "N": n, "folds": r.folds, "cycles": r.cycles, "macs": r.macs,
           "utilization": r.utilization}
    if node is not None:
        e = mac_energy_pj(precision, node)
        out["mac_energy_pj"] = e
        out["energy_pj"] = e * r.macs
    if as_json:
        echo_json(out)
        return
    for key, v in out.items():
        click.echo(f"{key:>14}: {v:.4g}" if isinstance(v, float) else f"{key:>14}: {v}")
