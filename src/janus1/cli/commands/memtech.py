"""``janus1 memtech``: compare SRAM, eDRAM and STT-MRAM macros of one capacity and node."""

from __future__ import annotations

from typing import Any

import click

from .._common import check_finite, echo_json, finite_float, json_option, print_table, warn

__all__ = ["command", "memtech_rows"]

# The seed's "MB/W" (capacity / total power) rewards a large idle memory and ignores
# how much data it delivers. janus1 reports the energy per bit delivered at a stated
# access rate instead: (static + dynamic power) / (bits read per second). It is what a
# decode step pays per bit it streams, it falls as a memory is used more (static power
# amortised) and it can be compared across capacities. mW per MiB retained is also
# given, the cost of just holding data.
DEFAULT_BANDWIDTH = "64GB/s"


def memtech_rows(capacity_bytes: int, node: str, *, techs: list[tuple[str, str | None]],
                 banks: int, temperature_c: float, bandwidth_bytes_per_s: float,
                 block_bytes: int = 64) -> list[dict[str, Any]]:
    """One dict per (technology, cell) with the ``technologies`` JSON keys."""
    from ...errors import ConfigError
    from ...tech import RETICLE_LIMIT_MM2, macro

    rows = []
    rate = bandwidth_bytes_per_s / block_bytes
    for tech, cell in techs:
        m = macro(tech, capacity_bytes, node, cell=cell, banks=banks, block_bytes=block_bytes,
                  temperature_c=temperature_c)
        if m.area_mm2 > RETICLE_LIMIT_MM2 and len(techs) == 1:
            raise ConfigError(m.warnings[-1])
        static_w = m.static_mw * 1e-3
        dyn_w = m.dynamic_w(rate)
        rows.append({
            "tech": m.tech, "cell": m.cell, "node_nm": m.node_nm,
            "capacity_bytes": m.capacity_bytes, "banks": m.banks,
            "area_mm2": m.area_mm2, "density_mbit_per_mm2": m.density_mbit_per_mm2,
            "read_energy_pj": m.read_energy_pj, "write_energy_pj": m.write_energy_pj,
            "leakage_mw": m.leakage_mw, "refresh_mw": m.refresh_mw,
            "retention_us": m.retention_us, "latency_ns": m.latency_ns,
            "write_latency_ns": m.write_latency_ns,
            "static_w": static_w, "dynamic_w": dyn_w, "total_w": static_w + dyn_w,
            "pj_per_bit_delivered": (static_w + dyn_w) / (bandwidth_bytes_per_s * 8) * 1e12,
            "static_mw_per_mib": m.static_mw / (capacity_bytes / 2 ** 20),
            "temperature_c": m.temperature_c, "warnings": list(m.warnings),
        })
    return rows


@click.command("memtech")
@click.option("--capacity", default="224MiB", show_default=True, help="Macro capacity.")
@click.option("--node", default="3nm", show_default=True, help="Process node (90nm..3nm).")
@click.option("--tech", "tech", default=None,
              help="Only this technology: sram, edram or mram (default: all cells).")
@click.option("--cell", default=None,
              help="Cell type: itrs-hp, itrs-lstp, lp-dram, comm-dram, stt-mram.")
@click.option("--banks", default=16, show_default=True, type=click.IntRange(min=1),
              help="Banks.")
@click.option("--temperature", default=85.0, show_default=True,
              type=finite_float(-273.15, min_open=True),
              help="Junction temperature (°C) for leakage and refresh.")
@click.option("--bandwidth", default=DEFAULT_BANDWIDTH, show_default=True,
              help="Read traffic assumed for dynamic power (64-B accesses).")
@json_option
def command(capacity: str, node: str, tech: str | None, cell: str | None, banks: int,
            temperature: float, bandwidth: str, as_json: bool) -> None:
    """Compare memory technologies for one macro (the seed's step-3 table, recomputed)."""
    from ...errors import ConfigError
    from ...tech import CELLS, check_cell, parse_node
    from ...units import parse_bandwidth, parse_bytes

    cap = parse_bytes(capacity, what="--capacity")
    if cap <= 0:
        raise ConfigError(f"--capacity must be positive, not {capacity}")
    bw = check_finite(parse_bandwidth(bandwidth, what="--bandwidth"), "--bandwidth",
                      positive=True)
    info = parse_node(node, what="--node")
    if tech is None and cell is None:
        techs: list[tuple[str, str | None]] = [(CELLS[c], c) for c in CELLS]
    else:
        techs = [check_cell(tech, cell)]
    rows = memtech_rows(cap, info.label.split()[0], techs=techs, banks=banks,
                        temperature_c=temperature, bandwidth_bytes_per_s=bw)
    if as_json:
        echo_json({"capacity_bytes": cap, "node_nm": info.node_nm, "banks": banks,
                   "temperature_c": temperature,
                   "access_rate": {"bandwidth_bytes_per_s": bw, "block_bytes": 64,
                                   "accesses_per_s": bw / 64, "reads": 1.0},
                   "metric": "pj_per_bit_delivered = (static_w + dynamic_w) / (bandwidth x 8); "
                             "replaces the seed's MB/W",
                   "technologies": rows})
        return
    print_table(
        f"{cap / 2**20:g} MiB at {info.label}, {banks} banks, Tj {temperature:g} °C, "
        f"reads at {bw / 1e9:g} GB/s",
        ["tech", "cell", "area mm²", "read pJ", "dynamic W", "leakage W", "refresh W",
         "total W", "latency ns", "pJ/bit delivered", "mW/MiB held"],
        [[r["tech"], r["cell"], f"{r['area_mm2']:.1f}", f"{r['read_energy_pj']:.0f}",
          f"{r['dynamic_w']:.3f}", f"{r['leakage_mw'] / 1e3:.3f}", f"{r['refresh_mw'] / 1e3:.3f}",
          f"{r['total_w']:.3f}", f"{r['latency_ns']:.1f}", f"{r['pj_per_bit_delivered']:.2f}",
          f"{r['static_mw_per_mib']:.2f}"] for r in rows], keys=2)
    for r in rows:
        for w in r["warnings"]:
            warn(w)
