"""Perplexity protocols and comparison metrics on any step decoder."""

from __future__ import annotations

import numpy as np
import pytest

from janus1.decoder import FloatDecoder, load_checkpoint
from janus1.decoder.evaluate import compare, perplexity, perplexity_windows
from janus1.errors import InputError
from janus1.models import asset_path

WIKI = asset_path("wikitext", "wiki.test.raw")


class StepOnly:
    """A decoder offering only the step protocol (like the fixed-point decoder)."""

    def __init__(self, inner: FloatDecoder) -> None:
        self.inner, self.spec = inner, inner.spec

    def reset(self) -> None:
        self.inner.reset()

    def step(self, token: int, pos: int) -> np.ndarray:
        return self.inner.step(token, pos)


def test_llama_protocol_windows() -> None:
    # llama-perplexity: floor(16384 / 256) = 64 windows, positions 128..254 scored
    w = perplexity_windows(16384, 256)
    assert len(w) == 64 and w[1][0] == 256
    assert list(w[0][1]) == list(range(128, 255))
    assert sum(len(p) for _, p in w) == 64 * 127


def test_strided_protocol_scores_each_token_once() -> None:
    w = perplexity_windows(1000, 128, stride=64)
    targets = np.concatenate([b + p + 1 for b, p in w])
    assert len(targets) == len(set(targets.tolist()))
    assert targets.min() == 1 and targets.max() == w[-1][0] + 127


def test_errors_name_the_option() -> None:
    with pytest.raises(InputError, match="fewer than one window of --context 256"):
        perplexity_windows(100, 256)
    with pytest.raises(InputError, match="--stride must be between 1 and context - 1"):
        perplexity_windows(1000, 64, stride=64)


def test_step_path_equals_batched_path_and_self_compare_is_exact() -> None:
    ck = load_checkpoint("stories260k")
    ids = ck.tokenizer.encode(WIKI.read_text(), max_tokens=64 * 4)
    dec = FloatDecoder.from_checkpoint(ck)
    a = perplexity(dec, ids, context=64)
    b = perplexity(StepOnly(dec), ids, context=64)
    assert a.tokens == b.tokens == 4 * 31
    assert abs(a.nll - b.nll) < 1e-5
    c = compare(dec, StepOnly(FloatDecoder.from_checkpoint(ck)), ids, context=64)
    assert c.top1_agreement == 1.0 and c.top5_agreement == 1.0
    assert c.kl_mean < 1e-9 and c.logit_mse < 1e-9 and abs(c.ppl_delta_pct) < 1e-4


def test_uniform_decoder_has_perplexity_of_the_vocabulary() -> None:
    # closed form: constant logits give ppl = vocab size
    ck = load_checkpoint("stories260k")

    class Uniform(StepOnly):
        def step(self, token: int, pos: int) -> np.ndarray:
            return np.zeros(512)

    ids = ck.tokenizer.encode(WIKI.read_text(), max_tokens=300)
    r = perplexity(Uniform(FloatDecoder.from_checkpoint(ck)), ids, context=128, stride=32)
    assert abs(r.ppl - 512) < 1e-6
