"""The prefill wavefront: KV-RAM access checking, valid/ready order, engines, the baseline."""

from __future__ import annotations

import numpy as np
import pytest

from janus1.decoder.sanity import sanity_spec
from janus1.errors import ConfigError
from janus1.hw import attention_cycles, decode_step, load_datapath, prefill, simulate_prefill
from janus1.hw._kv import N_STATS, NEVER, STAT_BUBBLES, STAT_HAZARDS, attention_stage
from janus1.hw.blocks import kv_row_beats
from janus1.hw.schedule import attention_params, final_ops
from janus1.models import load_spec

MODELS = [(sanity_spec(), "seed004-small"), (load_spec("stories260k"), "stories260k")]


@pytest.mark.parametrize("spec,dpname", MODELS, ids=["seed004-small", "stories260k"])
def test_whole_seq_len_has_no_hazards(spec, dpname) -> None:  # noqa: ANN001
    dp = load_datapath(dpname)
    r = prefill(spec, dp)
    assert r.n_tokens == spec.seq_len
    assert r.kv_hazards == 0
    # the guard worked: the first position's read of its own row waits one cycle per layer
    assert r.kv_guard_bubbles > 0
    kb, vb = kv_row_beats(spec.head_size, dp)
    S = spec.seq_len
    assert r.kv_writes == spec.n_layers * spec.n_kv_heads * S * (kb + vb)
    assert r.kv_reads == spec.n_layers * spec.n_heads * S * (S + 1) // 2 * (kb + vb)
    assert r.speedup_vs_global_fsm > 1.0
    # one shared engine: never two matvecs at once
    assert r.max_engines_busy_after_fill == 1
    d = r.to_dict()
    assert [k for k in d if "hazard" in k] == ["kv_hazards"]


@pytest.mark.parametrize("spec,dpname", MODELS, ids=["seed004-small", "stories260k"])
def test_removing_or_mismatching_the_guard_is_caught(spec, dpname) -> None:  # noqa: ANN001
    dp = load_datapath(dpname)                  # RAM: read-first
    assert simulate_prefill(spec, dp, mode="global").kv_hazards == 0
    assert simulate_prefill(spec, dp, guard=False).kv_hazards > 0
    # a guard built for a write-first RAM on this read-first one lets same-cycle reads through
    assert simulate_prefill(spec, dp, guard_rule="write_first").kv_hazards > 0
    # a write-first RAM needs no bubbles for the same reads: collisions but no hazards
    wf = load_datapath(dpname, ["kv_ram.collision='write_first'"])
    r = simulate_prefill(spec, wf, guard=False)
    assert r.kv_hazards == 0 and r.kv_same_cycle_collisions > 0
    # ... and a guard built for read-first on it flips the other way: still safe, more bubbles
    r2 = simulate_prefill(spec, wf, guard_rule="read_first")
    assert r2.kv_hazards == 0 and r2.kv_guard_bubbles > simulate_prefill(spec, wf).kv_guard_bubbles


def test_checker_counts_each_stale_read() -> None:
    # one KV head, head_size 8 in one beat; position 0: the write of row 0 lands at cycle
    # start + 1 (one exponent cycle first); with q_latch 1 the K read of row 0 is at
    # start + 1 too: one same-cycle collision, stale on a read-first RAM
    for ram_wf, guard, hz, bub in ((False, False, 1, 0), (True, False, 0, 0),
                                   (False, True, 0, 1), (True, True, 0, 0)):
        wk = np.full((1, 4, 1), NEVER, np.int64)
        wv = np.full((1, 4, 1), NEVER, np.int64)
        st = np.zeros(N_STATS, np.int64)
        attention_stage(100, 0, 1, 1, 1, 1, 1, 1, 1, 5, 10, wk, wv, ram_wf, guard, ram_wf, st)
        assert (st[STAT_HAZARDS], st[STAT_BUBBLES]) == (hz, bub)
    # reading a row that was never written is stale whatever the rule
    wk = np.full((1, 4, 1), NEVER, np.int64)
    wv = np.full((1, 4, 1), NEVER, np.int64)
    st = np.zeros(N_STATS, np.int64)
    attention_stage(0, 2, 1, 1, 1, 1, 1, 1, 1, 5, 10, wk, wv, True, False, True, st)
    assert st[STAT_HAZARDS] == 4                  # rows 0 and 1, K and V
    # writing position 2 again (a live row overwritten) is one per beat, K and V
    st[:] = 0
    attention_stage(50, 2, 1, 1, 1, 1, 1, 1, 1, 5, 10, wk, wv, True, True, True, st)
    assert st[STAT_HAZARDS] == 2


