"""Greedy-sequence agreement of the fixed-point decoder with the float reference.

Protocol (issue 6): the float decoder generates greedily from BOS for ``steps`` positions
(capped at the context); the fixed-point decoder is then teacher-forced on that same
sequence. Because both decoders see the same prefix, the fixed decoder's own greedy output
equals float's up to the first position where their argmaxes differ: that position is where
the greedy outputs part (``greedy_agree_tokens`` leading tokens are equal).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .evaluate import log_softmax

__all__ = ["greedy_metrics", "GAP_THRESHOLD"]

#: A float top-two logit gap at least this large makes an argmax change a violation (issue 6).
GAP_THRESHOLD = 1.0


def greedy_metrics(float_decoder: Any, fixed_decoder: Any, steps: int = 256,
                   bos_id: int = 1) -> dict[str, Any]:
    """Compare two step decoders on the float decoder's greedy sequence from BOS.

    Args:
        float_decoder: the reference (``reset``, ``step``); it picks the sequence.
        fixed_decoder: the decoder under test, teacher-forced on that sequence.
        steps: generated tokens (capped at the context length).
        bos_id: the first token.

    Returns:
        ``greedy_steps`` (positions compared), ``greedy_agree_tokens`` (leading tokens the
        two greedy decodes share), ``greedy_top1_agreement`` and ``greedy_kl_mean``
        (KL(float || fixed) in nats, teacher-forced), ``greedy_gap_violations`` (positions
        where float's top-two gap is >= 1.0 and the argmaxes differ), ``greedy_min_gap``
        (float's smallest top-two gap on the sequence), ``greedy_part_pos`` (position of
        the first disagreement, None if none), ``greedy_part_float_gap`` (float's top-two
        gap there), ``greedy_part_float_token``/``greedy_part_fixed_token``, and
        ``greedy_token_ids`` (the float greedy sequence).
    """
    n = min(int(steps), int(float_decoder.spec.seq_len), int(fixed_decoder.spec.seq_len))
    float_decoder.reset()
    fixed_decoder.reset()
    tok = int(bos_id)
    ids: list[int] = []
    kl = 0.0
    agree = 0
    violations = 0
    part: int | None = None
    part_gap = part_f = part_q = None
    min_gap = float("inf")
    for pos in range(n):
        lf = np.asarray(float_decoder.step(tok, pos), np.float64)      # (vocab,)
        lq = np.asarray(fixed_decoder.step(tok, pos), np.float64)      # (vocab,)
        af, aq = int(lf.argmax()), int(lq.argmax())
        top2 = np.partition(lf, -2)[-2:]
        gap = float(top2[1] - top2[0])
        min_gap = min(min_gap, gap)
        pf, pq = log_softmax(lf), log_softmax(lq)
        kl += float((np.exp(pf) * (pf - pq)).sum())
        if af == aq:
            agree += 1
        else:
            if gap >= GAP_THRESHOLD:
                violations += 1
            if part is None:
                part, part_gap, part_f, part_q = pos, gap, af, aq
        ids.append(af)
        tok = af
    return {"greedy_steps": n,
            "greedy_agree_tokens": n if part is None else part,
            "greedy_top1_agreement": agree / n if n else float("nan"),
            "greedy_kl_mean": kl / n if n else float("nan"),
            "greedy_gap_violations": violations,
            "greedy_min_gap": min_gap if n else float("nan"),
            "greedy_part_pos": part,
            "greedy_part_float_gap": part_gap,
            "greedy_part_float_token": part_f,
            "greedy_part_fixed_token": part_q,
            "greedy_token_ids": ids}
