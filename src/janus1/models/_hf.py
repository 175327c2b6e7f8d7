"""Hugging Face model folders: ``config.json`` to ModelSpec fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import FormatError

__all__ = ["hf_spec_fields"]

_LLAMA_TYPES = ("llama", "mistral", "qwen2")


def hf_spec_fields(folder: Path) -> dict[str, Any]:
    """Read ``folder/config.json`` (llama-like or gpt2 ``model_type``).

    Raises:
        FormatError: no config.json, bad JSON, unknown model_type or missing keys.
    """
    cfg_path = folder / "config.json"
    try:
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError(f"{folder}: not a Hugging Face model folder (no config.json)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{cfg_path}: malformed JSON: {exc}") from None
    if not isinstance(cfg, dict):
        raise FormatError(f"{cfg_path}: expected a JSON object")
    mtype = cfg.get("model_type")

    def need(*keys: str) -> Any:
        for k in keys:
            if k in cfg:
                return cfg[k]
        raise FormatError(f"{cfg_path}: missing key {keys[0]}")

    if mtype in _LLAMA_TYPES:
        dim = int(need("hidden_size"))
        heads = int(need("num_attention_heads"))
        out: dict[str, Any] = {
            "arch": "llama", "dim": dim, "hidden_dim": int(need("intermediate_size")),
            "n_layers": int(need("num_hidden_layers")), "n_heads": heads,
            "n_kv_heads": int(cfg.get("num_key_value_heads") or heads),
            "vocab_size": int(need("vocab_size")),
            "seq_len": int(need("max_position_embeddings")),
            "norm": "rmsnorm", "norm_eps": float(cfg.get("rms_norm_eps", 1e-5)),
            "activation": "swiglu", "positional": "rope",
            "rope_theta": float(cfg.get("rope_theta", 10000.0)),
            "rope_layout": "halves",  # HF LlamaAttention uses rotate_half
            "tied_classifier": bool(cfg.get("tie_word_embeddings", False)),
        }
        if cfg.get("head_dim"):
            out["head_dim"] = int(cfg["head_dim"])
        return out
    if mtype == "gpt2":
        dim = int(need("n_embd", "hidden_size"))
        return {
            "arch": "gpt2", "dim": dim, "hidden_dim": int(cfg.get("n_inner") or 4 * dim),
            "n_layers": int(need("n_layer", "num_hidden_layers")),
            "n_heads": int(need("n_head", "num_attention_heads")),
            "vocab_size": int(need("vocab_size")), "seq_len": int(need("n_positions")),
            "norm": "layernorm", "norm_eps": float(cfg.get("layer_norm_epsilon", 1e-5)),
            "activation": "gelu", "positional": "learned", "bias": True,
            "tied_classifier": bool(cfg.get("tie_word_embeddings", True)),
        }
    raise FormatError(f"{cfg_path}: model_type {mtype!r} is not supported "
                      f"(supported: {', '.join(_LLAMA_TYPES)}, gpt2)")
