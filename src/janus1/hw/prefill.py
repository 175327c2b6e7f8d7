"""Prefill (seed 004 M4) as an event-driven simulation: a wavefront of prompt tokens
through per-layer controllers.

Each layer has its own controller (a micro-FSM) that takes prompt positions in order and
runs the layer's operations for one position at a time (the same operations and block
cycle counts as the decode schedule, :mod:`janus1.hw.schedule`). Between layers, valid/ready
with a skid buffer of ``skid_depth`` entries: layer ``l`` takes position ``p`` only after
layer ``l - 1`` finished it and the hand-over register passed it on (``handshake_cycles``);
a layer whose successor's buffer is full holds its result and waits. A front end reads the
prompt tokens' embedding rows; a head controller runs the final RMSNorm and the classifier
scan for the last prompt token only (the causal prefill of the workload conventions).

MAC engines: ``shared`` is one engine for every matvec of every layer (a matvec holds it
from start to done; when several layers wait, the oldest position goes first, then the
deeper layer), so the wavefront can only overlap the engine's work with other layers'
attention, norms and SiLU (latency); ``per_layer`` gives each layer its own engine (the
classifier uses the last layer's), so matvecs of different layers overlap (work).

KV RAM: per layer a K and a V dual-port RAM. For position ``p`` the write sequencer writes
the K/V rows of ``p`` on the write port while the attention kernel, started in the same
cycle, reads rows ``0..p`` on the read port. Every access is checked at its cycle against
the RAM's same-cycle same-address rule (``kv_ram.collision``): a read that returns data
older than the write of its row counts as a ``kv_hazards``; the guard (``kv_ram.guard``)
holds such reads and counts the cycles as ``kv_guard_bubbles`` (:mod:`janus1.hw._kv`).

The baseline is the single global FSM: the same operations, one token through all layers
at a time (no handshakes), which equals the decode schedule summed over the positions.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..models.spec import ModelSpec
from .datapath import COLLISION_RULES, DatapathSpec, check_fits
from .schedule import Op, attention_params, embedding_op, final_ops, layer_ops

__all__ = ["PrefillRun", "PrefillResult", "simulate_prefill", "prefill", "plot_gantt",
           "MODES", "UNIT_CODES"]

MODES = ("wavefront", "global")
UNIT_CODES = {"local": 0, "engine": 1, "attention": 2}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Task:
    name: str
    unit: str
    cycles: int


def _merge(ops: list[Op]) -> list[_Task]:
    """Consecutive local operations as one task (the controller runs them back to back)."""
    out: list[_Task] = []
    for op in ops:
        if op.unit == "local" and out and out[-1].unit == "local":
            prev = out[-1]
            out[-1] = _Task(name=f"{prev.name}+{op.name}", unit="local",
                            cycles=prev.cycles + op.cycles)
        else:
            out.append(_Task(name=op.name, unit=op.unit, cycles=op.cycles))
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class PrefillRun:
    """One simulation (wavefront or global FSM)."""

    mode: str
    n_tokens: int
    total_cycles: int              # last prompt token's classifier done
    exit_cycles: np.ndarray        # (n_tokens,) cycle each position leaves the last layer
    kv_hazards: int                # reads that returned data older than their row's write
    kv_guard_bubbles: int          # cycles the guard held a read
    kv_reads: int                  # KV-RAM beats read
    kv_writes: int                 # KV-RAM beats written
    kv_same_cycle_collisions: int  # reads in the cycle their address was written
    intervals: np.ndarray          # (n, 5) int64: controller, start, end, pos, unit code
    engine_intervals: np.ndarray   # (m, 5) int64: engine, start, end, pos, controller
    n_layers: int
    n_engines: int

    @property
    def fill_cycles(self) -> int:
        """Cycles until the first prompt token leaves the last layer."""
        return int(self.exit_cycles[0])

    @property
    def cycles_per_token(self) -> float:
        """Cycles between successive tokens leaving the last layer, after the fill."""
        n = self.n_tokens
        if n == 1:
            return float(self.exit_cycles[0])
        return float(self.exit_cycles[-1] - self.exit_cycles[0]) / (n - 1)


def simulate_prefill(spec: ModelSpec, dp: DatapathSpec, n_tokens: int | None = None, *,
                     mode: str = "wavefront", guard: bool | None = None,
                     guard_rule: str | None = None) -> PrefillRun:
    """Simulate prefill of ``n_tokens`` prompt positions (default: ``seq_len``).

    Args:
        spec: the model.
        dp: the datapath.
        n_tokens: prompt length, 1..seq_len.
        mode: ``wavefront`` (per-layer controllers) or ``global`` (one token at a time).
        guard: override ``dp.kv_ram.guard`` (False: no guard, to show what it prevents).
        guard_rule: the same-cycle rule the guard was designed for (default: the RAM's);
            a guard built for the other rule lets the mismatched reads through.

    Raises:
        ConfigError: the datapath cannot hold the model, or ``n_tokens`` is out of range.
    """
    from ._kv import (N_STATS, NEVER, STAT_BUBBLES, STAT_COLLISIONS, STAT_HAZARDS,
                      STAT_READS, STAT_WRITES, attention_stage)

    check_fits(spec, dp)
    S, L, G = spec.seq_len, spec.n_layers, spec.n_kv_heads
    n = S if n_tokens is None else int(n_tokens)
    if not 1 <= n <= S:
        raise ConfigError(f"prompt: {n} tokens is outside 1..{S} (the model's seq_len)")
    if mode not in MODES:
        raise ConfigError(f"mode {mode!r} is not one of {MODES}")
    guard = dp.kv_ram.guard if guard is None else guard
    rule = guard_rule or dp.kv_ram.collision
    if rule not in COLLISION_RULES:
        raise ConfigError(f"guard rule {rule!r} is not one of {', '.join(COLLISION_RULES)}")
    ram_wf = dp.kv_ram.collision == "write_first"
    guard_wf = rule == "write_first"

    pre, post = layer_ops(spec, dp)
    layer_tasks = _merge(pre) + [_Task(name="kv_write+attention", unit="attention", cycles=0)]
    layer_tasks += _merge(post)
    head_tasks = _merge(final_ops(spec, dp))
    emb_cycles = embedding_op(spec, dp).cycles
    a = attention_params(spec, dp)
    kvm = spec.n_heads // G
    wk = np.full((L, G, S, a["kb"]), NEVER, np.int64)
    wv = np.full((L, G, S, a["vb"]), NEVER, np.int64)
    stats = np.zeros(N_STATS, np.int64)

    wave = mode == "wavefront"
    hs = dp.handshake_cycles if wave else 0
    cap = dp.skid_depth if wave else 1
    n_eng = 1 if dp.engines == "shared" else L
    HEAD = L                                     # controller index of the head
    tasks = [layer_tasks] * L + [head_tasks]
    eng_of = [0 if n_eng == 1 else min(c, L - 1) for c in range(L + 1)]

    cur = [-1] * (L + 1)             # position in work (-1: idle)
    idx = [0] * (L + 1)              # task index
    blocked = [-1] * (L + 1)         # finished position waiting for space downstream
    inbuf: list[deque] = [deque() for _ in range(L + 1)]
    eng_busy = [False] * n_eng
    waiting: list[list[tuple[int, int, int]]] = [[] for _ in range(n_eng)]
    exit_cyc = np.full(n, -1, np.int64)
    iv: list[tuple[int, int, int, int, int]] = []
    eiv: list[tuple[int, int, int, int, int]] = []
    heap: list[tuple[int, int, int, int]] = []   # (time, seq, kind, who)
    seq = [0]
    front = {"next": 0, "busy": False, "blocked": -1}
    total = [0]
    K_TASK, K_WAKE, K_FRONT = 0, 1, 2

    def push(t: int, kind: int, who: int) -> None:
        seq[0] += 1
        heapq.heappush(heap, (t, seq[0], kind, who))

    def start_front(t: int) -> None:
        if front["busy"] or front["blocked"] >= 0 or front["next"] >= n:
            return
        if not wave and front["next"] > 0 and exit_cyc[front["next"] - 1] < 0:
            return
        front["busy"] = True
        push(t + emb_cycles, K_FRONT, front["next"])

    def deliver(c: int, p: int, t: int) -> bool:
        """Hand position p to controller c (its buffer), if there is room."""
        if c == HEAD:
            exit_cyc[p] = t
            if p != n - 1:
                return True
        elif len(inbuf[c]) >= cap:
            return False
        inbuf[c].append((p, t + (hs if c != HEAD else 0)))
        push(t + (hs if c != HEAD else 0), K_WAKE, c)
        return True

    def start_task(c: int, t: int) -> None:
        task = tasks[c][idx[c]]
        p = cur[c]
        if task.unit == "local":
            iv.append((c, t, t + task.cycles, p, 0))
            push(t + task.cycles, K_TASK, c)
        elif task.unit == "attention":
            end = attention_stage(t, p, spec.n_heads, kvm, G, a["kb"], a["vb"],
                                  a["row_cycles"], a["q_latch"], a["v_offset"], a["tail"],
                                  wk[c], wv[c], ram_wf, guard, guard_wf, stats)
            iv.append((c, t, int(end), p, 2))
            push(int(end), K_TASK, c)
        else:
            waiting[eng_of[c]].append((p, -c, c))

    def try_start(c: int, t: int) -> None:
        if cur[c] >= 0 or blocked[c] >= 0 or not inbuf[c] or inbuf[c][0][1] > t:
            return
        p, _ = inbuf[c].popleft()
        cur[c] = p
        idx[c] = 0
        start_task(c, t)
        # a slot freed: the upstream producer may hand over what it holds
        if c == 0:
            if front["blocked"] >= 0:
                q = front["blocked"]
                front["blocked"] = -1
                deliver(0, q, t)
                front["next"] = q + 1
                start_front(t)
        elif blocked[c - 1] >= 0:
            q = blocked[c - 1]
            blocked[c - 1] = -1
            deliver(c, q, t)
            cur[c - 1] = -1
            try_start(c - 1, t)

    def finish(c: int, t: int) -> None:
        p = cur[c]
        if c == HEAD:
            total[0] = t
            cur[c] = -1
            return
        nxt = c + 1
        if deliver(nxt, p, t):
            cur[c] = -1
            if nxt == HEAD and not wave:
                start_front(t)
            try_start(c, t)
        else:
            blocked[c] = p

    def arbitrate(t: int) -> None:
        for e in range(n_eng):
            if eng_busy[e] or not waiting[e]:
                continue
            waiting[e].sort()
            p, _, c = waiting[e].pop(0)
            task = tasks[c][idx[c]]
            eng_busy[e] = True
            iv.append((c, t, t + task.cycles, p, 1))
            eiv.append((e, t, t + task.cycles, p, c))
            push(t + task.cycles, K_TASK, c)

    start_front(0)
    while heap:
        t = heap[0][0]
        while heap and heap[0][0] == t:
            _, _, kind, who = heapq.heappop(heap)
            if kind == K_FRONT:
                front["busy"] = False
                if deliver(0, who, t):
                    front["next"] = who + 1
                    if wave:
                        start_front(t)
                else:
                    front["blocked"] = who
            elif kind == K_WAKE:
                try_start(who, t)
            else:
                c = who
                if tasks[c][idx[c]].unit == "engine":
                    eng_busy[eng_of[c]] = False
                idx[c] += 1
                if idx[c] == len(tasks[c]):
                    finish(c, t)
                else:
                    start_task(c, t)
        arbitrate(t)
    if (exit_cyc < 0).any() or total[0] == 0:   # pragma: no cover - a scheduler bug
        raise RuntimeError("prefill simulation ended with positions in flight")
    return PrefillRun(
        mode=mode, n_tokens=n, total_cycles=total[0], exit_cycles=exit_cyc,
        kv_hazards=int(stats[STAT_HAZARDS]), kv_guard_bubbles=int(stats[STAT_BUBBLES]),
        kv_reads=int(stats[STAT_READS]), kv_writes=int(stats[STAT_WRITES]),
        kv_same_cycle_collisions=int(stats[STAT_COLLISIONS]),
        intervals=np.array(iv, np.int64).reshape(-1, 5),
        engine_intervals=np.array(eiv, np.int64).reshape(-1, 5), n_layers=L, n_engines=n_eng)


def _concurrency(starts: np.ndarray, ends: np.ndarray, lo: int, hi: int) -> tuple[int, float]:
    """Max and time-averaged number of half-open intervals overlapping inside [lo, hi)."""
    s = np.clip(starts, lo, hi)
    e = np.clip(ends, lo, hi)
    keep = e > s
    s, e = s[keep], e[keep]
    if hi <= lo or s.size == 0:
        return 0, 0.0
    t = np.concatenate([s, e])
    d = np.concatenate([np.ones_like(s), -np.ones_like(e)])
    order = np.lexsort((d, t))                 # ends (-1) before starts at equal times
    t, d = t[order], d[order]
    level = np.cumsum(d)
    mean = float(np.sum(level[:-1] * np.diff(t))) / (hi - lo)
    return int(level.max()), mean


@dataclass(frozen=True, slots=True, kw_only=True)
class PrefillResult:
    """Prefill on a datapath: the wavefront against the global FSM."""

    model: str
    datapath: str
    engines: str
    n_tokens: int
    clock_hz: float
    kv_hazards: int
    kv_guard_bubbles: int
    kv_reads: int
    kv_writes: int
    kv_same_cycle_collisions: int
    collision: str                      # the RAM's same-cycle same-address rule
    guard: bool
    guard_rule: str
    cycles_per_token: float             # after the fill
    fill_cycles: int                    # first token out of the last layer
    total_cycles: int
    global_fsm_cycles: int
    global_fsm_cycles_per_token: float
    speedup_vs_global_fsm: float        # global FSM total / wavefront total
    tokens_per_s: float                 # prompt tokens / wavefront time
    max_engines_busy_after_fill: int
    mean_engines_busy_after_fill: float
    max_layers_busy_after_fill: int
    mean_layers_busy_after_fill: float
    engine_utilisation: float           # engine busy cycles / (engines x total)
    run: PrefillRun
    global_run: PrefillRun

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (the simulations' interval lists left out)."""
        import dataclasses

        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name not in ("run", "global_run")}


