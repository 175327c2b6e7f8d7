"""A model checkpoint: its spec, its float32 weights and its tokenizer, from any format.

``load_checkpoint(model, tokenizer=None)`` accepts:

- ``stories260k``: the shipped stories260K llama2.c checkpoint with ``tok512.bin``;
- ``sanity``: the fixed-point package's sanity model (``janus1.decoder.sanity``);
- a llama2.c ``.bin``: the tokenizer is ``tokenizer=`` or, beside the checkpoint,
  ``tokenizer.bin`` or any single ``tok*.bin``;
- a ``.gguf`` (llama or gpt2): the SentencePiece tokenizer inside it (unless
  ``tokenizer=`` is given); none when it holds a BPE (``gpt2``) tokenizer;
- a Hugging Face folder, llama or GPT-2 family: ``tokenizer.model`` (SentencePiece) or
  ``tokenizer.bin`` inside it (unless ``tokenizer=`` is given).

A checkpoint without tokenizer files (``tokenizer`` None; nothing is ever downloaded)
runs on token ids: :func:`parse_token_ids` reads them from a command-line list and
:func:`read_token_ids` from a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import FormatError, InputError
from ..limits import check_path, path_exists
from ..models import asset_path
from ..models.spec import ModelSpec
from ..models.tokenizer import Tokenizer, load_tokenizer
from ..models.weights import GPT2Weights, Weights, load_spec_and_weights

__all__ = ["Checkpoint", "load_checkpoint", "make_decoder", "SHIPPED", "parse_token_ids",
           "read_token_ids"]

# Name -> shipped files (model, tokenizer), under janus1/assets.
SHIPPED = {"stories260k": (("stories260K", "stories260K.bin"), ("stories260K", "tok512.bin"))}


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A loaded model: architecture, weights and tokenizer (None when the checkpoint
    has no tokenizer files: run it on token ids)."""

    spec: ModelSpec
    weights: Weights | GPT2Weights    # GPT2Weights for a gpt2 spec
    tokenizer: Tokenizer | None = None
    source: str = ""          # where it was read from

    def require_tokenizer(self, alternative: str = "") -> Tokenizer:
        """The tokenizer, or InputError when the checkpoint has none (``alternative``
        names the token-id option that would do instead, e.g. ``--prompt-ids``)."""
        if self.tokenizer is None:
            alt = f" or {alternative}" if alternative else ""
            raise InputError(f"{self.source or self.spec.name}: no tokenizer found; "
                             f"pass --tokenizer{alt}")
        return self.tokenizer


# A token-id list or file holds at most this many ids (64 M: far above any context
# or evaluation text; bounds the memory a hostile file can ask for).
MAX_TOKEN_IDS = 1 << 26
_MAX_ID_FILE_BYTES = 16 * MAX_TOKEN_IDS


def parse_token_ids(text: str, vocab_size: int, what: str = "--prompt-ids") -> list[int]:
    """Token ids separated by commas and/or whitespace, each in ``0..vocab_size-1``.

    Raises:
        InputError: empty, not integers, or out of the vocabulary (one line naming ``what``).
    """
    parts = text.replace(",", " ").split()
    if not parts:
        raise InputError(f"{what}: no token ids")
    if len(parts) > MAX_TOKEN_IDS:
        raise InputError(f"{what}: {len(parts)} token ids, at most {MAX_TOKEN_IDS}")
    ids = []
    for i, tok in enumerate(parts):
        if not (tok.isascii() and tok.isdigit()) or len(tok) > 12:
            raise InputError(f"{what}: entry {i + 1} {tok[:20]!r} is not a token id "
                             "(a non-negative integer)")
        v = int(tok)
        if v >= vocab_size:
            raise InputError(f"{what}: token id {v} (entry {i + 1}) is outside the "
                             f"vocabulary (0..{vocab_size - 1})")
        ids.append(v)
    return ids


