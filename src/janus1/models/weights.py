"""Model weights as float32 numpy arrays, in llama2.c's naming and layout.

``load_weights(src)`` reads any of:

- a llama2.c checkpoint ``.bin``: the float "version 0" legacy layout, the ``ak42``
  version 1 (float32) and version 2 (Q8_0, dequantized here) exports
  (karpathy/llama2.c ``export.py``);
- a GGUF file with tensors of any type the ``gguf`` package (llama.cpp's own Python
  reader) can dequantize: F32, F16, BF16, the legacy blocks (Q4_0, Q4_1, Q5_0, Q5_1,
  Q8_0), the K-quants (Q2_K..Q6_K), the IQ and ternary types
  (:func:`gguf_supported_types` lists them for the installed ``gguf``);
- a Hugging Face folder (``config.json`` + ``model.safetensors``), Llama family.

Every matrix is stored ``[out, in]`` (row = output channel), as in run.c, so that
``y = W @ x``. RoPE layout is a property of the checkpoint format, recorded in the
ModelSpec (``rope_layout``): llama2.c and GGUF files rotate adjacent pairs, Hugging
Face folders rotate split halves (``rotate_half``); weights are never permuted here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ..errors import FormatError, InputError
from ..limits import check_buffer, check_path, path_exists
from . import load_spec
from .spec import ModelSpec

__all__ = ["Weights", "GPT2Weights", "load_weights", "load_spec_and_weights", "gguf_supported_types",
           "weight_shapes", "check_weight_budget"]

# Weights arrays stored whole; the others are stacked from one tensor per layer.
_WHOLE = ("token_embedding", "wcls", "rms_final", "pos_embedding", "lnf_w", "lnf_b")


class _WeightsBase:
    """Methods shared by the llama and the GPT-2 weights."""

    __slots__ = ()
    token_embedding: np.ndarray
    wcls: np.ndarray

    @property
    def tied(self) -> bool:
        """True when the classifier is the token-embedding array."""
        return self.wcls is self.token_embedding or bool(
            self.wcls.shape == self.token_embedding.shape
            and np.array_equal(self.wcls, self.token_embedding))

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays by field name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    def replace(self, **changes: np.ndarray):  # type: ignore[no-untyped-def]
        """A copy with some arrays replaced."""
        d = self.arrays()
        d.update(changes)
        return type(self)(**d)

    def check(self, spec: ModelSpec, source: str = "weights") -> None:
        """Raise FormatError unless every array has the shape ``spec`` implies."""
        shapes = weight_shapes(spec)
        if set(shapes) != set(self.arrays()):
            raise FormatError(f"{source}: {type(self).__name__} do not fit a {spec.arch} model")
        for name, shape in shapes.items():
            a = getattr(self, name)
            if tuple(a.shape) != shape:
                raise FormatError(f"{source}: tensor {name} has shape {tuple(a.shape)}, "
                                  f"the model needs {shape}")
            if not np.all(np.isfinite(a)):
                raise FormatError(f"{source}: tensor {name} holds NaN or infinite values")


@dataclass(frozen=True, slots=True, kw_only=True)
class Weights(_WeightsBase):
    """All parameters of a llama-architecture model, float32, llama2.c names.

    Shapes (L = n_layers, q_dim = n_heads * head_size, kv_dim = n_kv_heads * head_size):
    """

    token_embedding: np.ndarray  # (vocab, dim)
    rms_att: np.ndarray          # (L, dim)  attention RMSNorm gains
    wq: np.ndarray               # (L, q_dim, dim)
    wk: np.ndarray               # (L, kv_dim, dim)
    wv: np.ndarray               # (L, kv_dim, dim)
    wo: np.ndarray               # (L, dim, q_dim)
    rms_ffn: np.ndarray          # (L, dim)  FFN RMSNorm gains
    w1: np.ndarray               # (L, hidden, dim)  gate
    w2: np.ndarray               # (L, dim, hidden)  down
    w3: np.ndarray               # (L, hidden, dim)  up
    rms_final: np.ndarray        # (dim,)
    wcls: np.ndarray             # (vocab, dim)  the embedding itself when tied

    # matrices (rows = output channels) that weight quantization applies to
    MATRICES = ("token_embedding", "wq", "wk", "wv", "wo", "w1", "w2", "w3", "wcls")


@dataclass(frozen=True, slots=True, kw_only=True)
class GPT2Weights(_WeightsBase):
    """All parameters of a GPT-2-family model, float32, [out, in] matrices.

    Hugging Face stores GPT-2's projections as ``Conv1D`` weights, (in, out); they are
    transposed once when read so that every matrix is [out, in] as in run.c. The fused
    ``c_attn`` stays one matrix: rows 0..dim-1 are Q, then K, then V.
    """

    token_embedding: np.ndarray  # (vocab, dim)     wte
    pos_embedding: np.ndarray    # (seq_len, dim)   wpe, learned positions
    ln1_w: np.ndarray            # (L, dim)  attention LayerNorm gain (ln_1)
    ln1_b: np.ndarray            # (L, dim)  and bias
    wqkv: np.ndarray             # (L, 3 dim, dim)  c_attn, transposed
    bqkv: np.ndarray             # (L, 3 dim)
    wo: np.ndarray               # (L, dim, dim)    attn.c_proj, transposed
    bo: np.ndarray               # (L, dim)
    ln2_w: np.ndarray            # (L, dim)  FFN LayerNorm (ln_2)
    ln2_b: np.ndarray            # (L, dim)
    w_fc: np.ndarray             # (L, hidden, dim) mlp.c_fc, transposed
    b_fc: np.ndarray             # (L, hidden)
    w_proj: np.ndarray           # (L, dim, hidden) mlp.c_proj, transposed
    b_proj: np.ndarray           # (L, dim)
    lnf_w: np.ndarray            # (dim,)    final LayerNorm (ln_f)
    lnf_b: np.ndarray            # (dim,)
    wcls: np.ndarray             # (vocab, dim)  the embedding itself when tied

    MATRICES = ("token_embedding", "wqkv", "wo", "w_fc", "w_proj", "wcls")


def weight_shapes(spec: ModelSpec) -> dict[str, tuple[int, ...]]:
    """The shape of every :class:`Weights` (llama) or :class:`GPT2Weights` (gpt2)
    array that ``spec`` implies."""
    L, d, h, v = spec.n_layers, spec.dim, spec.hidden_dim, spec.vocab_size
    if spec.arch == "gpt2":
        return {
            "token_embedding": (v, d), "pos_embedding": (spec.seq_len, d),
            "ln1_w": (L, d), "ln1_b": (L, d),
            "wqkv": (L, spec.q_dim + 2 * spec.kv_dim, d), "bqkv": (L, spec.q_dim + 2 * spec.kv_dim),
            "wo": (L, d, spec.q_dim), "bo": (L, d), "ln2_w": (L, d), "ln2_b": (L, d),
            "w_fc": (L, h, d), "b_fc": (L, h), "w_proj": (L, d, h), "b_proj": (L, d),
            "lnf_w": (d,), "lnf_b": (d,), "wcls": (v, d),
        }
    return {
        "token_embedding": (v, d), "rms_att": (L, d), "wq": (L, spec.q_dim, d),
        "wk": (L, spec.kv_dim, d), "wv": (L, spec.kv_dim, d), "wo": (L, d, spec.q_dim),
        "rms_ffn": (L, d), "w1": (L, h, d), "w2": (L, d, h), "w3": (L, h, d),
        "rms_final": (d,), "wcls": (v, d),
    }


def check_weight_budget(spec: ModelSpec, source: str) -> None:
    """Refuse (FormatError) weights whose float32 arrays would exceed the buffer limit
    (:func:`janus1.limits.max_buffer_bytes`), before any is read."""
    total = 0
    for name, shape in weight_shapes(spec).items():
        if name == "wcls" and spec.tied_classifier:
            continue  # the embedding array itself
        n = 1
        for x in shape:
            n *= x
        total += 4 * n
    check_buffer(total, f"float32 weights of {spec.params} parameters", source=source)


def load_weights(src: str | Path) -> Weights | GPT2Weights:
    """Read the weights of a llama2.c ``.bin``, a ``.gguf`` or a Hugging Face folder
    (llama family, or GPT-2 family as :class:`GPT2Weights`).

    Args:
        src: path of the checkpoint file or folder.

    Returns:
        float32 weights in llama2.c layout.

    Raises:
        InputError: missing path.
        FormatError: truncated, corrupt or unsupported content.
    """
    return load_spec_and_weights(src)[1]


def load_spec_and_weights(src: str | Path) -> tuple[ModelSpec, Weights | GPT2Weights]:
    """Like :func:`load_weights`, also returning the ModelSpec read from the same file."""
    check_path(src, "a model")
    p = Path(src)
    if not path_exists(p):
        raise InputError(f"{p}: no such file or folder")
    spec = load_spec(p)
    check_weight_budget(spec, str(p))
    w: Weights | GPT2Weights
    if p.is_dir():
        w = _read_hf_gpt2(p, spec) if spec.arch == "gpt2" else _read_hf(p, spec)
    else:
        with p.open("rb") as fh:
            magic = fh.read(4)
        if magic == b"GGUF":
            w = _read_gguf_gpt2(p, spec) if spec.arch == "gpt2" else _read_gguf(p, spec)
        elif spec.arch == "gpt2":
            raise FormatError(f"{p}: GPT-2-family weights are read from GGUF files or Hugging "
                              "Face folders, not from this file format")
        else:
            w = _read_llama2c(p)
    w.check(spec, str(p))
    return spec, w


# ----------------------------------------------------------------------------
# llama2.c .bin (export.py legacy_export / version1_export / version2_export)

def _read_llama2c(p: Path) -> Weights:
    from ._llama2c import read_llama2c_header

    hdr = read_llama2c_header(p)  # validates the file size against the header
    raw = np.fromfile(p, dtype=np.uint8)
    L, d, h, v = hdr.n_layers, hdr.dim, hdr.hidden_dim, hdr.vocab_size
    hs = hdr.head_size
    q_dim, kv = hdr.n_heads * hs, hdr.kv_dim
    off = hdr.data_offset

    def f32(n: int) -> np.ndarray:
        nonlocal off
        a = raw[off:off + 4 * n].view("<f4").astype(np.float32)
        off += 4 * n
        return a

    def q80(n: int) -> np.ndarray:
        # one tensor: n int8 values, then n // group_size float32 scales (runq.c QuantizedTensor)
        nonlocal off
        gs = hdr.group_size
        q = raw[off:off + n].view(np.int8).astype(np.float32)
        off += n
        s = raw[off:off + 4 * (n // gs)].view("<f4").astype(np.float32)
        off += 4 * (n // gs)
        return (q.reshape(-1, gs) * s[:, None]).reshape(-1)

    if hdr.version == 0:
        emb = f32(v * d).reshape(v, d)                     # (vocab, dim)
        rms_att = f32(L * d).reshape(L, d)
        wq = f32(L * q_dim * d).reshape(L, q_dim, d)
        wk = f32(L * kv * d).reshape(L, kv, d)
        wv = f32(L * kv * d).reshape(L, kv, d)
        wo = f32(L * d * q_dim).reshape(L, d, q_dim)
        rms_ffn = f32(L * d).reshape(L, d)
        w1 = f32(L * h * d).reshape(L, h, d)
        w2 = f32(L * d * h).reshape(L, d, h)
        w3 = f32(L * h * d).reshape(L, h, d)
        rms_final = f32(d)
        off += 4 * hdr.seq_len * hs  # freq_cis_real + freq_cis_imag (unused, as in run.c)
        wcls = emb if hdr.shared_classifier else f32(v * d).reshape(v, d)
    elif hdr.version == 1:
        rms_att = f32(L * d).reshape(L, d)
        rms_ffn = f32(L * d).reshape(L, d)
        rms_final = f32(d)
        emb = f32(v * d).reshape(v, d)
        wq = f32(L * q_dim * d).reshape(L, q_dim, d)
        wk = f32(L * kv * d).reshape(L, kv, d)
        wv = f32(L * kv * d).reshape(L, kv, d)
        wo = f32(L * d * q_dim).reshape(L, d, q_dim)
        w1 = f32(L * h * d).reshape(L, h, d)
        w2 = f32(L * d * h).reshape(L, d, h)
        w3 = f32(L * h * d).reshape(L, h, d)
        wcls = emb if hdr.shared_classifier else f32(v * d).reshape(v, d)
    else:
        # version 2: float32 norms, then each matrix per layer as Q8_0 (int8 + scales)
        rms_att = f32(L * d).reshape(L, d)
        rms_ffn = f32(L * d).reshape(L, d)
        rms_final = f32(d)
        emb = q80(v * d).reshape(v, d)
        wq = np.stack([q80(q_dim * d).reshape(q_dim, d) for _ in range(L)])
        wk = np.stack([q80(kv * d).reshape(kv, d) for _ in range(L)])
        wv = np.stack([q80(kv * d).reshape(kv, d) for _ in range(L)])
        wo = np.stack([q80(d * q_dim).reshape(d, q_dim) for _ in range(L)])
        w1 = np.stack([q80(h * d).reshape(h, d) for _ in range(L)])
        w2 = np.stack([q80(d * h).reshape(d, h) for _ in range(L)])
        w3 = np.stack([q80(h * d).reshape(h, d) for _ in range(L)])
        wcls = emb if hdr.shared_classifier else q80(v * d).reshape(v, d)
    if off != raw.size:  # read_llama2c_header checked the size; this guards the layout
        raise FormatError(f"{p}: llama2.c layout read {off} of {raw.size} bytes")
    return Weights(token_embedding=emb, rms_att=rms_att, wq=wq, wk=wk, wv=wv, wo=wo,
                   rms_ffn=rms_ffn, w1=w1, w2=w2, w3=w3, rms_final=rms_final, wcls=wcls)


# ----------------------------------------------------------------------------
# GGUF (llama.cpp names: token_embd, blk.N.attn_q, ..., output_norm, output)

def _gguf_getter(p: Path, spec: ModelSpec):  # type: ignore[no-untyped-def]
    """``(tensors, get)``: the GGUF's tensors by name and ``get(name, field)``, one
    tensor as float32 with its shape checked against ``field``'s (per-layer) shape."""
    from ._gguf import open_gguf

    reader = open_gguf(p)
    tensors = {t.name: t for t in reader.tensors}
    shapes = weight_shapes(spec)

    def get(name: str, field: str) -> np.ndarray:
        t = tensors.get(name)
        if t is None:
            raise FormatError(f"{p}: GGUF lacks tensor {name}")
        want = shapes[field] if field in _WHOLE else shapes[field][1:]  # one layer's slice
        got = tuple(int(x) for x in reversed(list(t.shape)))
        if got != want:
            raise FormatError(f"{p}: tensor {name} has shape {got}, the model needs {want}")
        return _gguf_tensor(p, t)

    return tensors, get


