"""``janus1 hw schedule MODEL``: the decoder as hardware, cycle by cycle (seed 004 M2-M4)."""

from __future__ import annotations

import click

from .._common import echo_json, json_option, print_table, set_option, warn

__all__ = ["command"]

# model names that mean seed 004's sanity model (not a models preset: janus1.decoder.sanity)
_SANITY = ("sanity", "seed004-small")


@click.group("hw")
def command() -> None:
    """The decoder as hardware: cycle-level schedules of seed 004's datapath."""


def _model(model: str):  # noqa: ANN202
    from ...models import load_spec

    if model.lower() in _SANITY:
        from ...decoder.sanity import sanity_spec

        return sanity_spec(), "seed004-small"
    spec = load_spec(model)
    return spec, (spec.name or "").lower()


@command.command("schedule")
@click.argument("model")
@click.option("--datapath", default=None,
              help="Datapath preset or TOML file (default: the preset named like the model).")
@set_option("mac.lanes=32")
@click.option("--phase", type=click.Choice(["decode", "prefill"]), default="decode",
              show_default=True, help="One decode step per position, or the prefill wavefront.")
@click.option("--prompt", type=int, default=None,
              help="Prefill prompt tokens, 1..seq_len (default: seq_len).")
@click.option("--sampler", type=click.Choice(["argmax", "topk", "topp"]), default="argmax",
              show_default=True, help="Decode: the token choice after the vocabulary scan.")
@click.option("--top-k", type=int, default=40, show_default=True,
              help="Decode: k of the top-k / top-p scans.")
@click.option("--gantt", "gantt", default=None, metavar="FILE.png",
              help="Prefill: write the wavefront's Gantt chart here.")
@json_option
def schedule(model: str, datapath: str | None, overrides: tuple[str, ...], phase: str,
             prompt: int | None, sampler: str, top_k: int, gantt: str | None,
             as_json: bool) -> None:
    """Cycles per token of MODEL (a preset, sanity/seed004-small, or a checkpoint/config path)
    on a datapath: the decode step operation by operation, or the prefill wavefront with
    its KV-RAM hazard check."""
    from ...errors import InputError
    from ...hw import check_fits, datapath_presets, load_datapath

    spec, like = _model(model)
    if datapath is None:
        if like not in datapath_presets():
            raise InputError(f"--datapath: no datapath preset named like model {model!r} "
                             f"(known: {', '.join(datapath_presets())}); pass one")
        datapath = like
    dp = load_datapath(datapath, overrides)
    check_fits(spec, dp)
    if prompt is not None and not 1 <= prompt <= spec.seq_len:
        raise InputError(f"--prompt: {prompt} is outside 1..{spec.seq_len} "
                         f"(the model's seq_len)")
    if top_k < 1:
        raise InputError(f"--top-k: must be at least 1, not {top_k}")
    if phase == "decode":
        from ...hw import decode_schedule

        click.echo(f"scheduling {spec.seq_len} decode steps of {spec.name} on {dp.name}...",
                   err=True)
        res = decode_schedule(spec, dp, sampler=sampler, top_k=top_k)
        if res.port_bound:
            warn("the weight port cannot keep up with the MAC lanes "
                 "(port-bound matvecs; see by_class.stall)")
        if as_json:
            echo_json(res.to_dict())
            return
        _print_decode(res)
        return
    from ...hw import prefill

    click.echo(f"simulating prefill of {prompt or spec.seq_len} tokens of {spec.name} on "
               f"{dp.name}...", err=True)
    pr = prefill(spec, dp, prompt)
    if gantt:
        _gantt(pr, gantt)
    if as_json:
        echo_json(pr.to_dict())
        return
    _print_prefill(pr)


def _gantt(pr: object, path: str) -> None:
    from ...hw.prefill import PrefillResult, plot_gantt
    from ...report.plots import new_figure, save_figure

    assert isinstance(pr, PrefillResult)
    fig, ax = new_figure(10, 3.5)
    plot_gantt(pr.run, ax, max_tokens=16)
    save_figure(fig, path)
    click.echo(f"wrote {path}", err=True)


def _print_decode(res: object) -> None:
    from ...hw.schedule import CLASSES, DecodeSchedule

    assert isinstance(res, DecodeSchedule)
    click.echo(f"{res.model} on {res.datapath}: {res.lanes} MAC lanes ({res.engines} engine), "
               f"{res.clock_hz / 1e6:g} MHz, weights "
               f"{'on chip' if res.weights_on_chip else 'streamed from the external memory'}")
    rows = []
    for k, s in res.positions.items():
        rows.append([f"{k} (pos {s.pos})", s.cycles, *[s.by_class[c] for c in CLASSES],
                     f"{s.tokens_per_s:,.0f}"])
    rows.append(["mean", f"{res.cycles:,.1f}", *[f"{res.by_class[c]:,.1f}" for c in CLASSES],
                 f"{res.tokens_per_s:,.0f}"])
    print_table("decode step (cycles)", ["position", "cycles", *CLASSES, "tokens/s"], rows)
    click.echo(f"MAC utilisation {res.mac_utilisation:.1%}, weight-port utilisation "
               f"{res.weight_port_utilisation:.1%}, {res.macs:,.0f} MACs/token (mean), "
               f"KV reads {res.kv_reads:,.0f} beats/token (mean)")


def _print_prefill(pr: object) -> None:
    from ...hw.prefill import PrefillResult

    assert isinstance(pr, PrefillResult)
    rows = [["wavefront", f"{pr.cycles_per_token:,.1f}", pr.fill_cycles, pr.total_cycles,
             f"{pr.tokens_per_s:,.0f}"],
            ["global FSM", f"{pr.global_fsm_cycles_per_token:,.1f}", "-", pr.global_fsm_cycles,
             f"{pr.n_tokens * pr.clock_hz / pr.global_fsm_cycles:,.0f}"]]
    print_table(f"prefill of {pr.n_tokens} tokens, {pr.model} on {pr.datapath} "
                f"({pr.engines} engine)",
                ["schedule", "cycles/token", "fill", "total", "tokens/s"], rows)
    click.echo(f"speedup vs global FSM {pr.speedup_vs_global_fsm:.2f}x; engines busy after "
               f"the fill: max {pr.max_engines_busy_after_fill}, mean "
               f"{pr.mean_engines_busy_after_fill:.2f}; layers busy: max "
               f"{pr.max_layers_busy_after_fill}, mean {pr.mean_layers_busy_after_fill:.2f}")
    click.echo(f"KV RAM ({pr.collision}, guard {'on' if pr.guard else 'off'}): "
               f"kv_hazards {pr.kv_hazards}, kv_guard_bubbles {pr.kv_guard_bubbles}, "
               f"{pr.kv_reads:,} beats read, {pr.kv_writes:,} written")
