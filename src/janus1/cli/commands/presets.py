"""``janus1 presets``: every shipped preset (models, devices, designs, ...) and its source."""

from __future__ import annotations

import click

from .._common import echo_json, json_option

__all__ = ["command"]


@click.command("presets")
@click.argument("kind", required=False)
@json_option
def command(kind: str | None, as_json: bool) -> None:
    """List presets by kind (all kinds by default) with the source of their numbers."""
    from ...errors import InputError
    from ...presets import load_preset, preset_kinds, preset_names

    kinds = preset_kinds()
    if kind is not None:
        if kind not in kinds:
            raise InputError(f"unknown preset kind {kind!r} (known: {', '.join(kinds)})")
        kinds = [kind]
    out: dict[str, list[dict[str, str]]] = {}
    for k in kinds:
        out[k] = [{"name": n, "source": str(load_preset(k, n).get("source", ""))}
                  for n in preset_names(k)]
    if as_json:
        echo_json(out)
        return
    for k, items in out.items():
        click.echo(f"{k}:")
        for it in items:
            click.echo(f"  {it['name']:18s} {it['source']}")
