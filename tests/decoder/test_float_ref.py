"""Float reference decoder: golden greedy decode, cache vs no cache, RoPE layouts, sampler."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import shared_path

from janus1.decoder import FloatDecoder, Sampler, generate, load_checkpoint
from janus1.decoder.float_ref import apply_rope, rope_tables
from janus1.models import asset_path

EXPECTED = [int(t) for t in asset_path("stories260K", "expected_greedy_stories260K_token_ids.txt")
            .read_text().split()]


def _cli_generate(model: str, *extra: str) -> dict:  # type: ignore[type-arg]
    res = subprocess.run([sys.executable, "-m", "janus1", "generate", model, "--steps", "256",
                          "--temperature", "0", "--json", *extra],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.parametrize("name", ["stories260K.bin", "stories260K.gguf"])
def test_generate_reproduces_expected_greedy_ids(name: str) -> None:
    # ../shared/models/stories260K: the .bin finds tok512.bin beside it; the GGUF has its own
    model = shared_path("models", "stories260K", name)
    out = _cli_generate(str(model))
    assert out["prompt_ids"] == [1]
    assert out["token_ids"] == EXPECTED
    want = shared_path("models", "stories260K", "expected_greedy_stories260K.txt").read_text()
    assert out["text"] == want


def test_step_and_batched_forward_agree() -> None:
    ck = load_checkpoint("stories260k")
    dec = FloatDecoder.from_checkpoint(ck)
    toks = np.array([1, *EXPECTED[:99]])
    full = dec.forward_batch(toks[None])[0]
    steps = np.stack([dec.step(int(t), i) for i, t in enumerate(toks)])
    assert np.max(np.abs(full - steps)) < 1e-4


def test_batched_step_equals_single_sequences() -> None:
    ck = load_checkpoint("stories260k")
    dec = FloatDecoder.from_checkpoint(ck, batch=3)
    seqs = np.array([[1, *EXPECTED[:20]], [1, *EXPECTED[5:25]], [1, *EXPECTED[40:60]]])
    batched = np.stack([dec.step_batch(seqs[:, i], i) for i in range(seqs.shape[1])], axis=1)
    single = FloatDecoder.from_checkpoint(ck)
    for b in range(3):
        single.reset()
        ref = np.stack([single.step(int(t), i) for i, t in enumerate(seqs[b])])
        assert np.max(np.abs(batched[b] - ref)) < 1e-4


def test_rope_layouts_are_the_same_rotation_permuted() -> None:
    # halves layout of x == interleaved layout of x with pair i at (2i, 2i+1)
    spec = load_checkpoint("stories260k").spec
    cos, sin = rope_tables(spec, 10)
    x = np.random.default_rng(0).standard_normal((10, 8)).astype(np.float32)
    perm = np.array([0, 2, 4, 6, 1, 3, 5, 7])       # interleaved index of halves slot
    a = apply_rope(x, cos, sin, "interleaved")
    b = apply_rope(x[:, perm], cos, sin, "halves")
    assert np.allclose(a[:, perm], b, atol=1e-6)
    # a pure rotation: norms of each pair are kept; position 0 is the identity
    assert np.allclose(a[0], x[0]) and np.allclose(np.linalg.norm(a, axis=1),
                                                   np.linalg.norm(x, axis=1), rtol=1e-5)


def test_seeded_sampling_is_reproducible_and_topp_restricts_support() -> None:
    ck = load_checkpoint("stories260k")
    dec = FloatDecoder.from_checkpoint(ck)
    a = generate(dec, [1], 40, sampler=Sampler(temperature=1.0, topp=0.9, seed=7)).token_ids
    b = generate(dec, [1], 40, sampler=Sampler(temperature=1.0, topp=0.9, seed=7)).token_ids
    c = generate(dec, [1], 40, sampler=Sampler(temperature=1.0, topp=0.9, seed=8)).token_ids
    assert a == b and a != c
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    s = Sampler(temperature=1.0, topp=0.6, seed=0)
    assert {s.sample(logits) for _ in range(300)} == {0, 1}   # 0.5 + 0.3 first exceeds 0.6


def test_kv_cache_bytes_follow_the_formula() -> None:
    # 2 * n_layers * n_kv_heads * head_dim * context * 4 bytes (ANCHORS: 640 B/token at FP16)
    ck = load_checkpoint("stories260k")
    dec = FloatDecoder.from_checkpoint(ck, batch=2)
    assert dec.kv_cache_bytes == 2 * 5 * 4 * 8 * 512 * 4 * 2


def test_decoder_copies_and_pickles() -> None:
    # FloatDecoder picks GPT2FloatDecoder in __new__ for GPT-2 specs; copy and pickle
    # re-create instances without arguments and must keep working
    import copy
    import pickle

    from janus1.decoder import FloatDecoder, load_checkpoint

    d = FloatDecoder.from_checkpoint(load_checkpoint("stories260k"))
    for twin in (copy.deepcopy(d), pickle.loads(pickle.dumps(d))):
        assert type(twin) is type(d)
        assert (twin.step(1, 0) == d.step(1, 0)).all()
