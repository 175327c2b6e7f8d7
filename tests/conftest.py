"""Shared test helpers.

- ``SHARED``: the read-only ../shared folder beside the checkout (reference tables,
  seeds). Tests that need it skip when it is absent, except under CI (CI=true), where
  a missing ../shared or a missing comparator fails the run instead of skipping.
- ``require(module)``: import a comparator (pycachesim, transformers, llama_cpp) or
  skip (locally) / fail (CI).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("JANUS1_SHARED", ROOT.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(module: str) -> ModuleType:
    """Import a test comparator, skipping locally and failing under CI when missing."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if IN_CI:
            pytest.fail(f"comparator {module} is missing under CI: {exc}")
        pytest.skip(f"comparator {module} not installed", allow_module_level=True)
        raise  # unreachable


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping (locally) or failing (CI) when absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        if IN_CI:
            pytest.fail(f"{p} is missing under CI")
        pytest.skip(f"{p} not present")
    return p


@pytest.fixture
def shared() -> Path:
    """The ../shared folder (skips when absent outside CI)."""
    return shared_path()
