"""janus1's roofline held against llama.cpp on this machine.

For each synthetic llama model (:data:`~janus1.measure.synth.SHAPES`, about 10M to about
1B parameters) and each file format (F16, Q8_0, Q4_0), llama.cpp is timed on a prefill of
``prompt`` tokens and ``decode`` single-token steps, at one thread and at all threads; the
same model, read back from the very GGUF file, goes through :func:`janus1.workload.analyze`
on the device measured at that thread count. Errors are (predicted - measured) / measured
of tokens per second.

How a llama.cpp file maps onto janus1's precisions (ggml's block layouts, ``ggml-common.h``):
F16 -> fp16; Q8_0 (32 int8 + one FP16 scale per block) -> int8, group 32, symmetric;
Q4_0 (32 4-bit + one FP16 scale) -> int4, group 32, symmetric. The KV cache is llama.cpp's
default F16. llama.cpp's quantizer keeps the classifier (``output.weight``) in a wider
type (Q6_K for Q4_0 files, Q8_0 for Q8_0 files); the prediction counts that matrix at the
file's own bytes per weight, which the report states as a known gap.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..workload.device import DeviceSpec
from .synth import (FORMAT_PRECISION, FORMATS, SHAPES, SynthShape, file_bytes_estimate,
                    quantize, write_llama_gguf)

__all__ = ["ValidationRow", "ValidationResult", "validate", "predict", "time_llama_cpp",
           "HEADLINE_MIN_PARAMS", "disk_needed_bytes", "LlamaTiming"]

HEADLINE_MIN_PARAMS = 100_000_000   # the population for the decode MAPE
RUN_TIMEOUT_S = 900


@dataclass(frozen=True, slots=True, kw_only=True)
class LlamaTiming:
    """llama.cpp's wall-clock on one file at one thread count."""

    prompt_s: float                 # one eval of the whole prompt
    prompt_tokens: int
    decode_step_s: tuple[float, ...]  # one per decode step
    repack: bool                    # llama.cpp's extra (repacked) buffer types were used

    @property
    def prefill_tokens_per_s(self) -> float:
        return self.prompt_tokens / self.prompt_s

    @property
    def decode_tokens_per_s(self) -> float:
        """Tokens per second over the median step (robust to a stray slow step)."""
        s = sorted(self.decode_step_s)
        mid = len(s) // 2
        med = s[mid] if len(s) % 2 else 0.5 * (s[mid - 1] + s[mid])
        return 1.0 / med


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationRow:
    """One model, one file format, one thread count."""

    model: str
    params: int
    format: str
    threads: int
    threads_label: str             # "one_thread" or "all_threads"
    file_bytes: int
    measured_decode_tokens_per_s: float
    predicted_decode_tokens_per_s: float
    measured_prefill_tokens_per_s: float
    predicted_prefill_tokens_per_s: float
    decode_bound: str              # the roofline's verdict on decode
    repack: bool
    # the same prediction without the device's engine terms (micro-kernel peaks only)
    roofline_only_decode_tokens_per_s: float = math.nan

    @property
    def decode_error(self) -> float:
        return self.predicted_decode_tokens_per_s / self.measured_decode_tokens_per_s - 1.0

    @property
    def roofline_only_error(self) -> float:
        return self.roofline_only_decode_tokens_per_s / self.measured_decode_tokens_per_s - 1.0

    @property
    def prefill_error(self) -> float:
        return self.predicted_prefill_tokens_per_s / self.measured_prefill_tokens_per_s - 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "params": self.params, "format": self.format,
                "threads": self.threads, "threads_label": self.threads_label,
                "file_bytes": self.file_bytes,
                "measured_decode_tokens_per_s": self.measured_decode_tokens_per_s,
                "predicted_decode_tokens_per_s": self.predicted_decode_tokens_per_s,
                "decode_error": self.decode_error,
                "measured_prefill_tokens_per_s": self.measured_prefill_tokens_per_s,
                "predicted_prefill_tokens_per_s": self.predicted_prefill_tokens_per_s,
                "prefill_error": self.prefill_error,
                "roofline_only_decode_tokens_per_s": self.roofline_only_decode_tokens_per_s,
                "roofline_only_error": self.roofline_only_error,
                "decode_bound": self.decode_bound, "repack": self.repack}