def prefill(spec: ModelSpec, dp: DatapathSpec, n_tokens: int | None = None, *,
            guard: bool | None = None, guard_rule: str | None = None) -> PrefillResult:
    """Simulate the wavefront and the global FSM and compare them (see the module doc)."""
    run = simulate_prefill(spec, dp, n_tokens, mode="wavefront", guard=guard,
                           guard_rule=guard_rule)
    base = simulate_prefill(spec, dp, n_tokens, mode="global", guard=guard,
                            guard_rule=guard_rule)
    fill, tot = run.fill_cycles, run.total_cycles
    e = run.engine_intervals
    me, ae = _concurrency(e[:, 1], e[:, 2], fill, tot)
    lv = run.intervals[run.intervals[:, 0] < run.n_layers]
    ml, al = _concurrency(lv[:, 1], lv[:, 2], fill, tot)
    busy = int(np.sum(e[:, 2] - e[:, 1]))
    return PrefillResult(
        model=spec.name, datapath=dp.name, engines=dp.engines, n_tokens=run.n_tokens,
        clock_hz=dp.clock_hz, kv_hazards=run.kv_hazards, kv_guard_bubbles=run.kv_guard_bubbles,
        kv_reads=run.kv_reads, kv_writes=run.kv_writes,
        kv_same_cycle_collisions=run.kv_same_cycle_collisions, collision=dp.kv_ram.collision,
        guard=dp.kv_ram.guard if guard is None else guard,
        guard_rule=guard_rule or dp.kv_ram.collision,
        cycles_per_token=run.cycles_per_token, fill_cycles=fill, total_cycles=tot,
        global_fsm_cycles=base.total_cycles,
        global_fsm_cycles_per_token=base.cycles_per_token,
        speedup_vs_global_fsm=base.total_cycles / tot,
        tokens_per_s=run.n_tokens * dp.clock_hz / tot,
        max_engines_busy_after_fill=me, mean_engines_busy_after_fill=ae,
        max_layers_busy_after_fill=ml, mean_layers_busy_after_fill=al,
        engine_utilisation=busy / (run.n_engines * tot), run=run, global_run=base)


