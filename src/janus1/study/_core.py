"""Study registry and runner."""

from __future__ import annotations

import dataclasses
import importlib
import math
import pkgutil
import time
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from ..errors import ConfigError, InputError
from ..report import (
    ResultsDir,
    atomic_write_text,
    check_result_name,
    provenance,
    write_csv,
    write_json,
)

__all__ = ["Claim", "Section", "SectionOutput", "StudyContext", "discover_sections",
           "run_study", "VERDICTS", "option", "option_fields", "parse_options"]

T = TypeVar("T")

VERDICTS = ("holds", "refuted", "partly", "untested")


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """One claim of a seed, recomputed, with a verdict."""

    seed: str          # e.g. "001" or "003"
    claim: str         # what the seed says, briefly
    claimed: str       # the seed's number, as written
    measured: str      # janus1's number, with its unit
    verdict: str       # one of VERDICTS
    note: str = ""     # why, in one sentence
    timed: bool = False  # measured on this machine's clock: goes to timings.json

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {VERDICTS}")


def option(default: Any, *, min: float | None = None, max: float | None = None,
           choices: Sequence[Any] | None = None, help: str = "") -> Any:
    """A field of a section's options dataclass, with its checks.

    ``min``/``max`` bound a number (or every element of a tuple of numbers); ``choices``
    lists the allowed values. Checked when ``--set section.key=value`` is parsed,
    before anything is written.
    """
    meta = {"min": min, "max": max, "choices": tuple(choices) if choices else None,
            "help": help}
    return field(default=default, metadata=meta)


@dataclass(frozen=True, slots=True, kw_only=True)
class StudyContext:
    """What a section gets: its folder, the seed, the depth, its options, a progress callback."""

    out_dir: Path                       # the section's own folder (exists, empty)
    seed: int = 0                       # every random choice derives from this
    full: bool = False                  # the longer, more complete variant
    progress: Callable[[str], None] = field(default=lambda msg: None)
    options: Any = None                 # the section's typed options (None: it declares none)
    config: Mapping[str, Any] = field(default_factory=dict)  # the same, as a dict (read-only)

    def rel(self, path: Path) -> str:
        """A path relative to the results folder (for links in the report)."""
        return str(path.relative_to(self.out_dir.parent))

    def opts(self, cls: type[T]) -> T:
        """The section's options as ``cls`` (its ``Section.options``), typed."""
        if self.options is None:
            return cls()
        if not isinstance(self.options, cls):
            raise TypeError(f"options are {type(self.options).__name__}, not {cls.__name__}")
        return self.options


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionOutput:
    """What a section returns.

    ``resolved`` and every CSV/JSON file the section writes must be the same bytes on
    every run with the same inputs; wall-clock, throughput and memory measurements go
    to ``timings`` (written to ``timings.json``), and claims built on them are
    ``Claim(timed=True)``.
    """

    markdown: str                                   # the section's body in the report
    claims: Sequence[Claim] = ()                    # seed claims checked here
    resolved: dict[str, Any] = field(default_factory=dict)  # inputs actually used
    timings: dict[str, Any] = field(default_factory=dict)   # measured on this machine's clock


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """A study section: a name, a title, a place in the report, a run function and,
    optionally, its options (a frozen dataclass; ``--set name.key=value`` sets a field)."""

    name: str
    title: str
    order: int
    run: Callable[[StudyContext], SectionOutput]
    budget_s: float = 60.0  # expected default run time on 2 cores (documentation)
    options: type | None = None  # frozen dataclass of options; None: the section takes none


def discover_sections() -> list[Section]:
    """All sections in :mod:`janus1.study.sections`, in report order."""
    from . import sections

    found: list[Section] = []
    for m in pkgutil.iter_modules(sections.__path__):
        if m.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{sections.__name__}.{m.name}")
        sec = getattr(mod, "SECTION", None)
        if isinstance(sec, Section):
            found.append(sec)
    return sorted(found, key=lambda s: (s.order, s.name))


