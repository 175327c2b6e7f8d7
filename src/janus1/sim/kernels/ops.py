"""Small operations the kernels share: vector tag search, move-to-front, rank words.

Everything here is expanded in place in the calling kernel: the vector operations are
numba intrinsics (LLVM IR emitted into the caller) and the integer helpers are
``inline="always"`` functions of plain integers. No array crosses a function boundary
here: numba reference-counts every array passed to a called function, and those atomic
operations would cost more than the lookup itself.

**Rank words** (LRU/FIFO order of a set of at most 16 ways): one int64 per set, nibble
``r`` holding the way at rank ``r`` (rank 0 = most recent). :func:`promote` moves a way
to the front (an LRU hit), :func:`take_oldest` takes the way at the last rank for a
fill and makes it the most recent. Both are loop-free.

numba's on-disk cache does not notice a change in a called module, so the kernel
generator puts a digest of this file's text into every generated kernel
(:mod:`janus1.sim.kernels.build`): editing it recompiles them.
"""

from __future__ import annotations

from typing import Any

from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros
from numba.extending import intrinsic

__all__ = ["match", "match_ways", "promote", "take_oldest", "set_index",
           "bank_index", "xorshift", "trailing_zeros", "NIB1", "NIB8", "lane_match",
           "lane_mtf", "lane_top", "prefetch", "dirty_to_front", "dirty_fill"]

NIB1 = 0x1111111111111111             # 1 in every nibble
NIB8 = 0x8888888888888888 - (1 << 64)  # the top bit of every nibble, as an int64


@njit(inline="always")
def promote(word: int, way: int) -> int:
    """Move ``way`` to the front (rank 0) of a rank word; the ways before it move back
    one rank. The way's rank k is the lowest zero nibble of ``word ^ (way * 0x11..1)``
    (the classic zero-byte test on nibbles: borrows only create false zeros above the
    first true one), so ``4k = cttz(z) - 3``; then the k nibbles below it shift up by
    one and ``way`` goes in front. No loop, no branch."""
    z = word ^ (way * NIB1)
    k4 = trailing_zeros((z - NIB1) & ~z & NIB8) - 3
    return (word & ~((2 << (k4 + 3)) - 1)) | ((word & ((1 << k4) - 1)) << 4) | way


@njit(inline="always")
def take_oldest(word: int, ways: int) -> tuple[int, int]:
    """``(new word, way)``: the way at the last rank (the least recent, or the next
    invalid way: initially rank r holds way ``ways - 1 - r``) becomes the most recent."""
    way = (word >> (4 * ways - 4)) & 15
    return ((word << 4) & ((2 << (4 * ways - 1)) - 1)) | way, way


@njit(inline="always")
def set_index(line: int, pow2: int, mask: int, sets: int) -> int:
    """The set of ``line``: a mask when the set count is a power of two, else a modulo."""
    if pow2:
        return line & mask
    return line % sets


@njit(inline="always")
def bank_index(line: int, banks: int, bank_mask: int) -> int:
    """The bank of ``line`` among ``banks`` interleaved by line (``bank_mask`` =
    banks - 1 for a power of two, else -1)."""
    if banks <= 1:
        return 0
    if bank_mask >= 0:
        return line & bank_mask
    return line % banks


@njit(inline="always")
def xorshift(x: int) -> int:
    """One step of a 63-bit xorshift generator (random replacement); never 0."""
    x ^= (x << 13) & 0x7FFFFFFFFFFFFFFF
    x ^= x >> 7
    x ^= (x << 17) & 0x7FFFFFFFFFFFFFFF
    x &= 0x7FFFFFFFFFFFFFFF
    if x == 0:
        x = 0x2545F4914F6CDD1D
    return x


