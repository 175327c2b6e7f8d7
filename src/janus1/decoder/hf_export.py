"""Write a checkpoint as a Hugging Face Llama folder (``config.json`` +
``model.safetensors``), so transformers' ``LlamaForCausalLM`` can load it offline.

Hugging Face Llama rotates split halves of each head (``rotate_half``), llama2.c and
GGUF rotate adjacent pairs. Meta's/HF's converter (transformers
``convert_llama_weights_to_hf.py``, ``permute``) reorders the rows of wq and wk so the
same model gives the same outputs under ``rotate_half``:
``w.view(n_heads, head_size // 2, 2, dim).transpose(1, 2).reshape(n_heads * head_size, dim)``.
This module applies that permutation when the source is interleaved. The folder's
ModelSpec then says ``rope_layout = "halves"``, and janus1 reads it back unpermuted.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..report import atomic_write_bytes, atomic_write_text
from .checkpoint import Checkpoint

__all__ = ["export_hf", "permute_interleaved_to_halves"]


def permute_interleaved_to_halves(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Reorder the rows of a (n_heads * head_size, in) Q or K matrix from the
    adjacent-pair RoPE layout to the split-halves layout (HF ``permute``)."""
    rows, cols = w.shape
    hs = rows // n_heads
    return np.ascontiguousarray(
        w.reshape(n_heads, hs // 2, 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols))


def export_hf(ckpt: Checkpoint, folder: str | Path, *, tokenizer_model: str | Path | None = None
              ) -> Path:
    """Write ``folder/config.json`` and ``folder/model.safetensors`` (float32).

    Args:
        ckpt: a llama-architecture checkpoint.
        folder: output folder (created).
        tokenizer_model: a SentencePiece ``.model`` to copy as ``tokenizer.model``; a
            llama2.c tokenizer of the checkpoint is copied as ``tokenizer.bin`` otherwise.

    Returns:
        The folder.
    """
    from safetensors.numpy import save

    spec, w = ckpt.spec, ckpt.weights
    if spec.arch != "llama":
        raise InputError(f"only llama checkpoints can be exported, not {spec.arch}")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    perm = spec.rope_layout == "interleaved"
    t: dict[str, np.ndarray] = {"model.embed_tokens.weight": w.token_embedding,
                                "model.norm.weight": w.rms_final}
    tied = w.wcls is w.token_embedding or np.array_equal(w.wcls, w.token_embedding)
    if not tied:
        t["lm_head.weight"] = w.wcls
    for i in range(spec.n_layers):
        pre = f"model.layers.{i}"
        wq = permute_interleaved_to_halves(w.wq[i], spec.n_heads) if perm else w.wq[i]
        wk = permute_interleaved_to_halves(w.wk[i], spec.n_kv_heads) if perm else w.wk[i]
        t.update({
            f"{pre}.input_layernorm.weight": w.rms_att[i],
            f"{pre}.self_attn.q_proj.weight": wq,
            f"{pre}.self_attn.k_proj.weight": wk,
            f"{pre}.self_attn.v_proj.weight": w.wv[i],
            f"{pre}.self_attn.o_proj.weight": w.wo[i],
            f"{pre}.post_attention_layernorm.weight": w.rms_ffn[i],
            f"{pre}.mlp.gate_proj.weight": w.w1[i],
            f"{pre}.mlp.up_proj.weight": w.w3[i],
            f"{pre}.mlp.down_proj.weight": w.w2[i],
        })
    t = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in t.items()}
    tok = ckpt.tokenizer
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": spec.dim, "intermediate_size": spec.hidden_dim,
        "num_hidden_layers": spec.n_layers, "num_attention_heads": spec.n_heads,
        "num_key_value_heads": spec.n_kv_heads, "head_dim": spec.head_size,
        "vocab_size": spec.vocab_size, "max_position_embeddings": spec.seq_len,
        "rms_norm_eps": spec.norm_eps, "rope_theta": spec.rope_theta, "hidden_act": "silu",
        "tie_word_embeddings": bool(tied), "attention_bias": False, "mlp_bias": False,
        "bos_token_id": tok.bos_id if tok else 1, "eos_token_id": tok.eos_id if tok else 2,
        "torch_dtype": "float32",
        "_janus1_source": ckpt.source,
    }
    atomic_write_bytes(out / "model.safetensors", save(t, metadata={"format": "pt"}))
    atomic_write_text(out / "config.json", json.dumps(config, indent=2) + "\n")
    if tokenizer_model is not None:
        shutil.copyfile(tokenizer_model, out / "tokenizer.model")
    elif tok is not None and Path(tok.source).is_file() and tok.source.endswith(".bin"):
        shutil.copyfile(tok.source, out / "tokenizer.bin")
    return out
