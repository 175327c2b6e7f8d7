"""``janus1 simulate``: run a trace (a file or an LLM inference stream) through a hierarchy."""

from __future__ import annotations

from typing import Any

import click

from ...precision import PRECISION_NAMES
from .._common import echo_json, json_option, print_table, set_option

__all__ = ["command"]


@click.command("simulate")
@click.option("--hierarchy", "hierarchy", required=True, metavar="FILE.toml|PRESET",
              help="Hierarchy TOML file or preset (janus-1, two-level).")
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False), default=None,
              help="Trace file (.npy, .npz, Dinero .din, Ramulator, DRAMSim3).")
@click.option("--trace-format", default=None,
              type=click.Choice(["npy", "npz", "din", "ramulator", "dramsim3"]),
              help="Trace format (default: from the extension or the content).")
@click.option("--model", default=None, help="Model preset or file: generate its trace.")
@click.option("--phase", default="decode", show_default=True,
              type=click.Choice(["decode", "prefill"]), help="Inference phase to trace.")
@click.option("--context", default=None, type=click.IntRange(min=0),
              help="Decode: tokens already cached (default seq_len - tokens). "
                   "Prefill: prompt tokens (default 128).")
@click.option("--batch", default=1, show_default=True, type=click.IntRange(min=1),
              help="Sequences.")
@click.option("--precision", default="int8", show_default=True,
              type=click.Choice(PRECISION_NAMES, case_sensitive=False),
              help="Weight and KV precision.")
@click.option("--tokens", default=1, show_default=True, type=click.IntRange(min=1),
              help="Decode steps.")
@click.option("--layers", default=None, type=click.IntRange(min=1),
              help="Trace only the first N layers (a scaled-down run).")
@click.option("--access-bytes", default=8, show_default=True, type=click.IntRange(min=1),
              help="Bytes per generated access.")
@click.option("--prefetcher", default="stream", show_default=True,
              help="none, next-line, stride or stream (Janus-Prefetch-1).")
@click.option("--prefetch-opt", "prefetch_opts", multiple=True, metavar="KEY=VALUE",
              help="Prefetcher parameter, e.g. --prefetch-opt lookahead=16. Repeatable.")
@click.option("--dram", "dram", default=None, metavar="PRESET|FILE.ini",
              help="Put a DRAM model behind the hierarchy: a `janus1 dram` preset (e.g. "
                   "lpddr5x-8533) or a DRAMsim3 .ini/TOML file (the override "
                   "memory.dram=...; --set memory.dram_set=[...] adjusts it).")
@click.option("--counts-only", is_flag=True,
              help="Exact functional model only: hits, misses, evictions (no timing).")
@set_option("level.T1-SRAM.size=16MiB")
@json_option
def command(hierarchy: str, trace_path: str | None, trace_format: str | None,
            model: str | None, phase: str, context: int | None, batch: int, precision: str,
            tokens: int, layers: int | None, access_bytes: int, prefetcher: str,
            prefetch_opts: tuple[str, ...], dram: str | None, counts_only: bool,
            overrides: tuple[str, ...], as_json: bool) -> None:
    """Simulate a memory trace through a cache/scratchpad hierarchy with a prefetcher."""
    from ...config import parse_override
    from ...errors import InputError
    from ...sim import Simulator, load_hierarchy

    if (trace_path is None) == (model is None):
        raise InputError("give exactly one of --trace FILE or --model M")
    if dram is not None:
        overrides = (*overrides, _dram_override(dram))
    h = load_hierarchy(hierarchy, overrides)
    opts: dict[str, Any] = {}
    for item in prefetch_opts:
        path, value = parse_override(item)
        opts[".".join(path)] = value
    sim = Simulator(h, prefetcher=prefetcher, counts_only=counts_only, prefetch_options=opts)
    source: dict[str, Any]
    if trace_path is not None:
        from ...trace import detect_format, read_trace

        fmt = trace_format or detect_format(trace_path)
        chunks = read_trace(trace_path, fmt=fmt, access_bytes=access_bytes)
        source = {"trace": trace_path, "format": fmt}
    else:
        from ...models import load_spec
        from ...trace import model_trace

        spec = load_spec(model)  # type: ignore[arg-type]
        if context is None:
            context = max(0, spec.seq_len - tokens) if phase == "decode" else min(
                128, spec.seq_len)
        chunks = model_trace(spec, phase=phase, precision=precision, context=context,
                             batch=batch, tokens=tokens, access_bytes=access_bytes,
                             n_layers=layers)
        source = {"model": spec.name or model, "phase": phase, "precision": precision,
                  "context": context, "batch": batch, "tokens": tokens, "layers": layers,
                  "access_bytes": access_bytes}
    _run(sim, chunks)
    res = sim.result()
    if as_json:
        echo_json({"input": source, **res.to_dict()})
        return
    _print(res, source)