def read_token_ids(path: str | Path, vocab_size: int) -> list[int]:
    """The token ids in a text file (integers separated by whitespace and/or commas).

    Raises:
        InputError: missing, unreadable, too large or malformed file (one line naming it).
    """
    check_path(path, "a token-id file")
    p = Path(path)
    try:
        if p.stat().st_size > _MAX_ID_FILE_BYTES:
            raise InputError(f"{p}: {p.stat().st_size} bytes, too large for a token-id file")
        text = p.read_text(encoding="ascii")
    except FileNotFoundError:
        raise InputError(f"{p}: no such token-id file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read as a token-id file (ASCII integers): "
                         f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                         ) from None
    return parse_token_ids(text, vocab_size, what=str(p))


def load_checkpoint(model: str | Path, tokenizer: str | Path | None = None) -> Checkpoint:
    """Load a checkpoint by shipped name or path (see the module docstring).

    Raises:
        InputError: unknown name or missing path, or no tokenizer where one is needed.
        FormatError: truncated or corrupt model or tokenizer file.
    """
    check_path(model, "a model")
    if tokenizer is not None:
        check_path(tokenizer, "a tokenizer")
    name = str(model)
    if name.lower() == "sanity":
        from .sanity import sanity_checkpoint
        return sanity_checkpoint(seed=0)
    if name.lower() in SHIPPED and not path_exists(name):
        mparts, tparts = SHIPPED[name.lower()]
        p = asset_path(*mparts)
        tok_path: Path | None = Path(tokenizer) if tokenizer else asset_path(*tparts)
    else:
        p = Path(name)
        if not path_exists(p):
            raise InputError(f"{p}: no such model file or folder (or shipped name: "
                             f"{', '.join(SHIPPED)}, sanity)")
        tok_path = Path(tokenizer) if tokenizer else _find_tokenizer(p)
    spec, weights = load_spec_and_weights(p)
    tok = None
    if tok_path is not None:
        tok = load_tokenizer(tok_path, vocab_size=spec.vocab_size)
    elif _is_gguf(p) and _gguf_tokenizer_model(p) == "llama":
        tok = load_tokenizer(p, vocab_size=spec.vocab_size)
    return Checkpoint(spec=spec, weights=weights, tokenizer=tok, source=str(p))


def _gguf_tokenizer_model(p: Path) -> str | None:
    from ..models.tokenizer import gguf_tokenizer_model

    return gguf_tokenizer_model(p)


def _is_gguf(p: Path) -> bool:
    if p.is_dir():
        return False
    with p.open("rb") as fh:
        return fh.read(4) == b"GGUF"


def _find_tokenizer(p: Path) -> Path | None:
    if p.is_dir():
        for n in ("tokenizer.model", "tokenizer.bin"):
            if (p / n).is_file():
                return p / n
        return None
    if _is_gguf(p):
        return None  # the tokenizer inside the GGUF
    if (p.parent / "tokenizer.bin").is_file():
        return p.parent / "tokenizer.bin"
    cands = sorted(p.parent.glob("tok*.bin"))
    if len(cands) == 1:
        return cands[0]
    if len(cands) > 1:
        names = ", ".join(c.name for c in cands)
        raise FormatError(f"{p}: several tokenizers beside it ({names}); pass --tokenizer")
    return None


def make_decoder(ckpt: Checkpoint, *, numerics: str = "float", weights: str = "none",
                 kv: str = "none", batch: int = 1):  # type: ignore[no-untyped-def]
    """A step decoder for ``ckpt``: the float reference (with optional weight and KV
    quantization schemes) or the fixed-point decoder (``numerics="fixed"``).

    Raises:
        InputError: fixed-point numerics requested but not installed, or combined with
            quantization schemes (the fixed-point decoder has its own numerics).
    """
    if numerics == "fixed":
        if weights != "none" or kv != "none":
            raise InputError("--weights/--kv apply to float numerics; the fixed-point decoder "
                             "has its own formats")
        from .fixed_ref import FixedDecoder
        return FixedDecoder.from_checkpoint(ckpt)
    if numerics != "float":
        raise InputError(f"--numerics {numerics!r}: expected float or fixed")
    from .float_ref import FloatDecoder

    return FloatDecoder(ckpt.spec, ckpt.weights, weights_scheme=weights, kv_scheme=kv, batch=batch,
                        source=ckpt.source)