def _read_gguf(p: Path, spec: ModelSpec) -> Weights:
    tensors, get = _gguf_getter(p, spec)
    L = spec.n_layers

    def stack(key: str, field: str) -> np.ndarray:
        return np.stack([get(f"blk.{i}.{key}.weight", field) for i in range(L)])

    emb = get("token_embd.weight", "token_embedding")
    wcls = get("output.weight", "wcls") if "output.weight" in tensors else emb
    if wcls is not emb and np.array_equal(wcls, emb):
        wcls = emb  # llama.cpp's llama2.c converter writes a shared classifier twice
    return Weights(
        token_embedding=emb, rms_att=stack("attn_norm", "rms_att"),
        wq=stack("attn_q", "wq"), wk=stack("attn_k", "wk"), wv=stack("attn_v", "wv"),
        wo=stack("attn_output", "wo"), rms_ffn=stack("ffn_norm", "rms_ffn"),
        w1=stack("ffn_gate", "w1"), w2=stack("ffn_down", "w2"), w3=stack("ffn_up", "w3"),
        rms_final=get("output_norm.weight", "rms_final"), wcls=wcls)


@functools.cache
def gguf_supported_types() -> tuple[str, ...]:
    """GGML tensor types the installed ``gguf`` package dequantizes (names as in
    ``gguf.GGMLQuantizationType``), found by dequantizing one zero block of each type."""
    import gguf

    out = []
    for qt, (block, type_size) in gguf.GGML_QUANT_SIZES.items():
        try:
            with np.errstate(all="ignore"):
                gguf.quants.dequantize(np.zeros((1, type_size), np.uint8), qt)
        except Exception:  # noqa: BLE001 - NotImplementedError, or a table it cannot build
            continue
        out.append(qt.name)
    return tuple(out)


