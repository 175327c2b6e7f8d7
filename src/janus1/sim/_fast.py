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
- tags hold line + 1 (0 = invalid: a zeroed array is an empty cache, and pages the
  trace never reaches are never written);
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
           "aligned_zeros", "mtf_fn",
           "MAX_WAYS", "SIMD_VERSION"]

MAX_WAYS = 16  # 16 four-bit ranks fill the 64-bit recency word
# part of every generated kernel's text: changing the intrinsics below must change it,
# so that numba's on-disk cache (keyed by the generated module) is not reused stale
SIMD_VERSION = "match-v1 mtf-v1"

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


_MTF: dict[int, Any] = {}


def mtf_fn(ways: int) -> Any:
    """A numba intrinsic ``mtf(tags, base, x, p)``: move-to-front in the ``ways`` tags
    at ``tags[base:]``, kept in recency order: lanes 1..p take lanes 0..p-1 and lane 0
    takes ``x``. With p = the matching lane it is an LRU hit; with p = ways - 1 a miss
    (the last lane, the least recent or an invalid way, falls out).

    One vector load, a lane shift, a masked blend and one vector store: the store's
    address is the set's, known as soon as the line is, so the next access's lookup
    never waits on it (a victim way read from a recency word would delay it).
    """
    fn = _MTF.get(ways)
    if fn is not None:
        return fn
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic

    def mtf(typingctx: Any, arr: Any, base: Any, x: Any, p: Any) -> Any:
        sig = types.none(arr, types.int64, types.int64, types.int64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            arrv, basev, xv, pv = args
            ary = context.make_array(signature.args[0])(context, builder, arrv)
            ptr = builder.gep(ary.data, [basev], inbounds=True)
            i64 = ir.IntType(64)
            i32 = ir.IntType(32)
            vty = ir.VectorType(i64, ways)
            vptr = builder.bitcast(ptr, vty.as_pointer())
            vec = builder.load(vptr, align=8)
            xs = builder.insert_element(ir.Constant(vty, ir.Undefined), xv, ir.Constant(i32, 0))
            # lane 0 <- x, lane i <- vec[i - 1]
            idx = [ways] + list(range(ways - 1))
            shifted = builder.shuffle_vector(vec, xs, ir.Constant(ir.VectorType(i32, ways), idx))
            # lanes 0..p from the shifted vector: mask (2 << p) - 1 (all ones for p = 63)
            m = builder.sub(builder.shl(ir.Constant(i64, 2), pv), ir.Constant(i64, 1))
            if ways < 64:
                m = builder.trunc(m, ir.IntType(ways))
            mask = builder.bitcast(m, ir.VectorType(ir.IntType(1), ways))
            builder.store(builder.select(mask, shifted, vec), vptr, align=8)
            return context.get_dummy_value()

        return sig, codegen

    mtf.__name__ = f"mtf_{ways}"
    fn = intrinsic(mtf)
    _MTF[ways] = fn
    return fn


def __getattr__(name: str) -> Any:
    # ``from janus1.sim._fast import match_8`` in a generated kernel builds the intrinsic
    # on first use (numba is imported only then)
    if name.startswith("match_") and name[6:].isdigit():
        return match_fn(int(name[6:]))
    if name.startswith("mtf_") and name[4:].isdigit():
        return mtf_fn(int(name[4:]))
    raise AttributeError(name)


def aligned_zeros(n: int) -> Any:
    """``np.zeros(n, np.int64)`` starting on a 64-byte boundary, left to the OS to zero
    (pages that are never touched are never written)."""
    import numpy as np

    buf = np.zeros(n + 8, np.int64)
    off = (-buf.ctypes.data % 64) // 8
    return buf[off: off + n]


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
        m{i} = match_{lv.ways}(tags, b{i}, {li} + 1)
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
            tags[b{i} + {vic}] = {li} + 1
        """)
    code = textwrap.dedent(f"""
        {vic} = (r{i} >> {4 * (w - 1)}) & 15
        rec[{lv.rbase} + s{i}] = ((r{i} << 4) & {full}) | {vic}
        old = tags[b{i} + {vic}] - 1
        oldm = meta[b{i} + {vic}]
        tags[b{i} + {vic}] = {li} + 1
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


def _loads_source(levels: Sequence[FastLevel]) -> str:
    """The loads-only kernel: every set's tags kept in recency order (lane 0 most
    recent) and updated by :func:`mtf_fn`; no recency words, no dirty bits. The layout
    is the stores kernel's with identity recency words (way r at rank r), which ``rec``
    keeps from its initial value, so the engine switches kernels at the first store
    without converting anything."""
    n = len(levels)
    sh0 = levels[0].line_bytes.bit_length() - 1

    def setbase(i: int, li: str) -> str:
        lv = levels[i]
        sidx = f"{li} & {lv.sets - 1}" if lv.sets & (lv.sets - 1) == 0 else f"{li} % {lv.sets}"
        return f"b{i} = {lv.tbase} + ({sidx}) * {lv.ways}\n"

    def hit(i: int) -> str:
        lv = levels[i]
        if lv.fifo:
            return ""
        return f"mtf_{lv.ways}(tags, b{i}, l{i} + 1, trailing_zeros(m{i}))\n"

    # lookups below the first level, nested: level i+1 only when level i missed
    chain = ""
    for i in range(n - 1, 0, -1):
        lv = levels[i]
        blk = f"l{i} = x >> {lv.dshift}\n" + setbase(i, f"l{i}")
        blk += f"m{i} = match_{lv.ways}(tags, b{i}, l{i} + 1)\n"
        blk += f"if m{i} != 0:\n    c{i}_0 += 1\n    h = {i}\n" + textwrap.indent(hit(i), "    ")
        if chain:
            blk += "else:\n" + textwrap.indent(chain, "    ")
        chain = blk
    fills = ""
    for i in range(n - 1, 0, -1):
        lv = levels[i]
        fills += f"if h > {i}:\n    mtf_{lv.ways}(tags, b{i}, l{i} + 1, {lv.ways - 1})\n"
    l0 = levels[0]
    miss = "miss0 += 1\n" + (f"h = {n}\n" + chain + fills if n > 1 else "")
    miss += f"mtf_{l0.ways}(tags, b0, x + 1, {l0.ways - 1})\n"
    line = ("if x != last:\n    l0 = x\n" + textwrap.indent(setbase(0, "x"), "    ")
            + f"    m0 = match_{l0.ways}(tags, b0, x + 1)\n"
            + "    if m0 != 0:\n" + textwrap.indent(hit(0) or "pass\n", "        ")
            + "    else:\n" + textwrap.indent(miss, "        ") + "    last = x\n")
    # a loop over accesses (its index known non-negative: no wrap-around code), the
    # line body once for the access's first line and again, in a rare inner loop, for
    # the further lines of an access that crosses line boundaries
    per_access = textwrap.dedent(f"""
        a = addr[idx]
        if a < 0:
            bad = idx
            break
        x = a >> {sh0}
        if has_size:
            sz = sizes[idx]
            if sz < 1:
                sz = 1
            xe = (a + sz - 1) >> {sh0}
        else:
            xe = (a + dsz1) >> {sh0}
    """) + line + "if xe != x:\n    for x in range(x + 1, xe + 1):\n        extra += 1\n" + \
        textwrap.indent(line, "        ")
    counters = "".join(f"    c{i}_0 = 0\n" for i in range(1, n))
    flush = "".join(f"    stats[{i}, 0] += c{i}_0\n" for i in range(1, n))
    ways = sorted({lv.ways for lv in levels})
    imports = ", ".join([f"match_{w}" for w in ways] + [f"mtf_{w}" for w in ways])
    s0 = f"last & {l0.sets - 1}" if l0.sets & (l0.sets - 1) == 0 else f"last % {l0.sets}"
    src = f"""\
# Generated by janus1.sim._fast for one hierarchy shape (loads only); do not edit.
# intrinsics: {SIMD_VERSION}
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

from janus1.sim._fast import {imports}


@njit(cache=True)
def run_chunk(addr, kinds, sizes, default_size, tags, meta, rec, stats, g):
    has_size = sizes.size > 0
    last = g[1]
    lastslot = g[2]
    miss0 = 0
    lineacc = 0
    nstores = 0
    nacc = addr.size
    bad = -1
    extra = 0
    dsz1 = default_size - 1
{counters}    for idx in range(nacc):
{textwrap.indent(per_access, " " * 8)}
{flush}    lineacc = (nacc if bad < 0 else bad) + extra
    hits0 = lineacc - miss0
    stats[0, 0] += hits0
    if last >= 0:
        # the slot of the last line (resident: only a miss evicts, and a miss makes
        # its own line the last)
        b0 = {l0.tbase} + ({s0}) * {l0.ways}
        lastslot = b0 + trailing_zeros(match_{l0.ways}(tags, b0, last + 1))
{_derive(levels)}
    g[1] = last
    g[2] = lastslot
    g[6] += lineacc
    g[7] += nacc if bad < 0 else bad
    return bad
"""
    return "\n".join(ln if ln.strip() else "" for ln in src.splitlines()) + "\n"


def fast_source(levels: Sequence[FastLevel], stores: bool = True) -> str:
    """The generated module's text for a hierarchy shape.

    With ``stores=False`` the kernel handles loads only and keeps no dirty bits: valid
    only while no store has been simulated (no line can be dirty). It ignores ``kinds``
    (all zero while it is used) and finds the slot of the last line once at the end.
    """
    if not stores:
        return _loads_source(levels)
    n = len(levels)
    sh0 = levels[0].line_bytes.bit_length() - 1
    body: list[str] = []
    # demand lookups from level 1 down, stopping at the first hit
    for i in range(1, n):
        lv = levels[i]
        blk = f"l{i} = x >> {lv.dshift}\n" + _lookup(i, lv, f"l{i}")
        blk += f"if m{i} != 0:\n    p{i} = trailing_zeros(m{i})\n    stats[{i}, 0] += 1\n"
        blk += f"    h = {i}\n"
        blk += textwrap.indent(_promote(i, lv), "    ")
        if stores:
            blk += f"else:\n    stats[{i}, 1] += 1\n"
        body.append(blk)
    # nest: level i+1 is looked up only if level i missed
    nested = ""
    for i in range(n - 1, 0, -1):
        blk = body[i - 1]
        if nested:
            blk += ("" if stores else "else:\n") + textwrap.indent(nested, "    ")
        nested = blk
    miss_chain = nested
    fills = f"if h == {n}:\n    g[3] += {levels[-1].line_bytes}\n    g[17] += 1\n" if stores else ""
    for i in range(n - 1, 0, -1):
        fills += f"if h > {i}:\n" + textwrap.indent(
            _allocate(i, levels[i], f"l{i}", "0", levels, 0, stores), "    ")
    l0 = levels[0]
    fills += _allocate(0, l0, "x", "dirty" if stores else "0", levels, 0, stores)
    if stores:
        fills += "lastslot = b0 + v0_0\n"
    hit0 = "p0 = trailing_zeros(m0)\n" + _promote(0, l0)
    if stores:
        hit0 += "if st:\n    meta[b0 + p0] = meta[b0 + p0] | 1\nlastslot = b0 + p0\n"
    miss0 = "miss0 += 1\n"
    if stores:
        miss0 += "dirty = 1 if st else 0\n"
    miss0 += f"h = {n}\n" + miss_chain + fills
    line = _lookup(0, l0, "x") + "if m0 != 0:\n" + textwrap.indent(hit0, "    ")
    line += "else:\n" + textwrap.indent(miss0, "    ")
    # a repeat of the line just accessed is a first-level hit without a lookup
    line = "if x != last:\n" + textwrap.indent(line, "    ") + "    last = x\n"
    if stores:
        line += "elif st:\n    meta[lastslot] = meta[lastslot] | 1\n"
    kind = textwrap.dedent("""
        st = False
        if has_kind:
            st = kinds[idx] != 0
            if st:
                nstores += 1
    """) if stores else ""
    # a loop over accesses, the line body once for the access's first line and again,
    # in a rare inner loop, for the further lines of an access crossing line boundaries
    per_access = textwrap.dedent("""
        a = addr[idx]
        if a < 0:
            bad = idx
            break
    """) + kind + textwrap.dedent(f"""
        x = a >> {sh0}
        if has_size:
            sz = sizes[idx]
            if sz < 1:
                sz = 1
            xe = (a + sz - 1) >> {sh0}
        else:
            xe = (a + dsz1) >> {sh0}
    """) + line + "if xe != x:\n    for x in range(x + 1, xe + 1):\n        extra += 1\n" + \
        textwrap.indent(line, "        ")
    epilogue = ""
    if not stores:
        # the slot of the last line (resident: only a first-level miss evicts, and a
        # miss makes its own line the last)
        s0 = f"last & {l0.sets - 1}" if l0.sets & (l0.sets - 1) == 0 else f"last % {l0.sets}"
        epilogue = textwrap.dedent(f"""
            if last >= 0:
                b0 = {l0.tbase} + ({s0}) * {l0.ways}
                lastslot = b0 + trailing_zeros(match_{l0.ways}(tags, b0, last + 1))
        """)
    src = f"""\
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
    miss0 = 0
    lineacc = 0
    nstores = 0
    nacc = addr.size
    bad = -1
    extra = 0
    dsz1 = default_size - 1
    for idx in range(nacc):
{textwrap.indent(per_access, " " * 8)}
    lineacc = (nacc if bad < 0 else bad) + extra
    hits0 = lineacc - miss0
    stats[0, 0] += hits0
    stats[0, 6] += nstores
{textwrap.indent(epilogue, "    ")}
{_derive(levels) if not stores else "    stats[0, 1] += miss0"}
    g[1] = last
    g[2] = lastslot
    g[6] += lineacc
    g[7] += nacc if bad < 0 else bad
    g[19] += nstores
    return bad
"""
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

    head, sep, tail = src.partition("    for idx in range(nacc):")
    loop, sep2, epilogue = tail.partition("    lineacc = (nacc if bad < 0 else bad) + extra")
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
