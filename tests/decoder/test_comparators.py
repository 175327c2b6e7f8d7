"""The float decoder against Hugging Face transformers and llama.cpp (llama-cpp-python)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import require

from janus1.decoder import Checkpoint, FloatDecoder, load_checkpoint
from janus1.decoder.evaluate import log_softmax, perplexity, perplexity_windows
from janus1.models import asset_path

GGUF = asset_path("stories260K", "stories260K.gguf")
WIKI = asset_path("wikitext", "wiki.test.raw")
EXPECTED = [int(t) for t in asset_path("stories260K", "expected_greedy_stories260K_token_ids.txt")
            .read_text().split()]


@pytest.fixture(scope="module")
def ckpt():  # type: ignore[no-untyped-def]
    return load_checkpoint(str(GGUF))


def _llama(n_ctx: int):  # type: ignore[no-untyped-def]
    llama_cpp = require("llama_cpp")
    # F32 KV cache (GGML_TYPE_F32 = 0) so that only the matrix arithmetic differs
    return llama_cpp.Llama(model_path=str(GGUF), n_ctx=n_ctx, n_batch=n_ctx, logits_all=True,
                           type_k=0, type_v=0, n_threads=1, verbose=False, seed=0)


def test_logits_match_hf_llama_within_1e4_relative(ckpt: Checkpoint, tmp_path: Path) -> None:
    torch = require("torch")
    transformers = require("transformers")
    from janus1.decoder.hf_export import export_hf

    folder = export_hf(ckpt, tmp_path / "hf")
    model = transformers.LlamaForCausalLM.from_pretrained(str(folder), torch_dtype=torch.float32)
    model.eval()
    toks = np.array([[1, *EXPECTED[:255]]])
    with torch.no_grad():
        ref = model(torch.tensor(toks)).logits[0].numpy().astype(np.float64)
    ours = FloatDecoder.from_checkpoint(ckpt).forward_batch(toks)[0].astype(np.float64)
    # relative to the logit scale of each position (elementwise relative error is
    # meaningless for logits near zero)
    scale = np.abs(ref).max(axis=-1, keepdims=True)
    assert np.max(np.abs(ours - ref) / scale) < 1e-4
    # and the HF folder read back by janus1 (split-halves RoPE) gives the same logits
    halves = FloatDecoder.from_checkpoint(load_checkpoint(str(folder))).forward_batch(toks)[0]
    assert np.max(np.abs(halves - ref) / scale) < 1e-4


def test_step_logits_match_llama_cpp_within_1e3_absolute(ckpt: Checkpoint) -> None:
    llm = _llama(512)
    toks = [1, *EXPECTED[:300]]
    llm.reset()
    llm.eval(toks)
    ref = np.array(llm.scores[:len(toks)], dtype=np.float64)
    dec = FloatDecoder.from_checkpoint(ckpt)
    ours = np.stack([dec.step(t, i) for i, t in enumerate(toks)])
    assert np.max(np.abs(ours - ref)) < 1e-3


def test_perplexity_matches_llama_cpp_logits_within_1pct(ckpt: Checkpoint) -> None:
    # llama-perplexity protocol, context 256, first 16,384 tokens of wiki.test.raw in the
    # run.c/llama.cpp token stream (two leading "▁"; identical to llama.cpp's tokenize)
    ctx = 256
    ids = ckpt.tokenizer.encode(WIKI.read_text(), max_tokens=16384)
    llm = _llama(ctx)
    assert llm.tokenize(WIKI.read_text()[:5000].encode(), add_bos=True)[:500] == ids[:500]
    nll, n = 0.0, 0
    for b, pos in perplexity_windows(len(ids), ctx):
        win = list(ids[b:b + ctx])
        win[0] = 1
        llm.reset()
        llm.eval(win)
        lp = log_softmax(np.array(llm.scores[:ctx]))
        nll -= float(sum(lp[j, win[j + 1]] for j in pos))
        n += len(pos)
    ppl_cpp = float(np.exp(nll / n))
    ours = perplexity(FloatDecoder.from_checkpoint(ckpt), ids, context=ctx)
    assert ours.tokens == n == 64 * 127
    assert abs(ours.ppl / ppl_cpp - 1) < 0.01
