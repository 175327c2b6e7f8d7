"""generate / perplexity / compare: JSON keys and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from janus1.models import asset_path

WIKI = str(asset_path("wikitext", "wiki.test.raw"))
BIN = asset_path("stories260K", "stories260K.bin")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "janus1", *args], capture_output=True,
                          text=True, timeout=300)


def one_line(res: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert res.returncode == 2, res
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_perplexity_json_keys() -> None:
    res = run("perplexity", "stories260k", "--text", WIKI, "--max-tokens", "1024",
              "--context", "128", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert {"ppl", "tokens", "context", "stride", "nll"} <= set(out)
    assert out["tokens"] == 8 * 63 and out["context"] == 128 and out["stride"] is None
    assert abs(out["ppl"] - 2.718281828 ** out["nll"]) < 1e-6 * out["ppl"]


def test_compare_json_keys_and_ranges() -> None:
    res = run("compare", "stories260k", "--text", WIKI, "--max-tokens", "1024", "--weights",
              "int4", "--kv", "int8", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    for k in ("ppl_reference", "ppl", "ppl_delta_pct", "kl_mean", "top1_agreement",
              "top5_agreement", "logit_mse"):
        assert k in out
    assert 0 <= out["top1_agreement"] <= out["top5_agreement"] <= 1
    assert out["kl_mean"] > 0 and out["ppl"] > out["ppl_reference"]


def test_generate_prompt_json() -> None:
    res = run("generate", "stories260k", "--prompt", "Once upon", "--steps", "5", "--json")
    out = json.loads(res.stdout)
    assert out["prompt_ids"][0] == 1 and len(out["token_ids"]) == 5
    assert out["text"].startswith("Once upon") and out["tokens_per_s"] > 0


def test_truncated_checkpoint(tmp_path: Path) -> None:
    p = tmp_path / "m.bin"
    p.write_bytes(BIN.read_bytes()[:500_000])
    (tmp_path / "tok512.bin").write_bytes(asset_path("stories260K", "tok512.bin").read_bytes())
    one_line(run("generate", str(p)), str(p), "truncated")


def test_corrupt_tokenizer(tmp_path: Path) -> None:
    t = tmp_path / "tok.bin"
    t.write_bytes(b"\xff\xff\xff\x7f" + b"\0" * 20)
    one_line(run("generate", "stories260k", "--tokenizer", str(t)), str(t), "corrupt")


@pytest.mark.parametrize(("args", "needle"), [
    (("perplexity", "stories260k", "--text", "/no/such.txt"), "/no/such.txt"),
    (("perplexity", "stories260k", "--text", WIKI, "--weights", "int5"), "int5"),
    (("perplexity", "stories260k", "--text", WIKI, "--context", "1024"), "--context 1024"),
    (("compare", "stories260k", "--text", WIKI, "--kv", "int8:bogus"), "bogus"),
    (("generate", "no-such-model"), "no-such-model"),
])
def test_bad_values(args: tuple[str, ...], needle: str) -> None:
    one_line(run(*args), needle)
