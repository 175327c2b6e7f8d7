"""``janus1 dram``: replay a memory trace through a cycle-level DRAM model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .._common import echo_json, json_option

__all__ = ["command", "dram_report"]


def _line_of(path: Path, index: int) -> int:
    """The 1-based line of the ``index``-th request (blank lines skipped) of a text trace."""
    k = -1
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                k += 1
                if k == index:
                    return lineno
    return index + 1  # pragma: no cover


def _janus1_trace(p: Path) -> tuple[Any, Any, str]:
    """(addresses, is_write, format) of a trace in one of janus1's own formats."""
    import numpy as np

    from ...trace import detect_format, read_trace

    addrs, writes = [], []
    for ch in read_trace(p):
        addrs.append(np.asarray(ch.addr, dtype=np.int64))
        writes.append(np.zeros(len(ch.addr), np.int8) if ch.kind is None
                      else (np.asarray(ch.kind) == 1).astype(np.int8))
    a = np.concatenate(addrs) if addrs else np.zeros(0, np.int64)
    w = np.concatenate(writes) if writes else np.zeros(0, np.int8)
    return a, w, detect_format(p)


def dram_report(trace: str, dram: str, overrides: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run ``trace`` on ``dram``; the JSON report (``cycles``, ``read_latency_mean``,
    ``row_hit_rate`` first, then counts, energy, percentiles, the configuration)."""
    from ...errors import InputError
    from ...sim.dram import first_out_of_range, load_dram, read_dram_trace, simulate_dram

    spec = load_dram(dram, overrides)
    tr = read_dram_trace(trace, read_other=_janus1_trace)
    bad = first_out_of_range(spec, tr.addresses)
    if bad >= 0:
        where = (f"{trace}:{_line_of(Path(trace), bad)}" if tr.fmt in ("dramsim3", "din",
                                                                          "ramulator")
                 else f"{trace}: access {bad}")
        raise InputError(f"{where}: address {int(tr.addresses[bad]):#x} is beyond the "
                         f"capacity of {spec.name} ({spec.capacity_bytes} bytes, "
                         f"{spec.address_bits} address bits)")
    res = simulate_dram(spec, tr.addresses, tr.is_write, tr.cycles)
    out = res.stats.to_dict()
    out["trace"] = {"path": str(trace), "format": tr.fmt, "timed": tr.cycles is not None}
    out["dram"] = spec.to_dict()
    return out


@click.command("dram")
@click.argument("trace", type=click.Path(dir_okay=False))
@click.option("--dram", "dram", required=True, metavar="PRESET|FILE.ini",
              help="A DRAM preset (janus1 presets drams) or a DRAMsim3 .ini / TOML file.")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Override a configuration value, e.g. --set timing.tRCD=20. Repeatable.")
@json_option
def command(trace: str, dram: str, overrides: tuple[str, ...], as_json: bool) -> None:
    """Replay TRACE through a DRAM model (DRAMsim3's controller policy, event-driven).

    Requests are admitted as DRAMsim3's trace front-end admits them: one per cycle, in
    trace order, not before the line's cycle, blocked while the target queue is full.
    """
    rep = dram_report(trace, dram, overrides)
    if as_json:
        echo_json(rep)
        return
    from .._common import print_table

    d, lat, e = rep["dram"], rep["read_latency"], rep["energy"]

    def f(x: float | None, fmt: str = ".1f") -> str:
        return "-" if x is None else format(x, fmt)

    rows = [
        ("configuration", f"{d['name']} ({d['protocol']}, {d['channels']} ch x {d['ranks']} "
                          f"ranks x {d['banks']} banks, tCK {d['tck_ns']} ns)"),
        ("requests", f"{rep['requests']} ({rep['reads']} reads, {rep['writes']} writes)"),
        ("cycles", f"{rep['cycles']} ({rep['time_ns'] / 1e3:.1f} us)"),
        ("bandwidth", f"{rep['bandwidth_bytes_per_s'] / 1e9:.2f} GB/s of "
                      f"{rep['peak_bandwidth_bytes_per_s'] / 1e9:.2f} "
                      f"(efficiency {rep['efficiency']:.3f})"),
        ("read latency (cycles)", f"mean {f(lat['mean'])}, p50 {f(lat['p50'], '.0f')}, "
                                  f"p99 {f(lat['p99'], '.0f')}, max {f(lat['max'], '.0f')}"),
        ("read row-hit rate", f(rep["row_hit_rate"], ".4f")),
        ("commands", f"ACT {rep['act_cmds']}, PRE {rep['pre_cmds']}, RD {rep['read_cmds']}, "
                     f"WR {rep['write_cmds']}, REF {rep['ref_cmds']}, REFb {rep['refb_cmds']}"),
        ("energy", f"{e['total'] / 1e6:.2f} uJ ({f(rep['energy_pj_per_bit'], '.2f')} pJ/bit, "
                   f"{rep['average_power_mw']:.0f} mW)"),
    ]
    print_table(f"janus1 dram: {trace}", ["", "value"], rows)