def _vector_match(builder: Any, ptr: Any, xv: Any, ways: int) -> Any:
    """LLVM: bit k set when ``ptr[k] == x`` for k < ways, as an i64 (one vector compare
    of ``ways`` 64-bit lanes; AVX-512: one ``vpcmpeqq`` into a mask register for 8)."""
    from llvmlite import ir

    i64 = ir.IntType(64)
    vty = ir.VectorType(i64, ways)
    vec = builder.load(builder.bitcast(ptr, vty.as_pointer()), align=8)
    splat = builder.insert_element(ir.Constant(vty, ir.Undefined), xv,
                                   ir.Constant(ir.IntType(32), 0))
    splat = builder.shuffle_vector(
        splat, splat, ir.Constant(ir.VectorType(ir.IntType(32), ways), [0] * ways))
    bits = builder.bitcast(builder.icmp_signed("==", vec, splat), ir.IntType(ways))
    return builder.zext(bits, i64) if ways < 64 else bits


def _install_table_getitem() -> None:
    """``table[i, c]`` for a tuple of tuples of integers (a specialised kernel's constant
    structure table ``S``), as for the 2-D parameter array of the generic kernel.

    numba freezes a global tuple into the code and lowers an index that is not a
    constant into a switch over its items: LLVM then folds ``S[i, c]`` to a constant
    when column ``c`` holds one value on every level the loop can reach."""
    import operator

    from numba import types
    from numba.extending import overload

    # (no annotations: numba compares the typing and implementation signatures)
    @overload(operator.getitem, inline="always")
    def table_getitem(table, ij):  # type: ignore[no-untyped-def]
        if (isinstance(table, types.UniTuple) and isinstance(table.dtype, types.UniTuple)
                and isinstance(table.dtype.dtype, types.Integer)
                and isinstance(ij, types.BaseTuple) and len(ij) == 2):
            return lambda table, ij: table[ij[0]][ij[1]]
        return None


_install_table_getitem()

_MATCH_WAYS: dict[tuple[int, ...], Any] = {}


