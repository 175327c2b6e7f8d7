"""Float reference decoder for Llama- and GPT-2-architecture models, in numpy.

It follows karpathy/llama2.c ``run.c`` section by section: config (the ModelSpec),
weights (:class:`~janus1.models.weights.Weights`, float32, [out, in] matrices), run
state (the KV cache), then the forward pass read top to bottom, then the sampler.
Every tensor line carries its shape. Differences from run.c, all deliberate:

- the Q/K/V and the gate/up matrices are concatenated once (one matrix product
  instead of three or two) and several sequences can step together (``batch``);
- RoPE supports both layouts: ``interleaved`` rotates adjacent pairs (2i, 2i+1)
  (llama2.c, GGUF) and ``halves`` rotates (i, i + head_size/2) (Hugging Face
  ``rotate_half``); the checkpoint format decides (``spec.rope_layout``);
- :meth:`FloatDecoder.forward_batch` runs whole sequences at once with a causal
  mask (teacher forcing, no cache), used for perplexity and for the no-cache runs;
- weight and KV-cache quantization schemes (:mod:`janus1.decoder.quant`) can be
  applied: weights once at construction, keys and values when written to the cache.

GPT-2-family checkpoints (GPT-2, DistilGPT2) run the same way in
:class:`GPT2FloatDecoder`, which ``FloatDecoder(spec, weights)`` returns for a ``gpt2``
spec: learned positions added to the embedding, LayerNorm, biases, an ungated GELU
MLP, no RoPE (the Hugging Face ``GPT2Model`` forward, read top to bottom).

The step-decoder protocol shared with the fixed-point decoder: ``spec``, ``reset()``
and ``step(token, pos) -> (vocab,) float64 logits``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ..errors import ConfigError, FormatError, InputError
from ..limits import check_buffer, check_float, check_int
from ..models.spec import ModelSpec
from ..models.weights import GPT2Weights, Weights
from .quant import QuantScheme, fake_quant, parse_scheme, quantize_weights

__all__ = ["StepDecoder", "FloatDecoder", "GPT2FloatDecoder", "layernorm", "gelu", "Sampler", "rope_tables", "apply_rope", "rmsnorm",
           "softmax", "check_finite_logits"]


@runtime_checkable
class StepDecoder(Protocol):
    """What every decoder offers: one token at a time through a KV cache."""

    spec: ModelSpec

    def reset(self) -> None:
        """Forget every cached position."""

    def step(self, token: int, pos: int) -> np.ndarray:
        """Feed ``token`` at position ``pos``; return the (vocab,) float64 logits."""


# ----------------------------------------------------------------------------
# neural net blocks

def rmsnorm(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    """RMSNorm over the last axis: w * x / sqrt(mean(x^2) + eps) (run.c ``rmsnorm``)."""
    ss = np.add.reduce(x * x, axis=-1, keepdims=True) * np.float32(1.0 / x.shape[-1])
    return w * (x * (np.float32(1.0) / np.sqrt(ss + np.float32(eps))))


def layernorm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis: w * (x - mean) / sqrt(var + eps) + b (GPT-2)."""
    xc = x - x.mean(axis=-1, keepdims=True)
    var = np.add.reduce(xc * xc, axis=-1, keepdims=True) * np.float32(1.0 / x.shape[-1])
    return w * (xc * (np.float32(1.0) / np.sqrt(var + np.float32(eps)))) + b


_SQRT_2_OVER_PI = np.float32(np.sqrt(2.0 / np.pi))


