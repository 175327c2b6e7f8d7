"""The counts-only LRU/FIFO kernel, generated per hierarchy shape.

Used by ``simulate(..., counts_only=True, prefetcher="none")`` when every level is a
write-back, write-allocate LRU or FIFO cache with at most 16 ways (the common case and
the pycachesim comparison). It gives exactly the counts of the general kernel in
:mod:`janus1.sim._kernel` and is several times faster:

- each level is unrolled with its ways, line shift and set mask as constants, so the
  tag search compiles to a fixed-length, branch-free compare;
- a set's tags are compared with the line in one vector instruction (:func:`match_fn`:
  an LLVM ``<ways x i64>`` compare, one AVX-512 ``vpcmpeqq`` for 8 ways, whose bit mask
  gives the way with a trailing-zero count); the tag array is 64-byte aligned so an
  8-way set is one host cache line;
- tags stay in their ways; the recency order of a set is one 64-bit word of 4-bit
  ranks (nibble r = the way at rank r, r = 0 most recent). A miss takes the way in
  the top nibble and rotates it to the front; a hit on a way finds its rank with a
  zero-nibble test (no loop) and moves its nibble to the front with shifts and masks
  (no age stamps);
- a repeat of the line just accessed is counted without a lookup;
- nothing is called per access (numba reference-counts arrays passed to helpers).

The generated module is cached like the general kernel's (``get_fast_kernel``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["FastLevel", "fast_source", "get_fast_kernel", "match_fn", "aligned_full",
           "MAX_WAYS", "SIMD_VERSION"]

MAX_WAYS = 16  # 16 four-bit ranks fill the 64-bit recency word
# part of every generated kernel's text: changing the intrinsics below must change it,
# so that numba's on-disk cache (keyed by the generated module) is not reused stale
SIMD_VERSION = "match-v1"

_MATCH: dict[int, Any] = {}


def match_fn(ways: int) -> Any:
    """A numba intrinsic ``match(tags, base, x) -> int64``: bit k set when
    ``tags[base + k] == x`` for k < ``ways``.

    It is one LLVM vector compare of ``ways`` 64-bit lanes (AVX-512: one ``vpcmpeqq``
    into a mask register for 8 ways), expanded in place in the caller: no call and no
    reference counting per access. No bounds check: the caller guarantees
    ``base + ways <= tags.size``.
    """
    fn = _MATCH.get(ways)
    if fn is not None:
        return fn
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic

    def match(typingctx: Any, arr: Any, base: Any, x: Any) -> Any:
        sig = types.int64(arr, types.int64, types.int64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            arrv, basev, xv = args
            ary = context.make_array(signature.args[0])(context, builder, arrv)
            ptr = builder.gep(ary.data, [basev], inbounds=True)
            i64 = ir.IntType(64)
            vty = ir.VectorType(i64, ways)
            vec = builder.load(builder.bitcast(ptr, vty.as_pointer()), align=8)
            splat = builder.insert_element(ir.Constant(vty, ir.Undefined), xv,
                                           ir.Constant(ir.IntType(32), 0))
            splat = builder.shuffle_vector(
                splat, splat, ir.Constant(ir.VectorType(ir.IntType(32), ways), [0] * ways))
            bits = builder.bitcast(builder.icmp_signed("==", vec, splat), ir.IntType(ways))
            return builder.zext(bits, i64) if ways < 64 else bits

        return sig, codegen

    match.__name__ = f"match_{ways}"
    fn = intrinsic(match)
    _MATCH[ways] = fn
    return fn


def __getattr__(name: str) -> Any:
    # ``from janus1.sim._fast import match_8`` in a generated kernel builds the intrinsic
    # on first use (numba is imported only then)
    if name.startswith("match_") and name[6:].isdigit():
        return match_fn(int(name[6:]))
    raise AttributeError(name)


def aligned_full(n: int, value: int, dtype: Any = None) -> Any:
    """``np.full(n, value)`` whose data starts on a 64-byte boundary (a host cache line)."""
    import numpy as np

    dt = np.dtype(np.int64 if dtype is None else dtype)
    per = 64 // dt.itemsize
    buf = np.full(n + per, value, dt)
    off = (-buf.ctypes.data % 64) // dt.itemsize
    return buf[off: off + n]


@dataclass(frozen=True, slots=True)
class FastLevel:
    """The compile-time shape of one level."""

    ways: int
    dshift: int      # log2(this level's line / first level's line)
    sets: int
    fifo: bool       # FIFO (no promotion on hit) instead of LRU
    line_bytes: int
    tbase: int       # first index in tags/meta
    rbase: int       # first index in rec


def _mask(k: int) -> int:
    """An int64 literal with the low ``k`` bits set (all 64 -> -1)."""
    return -1 if k >= 64 else (1 << k) - 1


def _lookup(i: int, lv: FastLevel, li: str) -> str:
    """Search level i for line ``li``: sets s{i}, b{i}, m{i} (bit mask of the matching
    way, 0 on a miss), r{i} (rec word)."""
    if lv.sets & (lv.sets - 1) == 0:
        sidx = f"{li} & {lv.sets - 1}"
    else:
        sidx = f"{li} % {lv.sets}"
    return textwrap.dedent(f"""
        s{i} = {sidx}
        b{i} = {lv.tbase} + s{i} * {lv.ways}
        m{i} = match_{lv.ways}(tags, b{i}, {li})
        r{i} = rec[{lv.rbase} + s{i}]
    """)


_NIB1 = 0x1111111111111111
_NIB8 = 0x8888888888888888 - (1 << 64)  # as an int64 literal


def _promote(i: int, lv: FastLevel) -> str:
    """Move way p{i} to the front of rec word r{i} and store it (LRU only).

    The rank k of p{i} is the lowest zero nibble of ``r ^ (p * 0x11..1)`` (the classic
    zero-byte test on nibbles: borrows only create false zeros above the first true
    one), so ``4k = cttz(z) - 3``; then the k nibbles below it shift up by one and p
    goes in front. No loop, no branch.
    """
    if lv.fifo:
        return ""
    return textwrap.dedent(f"""
        zt = r{i} ^ (p{i} * {_NIB1})
        k4 = trailing_zeros((zt - {_NIB1}) & ~zt & {_NIB8}) - 3
        r{i} = ((r{i} & ~((2 << (k4 + 3)) - 1)) | ((r{i} & ((1 << k4) - 1)) << 4)) | p{i}
        rec[{lv.rbase} + s{i}] = r{i}
    """)


def _allocate(i: int, lv: FastLevel, li: str, dirty: str, levels: Sequence[FastLevel],
              depth: int, stores: bool = True) -> str:
    """Put line ``li`` in the victim way of set s{i} (rec r{i}); handle the victim."""
    w = lv.ways
    full = _mask(4 * w)
    vic = f"v{i}_{depth}"
    if not stores:
        # fills, misses and DRAM reads follow from the hit counts (see fast_source);
        # evictions = fills - valid lines, computed by the engine
        return textwrap.dedent(f"""
            {vic} = (r{i} >> {4 * (w - 1)}) & 15
            rec[{lv.rbase} + s{i}] = ((r{i} << 4) & {full}) | {vic}
            tags[b{i} + {vic}] = {li}
        """)
    code = textwrap.dedent(f"""
        {vic} = (r{i} >> {4 * (w - 1)}) & 15
        rec[{lv.rbase} + s{i}] = ((r{i} << 4) & {full}) | {vic}
        old = tags[b{i} + {vic}]
        oldm = meta[b{i} + {vic}]
        tags[b{i} + {vic}] = {li}
        meta[b{i} + {vic}] = {dirty}
        stats[{i}, 4] += 1
        if old >= 0:
            stats[{i}, 2] += 1
            if oldm & 1:
                stats[{i}, 3] += 1
                wx{depth} = old << {lv.dshift}
    """)
    inner = _write(i + 1, f"wx{depth}", lv.line_bytes, levels, depth + 1)
    code += textwrap.indent(inner, " " * 8) + "\n"
    return code


def _write(i: int, x: str, lb: int, levels: Sequence[FastLevel], depth: int) -> str:
    """Write back the line holding first-level line ``x`` into level i (or DRAM)."""
    if i == len(levels):
        return f"g[4] += {lb}\ng[20] += 1\n"
    lv = levels[i]
    li = f"wl{depth}"
    code = f"{li} = {x} >> {lv.dshift}\nstats[{i}, 5] += 1\n" + _lookup(i, lv, li)
    code += f"if m{i} != 0:\n"
    code += textwrap.indent(f"p{i} = trailing_zeros(m{i})\n" + _promote(i, lv)
                            + f"meta[b{i} + p{i}] = meta[b{i} + p{i}] | 1\n", "    ")
    code += "else:\n"
    code += textwrap.indent(_allocate(i, lv, li, "1", levels, depth), "    ")
    return code


def fast_source(levels: Sequence[FastLevel], stores: bool = True) -> str:
    """The generated module's text for a hierarchy shape.

    With ``stores=False`` the kernel handles loads only and keeps no dirty bits: valid
    only while no store has been simulated (no line can be dirty).
    """
    n = len(levels)
    sh0 = levels[0].line_bytes.bit_length() - 1
    body: list[str] = []
    # demand lookups from level 1 down, stopping at the first hit
    miss_chain = ""
    for i in range(1, n):
        lv = levels[i]
        blk = f"l{i} = x >> {lv.dshift}\n" + _lookup(i, lv, f"l{i}")
        blk += f"if m{i} != 0:\n    p{i} = trailing_zeros(m{i})\n    stats[{i}, 0] += 1\n"
        blk += f"    h = {i}\n"
        blk += textwrap.indent(_promote(i, lv), "    ")
        if stores:
            blk += f"else:\n    stats[{i}, 1] += 1\n"
        else:
            blk += "else:\n    pass\n"
        body.append(blk)
    # nest: level i+1 is looked up only if level i missed
    nested = ""
    for i in range(n - 1, 0, -1):
        blk = body[i - 1]
        if nested:
            blk += textwrap.indent(nested, "    ")
        nested = blk
    miss_chain = nested
    fills = f"if h == {n}:\n    g[3] += {levels[-1].line_bytes}\n    g[17] += 1\n" if stores else ""
    for i in range(n - 1, 0, -1):
        fills += f"if h > {i}:\n" + textwrap.indent(
            _allocate(i, levels[i], f"l{i}", "0", levels, 0, stores), "    ")
    l0 = levels[0]
    fills += _allocate(0, l0, "x", "dirty", levels, 0, stores)
    fills += "last = x\nlastslot = b0 + v0_0\n"
    src = f'''\
# Generated by janus1.sim._fast for one hierarchy shape; do not edit.
# intrinsics: {SIMD_VERSION}
import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

from janus1.sim._fast import {", ".join(sorted({f"match_{lv.ways}" for lv in levels}))}


@njit(cache=True)
def run_chunk(addr, kinds, sizes, default_size, tags, meta, rec, stats, g):
    has_kind = kinds.size > 0
    has_size = sizes.size > 0
    last = g[1]
    lastslot = g[2]
    hits0 = 0
    lineacc = 0
    nstores = 0
    for idx in range(addr.size):
        a = addr[idx]
        st = False
        if has_kind:
            st = kinds[idx] != 0
            if st:
                nstores += 1
        sz = default_size
        if has_size:
            sz = sizes[idx]
            if sz < 1:
                sz = 1
        first = a >> {sh0}
        lastl = (a + sz - 1) >> {sh0}
        for x in range(first, lastl + 1):
            lineacc += 1
            if x == last:
                hits0 += 1
                if st:
                    meta[lastslot] = meta[lastslot] | 1
                continue
{textwrap.indent(_lookup(0, l0, "x"), " " * 12)}
            if m0 != 0:
                p0 = trailing_zeros(m0)
                hits0 += 1
{textwrap.indent(_promote(0, l0), " " * 16)}
                if st:
                    meta[b0 + p0] = meta[b0 + p0] | 1
                last = x
                lastslot = b0 + p0
                continue
            {"stats[0, 1] += 1" if stores else "pass"}
            dirty = 1 if st else 0
            h = {n}
{textwrap.indent(miss_chain, " " * 12)}
{textwrap.indent(fills, " " * 12)}
    stats[0, 0] += hits0
    stats[0, 6] += nstores
{"" if stores else _derive(levels)}
    g[1] = last
    g[2] = lastslot
    g[6] += lineacc
    g[7] += addr.size
    g[19] += nstores
'''
    src = _localize(src, n)
    return "\n".join(line if line.strip() else "" for line in src.splitlines()) + "\n"


def _derive(levels: Sequence[FastLevel]) -> str:
    """Loads-only epilogue: every miss fills, and level i+1 sees level i's misses."""
    code = "    look = lineacc\n"
    for i, lv in enumerate(levels):
        hits = "hits0" if i == 0 else f"c{i}_0"
        code += (f"    miss = look - {hits}\n    stats[{i}, 1] += miss\n"
                 f"    stats[{i}, 4] += miss\n    look = miss\n")
    code += f"    g[3] += look * {levels[-1].line_bytes}\n    g[17] += look\n"
    return code


