"""Result folders never lose work: plain names, staging always removed or renamed into
place, earlier results kept until the new ones are complete, the user's umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from janus1.errors import InputError
from janus1.report import ResultsDir, check_result_name, write_json
from janus1.study import run_study


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture
def earlier(tmp_path: Path) -> Path:
    """An earlier results folder ``out/keep`` and a file beside it."""
    out = tmp_path / "out"
    with ResultsDir(out / "keep") as rd:
        write_json(rd.path / "a.json", {"x": 1})
    (out / "notes.txt").write_text("mine\n")
    return out


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "/abs", ".hidden", "-x", "a\\b",
                                  "a\0b", "x" * 256])
def test_bad_names_refused_before_anything_is_touched(earlier: Path, name: str) -> None:
    before = _tree(earlier.parent)
    with pytest.raises(InputError, match="plain folder name"):
        run_study(name=name, out_root=earlier, only=("kvcache",))
    if name not in ("", ".", "a/b", "/abs"):  # pathlib drops "." and "" components
        with pytest.raises(InputError):
            ResultsDir(earlier / name)
    assert _tree(earlier.parent) == before
    assert sorted(p.name for p in earlier.iterdir()) == ["keep", "notes.txt"]


@pytest.mark.parametrize("name", ["default", "run-2", "Llama_7B.int4", "v1+fix", "été"])
def test_plain_names_accepted(name: str) -> None:
    assert check_result_name(name) == name


def test_out_under_a_file_is_one_input_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="cannot write results"):
        run_study(name="t", out_root=tmp_path / "f" / "sub", only=("kvcache",))
    with pytest.raises(InputError, match="not a folder"):
        ResultsDir(tmp_path / "f")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_failed_block_removes_staging_keeps_earlier(earlier: Path) -> None:
    before = _tree(earlier)
    with pytest.raises(RuntimeError):
        with ResultsDir(earlier / "keep") as rd:
            write_json(rd.path / "b.json", {"y": 2})
            raise RuntimeError("section failed")
    assert _tree(earlier) == before
    with pytest.raises(KeyboardInterrupt):
        with ResultsDir(earlier / "keep"):
            raise KeyboardInterrupt
    assert _tree(earlier) == before


def test_failed_rename_restores_earlier_and_removes_staging(
        earlier: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _tree(earlier)
    real = os.replace
    calls = []

    def flaky(src, dst):  # type: ignore[no-untyped-def]
        calls.append((src, dst))
        if len(calls) == 2:  # set-aside worked; moving the new results in fails
            raise OSError(28, "No space left on device")
        return real(src, dst)

    with pytest.raises(InputError, match="cannot move results"):
        with ResultsDir(earlier / "keep") as rd:
            write_json(rd.path / "b.json", {"y": 2})
            monkeypatch.setattr(os, "replace", flaky)
    monkeypatch.setattr(os, "replace", real)
    assert _tree(earlier) == before
    assert sorted(p.name for p in earlier.iterdir()) == ["keep", "notes.txt"]


def test_success_replaces_earlier_and_leaves_nothing_hidden(earlier: Path) -> None:
    with ResultsDir(earlier / "keep") as rd:
        write_json(rd.path / "b.json", {"y": 2})
    assert sorted(p.name for p in earlier.iterdir()) == ["keep", "notes.txt"]
    assert sorted(p.name for p in (earlier / "keep").iterdir()) == ["b.json"]


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_modes_follow_umask(tmp_path: Path, mask: int) -> None:
    old = os.umask(mask)
    try:
        out = run_study(name="t", out_root=tmp_path / "r", only=("thermal",))
    finally:
        os.umask(old)
    for p in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        want = (0o777 if p.is_dir() else 0o666) & ~mask
        assert mode == want, (p, oct(mode), oct(want))


def test_unwritable_out_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only --out (or working directory): simulated, since tests may run as root."""
    import tempfile

    from click.testing import CliRunner

    from janus1.cli import cli

    def denied(*a, **k):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied", str(k.get("dir")))

    monkeypatch.setattr(tempfile, "mkdtemp", denied)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["study", "--only", "thermal", "--out", "ro"])
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == "janus1: error: cannot write results in ro: Permission denied\n"
    assert not any(tmp_path.iterdir())


def test_failed_run_removes_the_folders_it_created(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from janus1.study import Section, _core

    def boom(ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("section failed")

    monkeypatch.setattr(_core, "discover_sections",
                        lambda: [Section(name="x", title="x", order=1, run=boom)])
    with pytest.raises(RuntimeError):
        run_study(name="t", out_root=tmp_path / "new" / "deeper")
    assert not any(tmp_path.iterdir())