def gelu(x: np.ndarray, approx: str) -> np.ndarray:
    """GELU: ``tanh`` 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))) (GPT-2's gelu_new), or
    ``none`` the exact 0.5x(1 + erf(x/sqrt 2))."""
    if approx == "tanh":
        return np.float32(0.5) * x * (np.float32(1.0) + np.tanh(
            _SQRT_2_OVER_PI * (x + np.float32(0.044715) * x * x * x)))
    from scipy.special import erf

    return (np.float32(0.5) * x * (np.float32(1.0) + erf(x * np.float32(1 / np.sqrt(2.0)))
                                   )).astype(np.float32)


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, max-subtracted for stability (run.c ``softmax``)."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def rope_tables(spec: ModelSpec, n_pos: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of the RoPE angles, each (n_pos, head_size/2) float32.

    Pair i of a head turns by pos * theta^(-2i/head_size), as run.c computes
    ``freq = 1 / powf(10000, head_dim / head_size)`` with head_dim = 2i.
    """
    hs = spec.head_size
    i = np.arange(0, hs, 2, dtype=np.float64)
    freq = 1.0 / spec.rope_theta ** (i / hs)                   # (hs/2,)
    ang = np.arange(n_pos, dtype=np.float64)[:, None] * freq    # (n_pos, hs/2)
    return np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)


def apply_rope(x: np.ndarray, cos: np.ndarray, sin: np.ndarray, layout: str) -> np.ndarray:
    """Rotate the last axis (head_size) of x; cos/sin broadcast to x[..., :hs/2]."""
    if layout == "interleaved":
        x0, x1 = x[..., 0::2], x[..., 1::2]                      # (..., hs/2) each
        out = np.empty_like(x)
        out[..., 0::2] = x0 * cos - x1 * sin
        out[..., 1::2] = x0 * sin + x1 * cos
        return out
    h = x.shape[-1] // 2
    x0, x1 = x[..., :h], x[..., h:]
    return np.concatenate([x0 * cos - x1 * sin, x0 * sin + x1 * cos], axis=-1)


# ----------------------------------------------------------------------------
# guards: run-state size and finite results

def check_finite_logits(logits: np.ndarray, source: str, pos: int | None = None) -> None:
    """Raise FormatError naming the checkpoint when ``logits`` hold NaN or infinity.

    Finite weights and plausible header values can still overflow float32 inside the
    forward pass (a weight of FLT_MAX); such a model's results are not results.
    """
    if not np.all(np.isfinite(logits)):
        at = f" at position {pos}" if pos is not None else ""
        raise FormatError(f"{source}: the model produced non-finite logits{at} (corrupt "
                          "weights or header values?)")


def _token_array(tokens: object, max_ndim: int) -> np.ndarray:
    """Token ids as a non-empty int64 array of at most ``max_ndim`` dimensions."""
    try:
        a = np.asarray(tokens)
        if a.dtype.kind not in "iub" or a.dtype.kind == "b":
            raise TypeError(a.dtype)
        a = a.astype(np.int64)
    except (TypeError, ValueError, OverflowError):
        raise InputError("token ids must be integers") from None
    if a.ndim < 1 or a.ndim > max_ndim or a.size == 0:
        raise InputError(f"token ids: expected a non-empty array of at most {max_ndim} "
                         f"dimensions, not shape {a.shape}")
    return a


def _check_run_state(spec: ModelSpec, batch: int, positions: int, source: str) -> None:
    """Refuse a KV cache plus RoPE tables above the buffer limit before allocating."""
    kv = 2 * spec.n_layers * batch * positions * spec.kv_dim * 4      # K and V, float32
    rope = positions * (spec.head_size // 2) * (4 + 4 + 8)             # cos, sin, complex
    rot_qk = positions * (spec.q_dim + spec.kv_dim) // 2 * 8            # complex64
    check_buffer(kv + rope + rot_qk, f"KV cache and RoPE tables for {positions} positions "
                 f"x batch {batch}", source=source)


# ----------------------------------------------------------------------------
# the decoder: weights, run state, forward

@dataclass(frozen=True, slots=True)
class _Fused:
    """Weights rearranged for fewer, larger matrix products (same numbers)."""

    wqkv: np.ndarray    # (L, q_dim + 2 * kv_dim, dim)
    wo: np.ndarray      # (L, dim, q_dim)
    w13: np.ndarray     # (L, 2 * hidden, dim)  gate rows then up rows
    w2: np.ndarray      # (L, dim, hidden)
    wcls: np.ndarray    # (vocab, dim)


class FloatDecoder:
    """The float32 reference decoder with a KV cache.

    Args:
        spec: the model's architecture (llama; a gpt2 spec gives a
            :class:`GPT2FloatDecoder`).
        weights: float32 weights in llama2.c layout (:class:`GPT2Weights` for gpt2).
        weights_scheme: weight quantization (see :mod:`janus1.decoder.quant`).
        kv_scheme: KV-cache quantization.
        batch: sequences decoded together by :meth:`step_batch`.
        max_seq_len: positions the cache holds (default ``spec.seq_len``).
    """

    def __new__(cls, spec: ModelSpec | None = None, *args: object,
                **kw: object) -> FloatDecoder:
        # spec None: copy/pickle re-creating an instance of a known class
        if cls is FloatDecoder and isinstance(spec, ModelSpec) and spec.arch == "gpt2":
            cls = GPT2FloatDecoder
        return super().__new__(cls)

    def __init__(self, spec: ModelSpec, weights: Weights, *,
                 weights_scheme: str | QuantScheme = "none",
                 kv_scheme: str | QuantScheme = "none", batch: int = 1,
                 max_seq_len: int | None = None, source: str = "") -> None:
        if not isinstance(spec, ModelSpec) or not isinstance(weights, Weights):
            raise ConfigError("FloatDecoder needs a ModelSpec and Weights")
        if spec.arch != "llama":
            raise ConfigError(f"the float decoder runs llama-architecture models, not {spec.arch}")
        self.source = source or spec.source or spec.name   # names the checkpoint in errors
        batch = check_int(batch, "batch", lo=1, hi=1 << 16)
        max_seq_len = check_int(max_seq_len or spec.seq_len, "max_seq_len", lo=1,
                                hi=spec.seq_len)
        weights.check(spec, self.source)
        _check_run_state(spec, batch, max_seq_len, self.source)
        self.spec = spec
        self.wscheme = weights_scheme if isinstance(weights_scheme, QuantScheme) else \
            parse_scheme(weights_scheme)
        self.kvscheme = kv_scheme if isinstance(kv_scheme, QuantScheme) else \
            parse_scheme(kv_scheme, kv=True)
        self.w = quantize_weights(weights, self.wscheme)
        w = self.w
        self.fused = _Fused(
            wqkv=np.ascontiguousarray(np.concatenate([w.wq, w.wk, w.wv], axis=1)),
            wo=np.ascontiguousarray(w.wo),
            w13=np.ascontiguousarray(np.concatenate([w.w1, w.w3], axis=1)),
            w2=np.ascontiguousarray(w.w2), wcls=np.ascontiguousarray(w.wcls))
        self.batch = batch
        self.max_seq_len = max_seq_len
        self.cos, self.sin = rope_tables(spec, self.max_seq_len)   # (max_seq_len, hs/2)
        # Step path, interleaved layout: adjacent pairs are complex numbers, so RoPE of
        # all query and key heads is one complex multiply by e^(i*pos*freq); the query
        # part also carries the attention scale 1/sqrt(head_size).
        rot = (self.cos + 1j * self.sin).astype(np.complex64)      # (max_seq_len, hs/2)
        qscale = np.float32(1.0 / np.sqrt(spec.head_size))
        self._rot_qk = np.concatenate([np.tile(rot, spec.n_heads) * qscale,
                                       np.tile(rot, spec.n_kv_heads)], axis=1)
        # (max_seq_len, (q_dim + kv_dim) / 2) complex64
        # ---- run state: the KV cache ----
        L, B, T = spec.n_layers, self.batch, self.max_seq_len
        self.key_cache = np.zeros((L, B, spec.n_kv_heads, T, spec.head_size), np.float32)
        self.value_cache = np.zeros_like(self.key_cache)           # (L, B, n_kv, T, hs)

    @classmethod
    def from_checkpoint(cls, ckpt, **kw) -> FloatDecoder:  # type: ignore[no-untyped-def]
        """A decoder for a :class:`~janus1.decoder.checkpoint.Checkpoint`."""
        kw.setdefault("source", ckpt.source)
        return cls(ckpt.spec, ckpt.weights, **kw)

    @property
    def kv_cache_bytes(self) -> int:
        """Bytes of the allocated (float32) K and V cache arrays."""
        return int(self.key_cache.nbytes + self.value_cache.nbytes)

    def reset(self) -> None:
        """Forget every cached position (the cache is overwritten as positions fill)."""
        self.key_cache[...] = 0.0
        self.value_cache[...] = 0.0

    def step(self, token: int, pos: int) -> np.ndarray:
        """One token of sequence 0 at position ``pos``: (vocab,) float64 logits."""
        return self.step_batch(np.array([token]), pos)[0]

    def step_batch(self, tokens: np.ndarray, pos: int) -> np.ndarray:
        """One token for each of the first ``len(tokens)`` sequences, all at ``pos``.

        Returns:
            (B, vocab) float64 logits.
        """
        # overflow inside a corrupt model's forward pass is reported once, as an error
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            logits = self._step_batch(tokens, pos)
        check_finite_logits(logits, self.source, pos)
        return logits

    def _step_batch(self, tokens: np.ndarray, pos: int) -> np.ndarray:
        p, f, w = self.spec, self.fused, self.w
        tokens = _token_array(tokens, 1)
        pos = check_int(pos, "position", lo=None, hi=None, error=InputError)
        B = tokens.shape[0]
        if B > self.batch:
            raise InputError(f"batch of {B} sequences, the decoder was built for {self.batch}")
        if not 0 <= pos < self.max_seq_len:
            raise InputError(f"position {pos} is outside the context (0..{self.max_seq_len - 1})")
        if tokens.min() < 0 or tokens.max() >= p.vocab_size:
            raise InputError(f"token id outside the vocabulary (0..{p.vocab_size - 1})")
        if self.kvscheme.axis == "channel" and not self.kvscheme.is_none:
            raise ConfigError("per-channel KV quantization needs whole token blocks; it runs "
                              "in the teacher-forced (batched) path only")
        hs, nkv, rep = p.head_size, p.n_kv_heads, p.n_rep
        qd, kvd = p.q_dim, p.kv_dim
        interleaved = p.rope_layout == "interleaved"
        cos, sin = self.cos[pos], self.sin[pos]                     # (hs/2,)
        rot = self._rot_qk[pos]                                     # ((q_dim + kv_dim)/2,)
        scale = np.float32(1.0 / np.sqrt(hs))
        x = w.token_embedding[tokens]                               # (B, dim)
        for l in range(p.n_layers):
            # ---- attention ----
            xb = rmsnorm(x, w.rms_att[l], p.norm_eps)               # (B, dim)
            qkv = xb @ f.wqkv[l].T                                  # (B, q_dim + 2 kv_dim)
            if interleaved:   # RoPE as one complex multiply; q also scaled by 1/sqrt(hs)
                qk = (qkv[:, :qd + kvd].view(np.complex64) * rot).view(np.float32)
                q = qk[:, :qd].reshape(B, p.n_heads, hs)            # (B, n_heads, hs)
                k = qk[:, qd:].reshape(B, nkv, hs)                  # (B, n_kv, hs)
            else:
                q = apply_rope(qkv[:, :qd].reshape(B, p.n_heads, hs), cos, sin,
                               p.rope_layout) * scale               # (B, n_heads, hs)
                k = apply_rope(qkv[:, qd:qd + kvd].reshape(B, nkv, hs), cos, sin,
                               p.rope_layout)                       # (B, n_kv, hs)
            v = qkv[:, qd + kvd:].reshape(B, nkv, hs)               # (B, n_kv, hs)
            if not self.kvscheme.is_none:   # per token: one scale per (group of) kv_dim row
                k = fake_quant(k.reshape(B, kvd), self.kvscheme).reshape(B, nkv, hs)
                v = fake_quant(v.reshape(B, kvd), self.kvscheme).reshape(B, nkv, hs)
            self.key_cache[l, :B, :, pos] = k
            self.value_cache[l, :B, :, pos] = v
            kc = self.key_cache[l, :B, :, :pos + 1]                 # (B, n_kv, T, hs)
            vc = self.value_cache[l, :B, :, :pos + 1]               # (B, n_kv, T, hs)
            qg = q.reshape(B, nkv, rep, hs)                         # head h uses kv head h // rep
            att = softmax(qg @ kc.transpose(0, 1, 3, 2))            # (B, n_kv, rep, T)
            o = (att @ vc).reshape(B, qd)                           # (B, q_dim)
            x = x + o @ f.wo[l].T                                   # (B, dim) residual
            # ---- feed-forward (SwiGLU) ----
            xb = rmsnorm(x, w.rms_ffn[l], p.norm_eps)               # (B, dim)
            h13 = xb @ f.w13[l].T                                   # (B, 2 hidden)
            h1, h3 = h13[:, :p.hidden_dim], h13[:, p.hidden_dim:]   # (B, hidden) each
            hb = h1 / (np.float32(1.0) + np.exp(-h1)) * h3          # silu(w1 x) * (w3 x)
            x = x + hb @ f.w2[l].T                                  # (B, dim) residual
        x = rmsnorm(x, w.rms_final, p.norm_eps)                     # (B, dim)
        return (x @ f.wcls.T).astype(np.float64)                    # (B, vocab)

    def forward_batch(self, tokens: np.ndarray, *, last_only: bool = False) -> np.ndarray:
        """Teacher-forced forward of whole sequences from position 0 (no cache).

        Args:
            tokens: (B, T) token ids, T <= max_seq_len.
            last_only: return only the logits of the last position.

        Returns:
            (B, T, vocab) float32 logits, or (B, vocab) with ``last_only``.
        """
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            logits = self._forward_batch(tokens, last_only)
        check_finite_logits(logits, self.source)
        return logits

    def _forward_batch(self, tokens: np.ndarray, last_only: bool) -> np.ndarray:
        p, f, w = self.spec, self.fused, self.w
        tokens = _token_array(tokens, 2)
        if tokens.ndim == 1:
            tokens = tokens[None, :]
        B, T = tokens.shape
        if T > self.max_seq_len:
            raise InputError(f"sequence of {T} tokens exceeds the context ({self.max_seq_len})")
        if tokens.min() < 0 or tokens.max() >= p.vocab_size:
            raise InputError(f"token id outside the vocabulary (0..{p.vocab_size - 1})")
        hs, nkv, rep = p.head_size, p.n_kv_heads, p.n_rep
        qd, kvd = p.q_dim, p.kv_dim
        cos = self.cos[:T, None, :]                                 # (T, 1, hs/2)
        sin = self.sin[:T, None, :]
        mask = np.triu(np.full((T, T), -np.inf, np.float32), 1)     # (T, T) causal
        x = w.token_embedding[tokens]                               # (B, T, dim)
        for l in range(p.n_layers):
            # ---- attention ----
            xb = rmsnorm(x, w.rms_att[l], p.norm_eps)               # (B, T, dim)
            qkv = xb @ f.wqkv[l].T                                  # (B, T, q_dim + 2 kv_dim)
            q = qkv[..., :qd].reshape(B, T, p.n_heads, hs)          # (B, T, n_heads, hs)
            k = qkv[..., qd:qd + kvd].reshape(B, T, nkv, hs)        # (B, T, n_kv, hs)
            v = qkv[..., qd + kvd:].reshape(B, T, nkv, hs)          # (B, T, n_kv, hs)
            q = apply_rope(q, cos, sin, p.rope_layout)
            k = apply_rope(k, cos, sin, p.rope_layout)
            k, v = self._kv_quant(k, v)
            qg = q.reshape(B, T, nkv, rep, hs).transpose(0, 2, 3, 1, 4)  # (B, n_kv, rep, T, hs)
            kt = k.transpose(0, 2, 3, 1)[:, :, None]                # (B, n_kv, 1, hs, T)
            att = (qg @ kt) * np.float32(1.0 / np.sqrt(hs)) + mask  # (B, n_kv, rep, T, T)
            att = softmax(att)
            vv = v.transpose(0, 2, 1, 3)[:, :, None]                # (B, n_kv, 1, T, hs)
            o = (att @ vv).transpose(0, 3, 1, 2, 4).reshape(B, T, qd)  # (B, T, q_dim)
            x = x + o @ f.wo[l].T                                   # (B, T, dim)
            # ---- feed-forward (SwiGLU) ----
            xb = rmsnorm(x, w.rms_ffn[l], p.norm_eps)               # (B, T, dim)
            h13 = xb @ f.w13[l].T                                   # (B, T, 2 hidden)
            h1, h3 = h13[..., :p.hidden_dim], h13[..., p.hidden_dim:]
            x = x + (h1 / (np.float32(1.0) + np.exp(-h1)) * h3) @ f.w2[l].T
        if last_only:
            x = x[:, -1]                                            # (B, dim)
        x = rmsnorm(x, w.rms_final, p.norm_eps)
        return x @ f.wcls.T                                         # (B, [T,] vocab)

    def _kv_quant(self, k: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fake-quantize keys and values (B, T, n_kv, hs) as the cache would store them."""
        s = self.kvscheme
        if s.is_none:
            return k, v
        B, T, nkv, hs = k.shape
        if s.axis == "token" or not s.is_int:
            return (fake_quant(k.reshape(B, T, nkv * hs), s).reshape(k.shape),
                    fake_quant(v.reshape(B, T, nkv * hs), s).reshape(v.shape))
        # per channel over blocks of g tokens: quantize along T (pad the last block)
        g = s.group or 32
        pad = (-T) % g
        out = []
        for a in (k, v):
            c = a.reshape(B, T, nkv * hs)
            if pad:
                c = np.concatenate([c, np.repeat(c[:, -1:], pad, axis=1)], axis=1)
            c = c.transpose(0, 2, 1)                                # (B, kv_dim, T + pad)
            c = fake_quant(c, s, group=g).transpose(0, 2, 1)[:, :T]
            out.append(np.ascontiguousarray(c).reshape(a.shape))
        return out[0], out[1]