def plot_gantt(run: PrefillRun, ax: Any, *, max_tokens: int | None = None,
               title: str = "") -> None:
    """Draw the wavefront on a matplotlib axis: one row per layer (and the head), time in
    cycles, one colour per prompt token; matvecs solid, attention hatched, local work pale.

    Args:
        run: a simulation.
        ax: a matplotlib ``Axes``.
        max_tokens: draw only positions below this (default: all).
        title: the axis title.
    """
    import matplotlib

    cmap = matplotlib.colormaps["tab20"]
    iv = run.intervals
    if max_tokens is not None:
        iv = iv[iv[:, 3] < max_tokens]
    end = int(iv[:, 2].max()) if iv.size else 1
    for c, s, e, p, u in iv:
        colour = cmap(int(p) % 20)
        ax.broken_barh([(int(s), int(e - s))], (int(c) - 0.4, 0.8), facecolors=colour,
                       alpha=(1.0 if u == 1 else 0.45), hatch=("///" if u == 2 else None),
                       edgecolor=("black" if u == 2 else "none"), linewidth=0.2)
    ax.set_yticks(range(run.n_layers + 1),
                  [f"layer {i}" for i in range(run.n_layers)] + ["head"])
    ax.set_xlim(0, end)
    ax.invert_yaxis()
    ax.set_xlabel("time (cycles)")
    ax.set_title(title or f"prefill {run.mode}: layers x cycles, colour = prompt token "
                          "(solid: MAC engine, hatched: KV write + attention, pale: "
                          "norms/SiLU)", fontsize=8)