def _localize(src: str, n: int) -> str:
    """Turn ``stats[i, k] += v`` / ``g[k] += v`` in the loop into local counters
    (numba cannot keep array elements in registers: the arrays may alias)."""
    import re

    names: set[str] = set()

    def rep_s(m: re.Match[str]) -> str:
        names.add(f"c{m.group(1)}_{m.group(2)}")
        return f"c{m.group(1)}_{m.group(2)} +="

    def rep_g(m: re.Match[str]) -> str:
        names.add(f"cg_{m.group(1)}")
        return f"cg_{m.group(1)} +="

    head, sep, tail = src.partition("    for idx in range(addr.size):")
    loop, sep2, epilogue = tail.partition("    stats[0, 0] += hits0")
    loop = re.sub(r"stats\[(\d+), (\d+)\] \+=", rep_s, loop)
    loop = re.sub(r"\bg\[(\d+)\] \+=", rep_g, loop)
    init = "".join(f"    {nm} = 0\n" for nm in sorted(names))
    flush = ""
    for nm in sorted(names):
        if nm.startswith("cg_"):
            flush += f"    g[{nm[3:]}] += {nm}\n"
        else:
            i, k = nm[1:].split("_")
            flush += f"    stats[{i}, {k}] += {nm}\n"
    return head + init + sep + loop + flush + sep2 + epilogue


def get_fast_kernel(levels: Sequence[FastLevel], stores: bool = True) -> Callable[..., Any]:
    """The compiled ``run_chunk`` for a hierarchy shape (generated and cached once)."""
    from ._kernel import load_generated

    mod = load_generated(fast_source(levels, stores), "janus1_fast")
    return mod.run_chunk  # type: ignore[no-any-return]
