"""The machine janus1 runs on, measured as a :class:`~janus1.workload.device.DeviceSpec`.

``measure_host(threads)`` runs the micro-benchmarks of :mod:`janus1.measure._probe` in a
child process whose thread count is fixed before numpy and numba load, reads the cache
sizes and memory capacity from the operating system, and returns a device whose every
number says how it was measured (:class:`~janus1.workload.device.Measurement`).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from ..errors import InputError
from ..precision import PRECISIONS
from ..workload.device import DeviceSpec, Measurement, MemoryTier

__all__ = ["measure_host", "cache_sizes", "cpu_count", "cpu_name", "device_toml"]

BANDWIDTH_KERNEL = ("numba prange streaming read (sum) of a float32 buffer of {mib} MiB "
                    "(>= 4x the last-level cache), one contiguous chunk per thread, best of {reps}")
FP32_KERNEL = "numpy.matmul (BLAS SGEMM) of two {n}x{n} float32 matrices, 2n^3 ops, best of {reps}"
INT8_KERNEL = ("numba INT8 x INT8 -> INT32 matrix product ({m}x4096 by 4096x{n}, rows widened "
               "to int32 and vectorised by LLVM, checked exact), 2MNK ops, best of {reps}")
PROBE_TIMEOUT_S = 600


def cpu_count() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def cpu_name() -> str:
    """The processor's model name (``/proc/cpuinfo``), else ``platform.processor()``."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _parse_cache_size(text: str) -> int:
    t = text.strip().upper()
    mult = {"K": 2**10, "M": 2**20, "G": 2**30}
    if t and t[-1] in mult:
        return int(t[:-1]) * mult[t[-1]]
    return int(t)


def cache_sizes() -> dict[str, int]:
    """Data/unified cache sizes per level of cpu0 (bytes; ``l1d``, ``l2``, ``l3``), from
    ``/sys/devices/system/cpu/cpu0/cache``; levels the system does not list are absent."""
    out: dict[str, int] = {}
    base = Path("/sys/devices/system/cpu/cpu0/cache")
    for idx in sorted(base.glob("index*")):
        try:
            level = int((idx / "level").read_text().strip())
            kind = (idx / "type").read_text().strip()
            size = _parse_cache_size((idx / "size").read_text())
        except (OSError, ValueError):
            continue
        if kind == "Instruction":
            continue
        out["l1d" if level == 1 else f"l{level}"] = size
    return out


def _memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8 * 2**30


def _run_probe(threads: int, bw_bytes: int, quick: bool) -> dict[str, float]:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        env[var] = str(threads)
    cmd = [sys.executable, "-m", "janus1.measure._probe", str(threads), str(bw_bytes),
           "1" if quick else "0"]
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True,
                           timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise InputError(f"device measure: the micro-benchmarks took over {PROBE_TIMEOUT_S} s") from None
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["no output"])[-1]
        raise InputError(f"device measure: the micro-benchmark process failed: {last}")
    data: dict[str, float] = json.loads(r.stdout.strip().splitlines()[-1])
    return data


def measure_host(threads: int | None = None, *, quick: bool = False) -> DeviceSpec:
    """Measure this machine at ``threads`` threads (default: all cores it may use).

    Args:
        threads: threads every kernel uses (1..cores).
        quick: smaller buffers and fewer repeats (tests); the figures are rougher.

    Raises:
        InputError: a thread count out of range, or a micro-benchmark that failed.
    """
    cores = cpu_count()
    n = cores if threads is None else threads
    if not 1 <= n <= cores:
        raise InputError(f"threads must lie in 1..{cores} (the cores this process may use), not {n}")
    caches = cache_sizes()
    llc = max(caches.values(), default=32 * 2**20)
    bw_bytes = (64 * 2**20) if quick else max(1 << 30, 4 * llc)
    bw_bytes = min(bw_bytes, _memory_bytes() // 4)
    reps = 2 if quick else 5
    probe = _run_probe(n, bw_bytes, quick)
    m = Measurement(
        threads=n, cpu=cpu_name(), cores=cores,
        date_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        bandwidth_kernel=BANDWIDTH_KERNEL.format(mib=bw_bytes // 2**20, reps=reps),
        fp32_kernel=FP32_KERNEL.format(n=512 if quick else 2048, reps=reps),
        int8_kernel=INT8_KERNEL.format(m=32 if quick else 64, n=64 if quick else 512, reps=reps),
        l1d_bytes=caches.get("l1d", 0), l2_bytes=caches.get("l2", 0),
        l3_bytes=caches.get("l3", 0), quick=quick)
    fp32, int8 = probe["fp32_ops_per_s"], probe["int8_ops_per_s"]
    return DeviceSpec(
        name=f"host-{n}t", source=f"measured by janus1 device measure on {m.cpu}, {n} thread(s)",
        # float precisions run on the SGEMM peak, integer ones on the INT8 kernel's
        peak_ops_per_s={p.name: (fp32 if p.is_float else int8) for p in PRECISIONS.values()},
        tiers=(MemoryTier(name="DRAM", capacity_bytes=_memory_bytes(),
                          bandwidth_bytes_per_s=probe["bandwidth_bytes_per_s"],
                          source="bandwidth_kernel; capacity: physical pages x page size"),),
        notes=("fp16/bf16 use the FP32 SGEMM peak (no half-precision BLAS on a CPU); "
               "int4 uses the INT8 peak (4-bit weights are unpacked to 8 bits to multiply)",),
        measured=m)


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    return json.dumps(str(v))  # a TOML basic string is a JSON string


def device_toml(dev: DeviceSpec) -> str:
    """``dev`` as a device TOML file that :func:`~janus1.workload.device.load_device` reads."""
    lines = [f"# janus1 device file: {dev.source}", f"name = {_toml_value(dev.name)}",
             f"source = {_toml_value(dev.source)}"]
    if dev.notes:
        lines.append("notes = [" + ", ".join(_toml_value(n) for n in dev.notes) + "]")
    peaks = ", ".join(f"{k} = {_toml_value(float(v))}" for k, v in dev.peak_ops_per_s.items())
    lines.append(f"peak_ops_per_s = {{ {peaks} }}")
    for table in ("matvec_ops_per_s", "matmul_ops_per_s"):
        if getattr(dev, table):
            mv = ", ".join(f"{k} = {_toml_value(float(v))}" for k, v in getattr(dev, table).items())
            lines.append(f"{table} = {{ {mv} }}")
    if dev.step_overhead_s:
        lines.append(f"step_overhead_s = {_toml_value(float(dev.step_overhead_s))}")
    if dev.measured is not None:
        lines += ["", "[measured]"]
        import dataclasses
        for f in dataclasses.fields(dev.measured):
            lines.append(f"{f.name} = {_toml_value(getattr(dev.measured, f.name))}")
    for t in dev.tiers:
        lines += ["", "[[tiers]]", f"name = {_toml_value(t.name)}",
                  f"capacity_bytes = {t.capacity_bytes}",
                  f"bandwidth_bytes_per_s = {_toml_value(float(t.bandwidth_bytes_per_s))}",
                  f"source = {_toml_value(t.source)}"]
    return "\n".join(lines) + "\n"