# Peak bytes of dequantization per value: gguf.quants works in numpy with float32
# temporaries; tracemalloc measured a peak of 8.2-8.4 bytes per value (gguf 0.19, 256K
# values of Q4_0, Q8_0, Q2_K, Q4_K, Q6_K, IQ2_XXS, IQ4_XS, TQ1_0, MXFP4); 32 leaves room.
_DEQUANT_BYTES_PER_VALUE = 32


def _gguf_tensor(p: Path, t: object) -> np.ndarray:
    """One GGUF tensor as float32, numpy shape = reversed ggml ``ne`` (rows = out).

    The header walk (:func:`janus1.models._gguf.scan_gguf`) has already checked each
    tensor's declared bytes against the file; here the dequantized size (and the
    dequantizer's temporaries) is checked against the buffer limit before any work.
    """
    import gguf

    qtype = t.tensor_type  # type: ignore[attr-defined]
    name = getattr(qtype, "name", str(qtype))
    tname = t.name  # type: ignore[attr-defined]
    if name not in gguf_supported_types():
        raise FormatError(f"{p}: tensor {tname} has GGML type {name}, unsupported by the "
                          "installed gguf package")
    shape = tuple(int(x) for x in reversed(list(t.shape)))  # type: ignore[attr-defined]
    n = 1
    for x in shape:
        n *= x
    check_buffer(n * _DEQUANT_BYTES_PER_VALUE, f"dequantizing tensor {tname} ({name})",
                 source=str(p))
    data = np.asarray(t.data)  # type: ignore[attr-defined]
    try:
        if name == "F32":
            out = data.astype(np.float32)
        elif name == "F16":
            out = data.view(np.float16).astype(np.float32)
        else:
            with np.errstate(all="ignore"):  # non-finite scales are reported by check()
                out = np.asarray(gguf.quants.dequantize(data, qtype), dtype=np.float32)
        return out.reshape(shape)
    except (ValueError, TypeError, IndexError, AssertionError, NotImplementedError) as exc:
        raise FormatError(f"{p}: tensor {tname}: cannot read {name} data: "
                          f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                          ) from None


