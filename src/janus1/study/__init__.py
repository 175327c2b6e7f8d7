"""The Janus-1 study: every section, one results folder, one report.

Sections are discovered, not listed: each module in :mod:`janus1.study.sections` that
defines ``SECTION`` (a :class:`Section`) takes part, in ``order``. A section receives a
:class:`StudyContext` (its own output folder, the seed, ``full``) and returns a
:class:`SectionOutput` (Markdown, claims with verdicts, tables, figure paths). A section
may declare typed options (``Section(options=SomeOptions)``, a frozen dataclass whose
fields use :func:`option`); ``--set section.key=value`` sets them, checked before
anything runs.
:func:`run_study` writes ``results/<name>/`` atomically: ``provenance.json``,
``report.md``, ``claims.csv``/``claims.json``, ``timings.json`` (everything measured on
the clock) and each section's files; all but ``timings.json`` and the report are the
same bytes on every run with the same inputs.
"""

from ._core import (
    Claim,
    Section,
    SectionOutput,
    StudyContext,
    discover_sections,
    option,
    option_fields,
    parse_options,
    run_study,
)

__all__ = ["Claim", "Section", "SectionOutput", "StudyContext", "discover_sections",
           "option", "option_fields", "parse_options", "run_study"]
