"""``janus1 validate``: janus1's roofline against llama.cpp on this machine."""

from __future__ import annotations

import click

from .._common import echo_json, json_option, print_table, warn

__all__ = ["command"]


@click.command("validate")
@click.option("--device", "device_files", multiple=True, type=click.Path(dir_okay=False),
              help="A device file from `janus1 device measure` (repeatable, one per thread "
                   "count). Default: measure this machine at one thread and at all threads.")
@click.option("--prompt", default=64, show_default=True, type=click.IntRange(1, 2048),
              help="Prefill tokens.")
@click.option("--decode", default=16, show_default=True, type=click.IntRange(1, 1024),
              help="Decode steps timed.")
@click.option("--models", "models", multiple=True,
              help="Synthetic models to run (repeatable; default: all). See --list.")
@click.option("--format", "formats", multiple=True,
              type=click.Choice(["F16", "Q8_0", "Q4_0"]),
              help="GGUF formats (repeatable; default: F16, Q8_0, Q4_0).")
@click.option("--workdir", default=None, type=click.Path(file_okay=False),
              help="Where the temporary models go (default: the system's temp folder).")
@click.option("--figure", default=None, type=click.Path(dir_okay=False),
              help="Also write the predicted-vs-measured figure (PNG) here.")
@click.option("--list", "list_models", is_flag=True, help="List the synthetic models and exit.")
@json_option
def command(device_files: tuple[str, ...], prompt: int, decode: int, models: tuple[str, ...],
            formats: tuple[str, ...], workdir: str | None, figure: str | None,
            list_models: bool, as_json: bool) -> None:
    """Generate synthetic llama GGUFs (about 10M to 1B parameters; F16, Q8_0, Q4_0) in a
    temporary folder, time llama.cpp on them (prefill and decode, one thread and all
    threads), and compare the measured tokens/s with `janus1 analyze`'s prediction on the
    measured device. Needs llama-cpp-python; removes the models afterwards."""
    import sys
    from pathlib import Path

    from ...errors import InputError
    from ...measure.engine import calibrate_engine
    from ...measure.host import cpu_count, measure_host
    from ...measure.synth import SHAPES
    from ...measure.validate import disk_needed_bytes, validate
    from ...workload.device import load_device

    if list_models:
        if as_json:
            echo_json([{"name": s.name, "params": s.params, "dim": s.dim,
                        "n_layers": s.n_layers, "hidden_dim": s.hidden_dim,
                        "n_heads": s.n_heads, "n_kv_heads": s.n_kv_heads} for s in SHAPES])
            return
        for s in SHAPES:
            click.echo(f"{s.name:12s} {s.params / 1e6:7.1f}M parameters  dim {s.dim}, "
                       f"{s.n_layers} layers, hidden {s.hidden_dim}, heads {s.n_heads}/{s.n_kv_heads}")
        return
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        raise InputError("validate needs llama-cpp-python (pip install 'janus1[compare]')") from None
    known = {s.name: s for s in SHAPES}
    for m in models:
        if m not in known:
            raise InputError(f"--models {m}: unknown (known: {', '.join(known)})")
    shapes = [known[m] for m in models] if models else list(SHAPES)

    def say(msg: str) -> None:
        click.echo(f"validate: {msg}", err=True)

    devices = {}
    if device_files:
        cores = cpu_count()
        for f in device_files:
            dev = load_device(f)
            if dev.measured is None:
                raise InputError(f"{f}: not a measured device (no [measured] table; write one "
                                 "with janus1 device measure)")
            label = "one_thread" if dev.measured.threads == 1 else (
                "all_threads" if dev.measured.threads == cores else f"{dev.measured.threads}_threads")
            if label in devices:
                raise InputError(f"{f}: a second device for {dev.measured.threads} thread(s)")
            if not dev.matvec_ops_per_s:
                warn(f"{f}: no engine terms (janus1 device measure --engine llama.cpp); "
                     "predicting from the micro-kernel peaks alone")
            devices[label] = dev
    else:
        for label, n in (("one_thread", 1), ("all_threads", cpu_count())):
            if label == "all_threads" and n == 1:
                break
            say(f"measuring this machine at {n} thread(s)")
            dev = measure_host(n)
            devices[label] = calibrate_engine(dev, prompt=prompt, progress=say)
    say(f"needs about {disk_needed_bytes(shapes) / 1e9:.1f} GB of free disk for the models")
    res = validate(devices, shapes=shapes, formats=formats or ("F16", "Q8_0", "Q4_0"),
                   prompt=prompt, decode=decode, workdir=Path(workdir) if workdir else None,
                   progress=say)
    if figure:
        from ...measure.figures import validation_figure

        validation_figure(res, Path(figure))
    for n in res.notes:
        warn(n)
    if as_json:
        echo_json(res.to_dict())
        return
    print_table("llama.cpp measured vs janus1 predicted (tokens/s)",
                ["model", "format", "threads", "decode meas", "decode pred", "error",
                 "bound", "prefill meas", "prefill pred", "error"],
                [[r.model, r.format, str(r.threads), f"{r.measured_decode_tokens_per_s:.1f}",
                  f"{r.predicted_decode_tokens_per_s:.1f}", f"{r.decode_error:+.1%}",
                  r.decode_bound, f"{r.measured_prefill_tokens_per_s:.1f}",
                  f"{r.predicted_prefill_tokens_per_s:.1f}", f"{r.prefill_error:+.1%}"]
                 for r in res.rows])

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1%}"

    for lbl in res.labels:
        click.echo(f"{lbl}: decode MAPE (>= 100M params) {pct(res.decode_mape[lbl])}, "
                   f"prefill {pct(res.prefill_mape[lbl])}, small models' decode error "
                   f"{pct(res.small_models_decode_error[lbl])}, roofline without engine "
                   f"terms {pct(res.roofline_only_mape[lbl])}")
    sys.stdout.flush()
