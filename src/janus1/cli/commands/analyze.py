"""``janus1 analyze MODEL``: bytes, FLOPs and the roofline of one model."""

from __future__ import annotations

import click

from ...precision import PRECISION_NAMES
from .._common import echo_json, json_option, print_table, set_option

__all__ = ["command"]


@click.command("analyze")
@click.argument("model")
@click.option("--context", default=4096, show_default=True, type=click.IntRange(min=1),
              help="Tokens in the KV cache (decode) / in the prompt (prefill).")
@click.option("--batch", default=1, show_default=True, type=click.IntRange(min=1),
              help="Sequences at once.")
@click.option("--precision", default="fp16", show_default=True,
              type=click.Choice(PRECISION_NAMES, case_sensitive=False),
              help="Weights (and KV unless --kv-precision).")
@click.option("--kv-precision", default=None,
              type=click.Choice(PRECISION_NAMES, case_sensitive=False),
              help="KV-cache precision (default: --precision).")
@click.option("--group-size", default=None, type=click.IntRange(min=1),
              help="Quantisation group size: adds an FP16 scale and zero point per group.")
@click.option("--symmetric", is_flag=True, help="With --group-size: scales only, no zero points.")
@click.option("--device", default="edge-box", show_default=True,
              help="Device or design preset, or a TOML file, for the roofline.")
@click.option("--counting", default="causal", show_default=True,
              type=click.Choice(["causal", "genz"]),
              help="Prefill counting: causal attention + last-token classifier, or GenZ's.")
@set_option("n_layers=16")
@json_option
def command(model: str, context: int, batch: int, precision: str, kv_precision: str | None,
            group_size: int | None, symmetric: bool, device: str, counting: str,
            overrides: tuple[str, ...], as_json: bool) -> None:
    """Parameters, weight and KV-cache bytes, FLOPs and bytes per token, and the
    roofline time of MODEL (a preset name or a checkpoint/config path) on a device."""
    from ...config import apply_overrides, from_dict, to_dict
    from ...design import load_device
    from ...models import ModelSpec, load_spec
    from ...workload.analysis import analyze

    # --context, --batch and --group-size are checked where click parses them (IntRange)
    spec = load_spec(model)
    if overrides:
        data = apply_overrides(to_dict(spec), [o for o in overrides])
        spec = from_dict(ModelSpec, data, source=f"{model} with --set")
    dev = load_device(device)
    a = analyze(spec, context=context, batch=batch, precision=precision.lower(),
                kv_precision=kv_precision.lower() if kv_precision else None,
                group_size=group_size, device=dev, counting=counting,
                zero_bytes=0.0 if symmetric else 2.0)
    if as_json:
        echo_json(a.to_dict())
        return
    _print(a)


def _print(a: object) -> None:
    from ...units import format_bytes
    from ...workload.analysis import Analysis

    assert isinstance(a, Analysis)
    s = a.spec
    click.echo(f"{s.name or 'model'}: {a.params:,} parameters, {s.n_layers} layers, dim {s.dim}, "
               f"{s.n_heads} heads / {s.n_kv_heads} KV heads x {s.head_dim}")
    click.echo(f"weights {a.precision.name}: {format_bytes(a.weight_bytes)} "
               f"({a.weight_bytes:,.0f} B); KV {a.kv_precision.name}: "
               f"{a.kv_bytes_per_token:,.0f} B/token, {format_bytes(a.kv_bytes)} at "
               f"{a.batch} x {a.context} tokens")
    if a.device is not None:
        click.echo(f"device {a.device.name}: fits={a.fits}, spill beyond "
                   f"{a.device.tiers[0].name}: {format_bytes(a.spill_bytes or 0)}")
    rows = []
    for ph in (a.decode, a.prefill):
        rows.append([ph.phase, f"{ph.flops_per_token:.4g}", f"{ph.bytes_per_token:.4g}",
                     f"{ph.arithmetic_intensity:.3g}", ph.bound or "-",
                     f"{(ph.seconds or 0) * 1e3:.4g}", f"{ph.tokens_per_s or 0:.4g}"])
    print_table("roofline", ["phase", "FLOPs/token", "bytes/token", "FLOP/B", "bound",
                             "time ms", "tokens/s"], rows)
    for n in a.notes + s.notes:
        click.echo(f"note: {n}")
