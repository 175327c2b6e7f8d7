"""``janus1 generate``: decode text from a checkpoint (greedy or sampled)."""

from __future__ import annotations

import click

from .._common import echo_json, finite_float, json_option

__all__ = ["command"]


@click.command("generate")
@click.argument("model")
@click.option("--tokenizer", default=None,
              help="Tokenizer file (default: beside or inside the model).")
@click.option("--prompt", default="", help="Prompt text (default: empty, BOS only).")
@click.option("--prompt-ids", default=None,
              help="Prompt as token ids, e.g. '50256,464,3290' (no BOS added); for "
                   "checkpoints without a tokenizer.")
@click.option("--steps", default=256, show_default=True, type=click.IntRange(min=0),
              help="Tokens to generate.")
@click.option("--temperature", default=0.0, show_default=True, type=finite_float(0.0),
              help="0 = greedy (argmax).")
@click.option("--topp", default=0.9, show_default=True, type=finite_float(0.0, 1.0, min_open=True),
              help="Nucleus sampling threshold (temperature > 0).")
@click.option("--seed", default=0, show_default=True, type=int, help="Sampler seed.")
@click.option("--numerics", type=click.Choice(["float", "fixed"]), default="float",
              show_default=True, help="Float reference or fixed-point decoder.")
@click.option("--weights", "wscheme", default="none", show_default=True,
              help="Weight quantization scheme (float numerics), e.g. int8, int4:g32.")
@click.option("--kv", "kvscheme", default="none", show_default=True,
              help="KV-cache quantization scheme (float numerics), e.g. int8, int4:g8.")
@json_option
def command(model: str, tokenizer: str | None, prompt: str, prompt_ids: str | None,
            steps: int, temperature: float,
            topp: float, seed: int, numerics: str, wscheme: str, kvscheme: str,
            as_json: bool) -> None:
    """Generate text from MODEL (stories260k, sanity, a .bin, a .gguf or an HF folder).

    Like llama2.c's run: BOS, the prompt, then STEPS tokens; stops early at BOS/EOS
    or at the end of the context. With --prompt-ids the prompt is those ids as given;
    without a tokenizer the output is token ids and only the end of the context stops.
    """
    from ...decoder import blas_threads
    from ...decoder.checkpoint import load_checkpoint, make_decoder, parse_token_ids
    from ...decoder.evaluate import generate
    from ...decoder.float_ref import Sampler

    if prompt_ids is not None and prompt:
        raise click.UsageError("--prompt and --prompt-ids are exclusive")
    ckpt = load_checkpoint(model, tokenizer)
    if prompt_ids is not None:
        tok = ckpt.tokenizer
        ids = parse_token_ids(prompt_ids, ckpt.spec.vocab_size)
    else:
        tok = ckpt.require_tokenizer("--prompt-ids")
        ids = tok.encode(prompt, bos=True)
    dec = make_decoder(ckpt, numerics=numerics, weights=wscheme, kv=kvscheme)
    sampler = Sampler(temperature=temperature, topp=topp, seed=seed)
    stop = (tok.bos_id, tok.eos_id) if tok is not None else ()
    with blas_threads(1):  # tiny products: BLAS threads only add contention
        res = generate(dec, ids, steps, sampler=sampler, stop_ids=stop)
    if tok is None:
        text = None
    elif prompt_ids is not None:
        text = tok.decode(ids + res.token_ids)
    else:
        text = tok.decode([tok.bos_id] + ids[1:] + res.token_ids)
    if as_json:
        echo_json({"model": ckpt.source, "numerics": numerics, "prompt": prompt,
                   "prompt_ids": res.prompt_ids, "token_ids": res.token_ids, "text": text,
                   "steps": len(res.token_ids), "temperature": temperature, "seed": seed,
                   "tokens_per_s": res.tokens_per_s})
        return
    click.echo(text if text is not None else " ".join(str(t) for t in ids + res.token_ids))
    click.echo(f"[{len(res.token_ids)} tokens, {res.tokens_per_s:.0f} tokens/s]", err=True)
