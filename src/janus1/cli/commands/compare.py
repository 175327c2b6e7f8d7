"""``janus1 compare``: a quantized (or fixed-point) decoder against the float reference."""

from __future__ import annotations

import click

from .._common import echo_json, json_option, stderr_progress

__all__ = ["command"]


@click.command("compare")
@click.argument("model")
@click.option("--text", "text_path", default=None, help="Text file (e.g. wiki.test.raw).")
@click.option("--token-ids", "ids_path", default=None,
              help="Instead of --text: a file of token ids (BOS first), for checkpoints "
                   "without a tokenizer.")
@click.option("--prompt-ids", default=None,
              help="Instead of --text: the token ids themselves, e.g. '50256,464,3290'.")
@click.option("--tokenizer", default=None,
              help="Tokenizer file (default: beside or inside the model).")
@click.option("--weights", "wscheme", default="none", show_default=True,
              help="Weight quantization scheme of the compared decoder.")
@click.option("--kv", "kvscheme", default="none", show_default=True,
              help="KV-cache quantization scheme of the compared decoder.")
@click.option("--numerics", type=click.Choice(["float", "fixed"]), default="float",
              show_default=True, help="Compare the float (quantized) or the fixed-point decoder.")
@click.option("--context", default=256, show_default=True, type=click.IntRange(min=2),
              help="Window length in tokens.")
@click.option("--stride", default=None, type=click.IntRange(min=1),
              help="Sliding-window stride (default: llama.cpp's protocol).")
@click.option("--max-tokens", default=16384, show_default=True, type=click.IntRange(min=2),
              help="Use only the first K tokens of the text (BOS included).")
@click.option("--greedy-steps", default=256, show_default=True, type=click.IntRange(min=1),
              help="With --numerics fixed: greedy tokens compared against float.")
@json_option
def command(model: str, text_path: str | None, ids_path: str | None, prompt_ids: str | None,
            tokenizer: str | None, wscheme: str, kvscheme: str,
            numerics: str, context: int, stride: int | None, max_tokens: int,
            greedy_steps: int, as_json: bool) -> None:
    """Compare a decoder with the float reference on the same windows of --text:
    perplexity of both, mean KL divergence, top-1/top-5 agreement, logit MSE."""
    from ...decoder import blas_threads
    from ...decoder.checkpoint import load_checkpoint, make_decoder
    from ...decoder.evaluate import compare
    from ...decoder.checkpoint import parse_token_ids
    from ...errors import InputError
    from .perplexity import token_input

    src = click.get_current_context().get_parameter_source("greedy_steps")
    if numerics != "fixed" and src is not None and src.name != "DEFAULT":
        raise click.UsageError("--greedy-steps needs --numerics fixed")
    ckpt = load_checkpoint(model, tokenizer)
    if prompt_ids is not None:
        if text_path is not None or ids_path is not None:
            raise click.UsageError("give exactly one of --text, --token-ids and --prompt-ids")
        ids = parse_token_ids(prompt_ids, ckpt.spec.vocab_size)[:max_tokens]
        if len(ids) < 2:
            raise InputError("--prompt-ids: at least 2 token ids are needed")
        bos_id = ids[0]
    else:
        ids, bos_id, _ = token_input(ckpt, text_path, ids_path, max_tokens)
    ref = make_decoder(ckpt)
    dec = make_decoder(ckpt, numerics=numerics, weights=wscheme, kv=kvscheme)
    with blas_threads(1), stderr_progress() as prog:
        task = prog.add_task("compare", total=None)
        res = compare(ref, dec, ids, context=context, stride=stride, bos_id=bos_id,
                      progress=lambda d, n: prog.update(task, completed=d, total=n))
    out = {"model": ckpt.source, "text": text_path, "token_ids": ids_path, "numerics": numerics,
           "weights": wscheme if numerics == "float" else None,
           "kv": kvscheme if numerics == "float" else None, **res.to_dict()}
    if numerics == "fixed":
        from ...decoder.fixed_eval import greedy_metrics
        out.update(greedy_metrics(make_decoder(ckpt), make_decoder(ckpt, numerics="fixed"),
                                  steps=greedy_steps, bos_id=bos_id))
    if as_json:
        echo_json(out)
        return
    click.echo(f"protocol: {res.protocol}")
    for k in ("ppl_reference", "ppl", "ppl_delta_pct", "kl_mean", "top1_agreement",
              "top5_agreement", "logit_mse", "max_abs_logit_diff", "tokens"):
        click.echo(f"{k:20s} {out[k]}")
    for k, v in out.items():
        if numerics == "fixed" and k.startswith("greedy"):
            click.echo(f"{k:20s} {v}")