def _origin_args(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    return typing.get_origin(tp), typing.get_args(tp)


def _convert_option(tp: Any, value: Any, where: str) -> Any:
    """``value`` (a TOML literal or a bare string from ``--set``) as type ``tp``."""
    origin, args = _origin_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return _convert_option(inner[0], value, where)
        raise TypeError(f"{where}: unsupported option type {tp}")
    if origin is tuple:
        elem = args[0] if args else str
        if isinstance(value, str):
            items: list[Any] = [v.strip() for v in value.strip("[]").split(",") if v.strip()]
            import tomllib

            parsed: list[Any] = []
            for it in items:
                try:
                    parsed.append(tomllib.loads(f"v = {it}")["v"])
                except tomllib.TOMLDecodeError:
                    parsed.append(it)
            items = parsed
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            items = [value]
        if not items:
            raise ConfigError(f"{where}: needs at least one value")
        return tuple(_convert_option(elem, v, where) for v in items)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: must be true or false, not {value!r}")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: must be an integer, not {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: must be a number, not {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{where}: must be a finite number, not {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: must be a non-empty string, not {value!r}")
        return value
    raise TypeError(f"{where}: unsupported option type {tp}")


def _check_bounds(f: dataclasses.Field[Any], value: Any, where: str) -> None:
    lo, hi, choices = f.metadata.get("min"), f.metadata.get("max"), f.metadata.get("choices")
    for v in (value if isinstance(value, tuple) else (value,)):
        if v is None:
            continue
        if choices and v not in choices:
            raise ConfigError(f"{where}: must be one of {', '.join(map(str, choices))}, "
                              f"not {v!r}")
        if lo is not None and v < lo:
            raise ConfigError(f"{where}: must be at least {lo:g}, not {v!r}")
        if hi is not None and v > hi:
            raise ConfigError(f"{where}: must be at most {hi:g}, not {v!r}")


def option_fields(section: Section) -> list[dataclasses.Field[Any]]:
    """The options ``section`` accepts (empty when it declares none)."""
    return list(dataclasses.fields(section.options)) if section.options is not None else []


def parse_options(section: Section, raw: Mapping[str, Any] | None = None) -> Any:
    """Build ``section``'s typed options from ``--set`` values.

    Returns None for a section that declares no options (and gets none).

    Raises:
        ConfigError: an unknown option (naming the section and the key), a value of
            the wrong type, not finite, out of range or not one of the choices.
    """
    raw = dict(raw or {})
    cls = section.options
    if cls is None:
        if raw:
            key = next(iter(raw))
            raise ConfigError(f"--set {section.name}.{key}: study section {section.name!r} "
                              "takes no options")
        return None
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kw: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"--set {section.name}.{key}"
        if key not in fields:
            raise ConfigError(f"{where}: unknown option of study section {section.name!r} "
                              f"(known: {', '.join(fields) or 'none'})")
        v = _convert_option(hints[key], value, where)
        _check_bounds(fields[key], v, where)
        kw[key] = v
    try:
        return cls(**kw)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"--set {section.name}.*: {exc}") from None


def _timing_note() -> str:
    return ("wall-clock, throughput and memory measurements of this run (they vary from "
            "run to run; every other CSV and JSON file of the folder is reproducible "
            "byte for byte from the same inputs)")