def _read_gguf_gpt2(p: Path, spec: ModelSpec) -> GPT2Weights:
    """llama.cpp's gpt2 names (``convert_hf_to_gguf.py`` transposes the Conv1D weights,
    so every matrix is already [out, in]): token_embd, position_embd, blk.N.attn_norm,
    attn_qkv, attn_output, ffn_norm, ffn_up, ffn_down (each .weight and .bias),
    output_norm, output."""
    tensors, get = _gguf_getter(p, spec)
    L = spec.n_layers

    def stack(key: str, field: str) -> np.ndarray:
        return np.stack([get(f"blk.{i}.{key}", field) for i in range(L)])

    emb = get("token_embd.weight", "token_embedding")
    wcls = emb if spec.tied_classifier else get("output.weight", "wcls")
    return GPT2Weights(
        token_embedding=emb, pos_embedding=get("position_embd.weight", "pos_embedding"),
        ln1_w=stack("attn_norm.weight", "ln1_w"), ln1_b=stack("attn_norm.bias", "ln1_b"),
        wqkv=stack("attn_qkv.weight", "wqkv"), bqkv=stack("attn_qkv.bias", "bqkv"),
        wo=stack("attn_output.weight", "wo"), bo=stack("attn_output.bias", "bo"),
        ln2_w=stack("ffn_norm.weight", "ln2_w"), ln2_b=stack("ffn_norm.bias", "ln2_b"),
        w_fc=stack("ffn_up.weight", "w_fc"), b_fc=stack("ffn_up.bias", "b_fc"),
        w_proj=stack("ffn_down.weight", "w_proj"), b_proj=stack("ffn_down.bias", "b_proj"),
        lnf_w=get("output_norm.weight", "lnf_w"), lnf_b=get("output_norm.bias", "lnf_b"),
        wcls=wcls)


