"""The inference engine's terms of a device, measured once per device with llama.cpp.

A CPU runs the decode phase's matrix-vector products far below its matrix-multiply peak
(each weight is used once per token, so the kernel is limited by unpacking and by the
dot-product instructions, not by reuse), and every forward pass pays a fixed cost (graph
build, thread dispatch, sampling buffers). :func:`calibrate_engine` measures both on this
machine with llama.cpp itself, on two calibration models that are not among the
validation models (:data:`CALIBRATION`), for each file format:

    t_step = overhead + MACs per token / rate        (two models: two equations)

``rate`` (2 ops per MAC) becomes the device's ``matvec_ops_per_s`` for the format's
precision and ``overhead`` (the median over formats) its ``step_overhead_s``; a prompt of
P tokens on the same two models gives the matrix-product rate ``matmul_ops_per_s`` the
same way (2 P x MAC difference / time difference) for the prefill phase. The
calibration models are small enough to sit in the last-level cache, so the rate is the
kernel's, not the memory's; the roofline still takes the larger of that compute time
and the memory time for every product (:func:`janus1.workload.analyze`). One device file
describes one thread count, so the terms are measured at the device's thread count.
"""

from __future__ import annotations

import dataclasses
import statistics
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import InputError
from ..workload.device import DeviceSpec
from .synth import FORMAT_PRECISION, FORMATS, SynthShape, quantize, write_llama_gguf

__all__ = ["CALIBRATION", "calibrate_engine", "macs_per_token"]

CALIBRATION = (
    SynthShape(name="cal-a", dim=512, n_layers=2, hidden_dim=1536, n_heads=8, n_kv_heads=8),
    SynthShape(name="cal-b", dim=1024, n_layers=6, hidden_dim=2816, n_heads=16, n_kv_heads=16),
)
REPEATS = 3  # runs per calibration model and format (the fastest counts)


def macs_per_token(shape: SynthShape) -> int:
    """Weight MACs of one decode step (all layers and the classifier; no embedding)."""
    from .synth import VOCAB

    return shape.params - VOCAB * shape.dim - (2 * shape.n_layers + 1) * shape.dim


def calibrate_engine(device: DeviceSpec, *, formats: Sequence[str] = tuple(FORMATS),
                     decode: int = 24, prompt: int = 64, workdir: Path | None = None,
                     progress: Callable[[str], None] | None = None) -> DeviceSpec:
    """``device`` with ``matvec_ops_per_s`` and ``step_overhead_s`` measured with llama.cpp
    at the device's thread count.

    Raises:
        InputError: llama-cpp-python missing, a device without ``measured.threads``, or
            timings that give no positive rate (a machine too busy to measure).
    """
    from .validate import time_llama_cpp

    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        raise InputError("--engine llama.cpp needs llama-cpp-python "
                         "(pip install 'janus1[compare]')") from None
    if device.measured is None:
        raise InputError(f"device {device.name}: no [measured] table (thread count unknown)")
    threads = device.measured.threads
    say = progress or (lambda m: None)
    small, big = CALIBRATION
    rates: dict[str, float] = {}
    mm_rates: dict[str, float] = {}
    overheads: list[float] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="janus1-engine-", dir=workdir) as tmp:
        steps: dict[tuple[str, str], float] = {}
        prompts: dict[tuple[str, str], float] = {}
        for shape in CALIBRATION:
            f16 = write_llama_gguf(Path(tmp) / f"{shape.name}-F16.gguf", shape)
            for fmt in formats:
                path = f16 if fmt == "F16" else quantize(
                    f16, Path(tmp) / f"{shape.name}-{fmt}.gguf", fmt, threads=threads)
                say(f"engine: {shape.name} {fmt}, {threads} thread(s)")
                # the fastest of REPEATS runs: interference from the rest of the machine
                # only ever slows a run down, and the rate is a difference of two runs
                runs = [time_llama_cpp(path, threads=threads, prompt=prompt, decode=decode)
                        for _ in range(REPEATS)]
                steps[(shape.name, fmt)] = min(1.0 / t.decode_tokens_per_s for t in runs)
                prompts[(shape.name, fmt)] = min(t.prompt_s for t in runs)
        for fmt in formats:
            dt = steps[(big.name, fmt)] - steps[(small.name, fmt)]
            dm = macs_per_token(big) - macs_per_token(small)
            if dt <= 0:
                raise InputError(f"engine calibration: {fmt} steps did not grow with the model "
                                 "(is the machine busy?); measure again")
            sec_per_mac = dt / dm
            rates[FORMAT_PRECISION[fmt][0]] = 2.0 / sec_per_mac
            overheads.append(max(0.0, steps[(small.name, fmt)] - macs_per_token(small) * sec_per_mac))
            dp = prompts[(big.name, fmt)] - prompts[(small.name, fmt)]
            if dp > 0:
                mm_rates[FORMAT_PRECISION[fmt][0]] = 2.0 * prompt * dm / dp
            else:  # prefill keeps the micro-kernel peak for this precision; say so
                skipped.append(fmt)
    m = device.measured
    kernel = (f"llama.cpp decode steps (median of {decode}, fastest of {REPEATS} runs) and one "
              f"{prompt}-token prompt on two "
              f"synthetic calibration models ({small.name}: {macs_per_token(small) / 1e6:.0f}M "
              f"MACs/token, {big.name}: {macs_per_token(big) / 1e6:.0f}M) per format; rate = "
              "2 x MAC difference / time difference (matvec: decode, matmul: prompt), "
              "overhead = the rest of a decode step (median over formats)"
              + (f"; no matmul rate for {', '.join(skipped)}: its prompts did not grow with "
                 "the model (a busy machine), prefill uses the micro-kernel peak"
                 if skipped else ""))
    return dataclasses.replace(
        device, matvec_ops_per_s=rates, matmul_ops_per_s=mm_rates, step_overhead_s=statistics.median(overheads),
        measured=dataclasses.replace(
            m, engine=f"llama.cpp (llama-cpp-python {getattr(llama_cpp, '__version__', '?')})",
            engine_kernel=kernel))