def _mape(errors: Sequence[float]) -> float | None:
    return sum(abs(e) for e in errors) / len(errors) if errors else None


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationResult:
    """Every row, the devices they were predicted on, and the error summaries."""

    rows: tuple[ValidationRow, ...]
    devices: dict[str, DeviceSpec]      # "one_thread" / "all_threads"
    prompt: int
    decode: int
    notes: tuple[str, ...] = field(default=())

    @property
    def roofline_only_mape(self) -> dict[str, float | None]:
        """Decode error over the >= 100M models without the engine terms (micro-kernel
        peaks and bandwidth only): what the plain roofline gives."""
        return {lbl: _mape(self._errors(lbl, big=True, what="roofline_only"))
                for lbl in self.labels}

    def _errors(self, label: str, *, big: bool, what: str) -> list[float]:
        return [getattr(r, f"{what}_error") for r in self.rows if r.threads_label == label
                and (r.params >= HEADLINE_MIN_PARAMS) == big]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(lbl for lbl in ("one_thread", "all_threads") if lbl in self.devices)

    @property
    def decode_mape(self) -> dict[str, float | None]:
        """Mean |error| of decode tokens/s over the models of >= 100M parameters."""
        return {lbl: _mape(self._errors(lbl, big=True, what="decode")) for lbl in self.labels}

    @property
    def prefill_mape(self) -> dict[str, float | None]:
        return {lbl: _mape(self._errors(lbl, big=True, what="prefill")) for lbl in self.labels}

    @property
    def small_models_decode_error(self) -> dict[str, float | None]:
        """Mean |error| of decode tokens/s over the models under 100M parameters."""
        return {lbl: _mape(self._errors(lbl, big=False, what="decode")) for lbl in self.labels}

    def to_dict(self) -> dict[str, Any]:
        from ..config import to_dict

        return {"decode_mape": self.decode_mape, "prefill_mape": self.prefill_mape,
                "small_models_decode_error": self.small_models_decode_error,
                "roofline_only_mape": self.roofline_only_mape,
                "headline_min_params": HEADLINE_MIN_PARAMS,
                "prompt_tokens": self.prompt, "decode_tokens": self.decode,
                "rows": [r.to_dict() for r in self.rows],
                "devices": {k: to_dict(v) for k, v in self.devices.items()},
                "notes": list(self.notes)}


def disk_needed_bytes(shapes: Sequence[SynthShape] = SHAPES) -> int:
    """Peak disk use: one shape's three files at a time (each shape is removed after use)."""
    return max(sum(file_bytes_estimate(s, f) for f in FORMATS) for s in shapes)


