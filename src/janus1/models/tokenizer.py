"""Byte-fallback BPE tokenizers of the Llama / llama2.c family.

``load_tokenizer(src)`` reads:

- a llama2.c ``tokenizer.bin`` (``tok512.bin``; karpathy/llama2.c ``tokenizer.py``
  export: ``int max_token_length`` then per token ``float score, int len, bytes``);
- a GGUF file's ``tokenizer.ggml.*`` arrays (the tokenizer inside the model file);
- a SentencePiece ``.model`` (encoded by the ``sentencepiece`` library itself).

The first two encode exactly as llama2.c ``run.c`` ``encode()`` and llama.cpp's SPM
tokenizer do: a dummy-prefix space, every code point looked up (byte fallback: byte
``b`` is token ``<0xBB>``), then repeatedly merge the adjacent pair whose merged
string is the highest-scoring vocabulary entry (leftmost on ties). A priority queue
makes that O(n log n) instead of run.c's O(n^2).

SentencePiece itself differs in one respect on texts like WikiText: its normalizer
(``remove_extra_whitespaces``, on in ``tok512.model``) drops the text's leading space,
so for `` = Robert`` it emits one leading ``▁`` where run.c and llama.cpp emit two.
"""

from __future__ import annotations

import heapq
import re
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, InputError
from ..limits import check_buffer, check_int, check_path, path_exists

__all__ = ["Tokenizer", "load_tokenizer", "gguf_tokenizer_model"]

_BYTE_PIECE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")
_MAX_SP_BYTES = 64 << 20  # SentencePiece models are a few MB (Llama's: 0.5 MB)