# ----------------------------------------------------------------------------
# GPT-2 family: the same run state and protocol, the GPT2Model forward

class GPT2FloatDecoder(FloatDecoder):
    """The float32 reference decoder for GPT-2-family models (GPT-2, DistilGPT2).

    Same arguments and methods as :class:`FloatDecoder`; ``weights`` are
    :class:`~janus1.models.weights.GPT2Weights` ([out, in] matrices, fused Q/K/V).
    """

    def __init__(self, spec: ModelSpec, weights: GPT2Weights, *,  # type: ignore[override]
                 weights_scheme: str | QuantScheme = "none",
                 kv_scheme: str | QuantScheme = "none", batch: int = 1,
                 max_seq_len: int | None = None, source: str = "") -> None:
        if not isinstance(spec, ModelSpec) or not isinstance(weights, GPT2Weights):
            raise ConfigError("a GPT-2-family decoder needs a ModelSpec and GPT2Weights")
        if spec.arch != "gpt2":
            raise ConfigError(f"GPT2FloatDecoder runs gpt2-architecture models, not {spec.arch}")
        self.source = source or spec.source or spec.name
        batch = check_int(batch, "batch", lo=1, hi=1 << 16)
        max_seq_len = check_int(max_seq_len or spec.seq_len, "max_seq_len", lo=1,
                                hi=spec.seq_len)
        weights.check(spec, self.source)
        _check_run_state(spec, batch, max_seq_len, self.source)
        self.spec = spec
        self.wscheme = weights_scheme if isinstance(weights_scheme, QuantScheme) else \
            parse_scheme(weights_scheme)
        self.kvscheme = kv_scheme if isinstance(kv_scheme, QuantScheme) else \
            parse_scheme(kv_scheme, kv=True)
        self.w = quantize_weights(weights, self.wscheme)
        self.batch = batch
        self.max_seq_len = max_seq_len
        # ---- run state: the KV cache ----
        L, B, T = spec.n_layers, self.batch, self.max_seq_len
        self.key_cache = np.zeros((L, B, spec.n_kv_heads, T, spec.head_size), np.float32)
        self.value_cache = np.zeros_like(self.key_cache)           # (L, B, n_kv, T, hs)

    def _step_batch(self, tokens: np.ndarray, pos: int) -> np.ndarray:
        p, w = self.spec, self.w
        tokens = _token_array(tokens, 1)
        pos = check_int(pos, "position", lo=None, hi=None, error=InputError)
        B = tokens.shape[0]
        if B > self.batch:
            raise InputError(f"batch of {B} sequences, the decoder was built for {self.batch}")
        if not 0 <= pos < self.max_seq_len:
            raise InputError(f"position {pos} is outside the context (0..{self.max_seq_len - 1})")
        if tokens.min() < 0 or tokens.max() >= p.vocab_size:
            raise InputError(f"token id outside the vocabulary (0..{p.vocab_size - 1})")
        if self.kvscheme.axis == "channel" and not self.kvscheme.is_none:
            raise ConfigError("per-channel KV quantization needs whole token blocks; it runs "
                              "in the teacher-forced (batched) path only")
        hs, nh, qd = p.head_size, p.n_heads, p.q_dim
        scale = np.float32(1.0 / np.sqrt(hs))
        x = w.token_embedding[tokens] + w.pos_embedding[pos]       # (B, dim)
        for l in range(p.n_layers):
            # ---- attention ----
            xb = layernorm(x, w.ln1_w[l], w.ln1_b[l], p.norm_eps)  # (B, dim)
            qkv = xb @ w.wqkv[l].T + w.bqkv[l]                      # (B, 3 dim)  c_attn
            q = qkv[:, :qd].reshape(B, nh, hs) * scale              # (B, n_heads, hs)
            k = qkv[:, qd:2 * qd].reshape(B, nh, hs)                # (B, n_heads, hs)
            v = qkv[:, 2 * qd:].reshape(B, nh, hs)                  # (B, n_heads, hs)
            if not self.kvscheme.is_none:   # per token: one scale per (group of) kv_dim row
                k = fake_quant(k.reshape(B, qd), self.kvscheme).reshape(B, nh, hs)
                v = fake_quant(v.reshape(B, qd), self.kvscheme).reshape(B, nh, hs)
            self.key_cache[l, :B, :, pos] = k
            self.value_cache[l, :B, :, pos] = v
            kc = self.key_cache[l, :B, :, :pos + 1]                 # (B, n_heads, T, hs)
            vc = self.value_cache[l, :B, :, :pos + 1]               # (B, n_heads, T, hs)
            att = softmax(q[:, :, None] @ kc.transpose(0, 1, 3, 2))  # (B, n_heads, 1, T)
            o = (att @ vc).reshape(B, qd)                           # (B, dim)
            x = x + o @ w.wo[l].T + w.bo[l]                         # (B, dim) residual
            # ---- feed-forward (GELU MLP) ----
            xb = layernorm(x, w.ln2_w[l], w.ln2_b[l], p.norm_eps)  # (B, dim)
            h = gelu(xb @ w.w_fc[l].T + w.b_fc[l], p.gelu_approx)  # (B, hidden)  c_fc
            x = x + h @ w.w_proj[l].T + w.b_proj[l]                 # (B, dim) residual
        x = layernorm(x, w.lnf_w, w.lnf_b, p.norm_eps)              # (B, dim)  ln_f
        return (x @ w.wcls.T).astype(np.float64)                    # (B, vocab)

    def _forward_batch(self, tokens: np.ndarray, last_only: bool) -> np.ndarray:
        p, w = self.spec, self.w
        tokens = _token_array(tokens, 2)
        if tokens.ndim == 1:
            tokens = tokens[None, :]
        B, T = tokens.shape
        if T > self.max_seq_len:
            raise InputError(f"sequence of {T} tokens exceeds the context ({self.max_seq_len})")
        if tokens.min() < 0 or tokens.max() >= p.vocab_size:
            raise InputError(f"token id outside the vocabulary (0..{p.vocab_size - 1})")
        hs, nh, qd = p.head_size, p.n_heads, p.q_dim
        mask = np.triu(np.full((T, T), -np.inf, np.float32), 1)     # (T, T) causal
        x = w.token_embedding[tokens] + w.pos_embedding[:T]        # (B, T, dim)
        for l in range(p.n_layers):
            # ---- attention ----
            xb = layernorm(x, w.ln1_w[l], w.ln1_b[l], p.norm_eps)  # (B, T, dim)
            qkv = xb @ w.wqkv[l].T + w.bqkv[l]                      # (B, T, 3 dim)
            q = qkv[..., :qd].reshape(B, T, nh, hs)                 # (B, T, n_heads, hs)
            k = qkv[..., qd:2 * qd].reshape(B, T, nh, hs)           # (B, T, n_heads, hs)
            v = qkv[..., 2 * qd:].reshape(B, T, nh, hs)             # (B, T, n_heads, hs)
            k, v = self._kv_quant(k, v)
            qt = q.transpose(0, 2, 1, 3)                            # (B, n_heads, T, hs)
            kt = k.transpose(0, 2, 3, 1)                            # (B, n_heads, hs, T)
            att = softmax((qt @ kt) * np.float32(1.0 / np.sqrt(hs)) + mask)  # (B, nh, T, T)
            o = (att @ v.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3).reshape(B, T, qd)
            x = x + o @ w.wo[l].T + w.bo[l]                         # (B, T, dim)
            # ---- feed-forward (GELU MLP) ----
            xb = layernorm(x, w.ln2_w[l], w.ln2_b[l], p.norm_eps)  # (B, T, dim)
            h = gelu(xb @ w.w_fc[l].T + w.b_fc[l], p.gelu_approx)  # (B, T, hidden)
            x = x + h @ w.w_proj[l].T + w.b_proj[l]                 # (B, T, dim)
        if last_only:
            x = x[:, -1]                                            # (B, dim)
        x = layernorm(x, w.lnf_w, w.lnf_b, p.norm_eps)
        return x @ w.wcls.T                                         # (B, [T,] vocab)


