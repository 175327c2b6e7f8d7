"""GPT-2-family checkpoints (Hugging Face folders, safetensors) in the float decoder,
against transformers' own GPT2LMHeadModel on random-initialised models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from janus1.decoder.checkpoint import load_checkpoint
from janus1.decoder.float_ref import FloatDecoder, GPT2FloatDecoder
from janus1.errors import FormatError
from janus1.models.weights import GPT2Weights

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

T = 24   # positions compared


def save_gpt2(folder: Path, *, n_layer: int, n_embd: int = 64, n_head: int = 4,
              vocab: int = 96, activation: str = "gelu_new", seed: int = 0) -> object:
    """A random-initialised GPT2LMHeadModel saved as safetensors (float32)."""
    torch.manual_seed(seed)
    cfg = transformers.GPT2Config(vocab_size=vocab, n_positions=64, n_embd=n_embd,
                                  n_layer=n_layer, n_head=n_head,
                                  activation_function=activation, bos_token_id=vocab - 1,
                                  eos_token_id=vocab - 1)
    model = transformers.GPT2LMHeadModel(cfg).eval()
    with torch.no_grad():   # larger than the 0.02 init, so that the blocks matter
        for prm in model.parameters():
            prm.add_(torch.randn_like(prm) * 0.1)
    model.save_pretrained(folder, safe_serialization=True)
    return model


def hf_logits(model: object, tokens: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        out = model(torch.from_numpy(tokens[None]))  # type: ignore[operator]
    return out.logits[0].double().numpy()                         # (T, vocab)


def rel_err(ref: np.ndarray, got: np.ndarray) -> float:
    """Largest error relative to each position's max |logit|."""
    return float((np.abs(ref - got).max(-1) / np.abs(ref).max(-1)).max())


@pytest.mark.parametrize(("n_layer", "activation"), [
    (2, "gelu_new"),     # GPT-2-shaped, small
    (6, "gelu_new"),     # DistilGPT2-shaped: 6 layers, small width
    (2, "gelu"),         # the exact (erf) GELU
])
def test_gpt2_logits_match_transformers(tmp_path: Path, n_layer: int, activation: str) -> None:
    model = save_gpt2(tmp_path, n_layer=n_layer, activation=activation)
    tokens = np.random.default_rng(3).integers(0, 96, T).astype(np.int64)
    ref = hf_logits(model, tokens)
    ck = load_checkpoint(tmp_path)
    assert ck.tokenizer is None and ck.spec.arch == "gpt2" and ck.spec.n_layers == n_layer
    assert isinstance(ck.weights, GPT2Weights)
    assert ck.spec.gelu_approx == ("tanh" if activation == "gelu_new" else "none")
    dec = FloatDecoder(ck.spec, ck.weights)
    assert isinstance(dec, GPT2FloatDecoder)
    step = np.stack([dec.step(int(t), i) for i, t in enumerate(tokens)])   # (T, vocab)
    assert step.shape == (T, 96)
    assert rel_err(ref, step) <= 1e-4, rel_err(ref, step)
    batch = FloatDecoder.from_checkpoint(ck).forward_batch(tokens)[0]
    assert rel_err(ref, batch) <= 1e-4, rel_err(ref, batch)
    # the comparison is sensitive: a wrong GELU form or an untransposed Conv1D fails it
    other = "none" if ck.spec.gelu_approx == "tanh" else "tanh"
    wrong = FloatDecoder(ck.spec.replace(gelu_approx=other), ck.weights).forward_batch(tokens)
    assert rel_err(ref, wrong[0]) > 1e-4


def test_names_without_transformer_prefix(tmp_path: Path) -> None:
    """The hub's gpt2 / distilgpt2 files name tensors ``h.0.attn.c_attn.weight``, ``wte``."""
    from safetensors.numpy import load_file, save_file

    model = save_gpt2(tmp_path, n_layer=2)
    f = tmp_path / "model.safetensors"
    t = load_file(str(f))
    assert any(k.startswith("transformer.") for k in t)
    save_file({k.removeprefix("transformer."): v for k, v in t.items()}, str(f))
    tokens = np.arange(T, dtype=np.int64) % 96
    ck = load_checkpoint(tmp_path)
    got = FloatDecoder.from_checkpoint(ck).forward_batch(tokens)[0]
    assert rel_err(hf_logits(model, tokens), got) <= 1e-4


def test_quantized_gpt2_weights_and_kv(tmp_path: Path) -> None:
    """Weight and KV schemes apply to GPT-2 too: close to float, not equal."""
    save_gpt2(tmp_path, n_layer=2)
    ck = load_checkpoint(tmp_path)
    tokens = np.arange(T, dtype=np.int64) % 96
    ref = FloatDecoder.from_checkpoint(ck).forward_batch(tokens)[0]
    for kw in ({"weights_scheme": "int8"}, {"kv_scheme": "int8"}):
        got = FloatDecoder.from_checkpoint(ck, **kw).forward_batch(tokens)[0]
        assert 0 < rel_err(ref, got) < 0.05, kw


def test_gpt2_missing_tensor_is_one_line(tmp_path: Path) -> None:
    from safetensors.numpy import load_file, save_file

    save_gpt2(tmp_path, n_layer=2)
    f = tmp_path / "model.safetensors"
    t = load_file(str(f))
    del t["transformer.h.1.mlp.c_fc.bias"]
    save_file(t, str(f))
    with pytest.raises(FormatError, match=r"lack tensor transformer.h.1.mlp.c_fc.bias"):
        load_checkpoint(tmp_path)
