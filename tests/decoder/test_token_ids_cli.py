"""Checkpoints without a tokenizer run on token ids: generate/compare --prompt-ids,
perplexity/compare --token-ids, and the KV study on a GPT-2-family folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from janus1.decoder.checkpoint import load_checkpoint, parse_token_ids, read_token_ids
from janus1.decoder.evaluate import generate, perplexity
from janus1.decoder.float_ref import FloatDecoder
from janus1.errors import InputError

pytest.importorskip("transformers")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "janus1", *args], capture_output=True,
                          text=True, timeout=300)


def one_line(res: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert res.returncode == 2, res
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture(scope="module")
def gpt2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_gpt2 import save_gpt2

    d = tmp_path_factory.mktemp("gpt2")
    save_gpt2(d, n_layer=2)
    return d


def test_generate_prompt_ids(gpt2_dir: Path) -> None:
    res = run("generate", str(gpt2_dir), "--prompt-ids", "95, 3 7", "--steps", "6", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    want = generate(FloatDecoder.from_checkpoint(load_checkpoint(gpt2_dir)), [95, 3, 7], 6)
    assert out["prompt_ids"] == [95, 3, 7] and out["token_ids"] == want.token_ids
    assert out["text"] is None and len(out["token_ids"]) == 6


def test_no_tokenizer_is_one_line(gpt2_dir: Path, tmp_path: Path) -> None:
    one_line(run("generate", str(gpt2_dir), "--steps", "2"), "no tokenizer", "--prompt-ids")
    one_line(run("generate", str(gpt2_dir), "--prompt-ids", "1,96"), "outside the vocabulary")
    one_line(run("perplexity", str(gpt2_dir), "--text", str(tmp_path / "x.txt")),
             "no tokenizer", "--token-ids")
    bad = tmp_path / "ids.txt"
    bad.write_text("1 2 three\n")
    one_line(run("perplexity", str(gpt2_dir), "--token-ids", str(bad)), "ids.txt", "three")


def test_perplexity_and_compare_on_token_ids(gpt2_dir: Path, tmp_path: Path) -> None:
    ids = [int(x) for x in np.random.default_rng(0).integers(0, 96, 40)]
    f = tmp_path / "ids.txt"
    f.write_text(" ".join(map(str, ids[:20])) + "\n" + ",".join(map(str, ids[20:])) + "\n")
    assert read_token_ids(f, 96) == ids
    res = run("perplexity", str(gpt2_dir), "--token-ids", str(f), "--context", "16", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    want = perplexity(FloatDecoder.from_checkpoint(load_checkpoint(gpt2_dir)), ids,
                      context=16, bos_id=ids[0])
    assert out["tokens"] == want.tokens and abs(out["ppl"] - want.ppl) < 1e-9 * want.ppl
    res = run("compare", str(gpt2_dir), "--prompt-ids", ",".join(map(str, ids)),
              "--weights", "int4", "--context", "16", "--json")
    assert res.returncode == 0, res.stderr
    cmp = json.loads(res.stdout)
    assert abs(cmp["ppl_reference"] - want.ppl) < 1e-9 * want.ppl
    assert cmp["kl_mean"] > 0 and cmp["ppl"] != cmp["ppl_reference"]


def test_parse_token_ids_errors() -> None:
    assert parse_token_ids(" 1,2  3\n4 ", 5) == [1, 2, 3, 4]
    for bad in ("", "1,-2", "1.5", "x", "٣"):
        with pytest.raises(InputError):
            parse_token_ids(bad, 5)


def test_kvstudy_on_a_gpt2_folder(gpt2_dir: Path, tmp_path: Path) -> None:
    from janus1.study import run_study

    out = run_study(name="k", out_root=tmp_path, only=("kvstudy",), section_config={
        "kvstudy": {"model": str(gpt2_dir), "lengths": [16, 32], "batches": [1, 2]}})
    runs = json.loads((out / "kvstudy" / "kvstudy.json").read_text())["runs"]
    backends = {r["backend"] for r in runs}
    assert "numpy" in backends and "torch-cpu" in backends
    spec = load_checkpoint(gpt2_dir).spec
    for r in runs:
        if r["backend"] == "numpy" and r["cache"]:
            # 2 (K, V) x layers x width x positions x batch x 4 bytes (float32)
            n = r["prompt_len"] + r["gen_len"]
            assert r["kv_bytes_measured"] == 2 * spec.n_layers * spec.dim * n * r["batch"] * 4
    assert "GPT2LMHeadModel" in (out / "report.md").read_text()


def test_quant_study_on_a_gpt2_folder(gpt2_dir: Path, tmp_path: Path) -> None:
    from janus1.decoder.quant import parse_scheme, weight_bytes
    from janus1.study import run_study

    f = tmp_path / "ids.txt"
    f.write_text(" ".join(map(str, [95, *np.random.default_rng(0).integers(0, 96, 300)])))
    out = run_study(name="q", out_root=tmp_path, only=("quant",), section_config={
        "quant": {"model": str(gpt2_dir), "token_ids": str(f), "context": 64}})
    import csv

    rows = list(csv.DictReader((out / "quant" / "quant.csv").open()))
    spec = load_checkpoint(gpt2_dir).spec
    fp32 = rows[0]
    assert (fp32["target"], fp32["scheme"]) == ("weights", "none")
    assert int(fp32["bytes"]) == 4 * spec.params == weight_bytes(spec, parse_scheme("none"))
    int4 = next(r for r in rows if (r["target"], r["scheme"]) == ("weights", "int4"))
    assert float(int4["kl_mean"]) > float(
        next(r for r in rows if r["scheme"] == "int8" and r["target"] == "weights")["kl_mean"])
