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


def write_gpt2_gguf(folder: Path, path: Path, n_layer: int, vocab: int = 96) -> None:
    """The saved HF model as a llama.cpp gpt2 GGUF (F32), named and laid out as
    llama.cpp's convert_hf_to_gguf.py writes it: Conv1D weights transposed to [out, in]."""
    import gguf
    from safetensors.numpy import load_file

    st = load_file(str(folder / "model.safetensors"))
    w = gguf.GGUFWriter(str(path), "gpt2")
    w.add_context_length(64)
    w.add_embedding_length(64)
    w.add_feed_forward_length(256)
    w.add_block_count(n_layer)
    w.add_head_count(4)
    w.add_layer_norm_eps(1e-5)
    w.add_tokenizer_model("gpt2")   # a byte-level BPE vocabulary: janus1 does not read it
    w.add_token_list([chr(0x21 + i) for i in range(vocab)])
    w.add_token_types([1] * vocab)
    w.add_token_merges(['! "'])
    w.add_bos_token_id(vocab - 1)
    w.add_eos_token_id(vocab - 1)

    def g(name: str) -> np.ndarray:
        return st["transformer." + name]

    w.add_tensor("token_embd.weight", g("wte.weight"))
    w.add_tensor("position_embd.weight", g("wpe.weight"))
    for i in range(n_layer):
        for a, b in (("attn_norm", "ln_1"), ("ffn_norm", "ln_2")):
            w.add_tensor(f"blk.{i}.{a}.weight", g(f"h.{i}.{b}.weight"))
            w.add_tensor(f"blk.{i}.{a}.bias", g(f"h.{i}.{b}.bias"))
        for a, b in (("attn_qkv", "attn.c_attn"), ("attn_output", "attn.c_proj"),
                     ("ffn_up", "mlp.c_fc"), ("ffn_down", "mlp.c_proj")):
            w.add_tensor(f"blk.{i}.{a}.weight", np.ascontiguousarray(g(f"h.{i}.{b}.weight").T))
            w.add_tensor(f"blk.{i}.{a}.bias", g(f"h.{i}.{b}.bias"))
    w.add_tensor("output_norm.weight", g("ln_f.weight"))
    w.add_tensor("output_norm.bias", g("ln_f.bias"))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def test_gpt2_gguf_matches_transformers_and_llama_cpp(tmp_path: Path) -> None:
    """A gpt2 GGUF: janus1 within 1e-4 of transformers; llama.cpp reads the same file
    to within 2e-3 (measured 6.9e-4: ggml computes GELU from an fp16 table), which
    confirms the tensor names and layout are llama.cpp's."""
    import subprocess
    import sys

    pytest.importorskip("llama_cpp")
    model = save_gpt2(tmp_path, n_layer=2)
    p = tmp_path / "gpt2.gguf"
    write_gpt2_gguf(tmp_path, p, 2)
    tokens = np.random.default_rng(3).integers(0, 96, T).astype(np.int64)
    ref = hf_logits(model, tokens)
    ck = load_checkpoint(p)
    assert ck.spec.arch == "gpt2" and ck.tokenizer is None
    got = FloatDecoder.from_checkpoint(ck).forward_batch(tokens)[0]
    assert rel_err(ref, got) <= 1e-4, rel_err(ref, got)
    np.save(tmp_path / "tokens.npy", tokens)
    child = Path(__file__).parents[1] / "models" / "_llama_cpp_child.py"
    res = subprocess.run([sys.executable, str(child), "logits", str(p),
                          str(tmp_path / "tokens.npy"), str(tmp_path / "lc.npy")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    lc = np.load(tmp_path / "lc.npy").astype(np.float64)
    assert rel_err(ref, lc) <= 2e-3 and rel_err(got, lc) <= 2e-3, (rel_err(ref, lc),
                                                                   rel_err(got, lc))
