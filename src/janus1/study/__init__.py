"""The Janus-1 study: every section, one results folder, one report.

Sections are discovered, not listed: each module in :mod:`janus1.study.sections` that
defines ``SECTION`` (a :class:`Section`) takes part, in ``order``. A section receives a
:class:`StudyContext` (its own output folder, the seed, ``full``) and returns a
:class:`SectionOutput` (Markdown, claims with verdicts, tables, figure paths).
:func:`run_study` writes ``results/<name>/`` atomically: ``provenance.json``,
``report.md``, ``claims.csv``/``claims.json`` and each section's files.
"""

from ._core import (
    Claim,
    Section,
    SectionOutput,
    StudyContext,
    discover_sections,
    run_study,
)

__all__ = ["Claim", "Section", "SectionOutput", "StudyContext", "discover_sections",
           "run_study"]
