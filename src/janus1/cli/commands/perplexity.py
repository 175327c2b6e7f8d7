"""``janus1 perplexity``: perplexity of a text under a checkpoint (llama.cpp protocol)."""

from __future__ import annotations

import click

from .._common import echo_json, json_option, stderr_progress

__all__ = ["command", "read_text", "token_input"]


def read_text(path: str) -> str:
    """The UTF-8 text of ``path`` (InputError with one line when unreadable)."""
    from pathlib import Path

    from ...errors import InputError

    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"--text {p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--text {p}: cannot read as UTF-8 text: {exc}") from None


def token_input(ckpt, text_path: str | None, ids_path: str | None,  # type: ignore[no-untyped-def]
                max_tokens: int | None) -> tuple[list[int], int, str | None]:
    """The evaluated ids, the BOS id and the tokenizer's source, from exactly one of
    --text (tokenized, one BOS first) or --token-ids (as given; the first id is BOS)."""
    from ...decoder.checkpoint import read_token_ids

    if (text_path is None) == (ids_path is None):
        raise click.UsageError("give exactly one of --text and --token-ids")
    if ids_path is not None:
        ids = read_token_ids(ids_path, ckpt.spec.vocab_size)
        if max_tokens is not None:
            ids = ids[:max_tokens]
        if len(ids) < 2:
            from ...errors import InputError

            raise InputError(f"{ids_path}: at least 2 token ids are needed")
        return ids, ids[0], None
    tok = ckpt.require_tokenizer("--token-ids")
    return tok.encode(read_text(text_path), bos=True, max_tokens=max_tokens), tok.bos_id, \
        tok.source


@click.command("perplexity")
@click.argument("model")
@click.option("--text", "text_path", default=None, help="Text file (e.g. wiki.test.raw).")
@click.option("--token-ids", "ids_path", default=None,
              help="Instead of --text: a file of token ids (whitespace/comma separated, BOS "
                   "first), for checkpoints without a tokenizer.")
@click.option("--tokenizer", default=None,
              help="Tokenizer file (default: beside or inside the model).")
@click.option("--context", default=256, show_default=True, type=click.IntRange(min=2),
              help="Window length in tokens.")
@click.option("--stride", default=None, type=click.IntRange(min=1),
              help="Sliding-window stride (default: llama.cpp's non-overlapping protocol).")
@click.option("--max-tokens", default=None, type=click.IntRange(min=2),
              help="Use only the first K tokens of the text (BOS included).")
@click.option("--weights", "wscheme", default="none", show_default=True,
              help="Weight quantization scheme, e.g. int8, int4:g32, int8:asym:pot.")
@click.option("--kv", "kvscheme", default="none", show_default=True,
              help="KV-cache quantization scheme, e.g. int8, int4:g8, int4:channel.")
@click.option("--numerics", type=click.Choice(["float", "fixed"]), default="float",
              show_default=True, help="Float reference or fixed-point decoder.")
@json_option
def command(model: str, text_path: str | None, ids_path: str | None,
            tokenizer: str | None, context: int,
            stride: int | None, max_tokens: int | None, wscheme: str, kvscheme: str,
            numerics: str, as_json: bool) -> None:
    """Perplexity of the text in --text under MODEL.

    Protocol (default, llama.cpp llama-perplexity): the whole text tokenized with one
    BOS; non-overlapping windows of CONTEXT tokens whose first token is replaced by
    BOS; only the second half of each window is scored. With --token-ids the ids are
    used as given and their first id stands for BOS.
    """
    from ...decoder import blas_threads
    from ...decoder.checkpoint import load_checkpoint, make_decoder
    from ...decoder.evaluate import perplexity

    ckpt = load_checkpoint(model, tokenizer)
    ids, bos_id, tok_source = token_input(ckpt, text_path, ids_path, max_tokens)
    dec = make_decoder(ckpt, numerics=numerics, weights=wscheme, kv=kvscheme)
    with blas_threads(1), stderr_progress() as prog:
        task = prog.add_task("perplexity", total=None)
        res = perplexity(dec, ids, context=context, stride=stride, bos_id=bos_id,
                         progress=lambda d, n: prog.update(task, completed=d, total=n))
    out = {"model": ckpt.source, "text": text_path, "token_ids": ids_path,
           "tokenizer": tok_source,
           "numerics": numerics, "weights": dec.wscheme.text if hasattr(dec, "wscheme") else None,
           "kv": dec.kvscheme.text if hasattr(dec, "kvscheme") else None,
           "ppl": res.ppl, "nll": res.nll, "tokens": res.tokens, "text_tokens": len(ids),
           "context": res.context, "stride": res.stride, "windows": res.windows,
           "protocol": res.protocol}
    if as_json:
        echo_json(out)
        return
    click.echo(f"protocol: {res.protocol}")
    if ids_path is None:
        click.echo(f"tokenizer: {tok_source} ({len(ids)} tokens incl. one BOS)")
    else:
        click.echo(f"token ids: {ids_path} ({len(ids)} tokens, the first as BOS)")
    click.echo(f"perplexity {res.ppl:.4f}  (nll {res.nll:.5f} nats/token over {res.tokens} "
               f"scored tokens, {res.windows} windows)")