def run_study(*, name: str = "default", out_root: str | Path = "results", seed: int = 0,
              full: bool = False, only: Sequence[str] = (),
              section_config: Mapping[str, Mapping[str, Any]] | None = None,
              progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Run the study and write ``out_root/name`` atomically.

    Every input is checked before anything is written: the name, the sections, each
    section's options. The results folder appears only when every section succeeded;
    earlier results under the same name are replaced then, never before.

    Args:
        name: results folder name (a plain folder name: :func:`check_result_name`).
        out_root: parent folder of results.
        seed: the seed every section derives its randomness from.
        full: run the longer variants.
        only: restrict to these section names (default: all).
        section_config: per-section options (``--set section.key=value``), by section.
        progress: called as ``progress(message, done, total)``.

    Returns:
        The results folder.

    Raises:
        InputError: a bad name, an unknown section, an unwritable ``out_root``.
        ConfigError: an unknown, mistyped or out-of-range section option, or an option
            for a section this run does not include.
    """
    check_result_name(name)
    sections = discover_sections()
    known = [s.name for s in sections]
    for o in only:
        if o not in known:
            raise InputError(f"unknown study section {o!r} (known: {', '.join(known)})")
    chosen = [s for s in sections if not only or s.name in only]
    cfgs = {k: dict(v) for k, v in (section_config or {}).items()}
    for key in cfgs:
        if key not in known:
            raise InputError(f"--set {key}.*: unknown study section (known: {', '.join(known)})")
        if key not in {s.name for s in chosen}:
            raise ConfigError(f"--set {key}.*: section {key!r} is not part of this run "
                              f"(--only {' '.join(only)})")
    options = {s.name: parse_options(s, cfgs.get(s.name)) for s in chosen}
    final = Path(out_root) / name
    outputs: list[tuple[Section, SectionOutput, float]] = []
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    t_all = time.perf_counter()
    with ResultsDir(final) as rd:
        for i, sec in enumerate(chosen):
            def _p(msg: str, _i: int = i, _s: Section = sec) -> None:
                if progress:
                    progress(f"{_s.name}: {msg}", _i, len(chosen))
            _p("starting")
            sdir = rd.path / sec.name
            sdir.mkdir()
            opts = options[sec.name]
            t0 = time.perf_counter()
            out = sec.run(StudyContext(
                out_dir=sdir, seed=seed, full=full, progress=_p, options=opts,
                config=MappingProxyType(dataclasses.asdict(opts) if opts is not None else {})))
            outputs.append((sec, out, time.perf_counter() - t0))
        if progress:
            progress("writing report", len(chosen), len(chosen))
        claims = [c for _, o, _ in outputs for c in o.claims]

        def row(s: Section, c: Claim) -> dict[str, Any]:
            return {"section": s.name, "seed": c.seed, "claim": c.claim, "claimed": c.claimed,
                    "measured": c.measured, "verdict": c.verdict, "note": c.note}

        claim_rows = [row(s, c) for s, o, _ in outputs for c in o.claims if not c.timed]
        write_csv(rd.path / "claims.csv", claim_rows,
                  columns=("section", "seed", "claim", "claimed", "measured", "verdict", "note"))
        write_json(rd.path / "claims.json", claim_rows)
        resolved = {"name": name, "seed": seed, "full": full,
                    "sections": {s.name: {"options": (dataclasses.asdict(options[s.name])
                                                      if options[s.name] is not None else {}),
                                          **o.resolved}
                                 for s, o, _ in outputs},
                    "section_config": cfgs}
        prov = provenance(resolved, seed=seed)
        prov.pop("created_utc", None)  # a clock reading: timings.json
        write_json(rd.path / "provenance.json", prov)
        write_json(rd.path / "timings.json", {
            "note": _timing_note(), "started_utc": started,
            "seconds": time.perf_counter() - t_all,
            "sections": {s.name: {"seconds": t, **o.timings} for s, o, t in outputs},
            "timed_claims": [row(s, c) for s, o, _ in outputs for c in o.claims if c.timed]})
        from .summary import write_summary

        if progress:
            progress("summary figure", len(chosen), len(chosen))
        summary = write_summary(rd.path)
        atomic_write_text(rd.path / "report.md", _report(name, outputs, claims, seed, full,
                                                         summary))
    return final


def _report(name: str, outputs: list[tuple[Section, SectionOutput, float]],
            claims: list[Claim], seed: int, full: bool, summary: Path | None = None) -> str:
    from .. import __version__
    from ..report import git_commit

    lines = [f"# janus1 study `{name}`", "",
             f"janus1 {__version__}, commit `{git_commit()}`, seed {seed}, "
             f"{'full' if full else 'default'} run. Inputs and versions: `provenance.json`; "
             "times, speeds and memory measured on this machine: `timings.json`.", ""]
    if summary is not None:
        pdf = summary.with_suffix(".pdf").name
        lines += [f"![summary of the study]({summary.name})", "",
                  f"Summary figure: `{summary.name}` (300 DPI) and `{pdf}` (vector).", ""]
    lines += ["## Seed claims at a glance", ""]
    if claims:
        lines += ["| seed | claim | claimed | janus1 | verdict |", "|---|---|---|---|---|"]
        lines += [f"| {c.seed} | {c.claim} | {c.claimed} | {c.measured} | **{c.verdict}**"
                  f"{' (timed)' if c.timed else ''} |" for c in claims]
    else:
        lines.append("(no claims checked in this run)")
    lines.append("")
    for sec, out, t in outputs:
        lines += [f"## {sec.title}", "", out.markdown.rstrip(), "",
                  f"<sub>section `{sec.name}` ran in {t:.1f} s</sub>", ""]
    return "\n".join(lines)
