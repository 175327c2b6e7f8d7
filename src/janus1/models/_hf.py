"""Hugging Face model folders: ``config.json`` to ModelSpec fields.

Every value is checked for type and range before use (a hostile ``config.json`` may
hold strings, nulls, lists, NaN or 1e12 where a size belongs): sizes are integers in
``[1, 2^24]``, epsilons and RoPE bases finite and positive.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import FormatError
from ..limits import check_float, check_int

__all__ = ["hf_spec_fields", "MAX_SIZE"]

_LLAMA_TYPES = ("llama", "mistral", "qwen2")
MAX_SIZE = 1 << 24  # largest dimension, layer count, vocabulary or context accepted
# transformers ``ACT2FN`` names of GELU -> torch ``approximate``: gelu_new, gelu_fast and
# gelu_pytorch_tanh are the tanh form 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))); gelu
# is the exact erf form.
_GELU = {"gelu_new": "tanh", "gelu_pytorch_tanh": "tanh", "gelu_fast": "tanh", "gelu": "none"}
_MAX_CONFIG_BYTES = 16 << 20  # a config.json is a few KB; refuse anything above 16 MiB


def hf_spec_fields(folder: Path) -> dict[str, Any]:
    """Read ``folder/config.json`` (llama-like or gpt2 ``model_type``).

    Raises:
        FormatError: no config.json, bad JSON, unknown model_type, missing keys or
            values of the wrong type or out of range.
    """
    cfg_path = folder / "config.json"
    try:
        if cfg_path.stat().st_size > _MAX_CONFIG_BYTES:
            raise FormatError(f"{cfg_path}: {cfg_path.stat().st_size} bytes, too large for a "
                              "config.json")
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError(f"{folder}: not a Hugging Face model folder (no config.json)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError,
            ValueError) as exc:
        raise FormatError(f"{cfg_path}: malformed JSON: "
                          f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                          ) from None
    if not isinstance(cfg, dict):
        raise FormatError(f"{cfg_path}: expected a JSON object")
    mtype = cfg.get("model_type")

    def need(*keys: str) -> Any:
        for k in keys:
            if k in cfg:
                return _int(cfg_path, k, cfg[k])
        raise FormatError(f"{cfg_path}: missing key {keys[0]}")

    def opt_int(key: str) -> int | None:
        v = cfg.get(key)
        return None if v is None else _int(cfg_path, key, v)

    def opt_float(key: str, default: float, **rng: Any) -> float:
        v = cfg.get(key, default)
        return check_float(v, f"{cfg_path}: {key}", error=FormatError, **rng)

    def opt_bool(key: str, default: bool) -> bool:
        v = cfg.get(key, default)
        if not isinstance(v, bool):
            raise FormatError(f"{cfg_path}: {key}: expected true or false, not {str(v)[:40]!r}")
        return v

    if mtype in _LLAMA_TYPES:
        heads = need("num_attention_heads")
        out: dict[str, Any] = {
            "arch": "llama", "dim": need("hidden_size"),
            "hidden_dim": need("intermediate_size"),
            "n_layers": need("num_hidden_layers"), "n_heads": heads,
            "n_kv_heads": opt_int("num_key_value_heads") or heads,
            "vocab_size": need("vocab_size"),
            "seq_len": need("max_position_embeddings"),
            "norm": "rmsnorm",
            "norm_eps": opt_float("rms_norm_eps", 1e-5, lo=0.0, hi=1.0, lo_open=True),
            "activation": "swiglu", "positional": "rope",
            "rope_theta": opt_float("rope_theta", 10000.0, lo=1.0, lo_open=True),
            "rope_layout": "halves",  # HF LlamaAttention uses rotate_half
            "tied_classifier": opt_bool("tie_word_embeddings", False),
        }
        if cfg.get("head_dim"):
            out["head_dim"] = _int(cfg_path, "head_dim", cfg["head_dim"])
        return out
    if mtype == "gpt2":
        dim = need("n_embd", "hidden_size")
        for key, ok in (("scale_attn_weights", True), ("scale_attn_by_inverse_layer_idx", False),
                        ("add_cross_attention", False)):
            if cfg.get(key, ok) != ok:
                raise FormatError(f"{cfg_path}: {key} = {str(cfg[key])[:40]} is not supported "
                                  f"(only {str(ok).lower()})")
        act = cfg.get("activation_function", "gelu_new")
        if not isinstance(act, str) or act not in _GELU:
            raise FormatError(f"{cfg_path}: activation_function {str(act)[:40]!r} is not "
                              f"supported (supported: {', '.join(_GELU)})")
        return {
            "arch": "gpt2", "dim": dim, "hidden_dim": opt_int("n_inner") or 4 * dim,
            "n_layers": need("n_layer", "num_hidden_layers"),
            "n_heads": need("n_head", "num_attention_heads"),
            "vocab_size": need("vocab_size"), "seq_len": need("n_positions"),
            "norm": "layernorm",
            "norm_eps": opt_float("layer_norm_epsilon", 1e-5, lo=0.0, hi=1.0, lo_open=True),
            "activation": "gelu", "gelu_approx": _GELU[act], "positional": "learned",
            "bias": True,
            "tied_classifier": opt_bool("tie_word_embeddings", True),
        }
    raise FormatError(f"{cfg_path}: model_type {str(mtype)[:40]!r} is not supported "
                      f"(supported: {', '.join(_LLAMA_TYPES)}, gpt2)")


def _int(cfg_path: Path, key: str, v: Any) -> int:
    return check_int(v, f"{cfg_path}: {key}", lo=1, hi=MAX_SIZE, error=FormatError)
