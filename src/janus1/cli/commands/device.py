"""``janus1 device measure``: this machine as a device file (bandwidth, peaks, caches)."""

from __future__ import annotations

import click

from .._common import echo_json, json_option, print_table

__all__ = ["command"]


@click.group("device")
def command() -> None:
    """Devices measured on this machine."""


@command.command("measure")
@click.option("-o", "--output", "output", default=None, type=click.Path(dir_okay=False),
              help="Write the device TOML here (default: print it).")
@click.option("--threads", default=None, type=click.IntRange(min=1),
              help="Threads every kernel uses (default: all cores this process may use).")
@click.option("--quick", is_flag=True, help="Small, rough kernels (seconds instead of ~a minute).")
@click.option("--engine", default="none", show_default=True,
              type=click.Choice(["none", "llama.cpp"]),
              help="Also measure an inference engine's terms (decode matrix-vector rate per "
                   "precision, fixed time per forward pass) on two small synthetic models "
                   "(needs llama-cpp-python; about a minute).")
@json_option
def measure(output: str | None, threads: int | None, quick: bool, engine: str,
            as_json: bool) -> None:
    """Measure memory bandwidth, FP32 and INT8 matrix-multiply peaks and cache sizes at
    one thread count, and write them as a device TOML that says how each was measured."""
    from pathlib import Path

    from ...config import to_dict
    from ...measure.host import device_toml, measure_host
    from ...report import atomic_write_text

    dev = measure_host(threads, quick=quick)
    if engine == "llama.cpp":
        from ...measure.engine import calibrate_engine

        dev = calibrate_engine(dev, progress=lambda m: click.echo(m, err=True))
    text = device_toml(dev)
    if output is not None:
        atomic_write_text(Path(output), text)
    if as_json:
        echo_json(to_dict(dev))
        return
    if output is None:
        click.echo(text, nl=False)
        return
    m = dev.measured
    assert m is not None
    print_table(f"{dev.name}: {m.cpu}", ["quantity", "value", "kernel"], [
        ["DRAM bandwidth", f"{dev.tiers[0].bandwidth_bytes_per_s / 1e9:.2f} GB/s", m.bandwidth_kernel],
        ["FP32 peak", f"{dev.peak_ops_per_s['fp32'] / 1e9:.1f} GFLOP/s", m.fp32_kernel],
        ["INT8 peak", f"{dev.peak_ops_per_s['int8'] / 1e9:.1f} GOP/s", m.int8_kernel],
        ["caches", f"L1d {m.l1d_bytes >> 10} KiB, L2 {m.l2_bytes >> 20} MiB, "
                   f"L3 {m.l3_bytes >> 20} MiB", "/sys/devices/system/cpu/cpu0/cache"],
    ])
    if dev.matvec_ops_per_s:
        print_table("engine terms", ["term", "value"],
                    [[f"matvec {k}", f"{v / 1e9:.2f} GOP/s"] for k, v in dev.matvec_ops_per_s.items()]
                    + [["step overhead", f"{dev.step_overhead_s * 1e3:.3f} ms"]])
    click.echo(f"wrote {output}")
