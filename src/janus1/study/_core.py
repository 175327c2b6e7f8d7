"""Study registry and runner."""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..report import ResultsDir, atomic_write_text, provenance, write_csv, write_json

__all__ = ["Claim", "Section", "SectionOutput", "StudyContext", "discover_sections",
           "run_study", "VERDICTS"]

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

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {VERDICTS}")


@dataclass(frozen=True, slots=True, kw_only=True)
class StudyContext:
    """What a section gets: its folder, the seed, the depth, a progress callback."""

    out_dir: Path                       # the section's own folder (exists, empty)
    seed: int = 0                       # every random choice derives from this
    full: bool = False                  # the longer, more complete variant
    progress: Callable[[str], None] = field(default=lambda msg: None)
    config: dict[str, Any] = field(default_factory=dict)  # section options (--set section.key=v)

    def rel(self, path: Path) -> str:
        """A path relative to the results folder (for links in the report)."""
        return str(path.relative_to(self.out_dir.parent))


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionOutput:
    """What a section returns."""

    markdown: str                                   # the section's body in the report
    claims: Sequence[Claim] = ()                    # seed claims checked here
    resolved: dict[str, Any] = field(default_factory=dict)  # inputs actually used


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """A study section: a name, a title, a place in the report and a run function."""

    name: str
    title: str
    order: int
    run: Callable[[StudyContext], SectionOutput]
    budget_s: float = 60.0  # expected default run time on 2 cores (documentation)


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


def run_study(*, name: str = "default", out_root: str | Path = "results", seed: int = 0,
              full: bool = False, only: Sequence[str] = (),
              section_config: dict[str, dict[str, Any]] | None = None,
              progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Run the study and write ``out_root/name`` atomically.

    Args:
        name: results folder name.
        out_root: parent folder of results.
        seed: the seed every section derives its randomness from.
        full: run the longer variants.
        only: restrict to these section names (default: all).
        section_config: per-section options, by section name.
        progress: called as ``progress(message, done, total)``.

    Returns:
        The results folder.

    Raises:
        InputError: an unknown section name in ``only``.
    """
    sections = discover_sections()
    known = [s.name for s in sections]
    for o in only:
        if o not in known:
            raise InputError(f"unknown study section {o!r} (known: {', '.join(known)})")
    chosen = [s for s in sections if not only or s.name in only]
    cfgs = section_config or {}
    for key in cfgs:
        if key not in known:
            raise InputError(f"--set {key}.*: unknown study section (known: {', '.join(known)})")
    final = Path(out_root) / name
    outputs: list[tuple[Section, SectionOutput, float]] = []
    with ResultsDir(final) as rd:
        for i, sec in enumerate(chosen):
            def _p(msg: str, _i: int = i, _s: Section = sec) -> None:
                if progress:
                    progress(f"{_s.name}: {msg}", _i, len(chosen))
            _p("starting")
            sdir = rd.path / sec.name
            sdir.mkdir()
            t0 = time.perf_counter()
            out = sec.run(StudyContext(out_dir=sdir, seed=seed, full=full, progress=_p,
                                       config=dict(cfgs.get(sec.name, {}))))
            outputs.append((sec, out, time.perf_counter() - t0))
        if progress:
            progress("writing report", len(chosen), len(chosen))
        claims = [c for _, o, _ in outputs for c in o.claims]
        claim_rows = [{"section": s.name, "seed": c.seed, "claim": c.claim, "claimed": c.claimed,
                       "measured": c.measured, "verdict": c.verdict, "note": c.note}
                      for s, o, _ in outputs for c in o.claims]
        write_csv(rd.path / "claims.csv", claim_rows)
        write_json(rd.path / "claims.json", claim_rows)
        resolved = {"name": name, "seed": seed, "full": full,
                    "sections": {s.name: {"seconds": round(t, 3), **o.resolved}
                                 for s, o, t in outputs},
                    "section_config": cfgs}
        write_json(rd.path / "provenance.json", provenance(resolved, seed=seed))
        atomic_write_text(rd.path / "report.md", _report(name, outputs, claims, seed, full))
    return final


def _report(name: str, outputs: list[tuple[Section, SectionOutput, float]],
            claims: list[Claim], seed: int, full: bool) -> str:
    from .. import __version__
    from ..report import git_commit

    lines = [f"# janus1 study `{name}`", "",
             f"janus1 {__version__}, commit `{git_commit()}`, seed {seed}, "
             f"{'full' if full else 'default'} run. Inputs and versions: `provenance.json`.", "",
             "## Seed claims at a glance", ""]
    if claims:
        lines += ["| seed | claim | claimed | janus1 | verdict |", "|---|---|---|---|---|"]
        lines += [f"| {c.seed} | {c.claim} | {c.claimed} | {c.measured} | **{c.verdict}** |"
                  for c in claims]
    else:
        lines.append("(no claims checked in this run)")
    lines.append("")
    for sec, out, t in outputs:
        lines += [f"## {sec.title}", "", out.markdown.rstrip(), "",
                  f"<sub>section `{sec.name}` ran in {t:.1f} s</sub>", ""]
    return "\n".join(lines)