# ----------------------------------------------------------------------------
# the sampler (run.c: argmax, temperature, top-p), with a seeded generator

class Sampler:
    """Pick the next token from logits.

    Args:
        temperature: 0 means greedy (argmax, the first maximum on ties, as run.c).
        topp: nucleus sampling threshold in (0, 1]; 1 samples the full distribution.
        seed: seed of the ``numpy.random.Generator``.
    """

    def __init__(self, *, temperature: float = 0.0, topp: float = 0.9, seed: int = 0) -> None:
        temperature = check_float(temperature, "temperature", lo=0.0, hi=1e6)
        topp = check_float(topp, "top-p", lo=0.0, hi=1.0, lo_open=True)
        seed = check_int(seed, "seed", lo=0, hi=(1 << 63) - 1)
        if 0.0 < temperature < 1e-6:  # logits / T would overflow to inf and NaN
            raise ConfigError(f"temperature must be 0 (greedy) or >= 1e-6, not {temperature}")
        self.temperature = float(temperature)
        self.topp = float(topp)
        self.rng = np.random.default_rng(seed)

    def sample(self, logits: np.ndarray) -> int:
        """One token id."""
        if self.temperature == 0.0:
            return int(np.argmax(logits))
        probs = softmax(np.asarray(logits, np.float64) / self.temperature)
        coin = self.rng.random()
        if probs.size == 1:
            return 0
        if self.topp >= 1.0:
            return int(min(np.searchsorted(np.cumsum(probs), coin, side="right"),
                           probs.size - 1))
        # run.c sample_topp: drop tokens below (1 - topp) / (n - 1), sort, keep the
        # smallest prefix whose mass exceeds topp, sample within it
        cutoff = (1.0 - self.topp) / (probs.size - 1)
        idx = np.nonzero(probs >= cutoff)[0]
        idx = idx[np.argsort(-probs[idx], kind="stable")]
        cum = np.cumsum(probs[idx])
        last = int(min(np.searchsorted(cum, self.topp, side="right"), idx.size - 1))
        r = coin * cum[last]
        j = int(min(np.searchsorted(cum[:last + 1], r, side="right"), last))
        return int(idx[j])
