"""Evaluation on any step decoder: greedy/sampled generation, perplexity, comparison.

Every function takes an object with ``spec``, ``reset()`` and ``step(token, pos)``
(the float reference decoder, a quantized one or the fixed-point decoder). A decoder
that also has ``forward_batch(tokens (B, T)) -> (B, T, vocab)`` (the float decoder)
is run teacher-forced, whole windows at once, which gives the same logits faster.

Perplexity protocols (``perplexity_windows``):

- ``llama`` (default; llama.cpp ``llama-perplexity``): the whole text tokenized with
  one BOS; non-overlapping windows of ``context`` tokens, ``floor(n / context)`` of
  them; each window's first token replaced by BOS; only the second half is scored:
  the logits at positions ``context/2 .. context-2`` predicting the next token, i.e.
  ``context/2 - 1`` tokens per window (127 for context 256).
- ``stride S``: windows of ``context`` tokens starting every ``S`` tokens (first token
  replaced by BOS); the first window scores all its ``context - 1`` predictions, each
  later one only its last ``S`` (the tokens no earlier window scored).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..errors import InputError
from ..limits import check_int
from .float_ref import Sampler, check_finite_logits

__all__ = ["GenerateResult", "PerplexityResult", "CompareResult", "generate",
           "perplexity_windows", "window_logits", "perplexity", "compare", "protocol_text",
           "log_softmax"]


# ----------------------------------------------------------------------------
# generation

@dataclass(frozen=True, slots=True, kw_only=True)
class GenerateResult:
    """Tokens of one generation."""

    prompt_ids: list[int]        # the prompt, BOS included
    token_ids: list[int]         # generated tokens only
    seconds: float               # wall time of the decode loop

    @property
    def tokens_per_s(self) -> float:
        """Decoded positions (prompt + generated) per second."""
        n = len(self.prompt_ids) + len(self.token_ids) - 1
        return n / self.seconds if self.seconds > 0 else float("inf")


def _name(decoder: Any) -> str:
    """The checkpoint a decoder runs, for error messages."""
    spec = getattr(decoder, "spec", None)
    return str(getattr(decoder, "source", "") or getattr(spec, "source", "")
               or getattr(spec, "name", "") or "the model")


def generate(decoder: Any, prompt_ids: Sequence[int], steps: int, *,
             sampler: Sampler | None = None, stop_ids: Sequence[int] = ()) -> GenerateResult:
    """Decode ``steps`` new tokens after ``prompt_ids`` (run.c's generation loop).

    The prompt is fed one token per position (teacher-forced), then each new token
    is sampled from the logits of the previous position. Stops early at a token in
    ``stop_ids`` (not included) or at the end of the context.

    Args:
        decoder: a step decoder.
        prompt_ids: at least one token (normally BOS first).
        steps: number of tokens to generate.
        sampler: how to pick tokens (default: greedy).
        stop_ids: tokens that end generation.
    """
    if not prompt_ids:
        raise InputError("generation needs at least one prompt token (BOS)")
    sampler = sampler or Sampler(temperature=0.0)
    limit = decoder.spec.seq_len
    decoder.reset()
    out: list[int] = []
    t0 = time.perf_counter()
    logits = None
    steps = check_int(steps, "steps", lo=0, error=InputError)
    name = _name(decoder)
    for pos, tok in enumerate(prompt_ids):
        if pos >= limit:
            raise InputError(f"prompt of {len(prompt_ids)} tokens exceeds the context ({limit})")
        logits = decoder.step(check_int(tok, "token id", error=InputError), pos)
        check_finite_logits(np.asarray(logits), name, pos)
    pos = len(prompt_ids)
    while len(out) < steps:
        nxt = sampler.sample(logits)
        if nxt in stop_ids:
            break
        out.append(nxt)
        if len(out) == steps or pos >= limit:
            break
        logits = decoder.step(nxt, pos)
        check_finite_logits(np.asarray(logits), name, pos)
        pos += 1
    return GenerateResult(prompt_ids=[int(t) for t in prompt_ids], token_ids=out,
                          seconds=time.perf_counter() - t0)


# ----------------------------------------------------------------------------
# perplexity

@dataclass(frozen=True, slots=True, kw_only=True)
class PerplexityResult:
    """Perplexity of a token stream under one protocol."""

    ppl: float           # exp(nll)
    nll: float           # mean negative log-likelihood, nats per scored token
    tokens: int          # tokens scored
    context: int         # window length
    stride: int | None   # None = llama.cpp protocol (non-overlapping, second half scored)
    windows: int         # windows evaluated
    protocol: str        # one line describing the protocol


def protocol_text(context: int, stride: int | None) -> str:
    """One line naming the protocol."""
    if stride is None:
        return (f"llama-perplexity: non-overlapping windows of {context} tokens, first token "
                f"of each window replaced by BOS, second half scored ({context // 2 - 1} "
                "predictions per window)")
    return (f"strided: windows of {context} tokens every {stride} tokens, first token of each "
            f"window replaced by BOS, each token scored once (first window: all {context - 1} "
            f"predictions; later windows: their last {stride})")


def perplexity_windows(n_tokens: int, context: int,
                       stride: int | None = None) -> list[tuple[int, np.ndarray]]:
    """The windows of a protocol: (start index in the token stream, scored positions).

    A scored position j of a window starting at b predicts token ``b + j + 1``.

    Raises:
        InputError: too few tokens or an impossible context/stride.
    """
    if context < 4:
        raise InputError(f"--context must be at least 4, not {context}")
    if n_tokens < context:
        raise InputError(f"the text has {n_tokens} tokens, fewer than one window of --context "
                         f"{context}")
    if stride is None:
        first = context // 2
        pos = np.arange(first, context - 1)
        return [(c * context, pos) for c in range(n_tokens // context)]
    if not 1 <= stride <= context - 1:
        raise InputError(f"--stride must be between 1 and context - 1 ({context - 1}), "
                         f"not {stride}")
    out = [(0, np.arange(0, context - 1))]
    b = stride
    while b + context <= n_tokens:
        out.append((b, np.arange(context - 1 - stride, context - 1)))
        b += stride
    return out


def log_softmax(x: np.ndarray) -> np.ndarray:
    """log softmax over the last axis in float64."""
    x = np.asarray(x, np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def window_logits(decoder: Any, tokens: np.ndarray, windows: Sequence[tuple[int, np.ndarray]],
                  context: int, bos_id: int, *, batch: int = 16,
                  progress: Callable[[int, int], None] | None = None
                  ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield ``(window index, logits at the scored positions (n, vocab), targets (n,))``.

    Uses ``decoder.forward_batch`` when present (several windows at once), else steps
    through each window from position 0 after ``reset()``.
    """
    tokens = np.asarray(tokens, dtype=np.int64)
    batched = hasattr(decoder, "forward_batch")
    for w0 in range(0, len(windows), batch if batched else 1):
        group = windows[w0:w0 + (batch if batched else 1)]
        wins = np.stack([tokens[b:b + context] for b, _ in group])   # (G, context)
        wins[:, 0] = bos_id
        if batched:
            last = max(int(p[-1]) for _, p in group) + 1
            lg = np.asarray(decoder.forward_batch(wins[:, :last]))    # (G, last, vocab)
            for k, (b, pos) in enumerate(group):
                yield w0 + k, lg[k, pos], wins[k, pos + 1]
        else:
            b, pos = group[0]
            decoder.reset()
            rows = []
            for j in range(int(pos[-1]) + 1):
                lg = decoder.step(int(wins[0, j]), j)
                if j >= pos[0]:
                    rows.append(np.asarray(lg, np.float64))
            yield w0, np.stack(rows)[pos - pos[0]], wins[0, pos + 1]
        if progress:
            progress(min(w0 + len(group), len(windows)), len(windows))


def perplexity(decoder: Any, tokens: Sequence[int], *, context: int = 256,
               stride: int | None = None, bos_id: int = 1,
               progress: Callable[[int, int], None] | None = None) -> PerplexityResult:
    """Perplexity of ``tokens`` (BOS first) under the llama.cpp or the strided protocol.

    Args:
        decoder: a step decoder (or the float decoder, run batched).
        tokens: the token stream, starting with BOS.
        context: window length (at most the model's context).
        stride: None for llama.cpp's protocol, else the sliding-window stride.
        bos_id: the id written at the start of each window.
        progress: called as ``progress(done_windows, total_windows)``.
    """
    if context > decoder.spec.seq_len:
        raise InputError(f"--context {context} exceeds the model's context {decoder.spec.seq_len}")
    wins = perplexity_windows(len(tokens), context, stride)
    tot, n = 0.0, 0
    for _, lg, tgt in window_logits(decoder, np.asarray(tokens), wins, context, bos_id,
                                    progress=progress):
        check_finite_logits(lg, _name(decoder))
        lp = log_softmax(lg)
        tot -= float(lp[np.arange(len(tgt)), tgt].sum())
        n += len(tgt)
    nll = tot / n
    return PerplexityResult(ppl=float(np.exp(nll)), nll=nll, tokens=n, context=context,
                            stride=stride, windows=len(wins),
                            protocol=protocol_text(context, stride))


# ----------------------------------------------------------------------------
# comparison of two decoders on the same windows

@dataclass(frozen=True, slots=True, kw_only=True)
class CompareResult:
    """A decoder against a reference on the same scored positions."""

    ppl_reference: float
    ppl: float
    ppl_delta_pct: float     # 100 * (ppl / ppl_reference - 1)
    kl_mean: float           # mean KL(reference || decoder) of next-token distributions, nats
    top1_agreement: float    # fraction of positions with the same argmax
    top5_agreement: float    # fraction where the reference's argmax is in the decoder's top 5
    logit_mse: float         # mean squared logit difference over positions and vocabulary
    max_abs_logit_diff: float
    tokens: int
    context: int
    stride: int | None
    protocol: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``extra`` merged in)."""
        names = [f.name for f in fields(self) if f.name != "extra"]
        d: dict[str, Any] = {k: getattr(self, k) for k in names}
        d.update(self.extra)
        return d


def compare(reference: Any, decoder: Any, tokens: Sequence[int], *, context: int = 256,
            stride: int | None = None, bos_id: int = 1,
            progress: Callable[[int, int], None] | None = None) -> CompareResult:
    """Perplexity of both decoders and the agreement of their next-token distributions."""
    if context > min(reference.spec.seq_len, decoder.spec.seq_len):
        raise InputError(f"--context {context} exceeds the model's context")
    wins = perplexity_windows(len(tokens), context, stride)
    toks = np.asarray(tokens)
    nll_r = nll_q = kl = mse = 0.0
    top1 = top5 = n = 0
    mad = 0.0
    gen_q = window_logits(decoder, toks, wins, context, bos_id)
    for (_, lr, tgt), (_, lq, _) in zip(window_logits(reference, toks, wins, context, bos_id,
                                                      progress=progress), gen_q):
        lr = np.asarray(lr, np.float64)
        lq = np.asarray(lq, np.float64)
        check_finite_logits(lr, _name(reference))
        check_finite_logits(lq, _name(decoder))
        pr, pq = log_softmax(lr), log_softmax(lq)
        idx = np.arange(len(tgt))
        nll_r -= float(pr[idx, tgt].sum())
        nll_q -= float(pq[idx, tgt].sum())
        kl += float((np.exp(pr) * (pr - pq)).sum())
        mse += float(((lq - lr) ** 2).mean(axis=-1).sum())
        mad = max(mad, float(np.abs(lq - lr).max()))
        ar = lr.argmax(axis=-1)
        top1 += int((ar == lq.argmax(axis=-1)).sum())
        t5 = np.argpartition(-lq, 5, axis=-1)[:, :5]
        top5 += int((t5 == ar[:, None]).any(axis=-1).sum())
        n += len(tgt)
    ppl_r, ppl_q = float(np.exp(nll_r / n)), float(np.exp(nll_q / n))
    return CompareResult(ppl_reference=ppl_r, ppl=ppl_q, ppl_delta_pct=100.0 * (ppl_q / ppl_r - 1),
                         kl_mean=kl / n, top1_agreement=top1 / n, top5_agreement=top5 / n,
                         logit_mse=mse / n, max_abs_logit_diff=mad, tokens=n, context=context,
                         stride=stride, protocol=protocol_text(context, stride))