class Tokenizer:
    """A byte-fallback BPE vocabulary with encode and decode.

    Args:
        pieces: token strings, with spaces (not ``▁``) as llama2.c stores them.
        scores: merge priority of each token (higher merges first).
        bos_id: beginning-of-sequence id.
        eos_id: end-of-sequence id.
        special: ids never produced by merging (unknown, BOS, EOS, control).
        source: where the vocabulary was read from.
        sp_model: a ``sentencepiece.SentencePieceProcessor`` that encodes instead.
    """

    def __init__(self, *, pieces: Sequence[str], scores: Sequence[float], bos_id: int,
                 eos_id: int, special: Sequence[int] = (), source: str = "",
                 sp_model: Any = None) -> None:
        self.pieces = list(pieces)
        self.scores = np.asarray(scores, dtype=np.float32)
        self.bos_id = int(bos_id)
        self.eos_id = int(eos_id)
        self.source = source
        self._sp = sp_model
        self.special = frozenset(int(i) for i in special) | {self.bos_id, self.eos_id}
        self._byte_id: dict[int, int] = {}
        self._byte_of: dict[int, int] = {}
        self._lookup: dict[str, int] = {}
        for i, s in enumerate(self.pieces):
            m = _BYTE_PIECE.match(s)
            if m:
                self._byte_id[int(m.group(1), 16)] = i
                self._byte_of[i] = int(m.group(1), 16)
            elif i not in self.special and s not in self._lookup:
                self._lookup[s] = i
        # A text may be encoded line by line only when no mergeable piece spans a newline.
        self._split_lines = not any("\n" in s and s != "\n" for s in self._lookup)

    @property
    def vocab_size(self) -> int:
        """Number of tokens."""
        return len(self.pieces)

    def __repr__(self) -> str:
        return f"Tokenizer(vocab_size={self.vocab_size}, source={self.source!r})"

    # ---- encode ----
    def encode(self, text: str, bos: bool = True, eos: bool = False,
               max_tokens: int | None = None) -> list[int]:
        """Token ids of ``text``.

        Args:
            text: the text.
            bos: start with the BOS id.
            eos: end with the EOS id.
            max_tokens: stop once this many ids (BOS included) are known; the text is
                then encoded line by line, which gives the same ids as a whole-text
                encode whenever no vocabulary piece spans a newline (checked).

        Returns:
            The ids.

        Raises:
            InputError: ``text`` is not a valid Unicode string or ``max_tokens`` is not a
                positive integer.
        """
        if not isinstance(text, str):
            raise InputError(f"tokenizer {self.source}: expected text, not "
                             f"{type(text).__name__}")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(f"tokenizer {self.source}: the text holds unpaired surrogates "
                             "(not valid Unicode)") from None
        if max_tokens is not None:
            max_tokens = check_int(max_tokens, "max_tokens", lo=1, error=InputError)
        ids = [self.bos_id] if bos else []
        if self._sp is not None:
            n = 4 * max_tokens + 64 if max_tokens is not None else len(text)
            while True:
                # SentencePiece pieces never span a newline: encode growing prefixes cut
                # after a newline until they hold enough tokens (same ids as the whole).
                if n >= len(text):
                    ids += self._sp.encode(text)
                    break
                c = text.rfind("\n", 0, n)
                if c > 0:
                    part = self._sp.encode(text[:c + 1])
                    if max_tokens is not None and len(ids) + len(part) > max_tokens:
                        ids += part
                        break
                n *= 2
        elif text:
            if self._split_lines and max_tokens is not None:
                lines = text.splitlines(keepends=True)
                first = True
                for line in lines:
                    ids += self._bpe((" " if first else "") + line)
                    first = False
                    if len(ids) >= max_tokens:
                        break
            elif self._split_lines:
                lines = text.splitlines(keepends=True)
                for k, line in enumerate(lines):
                    ids += self._bpe((" " if k == 0 else "") + line)
            else:
                ids += self._bpe(" " + text)  # run.c: the dummy prefix " " token first
        if max_tokens is not None:
            ids = ids[:max_tokens]
        if eos and (max_tokens is None or len(ids) < max_tokens):
            ids.append(self.eos_id)
        return ids

    def _bpe(self, text: str) -> list[int]:
        lookup, scores, pieces = self._lookup, self.scores, self.pieces
        ids: list[int] = []
        for ch in text:
            i = lookup.get(ch)
            if i is not None:
                ids.append(i)
            else:
                for b in ch.encode("utf-8"):
                    if b not in self._byte_id:
                        raise InputError(f"tokenizer {self.source}: no token for byte 0x{b:02X} "
                                         "(no byte fallback)")
                    ids.append(self._byte_id[b])
        n = len(ids)
        if n < 2:
            return ids
        strs = [pieces[i] for i in ids]
        nxt = list(range(1, n + 1))
        nxt[-1] = -1
        prv = list(range(-1, n - 1))
        alive = [True] * n
        heap: list[tuple[float, int, int, int, int, int]] = []

        def push(i: int) -> None:
            j = nxt[i]
            if i < 0 or j < 0:
                return
            m = lookup.get(strs[i] + strs[j])
            if m is not None:
                # (-score, left position): best score first, leftmost on ties (run.c)
                heapq.heappush(heap, (-float(scores[m]), i, j, ids[i], ids[j], m))

        for i in range(n - 1):
            push(i)
        while heap:
            _, i, j, a, b, m = heapq.heappop(heap)
            if not (alive[i] and alive[j] and nxt[i] == j and ids[i] == a and ids[j] == b):
                continue  # stale: a neighbour merged since this pair was queued
            ids[i], strs[i] = m, pieces[m]
            alive[j] = False
            k = nxt[j]
            nxt[i] = k
            if k >= 0:
                prv[k] = i
            push(prv[i])
            push(i)
        return [ids[i] for i in range(n) if alive[i]]

    # ---- decode ----
    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``: BOS/EOS dropped, byte tokens joined into UTF-8, and the
        dummy-prefix space of the first piece removed (as run.c does after BOS)."""
        out = bytearray()
        first = True
        for t in ids:
            t = check_int(t, "token id", lo=None, hi=None, error=InputError)
            if t < 0 or t >= len(self.pieces):
                raise InputError(f"token id {t} is outside the vocabulary "
                                 f"(0..{len(self.pieces) - 1})")
            if t in self.special:
                first = True if t == self.bos_id else first
                continue
            if t in self._byte_of:
                out.append(self._byte_of[t])
            else:
                s = self.pieces[t]
                if first and s.startswith(" "):
                    s = s[1:]
                out += s.encode("utf-8")
            first = False
        return out.decode("utf-8", errors="replace")

    def piece(self, token: int) -> str:
        """The vocabulary string of one token."""
        return self.pieces[int(token)]


def load_tokenizer(src: str | Path, vocab_size: int | None = None) -> Tokenizer:
    """Read a tokenizer from a llama2.c ``tokenizer.bin``, a ``.gguf`` or a ``.model``.

    Args:
        src: path of the tokenizer (or model) file.
        vocab_size: if given, the number of tokens the model expects.

    Raises:
        InputError: missing file.
        FormatError: truncated or corrupt file, or a vocabulary size mismatch.
    """
    check_path(src, "a tokenizer")
    p = Path(src)
    if not path_exists(p) or not p.is_file():
        raise InputError(f"{p}: no such tokenizer file")
    if vocab_size is not None:
        vocab_size = check_int(vocab_size, "vocab_size", lo=1, error=InputError)
    with p.open("rb") as fh:
        magic = fh.read(4)
    if magic == b"GGUF":
        tok = _from_gguf(p)
    elif p.suffix == ".model":
        tok = _from_sentencepiece(p)
    else:
        tok = _from_llama2c(p)
    if vocab_size is not None and tok.vocab_size != vocab_size:
        raise FormatError(f"{p}: tokenizer has {tok.vocab_size} tokens, the model needs "
                          f"{vocab_size}")
    return tok


def _from_llama2c(p: Path) -> Tokenizer:
    check_buffer(p.stat().st_size, "a llama2.c tokenizer", source=str(p))
    raw = p.read_bytes()
    if len(raw) < 4:
        raise FormatError(f"{p}: truncated llama2.c tokenizer ({len(raw)} bytes)")
    max_len = struct.unpack_from("<i", raw, 0)[0]
    if not 0 < max_len <= 1024:
        raise FormatError(f"{p}: corrupt llama2.c tokenizer: max_token_length = {max_len}")
    off, pieces, scores = 4, [], []
    while off < len(raw):
        if off + 8 > len(raw):
            raise FormatError(f"{p}: truncated llama2.c tokenizer at token {len(pieces)}")
        score, n = struct.unpack_from("<fi", raw, off)
        if not 0 < n <= max_len or not np.isfinite(score):
            raise FormatError(f"{p}: corrupt llama2.c tokenizer at token {len(pieces)} "
                              f"(length {n}, score {score})")
        if off + 8 + n > len(raw):
            raise FormatError(f"{p}: truncated llama2.c tokenizer at token {len(pieces)}")
        try:
            s = raw[off + 8:off + 8 + n].decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError(f"{p}: corrupt llama2.c tokenizer: token {len(pieces)} is not "
                              "UTF-8") from None
        pieces.append(s)
        scores.append(score)
        off += 8 + n
    if len(pieces) < 3:
        raise FormatError(f"{p}: llama2.c tokenizer has only {len(pieces)} tokens")
    # llama2.c tokenizer.py writes BOS/EOS as "\n<s>\n" / "\n</s>\n"; run.c uses ids 1 and 2
    return Tokenizer(pieces=pieces, scores=scores, bos_id=1, eos_id=2, special=(0, 1, 2),
                     source=str(p))


def _from_gguf(p: Path) -> Tokenizer:
    from ._gguf import gguf_field, gguf_int, gguf_list, open_gguf

    r = open_gguf(p)
    toks = gguf_list(r, "tokenizer.ggml.tokens", p, str)
    if not toks:
        raise FormatError(f"{p}: GGUF has no tokenizer.ggml.tokens")
    model = gguf_field(r, "tokenizer.ggml.model")
    if model not in (None, "llama"):
        raise FormatError(f"{p}: tokenizer.ggml.model {str(model)[:40]!r} is not supported "
                          "(only llama/SPM)")
    scores = gguf_list(r, "tokenizer.ggml.scores", p, float) or [0.0] * len(toks)
    types = gguf_list(r, "tokenizer.ggml.token_type", p, int) or [1] * len(toks)
    if len(scores) != len(toks) or len(types) != len(toks):
        raise FormatError(f"{p}: tokenizer arrays differ in length")
    n = len(toks)
    bos = gguf_int(r, "tokenizer.ggml.bos_token_id", p, 1, lo=0, hi=n - 1)
    eos = gguf_int(r, "tokenizer.ggml.eos_token_id", p, 2, lo=0, hi=n - 1)
    # token_type (llama.cpp): 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
    special = [i for i, t in enumerate(types) if t in (2, 3, 5)]
    return Tokenizer(pieces=[t.replace("\u2581", " ") for t in toks], scores=scores,
                     bos_id=int(bos or 0), eos_id=int(eos or 0), special=special, source=str(p))


def _from_sentencepiece(p: Path) -> Tokenizer:
    import sentencepiece as spm

    if p.stat().st_size > _MAX_SP_BYTES:
        raise FormatError(f"{p}: {p.stat().st_size} bytes, too large for a SentencePiece model "
                          f"(at most {_MAX_SP_BYTES})")
    try:
        sp = spm.SentencePieceProcessor(model_file=str(p))
        n = sp.get_piece_size()
        # a corrupted piece may not be UTF-8: the library raises UnicodeDecodeError here
        pieces = [sp.id_to_piece(i).replace("\u2581", " ") for i in range(n)]
        scores = [sp.get_score(i) for i in range(n)]
        special = [i for i in range(n) if sp.is_control(i) or sp.is_unknown(i)]
        bos, eos = sp.bos_id(), sp.eos_id()
    except (RuntimeError, OSError, UnicodeDecodeError, ValueError, IndexError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FormatError(f"{p}: corrupt SentencePiece model: {msg[:200]}") from None
    if n < 1 or not all(np.isfinite(scores)):
        raise FormatError(f"{p}: corrupt SentencePiece model: {n} pieces, or non-finite scores")
    # bos/eos of -1 mean "none" in SentencePiece; such a model cannot start a sequence
    if not 0 <= bos < n or not 0 <= eos < n:
        raise FormatError(f"{p}: SentencePiece model lacks BOS/EOS ids (bos {bos}, eos {eos})")
    return Tokenizer(pieces=pieces, scores=scores, bos_id=bos, eos_id=eos, special=special,
                     source=str(p), sp_model=sp)


def gguf_tokenizer_model(path: str | Path) -> str | None:
    """``tokenizer.ggml.model`` of a GGUF: "llama" (SentencePiece, read by janus1),
    "gpt2" (byte-level BPE, not read: the checkpoint runs on token ids), or None."""
    from ._gguf import gguf_field, open_gguf

    v = gguf_field(open_gguf(Path(path)), "tokenizer.ggml.model")
    return v if isinstance(v, str) else None