def match_ways(ways: tuple[int, ...]) -> Any:
    """A numba intrinsic ``match(tags, base, x, w) -> int64``: bit k set when
    ``tags[base + k] == x`` for k < ``w`` (1..64).

    A switch over ``w``: one vector compare for each way count in ``ways``, a scalar
    loop for any other. When ``w`` is a compile-time constant (a specialised kernel)
    LLVM keeps only its case. No bounds check: the caller guarantees
    ``base + w <= tags.size``."""
    key = tuple(sorted(set(ways)))
    fn = _MATCH_WAYS.get(key)
    if fn is not None:
        return fn
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    def match(typingctx: Any, arr: Any, base: Any, x: Any, w: Any) -> Any:
        sig = types.int64(arr, types.int64, types.int64, types.int64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            arrv, basev, xv, wv = args
            ary = context.make_array(signature.args[0])(context, builder, arrv)
            ptr = builder.gep(ary.data, [basev], inbounds=True)
            i64 = ir.IntType(64)
            fn = builder.function
            done = fn.append_basic_block("match.done")
            other = fn.append_basic_block("match.other")
            sw = builder.switch(wv, other)
            incoming = []
            for n in key:
                bb = fn.append_basic_block(f"match.w{n}")
                sw.add_case(ir.Constant(i64, n), bb)
                builder.position_at_end(bb)
                incoming.append((_vector_match(builder, ptr, xv, n), builder.block))
                builder.branch(done)
            builder.position_at_end(other)
            # any other way count: one lane at a time
            acc = cgutils.alloca_once_value(builder, ir.Constant(i64, 0))
            with cgutils.for_range(builder, wv) as loop:
                lane = builder.load(builder.gep(ptr, [loop.index], inbounds=True))
                bit = builder.shl(ir.Constant(i64, 1), loop.index)
                hit = builder.icmp_signed("==", lane, xv)
                builder.store(builder.or_(builder.load(acc),
                                          builder.select(hit, bit, ir.Constant(i64, 0))),
                              acc)
            incoming.append((builder.load(acc), builder.block))
            builder.branch(done)
            builder.position_at_end(done)
            phi = builder.phi(i64)
            for val, blk in incoming:
                phi.add_incoming(val, blk)
            return phi

        return sig, codegen

    match.__name__ = "match_" + "_".join(map(str, key))
    fn = intrinsic(match)
    _MATCH_WAYS[key] = fn
    return fn


# the generic kernel's tag search: vector compares for the usual way counts (a
# specialised kernel rebinds ``match`` to the way counts of its hierarchy)
match = match_ways((1, 2, 4, 8, 16))

# ---- the counts-only kernels' tag operations: int32 or int64 lanes ----
# (lanes of the tag array's width: an 8-way set of int32 tags is 32 bytes, one 256-bit
# compare)


def _lane_type(context: Any, arrty: Any) -> Any:
    """The LLVM integer type of an array's elements (i32 for int32 tags)."""
    return context.get_data_type(arrty.dtype)


def _lanes_equal(builder: Any, ptr: Any, xv: Any, ways: int, lane: Any) -> Any:
    """LLVM: bit k set when ``ptr[k] == x`` for k < ways, as an i64 (one vector compare
    of ``ways`` lanes of type ``lane``; ``x`` truncated to the lane width)."""
    from llvmlite import ir

    vty = ir.VectorType(lane, ways)
    vec = builder.load(builder.bitcast(ptr, vty.as_pointer()), align=lane.width // 8)
    if lane.width < 64:
        xv = builder.trunc(xv, lane)
    splat = builder.insert_element(ir.Constant(vty, ir.Undefined), xv,
                                   ir.Constant(ir.IntType(32), 0))
    splat = builder.shuffle_vector(
        splat, splat, ir.Constant(ir.VectorType(ir.IntType(32), ways), [0] * ways))
    bits = builder.bitcast(builder.icmp_signed("==", vec, splat), ir.IntType(ways))
    return builder.zext(bits, ir.IntType(64)) if ways < 64 else bits


_LANE_MATCH: dict[int, Any] = {}


def lane_match(ways: int) -> Any:
    """A numba intrinsic ``match(tags, base, x) -> int64`` for a fixed way count and an
    int32 or int64 tag array: bit k set when ``tags[base + k] == x`` for k < ``ways``;
    one vector compare of the array's lanes, expanded in place. The caller guarantees
    ``base + ways <= tags.size`` and that ``x`` fits the lane (no bounds check, ``x`` is
    truncated)."""
    fn = _LANE_MATCH.get(ways)
    if fn is not None:
        return fn
    from numba import types
    from numba.extending import intrinsic

    def match_lanes(typingctx: Any, arr: Any, base: Any, x: Any) -> Any:
        sig = types.int64(arr, types.int64, types.int64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            arrv, basev, xv = args
            ary = context.make_array(signature.args[0])(context, builder, arrv)
            ptr = builder.gep(ary.data, [basev], inbounds=True)
            return _lanes_equal(builder, ptr, xv, ways, _lane_type(context, signature.args[0]))

        return sig, codegen

    match_lanes.__name__ = f"lane_match_{ways}"
    fn = intrinsic(match_lanes)
    _LANE_MATCH[ways] = fn
    return fn


_LANE_MTF: dict[int, Any] = {}


def lane_mtf(ways: int) -> Any:
    """A numba intrinsic ``mtf(tags, base, x, p)`` for a fixed way count and an int32 or
    int64 tag array: move-to-front in the ``ways`` tags at ``tags[base:]`` (lanes 1..p
    take lanes 0..p-1, lane 0 takes ``x``): with p = the matching lane an LRU hit, with
    p = ways - 1 a miss (the last lane, the least recent or an invalid way, falls out).
    One vector load, a lane shift, a masked blend, one vector store: the store's address
    is the set's, known as soon as the line is, so the next lookup never waits on it; the caller guarantees ``base + ways <= tags.size`` and that ``x``
    fits the lane."""
    fn = _LANE_MTF.get(ways)
    if fn is not None:
        return fn
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic

    def mtf_lanes(typingctx: Any, arr: Any, base: Any, x: Any, p: Any) -> Any:
        sig = types.none(arr, types.int64, types.int64, types.int64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            arrv, basev, xv, pv = args
            lane = _lane_type(context, signature.args[0])
            ary = context.make_array(signature.args[0])(context, builder, arrv)
            ptr = builder.gep(ary.data, [basev], inbounds=True)
            i64 = ir.IntType(64)
            i32 = ir.IntType(32)
            vty = ir.VectorType(lane, ways)
            vptr = builder.bitcast(ptr, vty.as_pointer())
            vec = builder.load(vptr, align=lane.width // 8)
            if lane.width < 64:
                xv = builder.trunc(xv, lane)
            xs = builder.insert_element(ir.Constant(vty, ir.Undefined), xv, ir.Constant(i32, 0))
            # lane 0 <- x, lane i <- vec[i - 1]
            idx = [ways] + list(range(ways - 1))
            shifted = builder.shuffle_vector(vec, xs, ir.Constant(ir.VectorType(i32, ways), idx))
            # lanes 0..p from the shifted vector: mask (2 << p) - 1 (all ones for p = 63)
            m = builder.sub(builder.shl(ir.Constant(i64, 2), pv), ir.Constant(i64, 1))
            if ways < 64:
                m = builder.trunc(m, ir.IntType(ways))
            mask = builder.bitcast(m, ir.VectorType(ir.IntType(1), ways))
            builder.store(builder.select(mask, shifted, vec), vptr, align=lane.width // 8)
            return context.get_dummy_value()

        return sig, codegen

    mtf_lanes.__name__ = f"lane_mtf_{ways}"
    fn = intrinsic(mtf_lanes)
    _LANE_MTF[ways] = fn
    return fn



@njit(inline="always")
def dirty_to_front(word: int, p: int, dirty: int) -> int:
    """The dirty bits of a set whose tags are kept in recency order (bit k: lane k)
    after an LRU hit on lane p: bit p moves to bit 0, OR-ed with ``dirty``, and the bits
    below it move up one, as :func:`lane_mtf` moves the tags."""
    below = (1 << p) - 1
    return ((word & ~(below | (1 << p))) | ((word & below) << 1)
            | ((word >> p) & 1) | dirty)


@njit(inline="always")
def dirty_fill(word: int, ways: int, dirty: int) -> int:
    """The dirty bits of a set in recency order after a fill: the last lane's bit (the
    victim's, read before) falls out, the new line enters at bit 0 with ``dirty``."""
    return ((word << 1) & ((1 << ways) - 1)) | dirty

def _prefetch(typingctx: Any, arr: Any, i: Any) -> Any:
    """``prefetch(arr, i)``: ask the host to bring the cache line of ``arr[i]`` into its
    first-level data cache for a read soon (``llvm.prefetch``, read, high locality). A
    hint: it never faults, so ``i`` may lie past the end of the array."""
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils

    sig = types.none(arr, types.int64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        arrv, iv = args
        ary = context.make_array(signature.args[0])(context, builder, arrv)
        ptr = builder.gep(ary.data, [iv])  # not inbounds: i may be past the end
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        # (address, 0 = read, 3 = keep in every cache level, 1 = data cache)
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0),
                          ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen



def _lane_top(typingctx: Any, arr: Any) -> Any:
    """``lane_top(tags)``: the largest value a lane of an integer array holds (2^31 - 1
    for int32 tags), a constant of the array's type."""
    from llvmlite import ir
    from numba import types

    sig = types.int64(arr)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        bits = _lane_type(context, signature.args[0]).width
        return ir.Constant(ir.IntType(64), (1 << (bits - 1)) - 1)

    return sig, codegen

prefetch = intrinsic(_prefetch)
lane_top = intrinsic(_lane_top)

