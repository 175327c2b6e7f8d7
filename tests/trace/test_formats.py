"""Trace files: round trips and corrupt input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from janus1.errors import FormatError, InputError
from janus1.trace import TraceChunk, read_trace, write_trace


def _chunk() -> TraceChunk:
    rng = np.random.default_rng(0)
    return TraceChunk(addr=rng.integers(0, 1 << 40, 3000).astype(np.int64),
                      kind=(rng.random(3000) < 0.3).astype(np.uint8))


def _cat(chunks) -> tuple[np.ndarray, np.ndarray]:
    cs = list(chunks)
    return (np.concatenate([c.addr for c in cs]),
            np.concatenate([np.zeros(len(c), np.uint8) if c.kind is None else c.kind
                            for c in cs]))


@pytest.mark.parametrize("name", ["t.npz", "t.din", "t.ramulator", "t.dramsim3"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    c = _chunk()
    assert write_trace(tmp_path / name, [c]) == 3000
    a, k = _cat(read_trace(tmp_path / name, chunk_accesses=1024))
    assert np.array_equal(a, c.addr) and np.array_equal(k, c.kind)


def test_npy_is_loads_only(tmp_path: Path) -> None:
    a = np.arange(5000, dtype=np.int64) * 8
    write_trace(tmp_path / "t.npy", [a])
    got, kinds = _cat(read_trace(tmp_path / "t.npy", chunk_accesses=1024))
    assert np.array_equal(got, a) and not kinds.any()
    with pytest.raises(InputError, match="8-byte loads only"):
        write_trace(tmp_path / "s.npy", [_chunk()])


def test_text_sniffing(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("0x40 R\n0x80 W\n")
    (tmp_path / "b.txt").write_text("# dinero\n0 40\n1 80\n")
    (tmp_path / "c.txt").write_text("0x40 READ 0\n0x80 WRITE 5\n")
    for f in ("a.txt", "b.txt", "c.txt"):
        a, k = _cat(read_trace(tmp_path / f))
        assert list(a) == [0x40, 0x80] and list(k) == [0, 1]


def test_truncated_npy(tmp_path: Path) -> None:
    p = tmp_path / "t.npy"
    np.save(p, np.arange(1000, dtype=np.int64))
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(FormatError, match="not a readable .npy file"):
        read_trace(p)


def test_npz_wrong_keys(tmp_path: Path) -> None:
    p = tmp_path / "t.npz"
    np.savez(p, address=np.arange(10))
    with pytest.raises(FormatError, match=r"\.npz keys \['address'\]"):
        read_trace(p)


def test_garbage_text_line(tmp_path: Path) -> None:
    p = tmp_path / "t.din"
    p.write_text("0 40\n0 80\nhello world\n")
    with pytest.raises(FormatError, match=r"t.din:3: bad din line 'hello world'"):
        list(read_trace(p))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "janus1", *args], capture_output=True,
                          text=True, timeout=300)


def test_cli_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    bad_npy = tmp_path / "t.npy"
    np.save(bad_npy, np.arange(1000, dtype=np.int64))
    bad_npy.write_bytes(bad_npy.read_bytes()[:-100])
    bad_npz = tmp_path / "k.npz"
    np.savez(bad_npz, foo=np.arange(3))
    garbage = tmp_path / "g.ramulator"
    garbage.write_text("0x40 R\nnot a line\n")
    bad_line = tmp_path / "h1.toml"
    bad_line.write_text('[[level]]\nname = "L1"\nsize = "32KiB"\nways = 8\nline = "48B"\n')
    bad_size = tmp_path / "h2.toml"
    bad_size.write_text('[[level]]\nname = "L1"\nsize = "40000B"\nways = 8\nline = "64B"\n')
    cases = [
        (["--hierarchy", "two-level", "--trace", str(bad_npy)], "not a readable .npy"),
        (["--hierarchy", "two-level", "--trace", str(bad_npz)], ".npz keys"),
        (["--hierarchy", "two-level", "--trace", str(garbage)], "g.ramulator:2: bad ramulator"),
        (["--hierarchy", str(bad_line), "--trace", str(garbage)],
         "line size 48 B is not a power of two"),
        (["--hierarchy", str(bad_size), "--trace", str(garbage)], "is not divisible by ways*line"),
        (["--hierarchy", "nope", "--trace", str(garbage)], "unknown hierarchy 'nope'"),
        (["--hierarchy", "two-level", "--trace", str(tmp_path / "missing.npy")], "no such trace"),
    ]
    for args, msg in cases:
        r = _cli("simulate", *args)
        assert r.returncode == 2, (args, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("janus1: error:"), r.stderr
        assert msg in lines[0], lines[0]
        assert "Traceback" not in r.stderr
