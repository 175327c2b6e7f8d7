"""The seed-004 sanity model: its small config with random weights from a seed.

Seed 004, "Targets (initial)": "Small config (sanity): SeqLen=16, ModelDim=64, Heads=4,
HeadDim=16". The seed leaves the rest open; janus1 fills it as follows (stated here, used
everywhere ``sanity`` is named):

- vocabulary 512 with the shipped stories260K tokenizer (``tok512.bin``), so ``generate``
  and ``compare`` can run on text;
- 2 layers, 4 KV heads (no GQA), hidden_dim 192 (llama2.c ``model.py``'s rule:
  ``4 * dim * 2 / 3`` rounded up to a multiple of 32);
- weights drawn from ``numpy.random.default_rng(seed)``: matrices and the token embedding
  normal with standard deviation ``1/sqrt(fan_in)`` (``1/sqrt(dim)`` for the embedding,
  so the layers, not the token's own row, dominate the tied classifier's logits), RMSNorm
  gains ``1 + 0.1 * normal``, a classifier tied to the embedding; float32, like a checkpoint.
"""

from __future__ import annotations

import numpy as np

from ..models import asset_path
from ..models.spec import ModelSpec

__all__ = ["sanity_spec", "sanity_checkpoint"]


def sanity_spec() -> ModelSpec:
    """The sanity architecture (see the module docstring)."""
    return ModelSpec(dim=64, hidden_dim=192, n_layers=2, n_heads=4, n_kv_heads=4,
                     head_dim=16, vocab_size=512, seq_len=16, rope_layout="interleaved",
                     tied_classifier=True, name="sanity",
                     source="seed 004 'Targets (initial)': SeqLen 16, ModelDim 64, Heads 4, "
                            "HeadDim 16; other fields janus1's choice (janus1.decoder.sanity)")


def sanity_checkpoint(seed: int = 0):  # type: ignore[no-untyped-def]
    """A :class:`~janus1.decoder.checkpoint.Checkpoint` of the sanity model.

    Args:
        seed: seed of the weight generator.
    """
    from ..models.tokenizer import load_tokenizer
    from ..models.weights import Weights
    from .checkpoint import Checkpoint

    spec = sanity_spec()
    rng = np.random.default_rng(seed)
    L, d, h, q, kv = spec.n_layers, spec.dim, spec.hidden_dim, spec.q_dim, spec.kv_dim

    def mat(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float32)

    def gain(*shape: int) -> np.ndarray:
        return (1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32)

    emb = (rng.standard_normal((spec.vocab_size, d)) / np.sqrt(d)).astype(np.float32)
    w = Weights(token_embedding=emb, rms_att=gain(L, d), wq=mat(L, q, d), wk=mat(L, kv, d),
                wv=mat(L, kv, d), wo=mat(L, d, q), rms_ffn=gain(L, d), w1=mat(L, h, d),
                w2=mat(L, d, h), w3=mat(L, h, d), rms_final=gain(d), wcls=emb)
    w.check(spec, "sanity")
    tok = load_tokenizer(asset_path("stories260K", "tok512.bin"), vocab_size=spec.vocab_size)
    return Checkpoint(spec=spec, weights=w, tokenizer=tok, source=f"sanity (seed {seed})")