# ----------------------------------------------------------------------------
# Hugging Face folder (LlamaForCausalLM names, safetensors)

def _load_safetensors(folder: Path) -> dict[str, np.ndarray]:
    """Every tensor of the folder's ``*.safetensors`` files, by name."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise FormatError(f"{folder}: no *.safetensors file (pytorch .bin weights are not read)")
    # float16 files double when read as float32
    check_buffer(2 * sum(f.stat().st_size for f in files), "safetensors as float32",
                 source=str(folder))
    t: dict[str, np.ndarray] = {}
    for f in files:
        try:
            t.update(load_file(str(f)))
        except (SafetensorError, OSError, ValueError) as exc:
            raise FormatError(f"{f}: corrupt or truncated safetensors: "
                              f"{str(exc).splitlines()[0]}") from None
    return t


def _hf_getter(folder: Path, t: dict[str, np.ndarray], spec: ModelSpec):  # type: ignore[no-untyped-def]
    """``get(name, field, transpose=False)``: one tensor as float32, its shape checked
    against ``field``'s (per-layer slice of the) shape before the transpose."""
    shapes = weight_shapes(spec)

    def get(name: str, field: str, transpose: bool = False) -> np.ndarray:
        a = t.get(name)
        if a is None:
            raise FormatError(f"{folder}: safetensors lack tensor {name}")
        want = shapes[field] if field in _WHOLE else shapes[field][1:]  # one layer's slice
        if transpose:
            want = want[::-1]
        if tuple(a.shape) != want:
            raise FormatError(f"{folder}: tensor {name} has shape {tuple(a.shape)}, the model "
                              f"needs {want}")
        if a.dtype not in (np.float32, np.float16):
            if str(a.dtype) == "bfloat16" or a.dtype == np.uint16:
                raise FormatError(f"{folder}: tensor {name} is bfloat16; only float32/float16 "
                                  "safetensors are read")
            raise FormatError(f"{folder}: tensor {name} has dtype {a.dtype}")
        a = a.astype(np.float32)
        return np.ascontiguousarray(a.T) if transpose else a

    return get


