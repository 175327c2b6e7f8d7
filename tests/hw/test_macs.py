"""The schedule's MAC count per token equals what the golden fixed decoder performs.

The decoder is not edited: its forward pass runs as plain Python (``_forward.py_func``) with
its matvec and attention kernels swapped (monkeypatch) for wrappers that run the kernels'
own Python bodies over weight and KV arrays that count every element read. Each element
read inside ``_matvec_f`` is one INT8 x INT16 multiply-accumulate; each K element read
inside ``attend_head`` is one score MAC, each V element read one value accumulate. The
instrumented step must give the compiled step's logits bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from janus1.decoder import fixed_ref
from janus1.decoder.checkpoint import load_checkpoint
from janus1.decoder.fixed_ref import FixedDecoder
from janus1.hw import decode_step, load_datapath, macs_per_token
from janus1.hw.blocks import kv_row_beats

COUNTS = {"w": 0, "k": 0, "v": 0}


class _WTap(np.ndarray):
    def __getitem__(self, key):  # noqa: ANN001, ANN204
        COUNTS["w"] += 1
        return super().__getitem__(key)


class _KTap(np.ndarray):
    def __getitem__(self, key):  # noqa: ANN001, ANN204
        COUNTS["k"] += 1
        return super().__getitem__(key)


class _VTap(np.ndarray):
    def __getitem__(self, key):  # noqa: ANN001, ANN204
        COUNTS["v"] += 1
        return super().__getitem__(key)


def _instrumented_step(dec: FixedDecoder, token: int, pos: int,
                       monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    mv, att = fixed_ref._matvec_f, fixed_ref.attend_head

    def matvec(w_m, w_e, x_m, x_e, acc_bits, rounding, out):  # noqa: ANN001, ANN202
        mv.py_func(w_m.view(_WTap), w_e, x_m, x_e, acc_bits, rounding, out)

    def attend(q_m, q_e, k_m, k_e, v_m, v_e, *rest):  # noqa: ANN001, ANN202
        att.py_func(q_m, q_e, k_m.view(_KTap), k_e, v_m.view(_VTap), v_e, *rest)

    monkeypatch.setattr(fixed_ref, "_matvec_f", matvec)
    monkeypatch.setattr(fixed_ref, "attend_head", attend)
    fw = dec.weights
    out = np.zeros(dec.spec.vocab_size, np.int64)
    fixed_ref._forward.py_func(
        token, pos, dec._p, fw.emb_m, fw.emb_e, fw.cls_m, fw.cls_e, fw.rms_att_m, fw.rms_att_e,
        fw.rms_ffn_m, fw.rms_ffn_e, fw.rms_fin_m, fw.rms_fin_e, fw.wq_m, fw.wq_e, fw.wk_m,
        fw.wk_e, fw.wv_m, fw.wv_e, fw.wo_m, fw.wo_e, fw.w1_m, fw.w1_e, fw.w2_m, fw.w2_e,
        fw.w3_m, fw.w3_e, fw.exp_lut, fw.isq_lut, fw.rope_cos, fw.rope_sin, dec.key_m,
        dec.key_e, dec.val_m, dec.val_e, dec.reads, out)
    monkeypatch.undo()
    return out


@pytest.mark.parametrize("model,datapath,positions", [
    ("sanity", "seed004-small", (0, 7, 15)),
    ("stories260k", "stories260k", (0, 100, 511)),
])
def test_schedule_macs_equal_the_decoders(model: str, datapath: str,
                                          positions: tuple[int, ...],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ckpt = load_checkpoint(model)
    spec = ckpt.spec
    dp = load_datapath(datapath)
    dec = FixedDecoder.from_checkpoint(ckpt)
    rng = np.random.default_rng(1)
    tokens = rng.integers(0, spec.vocab_size, spec.seq_len)
    done = 0
    for pos in positions:
        for p in range(done, pos):                      # the cache up to pos, compiled
            dec.step_int(int(tokens[p]), p)
        done = pos
        saved = [a.copy() for a in (dec.key_m, dec.key_e, dec.val_m, dec.val_e)]
        reads0 = dec.reads.copy()
        for k in COUNTS:
            COUNTS[k] = 0
        got = _instrumented_step(dec, int(tokens[pos]), pos, monkeypatch)
        rows_read = int((dec.reads - reads0).sum())     # the decoder's own K/V row counters
        for a, s in zip((dec.key_m, dec.key_e, dec.val_m, dec.val_e), saved):
            a[...] = s
        want = dec.step_int(int(tokens[pos]), pos)      # the compiled step from the same cache
        done = pos + 1
        assert np.array_equal(got, want), "instrumentation changed the decoder's result"
        counted = COUNTS["w"] + COUNTS["k"] + COUNTS["v"]
        step = decode_step(spec, dp, pos)
        assert step.macs == counted, (pos, step.macs, COUNTS)
        assert macs_per_token(spec, pos) == counted
        # attention MACs alone: head_size per K row and per V row read
        rows = spec.n_layers * spec.n_heads * (pos + 1)
        assert COUNTS["k"] == COUNTS["v"] == rows * spec.head_size
        # the schedule's KV beats: rows read by the decoder x beats per row
        kb, vb = kv_row_beats(spec.head_size, dp)
        assert step.kv_reads == rows_read // 2 * (kb + vb)
