"""ModelSpec: the shape of a transformer language model, as llama2.c names it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..errors import ConfigError
from ..limits import check_float

__all__ = ["ModelSpec", "ARCHS", "MAX_MODEL_SIZE"]

ARCHS = ("llama", "gpt2")
# Largest width, vocabulary or context a spec may declare (2^24 = 16.7 M): above every
# real model (Llama-3: vocab 128256, context 131072) with room to spare, and small
# enough that sizes derived from it (dim x vocab x layers) stay exact in float64.
MAX_MODEL_SIZE = 1 << 24
# Tighter bounds where per-layer or per-head bookkeeping is a Python loop (the largest
# real models have 126 layers and 128 heads).
_FIELD_MAX = {"n_layers": 1 << 12, "n_heads": 1 << 16}


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSpec:
    """Architecture facts of a decoder-only transformer.

    Two families are modelled: ``llama`` (RMSNorm, RoPE, SwiGLU, no biases, optional
    grouped-query attention) and ``gpt2`` (LayerNorm, learned positions, GELU MLP,
    biases, tied classifier). Equality compares the architecture only: ``name``,
    ``source`` and ``notes`` are descriptive.
    """

    arch: str = "llama"             # "llama" or "gpt2"
    dim: int                        # model (residual) width
    hidden_dim: int                 # FFN inner width
    n_layers: int                   # transformer blocks
    n_heads: int                    # query heads
    n_kv_heads: int = 0             # key/value heads (GQA); 0 means = n_heads
    head_dim: int = 0               # per-head width; 0 means dim // n_heads
    vocab_size: int                 # tokens
    seq_len: int                    # maximum (trained) context in tokens
    norm: str = "rmsnorm"           # "rmsnorm" or "layernorm"
    norm_eps: float = 1e-5          # epsilon inside the norm
    activation: str = "swiglu"      # "swiglu" (gated SiLU) or "gelu" (ungated)
    gelu_approx: str = "tanh"       # GELU form (torch's ``approximate``): "tanh" or "none" (erf)
    positional: str = "rope"        # "rope" or "learned"
    rope_theta: float = 10000.0     # RoPE base frequency
    rope_layout: str = "interleaved"  # "interleaved" (llama2.c/GGUF pairs) or "halves" (HF)
    tied_classifier: bool = True    # classifier shares the token-embedding matrix
    bias: bool = False              # linear layers carry biases (GPT-2)
    name: str = field(default="", compare=False)     # preset name or file stem
    source: str = field(default="", compare=False)   # where the numbers come from
    notes: tuple[str, ...] = field(default=(), compare=False)  # choices made when reading

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ConfigError(f"arch {self.arch!r} is not one of {', '.join(ARCHS)}")
        for name in ("dim", "hidden_dim", "n_layers", "n_heads", "vocab_size", "seq_len"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ConfigError(f"{name} must be a positive integer, not {v!r}")
            hi = _FIELD_MAX.get(name, MAX_MODEL_SIZE)
            if v > hi:
                raise ConfigError(f"{name} = {v} is implausibly large (at most {hi})")
        for name in ("n_kv_heads", "head_dim"):
            v = getattr(self, name)
            hi = _FIELD_MAX["n_heads"] if name == "n_kv_heads" else MAX_MODEL_SIZE
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= hi:
                raise ConfigError(f"{name} must be an integer in 0..{hi}, not {v!r}")
        # implausible values give NaN or meaningless logits: refused when read
        check_float(self.norm_eps, "norm_eps", lo=0.0, hi=1.0, lo_open=True)
        check_float(self.rope_theta, "rope_theta", lo=1.0, lo_open=True)
        for name in ("tied_classifier", "bias"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false")
        if self.n_kv_heads == 0:
            object.__setattr__(self, "n_kv_heads", self.n_heads)
        if self.head_dim == 0:
            if self.dim % self.n_heads:
                raise ConfigError(f"dim {self.dim} is not a multiple of n_heads {self.n_heads}")
            object.__setattr__(self, "head_dim", self.dim // self.n_heads)
        if self.n_kv_heads < 1 or self.n_heads % self.n_kv_heads:
            raise ConfigError(f"n_heads {self.n_heads} is not a multiple of "
                              f"n_kv_heads {self.n_kv_heads}")
        if self.head_dim < 1:
            raise ConfigError(f"head_dim must be positive, not {self.head_dim}")
        if self.norm not in ("rmsnorm", "layernorm"):
            raise ConfigError(f"norm {self.norm!r} is not rmsnorm or layernorm")
        if self.activation not in ("swiglu", "gelu"):
            raise ConfigError(f"activation {self.activation!r} is not swiglu or gelu")
        if self.gelu_approx not in ("tanh", "none"):
            raise ConfigError(f"gelu_approx {self.gelu_approx!r} is not tanh or none")
        if self.positional not in ("rope", "learned"):
            raise ConfigError(f"positional {self.positional!r} is not rope or learned")
        if self.rope_layout not in ("interleaved", "halves"):
            raise ConfigError(f"rope_layout {self.rope_layout!r} is not interleaved or halves")
        if isinstance(self.notes, list):
            object.__setattr__(self, "notes", tuple(self.notes))

    # ---- derived sizes ----
    @property
    def head_size(self) -> int:
        """llama2.c's name for :attr:`head_dim`."""
        return self.head_dim

    @property
    def q_dim(self) -> int:
        """Width of all query heads together."""
        return self.n_heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        """Width of all key (or value) heads together."""
        return self.n_kv_heads * self.head_dim

    @property
    def gated_ffn(self) -> bool:
        """SwiGLU has three FFN matrices (w1, w2, w3); GELU has two."""
        return self.activation == "swiglu"

    @property
    def n_rep(self) -> int:
        """Query heads per KV head."""
        return self.n_heads // self.n_kv_heads

    # ---- parameter counts ----
    @property
    def attn_params_per_layer(self) -> int:
        """Q, K, V and output projections of one layer (with biases for GPT-2)."""
        w = self.dim * self.q_dim + 2 * self.dim * self.kv_dim + self.q_dim * self.dim
        b = (self.q_dim + 2 * self.kv_dim + self.dim) if self.bias else 0
        return w + b

    @property
    def ffn_params_per_layer(self) -> int:
        """FFN matrices of one layer (w1, w2 and, if gated, w3; biases for GPT-2)."""
        n = (3 if self.gated_ffn else 2) * self.dim * self.hidden_dim
        if self.bias:
            n += self.hidden_dim + self.dim
        return n

    @property
    def norm_params_per_layer(self) -> int:
        """Two norms per layer; LayerNorm has a bias as well as a gain."""
        return 2 * self.dim * (2 if self.norm == "layernorm" else 1)

    @property
    def embedding_params(self) -> int:
        """Token embedding plus learned positions (GPT-2)."""
        n = self.vocab_size * self.dim
        if self.positional == "learned":
            n += self.seq_len * self.dim
        return n

    @property
    def classifier_params(self) -> int:
        """A separate classifier matrix (0 when tied to the embedding)."""
        return 0 if self.tied_classifier else self.vocab_size * self.dim

    @property
    def layer_params(self) -> int:
        """Parameters of one transformer block."""
        return self.attn_params_per_layer + self.ffn_params_per_layer + self.norm_params_per_layer

    @property
    def params(self) -> int:
        """Total parameters stored (a tied classifier counted once)."""
        final_norm = self.dim * (2 if self.norm == "layernorm" else 1)
        return (self.embedding_params + self.n_layers * self.layer_params + final_norm
                + self.classifier_params)

    @property
    def matmul_params_per_token(self) -> int:
        """Weights that take part in a matrix product for one token: all layer
        projections plus the classifier (tied or not). Embedding lookups, norms and
        biases are not matrix products."""
        per_layer = (self.dim * self.q_dim + 2 * self.dim * self.kv_dim + self.q_dim * self.dim
                     + (3 if self.gated_ffn else 2) * self.dim * self.hidden_dim)
        return self.n_layers * per_layer + self.vocab_size * self.dim

    def replace(self, **changes: object) -> ModelSpec:
        """A copy with some fields changed (validated again).

        Raises:
            ConfigError: an unknown field or an impossible value.
        """
        try:
            return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
        except TypeError as exc:
            raise ConfigError(f"ModelSpec.replace: {exc}") from None
