"""notebooks/janus1.ipynb runs top to bottom from a copy outside the repository."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from conftest import ROOT, require


@pytest.mark.slow
def test_notebook_runs_from_a_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = require("nbformat")
    nbclient = require("nbclient")
    require("ipykernel")
    work = tmp_path / "copy"
    shutil.copytree(ROOT / "notebooks", work, ignore=shutil.ignore_patterns(
        "results", "exports", ".ipynb_checkpoints"))
    # the kernel is this interpreter: ipykernel's "python3" spec says "python", which
    # jupyter_client replaces with sys.executable; a user-level spec must not shadow it
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    nb = nbformat.read(work / "janus1.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(work)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if o.get("output_type") in ("display_data", "execute_result")
               and "image/png" in o.get("data", {})]
    assert len(figures) >= 9, len(figures)
    # the kernel ran this interpreter and wrote only beside the copy
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.get("outputs", []) if o.get("output_type") == "stream")
    assert f"python {sys.executable}\n" in printed and "janus1 " in printed
    assert (work / "results" / "notebook" / "summary.png").exists()
    assert (work / "results" / "notebook" / "summary.pdf").exists()
    assert (work / "exports" / "seed001_claims.csv").exists()