def _dram_override(dram: str) -> str:
    """``memory.dram="..."`` for ``--dram``, after checking the name or file loads (a bad
    one is an error naming ``--dram`` and the value)."""
    from ...errors import ConfigError, InputError
    from ...sim.dram import load_dram

    if not dram.strip():
        raise InputError("--dram: empty; give a DRAM preset or a .ini/TOML file")
    try:
        load_dram(dram, [])
    except (ConfigError, InputError) as exc:
        msg = str(exc)
        raise type(exc)(f"--dram: {msg}" if msg.startswith(dram) else
                        f"--dram {dram}: {msg}") from None
    quoted = dram.replace("\\", "\\\\").replace('"', '\\"')
    return f'memory.dram="{quoted}"'


def _run(sim: Any, chunks: Any) -> None:
    import sys

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(file=sys.stderr)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("simulating", total=None)
        n = 0
        for c in chunks:
            sim.feed(c)
            n += len(c)
            bar.update(task, description=f"simulating: {n:,} accesses")


def _print(res: Any, source: dict[str, Any]) -> None:
    def fmt_bw(v: float | None) -> str:
        return "-" if v is None else f"{v / 1e9:.2f} GB/s"

    rows = [[lv.name, f"{lv.hits:,}", f"{lv.misses:,}", f"{lv.hit_rate:.4%}",
             f"{lv.evictions:,}", f"{lv.writebacks:,}", f"{lv.bytes_moved:,}",
             fmt_bw(lv.bandwidth_bytes_per_s)] for lv in res.levels]
    m = res.memory
    rows.append([m["name"], "", f"{m['reads']:,} reads", "", "", f"{m['writes']:,}",
                 f"{m['bytes_moved']:,}", fmt_bw(m["bandwidth_bytes_per_s"])])
    what = ", ".join(f"{k}={v}" for k, v in source.items() if v is not None)
    print_table(f"{res.hierarchy}: {res.accesses:,} accesses ({what}), prefetcher "
                f"{res.prefetcher}", ["level", "hits", "misses", "hit rate", "evictions",
                                      "write-backs", "bytes moved", "bandwidth"], rows)
    if not res.counts_only:
        lat = res.latency
        print_table(f"latency (cycles of the first level's clock); {res.cycles:,} cycles, "
                    f"{res.stall_cycles:,} stall cycles",
                    list(lat), [[("-" if v is None else f"{v:.4g}") for v in lat.values()]])
    _print_memory(m)
    p = res.prefetch
    if p["name"] != "none":
        keys = ["issued", "useful", "late", "useless", "dropped", "coverage", "accuracy"]
        print_table("prefetch", keys, [[("-" if p[k] is None else
                                         (f"{p[k]:.3f}" if isinstance(p[k], float) else
                                          f"{p[k]:,}")) for k in keys]])


def _print_memory(m: dict[str, Any]) -> None:
    """The backing store's model and, with a DRAM model, its figures."""
    util = m.get("utilization")
    bw = m.get("bandwidth_bytes_per_s")
    use = ("" if bw is None or util is None else
           f"; achieved {bw / 1e9:.2f} GB/s = {util:.1%} of the "
           f"{m['peak_bandwidth_bytes_per_s'] / 1e9:.2f} GB/s peak")
    if m.get("dram") is None:
        click.echo(f"{m['name']}: {m.get('model', 'fixed-latency')}, "
                   f"{m['idle_latency_ns']:g} ns{use}")
        return
    click.echo(f"{m['name']}: DRAM model {m['dram']} ({m['model']}), idle read latency "
               f"{m['idle_latency_ns']:.2f} ns{use}")
    if m.get("read_cmds") is None:
        return
    keys = ["row-hit rate", "RD", "WR", "ACT", "PRE", "REF", "mean read ns", "energy µJ",
            "background µJ", "refresh µJ"]

    def f(v: Any, fmt: str) -> str:
        return "-" if v is None else format(v, fmt)

    print_table(f"{m['name']} DRAM model {m['dram']} (energy: IDD model, core rail, no I/O)",
                keys, [[f(m["row_hit_rate"], ".4f"), f"{m['read_cmds']:,}",
                        f"{m['write_cmds']:,}", f"{m['act_cmds']:,}", f"{m['pre_cmds']:,}",
                        f"{m['ref_cmds']:,}", f(m["dram_read_latency_mean_ns"], ".1f"),
                        f(m["energy_pj"] and m["energy_pj"] * 1e-6, ".4g"),
                        f(m["energy_background_pj"] and m["energy_background_pj"] * 1e-6,
                          ".4g"),
                        f(m["energy_refresh_pj"] and m["energy_refresh_pj"] * 1e-6, ".4g")]])
