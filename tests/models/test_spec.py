"""ModelSpec presets and readers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from janus1.errors import FormatError, InputError
from janus1.models import asset_path, load_spec, model_presets

PRESETS = ("llama-2-7b", "llama-2-13b", "llama-3-8b", "tinyllama-1.1b", "gpt2", "distilgpt2",
           "stories15m", "stories42m", "stories110m", "stories260k")


def test_all_issue_presets_exist_with_sources() -> None:
    from janus1.presets import load_preset

    for name in PRESETS:
        assert name in model_presets()
        assert load_preset("models", name)["source"]


# Published parameter counts: HF model cards / the papers (Llama 2 "7B" = 6,738,415,616;
# GPT-2 124,439,808; DistilGPT2 81,912,576 (HF hub "82M"); TinyLlama 1,100,048,384;
# Llama-3-8B 8,030,261,248), llama2.c README for stories (15M, 42M, 110M, 260K).
@pytest.mark.parametrize(("name", "params", "rel"), [
    ("llama-2-7b", 6_738_415_616, 0), ("gpt2", 124_439_808, 0), ("distilgpt2", 81_912_576, 0),
    ("tinyllama-1.1b", 1_100_048_384, 0), ("llama-3-8b", 8_030_261_248, 0),
    ("llama-2-13b", 13_015_864_320, 0), ("stories15m", 15e6, 0.02), ("stories42m", 42e6, 0.02),
    ("stories110m", 110e6, 0.01), ("stories260k", 260e3, 0.01),
])
def test_parameter_counts(name: str, params: float, rel: float) -> None:
    assert load_spec(name).params == pytest.approx(params, rel=rel, abs=0)


def test_stories260k_bin_and_gguf_give_equal_specs() -> None:
    b = load_spec(asset_path("stories260K", "stories260K.bin"))
    g = load_spec(asset_path("stories260K", "stories260K.gguf"))
    assert b == g == load_spec("stories260k")
    assert (b.dim, b.hidden_dim, b.n_layers, b.n_heads, b.n_kv_heads, b.vocab_size) == (
        64, 172, 5, 8, 4, 512)
    assert b.seq_len == g.seq_len == 512
    assert b.tied_classifier and g.tied_classifier
    assert any("2048" in n and "512" in n for n in g.notes)  # says which and why


def test_q8_export_header_reads() -> None:
    s = load_spec(asset_path("stories260K", "stories260K-q8_0-gs8.bin"))
    assert s == load_spec("stories260k")


def test_hf_llama_config(tmp_path: Path) -> None:
    cfg = {"model_type": "llama", "hidden_size": 2048, "intermediate_size": 5632,
           "num_hidden_layers": 22, "num_attention_heads": 32, "num_key_value_heads": 4,
           "vocab_size": 32000, "max_position_embeddings": 2048, "rms_norm_eps": 1e-5,
           "tie_word_embeddings": False}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    s = load_spec(tmp_path)
    assert s == load_spec("tinyllama-1.1b")
    assert s.rope_layout == "halves"


def test_hf_gpt2_config(tmp_path: Path) -> None:
    cfg = {"model_type": "gpt2", "n_embd": 768, "n_layer": 6, "n_head": 12,
           "n_positions": 1024, "vocab_size": 50257, "layer_norm_epsilon": 1e-5}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    assert load_spec(tmp_path) == load_spec("distilgpt2")


def test_unknown_preset_lists_known() -> None:
    with pytest.raises(InputError, match=r"^unknown model 'llama-9': not a preset \(known: distilgpt2"):
        load_spec("llama-9")


def test_missing_path() -> None:
    with pytest.raises(InputError, match=r"no such file"):
        load_spec("/nonexistent/model.bin")


def test_truncated_bin(tmp_path: Path) -> None:
    src = asset_path("stories260K", "stories260K.bin")
    p = tmp_path / "t.bin"
    p.write_bytes(src.read_bytes()[:5000])
    with pytest.raises(FormatError, match=r"truncated llama2.c checkpoint"):
        load_spec(p)


def test_corrupt_bin_header(tmp_path: Path) -> None:
    data = bytearray(asset_path("stories260K", "stories260K.bin").read_bytes())
    data[12:16] = (7).to_bytes(4, "little")  # n_heads = 7 does not divide dim 64
    p = tmp_path / "c.bin"
    p.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"corrupt llama2.c header"):
        load_spec(p)


def test_truncated_gguf(tmp_path: Path) -> None:
    src = asset_path("stories260K", "stories260K.gguf")
    p = tmp_path / "t.gguf"
    p.write_bytes(src.read_bytes()[:3000])
    with pytest.raises(FormatError, match=r"GGUF"):
        load_spec(p)


def test_bad_gguf_magic(tmp_path: Path) -> None:
    p = tmp_path / "x.gguf"
    shutil.copy(asset_path("stories260K", "stories260K.bin"), p)
    with pytest.raises(FormatError, match=r"not a GGUF file"):
        load_spec(p)
