"""Milestone M1 of seed 004: the streaming attention kernel against full-window softmax."""

import numpy as np
import pytest

from janus1.decoder.fixed_attention import attend_head, state_words
from janus1.numerics import ExpTable, pot_quantize_vector_array

SEQ_LEN, HEAD_DIM = 16, 8          # seed 004, "M1: ... (SeqLen=16, HeadDim=8)"
F = 2.0 ** -20


def _quantize_rows(a: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    m = np.empty(a.shape, np.int8 if bits <= 8 else np.int16)
    e = np.empty(a.shape[0], np.int8)
    for t in range(a.shape[0]):
        mm, ee = pot_quantize_vector_array(np.round(a[t] / F).astype(np.int64), -20, bits, 1)
        m[t], e[t] = mm, ee
    return m, e


def tolerance(n: int, vmax: float, table: ExpTable) -> float:
    """Stated M1 tolerance: each of the n weights carries at most n exp errors (its own and
    one per later rescale) plus half an F LSB per rescale, relative to d >= 1; the output, a
    convex combination of V rows, moves by at most 2x that fraction of max|v|; the score
    and output roundings add half an F LSB each (and move the softmax by the same)."""
    eps = table.max_error() + 2.0 ** -21
    return 2 * n * n * eps * vmax + 2 * 2.0 ** -20 * (1 + vmax)


@pytest.mark.parametrize("k_bits", [8, 16])
def test_streamed_kernel_matches_full_window_softmax_for_every_pos(k_bits):
    # Given random q/k/v quantized as the cache stores them (INT8 rows + exponents)
    rng = np.random.default_rng(2024)
    table = ExpTable()
    lut = table.table()
    worst = 0.0
    for trial in range(20):
        q = rng.standard_normal(HEAD_DIM) * rng.choice([0.3, 1.0, 3.0])
        qm, qe = pot_quantize_vector_array(np.round(q / F).astype(np.int64), -20, 16, 1)
        km, ke = _quantize_rows(rng.standard_normal((SEQ_LEN, HEAD_DIM)), k_bits)
        vm, ve = _quantize_rows(rng.standard_normal((SEQ_LEN, HEAD_DIM)), 8)
        qd = qm * 2.0 ** qe
        kd = km * np.ldexp(1.0, ke.astype(np.int64))[:, None]
        vd = vm * np.ldexp(1.0, ve.astype(np.int64))[:, None]
        for pos in range(SEQ_LEN):
            # When the kernel streams rows 0..pos with state of O(HeadDim) words
            state = np.full(state_words(HEAD_DIM), 123456789, np.int64)   # garbage in
            reads = np.zeros((SEQ_LEN, 2), np.int64)
            out = np.zeros(HEAD_DIM, np.int64)
            attend_head(qm, qe, km, ke, vm, ve, pos, lut, 8, 20, True, 1, state, reads, out)
            # Then it matches float64 full-window softmax attention within the tolerance,
            s = kd[:pos + 1] @ qd
            p = np.exp(s - s.max())
            p /= p.sum()
            ref = p @ vd[:pos + 1]
            vmax = float(np.abs(vd[:pos + 1]).max())
            err = float(np.abs(out * F - ref).max())
            assert err <= tolerance(pos + 1, vmax, table)
            worst = max(worst, err / vmax)
            # reads each K and V row exactly once, and nothing past pos
            assert np.all(reads[:pos + 1] == 1) and np.all(reads[pos + 1:] == 0)
            # and its state is HeadDim + 2 words whatever pos is
            assert state.size == HEAD_DIM + 2
    assert worst < 1e-4   # measured about 2e-6 of max|v| (see docs/fixed_point.md)


def test_kernel_state_does_not_depend_on_what_it_held_before():
    rng = np.random.default_rng(7)
    lut = ExpTable().table()
    qm, qe = pot_quantize_vector_array(rng.integers(-2**20, 2**20, HEAD_DIM), -20, 16, 1)
    km, ke = _quantize_rows(rng.standard_normal((SEQ_LEN, HEAD_DIM)), 8)
    vm, ve = _quantize_rows(rng.standard_normal((SEQ_LEN, HEAD_DIM)), 8)
    outs = []
    for fill in (0, -(2**40), 2**40):
        st = np.full(HEAD_DIM + 2, fill, np.int64)
        out = np.zeros(HEAD_DIM, np.int64)
        attend_head(qm, qe, km, ke, vm, ve, SEQ_LEN - 1, lut, 8, 20, True, 1, st,
                    np.zeros((SEQ_LEN, 2), np.int64), out)
        outs.append(out)
    assert all(np.array_equal(outs[0], o) for o in outs[1:])


def test_single_row_attention_returns_that_v_row_exactly():
    # softmax over one score is 1: the output is V row 0 in F, bit for bit
    lut = ExpTable().table()
    vm = np.zeros((SEQ_LEN, HEAD_DIM), np.int8)
    vm[0] = np.arange(-4, 4) * 31
    ve = np.full(SEQ_LEN, -6, np.int8)
    out = np.zeros(HEAD_DIM, np.int64)
    attend_head(np.ones(HEAD_DIM, np.int64), 0, np.ones((SEQ_LEN, HEAD_DIM), np.int8),
                np.zeros(SEQ_LEN, np.int8), vm, ve, 0, lut, 8, 20, True, 1,
                np.zeros(HEAD_DIM + 2, np.int64), np.zeros((SEQ_LEN, 2), np.int64), out)
    assert np.array_equal(out, vm[0].astype(np.int64) << 14)
