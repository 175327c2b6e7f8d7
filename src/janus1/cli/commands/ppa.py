"""``janus1 ppa``: area, power, throughput and junction temperature of a design."""

from __future__ import annotations

import click

from .._common import echo_json, json_option, print_table, set_option

__all__ = ["command"]


@click.command("ppa")
@click.argument("design")
@click.option("--model", default="llama-2-7b", show_default=True, help="Model preset or file.")
@click.option("--context", default=4096, show_default=True, type=int, help="KV-cache tokens.")
@click.option("--precision", default="int4", show_default=True, help="Weight precision.")
@click.option("--kv-precision", default=None, help="KV precision (default: --precision).")
@set_option
@json_option
def command(design: str, model: str, context: int, precision: str, kv_precision: str | None,
            overrides: tuple[str, ...], as_json: bool) -> None:
    """Power, performance and area of DESIGN (a preset or a TOML file) decoding MODEL."""
    from ...design import load_design, ppa
    from ...models import load_spec

    d = load_design(design, overrides)
    r = ppa(d, load_spec(model), context=context, precision=precision,
            kv_precision=kv_precision)
    if as_json:
        echo_json(r.to_dict())
        return
    print_table(f"{r.design}: area {r.area_mm2:.1f} mm²",
                ["block", "mm²"], [[k, f"{v:.2f}"] for k, v in r.area_breakdown_mm2.items()])
    print_table(f"{r.design}: power {r.power_w:.3f} W at Tj {r.junction_c:.1f} °C "
                f"({r.package}, {r.ambient_c:g} °C ambient, margin {r.thermal_margin_c:.1f} °C)",
                ["part", "W"], [[k, f"{v:.4f}"] for k, v in r.power_breakdown_w.items()])
    click.echo("peak TOPS: " + ", ".join(f"{k} {v:.3f}" for k, v in r.tops.items()))
    click.echo(f"{r.model} ctx {r.context} {r.precision}: {r.tokens_per_s:.2f} tokens/s, "
               f"{r.joules_per_token:.3f} J/token, memory {r.memory_pj_per_bit:.2f} pJ/bit")
    for w in r.warnings:
        click.echo(f"warning: {w}", err=True)
