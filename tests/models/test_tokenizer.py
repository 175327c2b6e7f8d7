"""Tokenizers: llama2.c tokenizer.bin, GGUF, SentencePiece; against sentencepiece and
llama.cpp."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from conftest import require

from janus1.errors import FormatError
from janus1.models import asset_path
from janus1.models.tokenizer import load_tokenizer

TOKBIN = asset_path("stories260K", "tok512.bin")
SPMODEL = asset_path("stories260K", "tok512.model")
GGUF = asset_path("stories260K", "stories260K.gguf")
WIKI = asset_path("wikitext", "wiki.test.raw")


def test_decode_of_expected_greedy_ids_is_llama2c_text() -> None:
    tok = load_tokenizer(TOKBIN)
    ids = [int(t) for t in asset_path("stories260K", "expected_greedy_stories260K_token_ids.txt")
           .read_text().split()]
    want = asset_path("stories260K", "expected_greedy_stories260K.txt").read_text()
    assert tok.decode([tok.bos_id, *ids]) == want


def test_bin_and_gguf_tokenizers_agree_on_wikitext() -> None:
    text = WIKI.read_text()[:60_000]
    a, b = load_tokenizer(TOKBIN), load_tokenizer(GGUF)
    assert a.encode(text) == b.encode(text)
    assert (a.bos_id, a.eos_id) == (b.bos_id, b.eos_id) == (1, 2)


def test_bin_tokenizer_matches_sentencepiece_where_no_leading_space() -> None:
    # SentencePiece (tok512.model) drops a text's leading space (remove_extra_whitespaces);
    # run.c's encode keeps it. On text without leading/double spaces they agree.
    spm = require("sentencepiece")
    sp = spm.SentencePieceProcessor(model_file=str(SPMODEL))
    tok = load_tokenizer(TOKBIN)
    for text in ["Once upon a time, there was a little girl named Lily.",
                 "Zürich €5 naïve\nnew line", WIKI.read_text()[1:20_000].replace("  ", " ")]:
        assert tok.encode(text, bos=False) == sp.encode(text), text[:40]


def test_leading_space_gives_two_underscore_tokens_like_llama_cpp() -> None:
    tok = load_tokenizer(TOKBIN)
    sp = load_tokenizer(SPMODEL)
    text = WIKI.read_text()[:200]
    assert tok.encode(text)[:4] == [1, 410, 410, 64]   # BOS, "▁", "▁", "="
    assert sp.encode(text)[:3] == [1, 410, 64]         # SentencePiece: one "▁"


def test_max_tokens_prefix_equals_whole_text_prefix() -> None:
    text = WIKI.read_text()[:200_000]
    for src in (TOKBIN, SPMODEL):
        tok = load_tokenizer(src)
        assert tok.encode(text, max_tokens=3000) == tok.encode(text)[:3000]


def test_llama_cpp_tokenizer_agrees() -> None:
    llama_cpp = require("llama_cpp")
    llm = llama_cpp.Llama(model_path=str(GGUF), n_ctx=64, vocab_only=True, verbose=False)
    text = WIKI.read_text()[:30_000]
    assert load_tokenizer(TOKBIN).encode(text) == llm.tokenize(text.encode(), add_bos=True)


def test_truncated_tokenizer_is_a_format_error(tmp_path: Path) -> None:
    p = tmp_path / "tok.bin"
    p.write_bytes(TOKBIN.read_bytes()[:-3])
    with pytest.raises(FormatError, match="truncated llama2.c tokenizer at token 511"):
        load_tokenizer(p)


def test_corrupt_token_length_is_a_format_error(tmp_path: Path) -> None:
    raw = bytearray(TOKBIN.read_bytes())
    raw[8:12] = struct.pack("<i", -5)   # length of token 0
    p = tmp_path / "tok.bin"
    p.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="corrupt llama2.c tokenizer at token 0"):
        load_tokenizer(p)


def test_vocab_size_mismatch(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="tokenizer has 512 tokens, the model needs 32000"):
        load_tokenizer(TOKBIN, vocab_size=32000)