def time_llama_cpp(path: Path, *, threads: int, prompt: int, decode: int) -> LlamaTiming:
    """Time llama.cpp on ``path`` in a child process; retry once without llama.cpp's
    repacked buffer types if the first attempt crashes in native code."""
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    last = ""
    for repack in (True, False):
        cmd = [sys.executable, "-m", "janus1.measure._llama_run", str(path), str(threads),
               str(prompt), str(decode), "1" if repack else "0"]
        try:
            r = subprocess.run(cmd, env=env, capture_output=True, text=True,
                               timeout=RUN_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise InputError(f"{path.name}: llama.cpp took over {RUN_TIMEOUT_S} s") from None
        if r.returncode == 0:
            d = json.loads(r.stdout.strip().splitlines()[-1])
            return LlamaTiming(prompt_s=d["prompt_s"], prompt_tokens=d["prompt_tokens"],
                               decode_step_s=tuple(d["decode_step_s"]), repack=repack)
        last = (r.stderr.strip().splitlines() or [f"exit code {r.returncode}"])[-1]
        if r.returncode > 0:  # a Python error, not a crash: retrying will not help
            break
    raise InputError(f"{path.name}: llama.cpp failed: {last}")


def predict(gguf_path: Path, fmt: str, device: DeviceSpec, *, prompt: int,
            decode: int) -> tuple[float, float, str]:
    """(decode tokens/s, prefill tokens/s, decode bound) that janus1 predicts for the
    GGUF at ``gguf_path`` in ``fmt`` on ``device``."""
    from ..models import load_spec
    from ..workload.analysis import analyze

    spec = load_spec(str(gguf_path))
    prec, group, zero = FORMAT_PRECISION[fmt]
    dec = analyze(spec, context=prompt + decode // 2, precision=prec, kv_precision="fp16",
                  group_size=group, zero_bytes=zero, device=device)
    pre = analyze(spec, context=prompt, precision=prec, kv_precision="fp16",
                  group_size=group, zero_bytes=zero, device=device)
    d_tps = dec.decode.tokens_per_s
    p_tps = pre.prefill.tokens_per_s
    if d_tps is None or p_tps is None:  # pragma: no cover - a device is given
        raise InputError("the roofline needs a device")
    return d_tps, p_tps, dec.decode.bound or ""


def validate(devices: dict[str, DeviceSpec], *, shapes: Sequence[SynthShape] = SHAPES,
             formats: Sequence[str] = tuple(FORMATS), prompt: int = 64, decode: int = 16,
             seed: int = 0, workdir: Path | None = None,
             progress: Callable[[str], None] | None = None) -> ValidationResult:
    """Generate, time and predict every (shape, format, thread count).

    Args:
        devices: the measured devices by label ("one_thread", "all_threads"); each
            device's ``measured.threads`` sets llama.cpp's thread count.
        shapes, formats: the models and file formats.
        prompt, decode: tokens of the prefill and of the decode run.
        seed: the weights' seed.
        workdir: where the temporary folder goes (default: the system's temp folder);
            it is removed afterwards, also on failure.
        progress: called with one line per step.

    Raises:
        InputError: llama-cpp-python missing, not enough disk, or llama.cpp failing.
    """
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        raise InputError("validate needs llama-cpp-python (pip install janus1[compare])") from None
    for f in formats:
        if f not in FORMATS:
            raise InputError(f"unknown format {f!r} (known: {', '.join(FORMATS)})")
    if prompt < 1 or decode < 1:
        raise InputError("prompt and decode must be at least 1 token")
    say = progress or (lambda m: None)
    base = Path(workdir) if workdir else Path(tempfile.gettempdir())
    need = disk_needed_bytes(shapes)
    free = shutil.disk_usage(base).free
    if free < need * 1.1:
        raise InputError(f"{base}: validate needs about {need / 1e9:.1f} GB of free disk, "
                         f"{free / 1e9:.1f} GB free")
    rows: list[ValidationRow] = []
    notes: list[str] = []
    threads_all = max((d.measured.threads if d.measured else 1) for d in devices.values())
    with tempfile.TemporaryDirectory(prefix="janus1-validate-", dir=base) as tmp:
        for shape in shapes:
            f16 = Path(tmp) / f"{shape.name}-F16.gguf"
            say(f"{shape.name}: writing {shape.params / 1e6:.0f}M random weights (F16)")
            write_llama_gguf(f16, shape, seed=seed)
            files = {"F16": f16}
            for fmt in formats:
                if fmt == "F16":
                    continue
                say(f"{shape.name}: quantizing to {fmt} with llama.cpp")
                files[fmt] = quantize(f16, Path(tmp) / f"{shape.name}-{fmt}.gguf", fmt,
                                      threads=threads_all)
            for fmt in formats:
                path = files[fmt]
                for label, dev in devices.items():
                    n = dev.measured.threads if dev.measured else 1
                    say(f"{shape.name} {fmt}: llama.cpp, {n} thread(s)")
                    t = time_llama_cpp(path, threads=n, prompt=prompt, decode=decode)
                    d_tps, p_tps, bound = predict(path, fmt, dev, prompt=prompt, decode=decode)
                    raw = dataclasses.replace(dev, matvec_ops_per_s={}, matmul_ops_per_s={},
                                              step_overhead_s=0.0)
                    d_raw, _, _ = predict(path, fmt, raw, prompt=prompt, decode=decode)
                    rows.append(ValidationRow(
                        model=shape.name, params=shape.params, format=fmt, threads=n,
                        threads_label=label, file_bytes=path.stat().st_size,
                        measured_decode_tokens_per_s=t.decode_tokens_per_s,
                        predicted_decode_tokens_per_s=d_tps,
                        measured_prefill_tokens_per_s=t.prefill_tokens_per_s,
                        predicted_prefill_tokens_per_s=p_tps, decode_bound=bound,
                        repack=t.repack, roofline_only_decode_tokens_per_s=d_raw))
                    if not t.repack and not any("repacked" in x for x in notes):
                        notes.append("llama.cpp crashed with its repacked (AMX/extra) buffer "
                                     "types on some files; those rows ran without them "
                                     "(column repack = false)")
            for p in files.values():
                p.unlink(missing_ok=True)
    if not any(math.isfinite(r.decode_error) for r in rows):  # pragma: no cover
        raise InputError("validate: no row could be measured")
    return ValidationResult(rows=tuple(rows), devices=dict(devices), prompt=prompt,
                            decode=decode, notes=tuple(notes))