def test_decode_stage_is_clean_at_every_position() -> None:
    from janus1.hw.schedule import attention_stage_at

    for spec, dpn in MODELS:
        dp = load_datapath(dpn)
        for pos in range(0, spec.seq_len, 7):
            st = attention_stage_at(spec, dp, pos)
            assert st.violations == 0
            assert (st.bubbles > 0) == (pos == 0)
        # without the guard the first position's read of its own row is stale
        raw = attention_stage_at(spec, load_datapath(dpn, ["kv_ram.guard=false"]), 0)
        assert raw.violations > 0 and raw.bubbles == 0


def test_kernel_matches_the_attention_contract() -> None:
    spec, dp = MODELS[1][0], load_datapath("stories260k")
    a = attention_params(spec, dp)
    G = spec.n_kv_heads
    for pos in (3, 50, 511):
        wk = np.full((G, spec.seq_len, a["kb"]), -10**9, np.int64)
        wv = np.full((G, spec.seq_len, a["vb"]), -10**9, np.int64)
        wk[:, pos:] = NEVER
        wv[:, pos:] = NEVER
        st = np.zeros(N_STATS, np.int64)
        end = attention_stage(0, pos, spec.n_heads, spec.n_heads // G, G, a["kb"], a["vb"],
                              a["row_cycles"], a["q_latch"], a["v_offset"], a["tail"], wk, wv,
                              False, True, False, st)
        assert st[STAT_BUBBLES] == 0 and st[STAT_HAZARDS] == 0
        assert end == spec.n_heads * attention_cycles(pos, spec.head_size, dp)


def test_valid_ready_order_and_one_position_at_a_time() -> None:
    spec, dp = MODELS[0][0], load_datapath("seed004-small", ["engines='per_layer'"])
    run = simulate_prefill(spec, dp)
    iv = run.intervals
    L = spec.n_layers
    for layer in range(L):
        mine = iv[iv[:, 0] == layer]
        order = np.argsort(mine[:, 1], kind="stable")
        m = mine[order]
        assert np.all(m[1:, 1] >= m[:-1, 2])             # one task at a time
        assert np.all(np.diff(m[:, 3]) >= 0)             # positions in order
    for layer in range(1, L):
        for p in range(spec.seq_len):
            prev = iv[(iv[:, 0] == layer - 1) & (iv[:, 3] == p)]
            cur = iv[(iv[:, 0] == layer) & (iv[:, 3] == p)]
            assert cur[:, 1].min() >= prev[:, 2].max() + dp.handshake_cycles


@pytest.mark.parametrize("spec,dpname", MODELS, ids=["seed004-small", "stories260k"])
def test_engine_per_layer_overlaps_work(spec, dpname) -> None:  # noqa: ANN001
    shared = prefill(spec, load_datapath(dpname))
    per = prefill(spec, load_datapath(dpname, ["engines='per_layer'"]))
    assert per.kv_hazards == 0
    assert per.max_engines_busy_after_fill >= 2
    assert per.max_layers_busy_after_fill >= 2
    assert per.mean_engines_busy_after_fill > shared.mean_engines_busy_after_fill
    assert per.cycles_per_token < shared.cycles_per_token
    # the global FSM does not depend on the engine option
    assert per.global_fsm_cycles == shared.global_fsm_cycles


@pytest.mark.parametrize("n", [1, 5, 16])
def test_global_fsm_is_the_decode_schedule_summed(n: int) -> None:
    spec, dp = MODELS[0][0], load_datapath("seed004-small")
    run = simulate_prefill(spec, dp, n, mode="global")
    fin = sum(op.cycles for op in final_ops(spec, dp))
    want = sum(decode_step(spec, dp, p).cycles for p in range(n)) - (n - 1) * fin
    assert run.total_cycles == want


def test_prompt_out_of_range() -> None:
    spec, dp = MODELS[0][0], load_datapath("seed004-small")
    for n in (0, 17):
        with pytest.raises(ConfigError, match="prompt"):
            simulate_prefill(spec, dp, n)


def test_gantt_draws() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from janus1.hw.prefill import plot_gantt

    run = simulate_prefill(MODELS[0][0], load_datapath("seed004-small"), 6)
    fig, ax = plt.subplots()
    plot_gantt(run, ax)
    assert len(ax.collections) == len(run.intervals)
    plt.close(fig)