def _read_hf(folder: Path, spec: ModelSpec) -> Weights:
    t = _load_safetensors(folder)
    get = _hf_getter(folder, t, spec)
    L = spec.n_layers
    pre = "model.layers"

    def stack(key: str, field: str) -> np.ndarray:
        return np.stack([get(f"{pre}.{i}.{key}.weight", field) for i in range(L)])

    emb = get("model.embed_tokens.weight", "token_embedding")
    wcls = get("lm_head.weight", "wcls") if "lm_head.weight" in t else emb
    return Weights(
        token_embedding=emb, rms_att=stack("input_layernorm", "rms_att"),
        wq=stack("self_attn.q_proj", "wq"), wk=stack("self_attn.k_proj", "wk"),
        wv=stack("self_attn.v_proj", "wv"), wo=stack("self_attn.o_proj", "wo"),
        rms_ffn=stack("post_attention_layernorm", "rms_ffn"),
        w1=stack("mlp.gate_proj", "w1"), w2=stack("mlp.down_proj", "w2"),
        w3=stack("mlp.up_proj", "w3"), rms_final=get("model.norm.weight", "rms_final"),
        wcls=wcls)


# ----------------------------------------------------------------------------
# Hugging Face folder, GPT-2 family (GPT2LMHeadModel names, with or without the
# ``transformer.`` prefix; Conv1D weights are (in, out) and are transposed here)




def _read_hf_gpt2(folder: Path, spec: ModelSpec) -> GPT2Weights:
    t = _load_safetensors(folder)
    pre = "transformer." if "transformer.wte.weight" in t else ""
    get = _hf_getter(folder, t, spec)
    L = spec.n_layers

    def one(name: str, field: str) -> np.ndarray:
        return get(pre + name, field)

    def stack(key: str, field: str, transpose: bool = False) -> np.ndarray:
        return np.stack([get(f"{pre}h.{i}.{key}", field, transpose) for i in range(L)])

    emb = one("wte.weight", "token_embedding")
    wcls = emb
    if "lm_head.weight" in t and not spec.tied_classifier:
        wcls = get("lm_head.weight", "wcls")
    return GPT2Weights(
        token_embedding=emb, pos_embedding=one("wpe.weight", "pos_embedding"),
        ln1_w=stack("ln_1.weight", "ln1_w"), ln1_b=stack("ln_1.bias", "ln1_b"),
        wqkv=stack("attn.c_attn.weight", "wqkv", True), bqkv=stack("attn.c_attn.bias", "bqkv"),
        wo=stack("attn.c_proj.weight", "wo", True), bo=stack("attn.c_proj.bias", "bo"),
        ln2_w=stack("ln_2.weight", "ln2_w"), ln2_b=stack("ln_2.bias", "ln2_b"),
        w_fc=stack("mlp.c_fc.weight", "w_fc", True), b_fc=stack("mlp.c_fc.bias", "b_fc"),
        w_proj=stack("mlp.c_proj.weight", "w_proj", True),
        b_proj=stack("mlp.c_proj.bias", "b_proj"),
        lnf_w=one("ln_f.weight", "lnf_w"), lnf_b=one("ln_f.bias", "lnf_b"), wcls=wcls)
