"""Float reference decoder speed on stories260K against llama.cpp on the same GGUF.

Run: ``python benchmarks/bench_decoder.py [--steps 256] [--repeats 3]``. Both run on one
thread (numpy's OpenBLAS limited to one thread; llama.cpp ``n_threads=1``):

- greedy decode of ``steps`` tokens after BOS (the expected_greedy stories260K run),
  tokens/s, best of ``repeats``; llama.cpp through llama-cpp-python's ``generate``
  with top_k=1 (its sampler chain adds a little per-token cost);
- teacher-forced scoring (the perplexity path): the llama-perplexity protocol on the
  first 16,384 WikiText tokens, context 256, positions per second.

Prints the figures and the ratio janus1 / llama.cpp (the aim: at least 1/3 on decode).
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from janus1.decoder import FloatDecoder, generate, load_checkpoint
    from janus1.decoder._blas import blas_threads
    from janus1.decoder.evaluate import perplexity
    from janus1.models import asset_path

    gguf = asset_path("stories260K", "stories260K.gguf")
    ckpt = load_checkpoint(str(gguf))
    ids = ckpt.tokenizer.encode(asset_path("wikitext", "wiki.test.raw").read_text(),
                                max_tokens=16384)
    with blas_threads(1):
        dec = FloatDecoder.from_checkpoint(ckpt)
        ours = []
        for _ in range(args.repeats):
            r = generate(dec, [1], args.steps)
            ours.append(args.steps / r.seconds)
        ours_tokens = r.token_ids
        t = time.perf_counter()
        p = perplexity(dec, ids, context=256)
        ours_tf = 64 * 256 / (time.perf_counter() - t)
    print(f"janus1 float decoder (numpy, 1 thread): greedy {max(ours):,.0f} tokens/s "
          f"(runs: {', '.join(f'{x:,.0f}' for x in ours)}); teacher-forced {ours_tf:,.0f} "
          f"positions/s (ppl {p.ppl:.4f})")
    try:
        import llama_cpp
    except ImportError:
        print("llama-cpp-python not installed: no comparison")
        return
    llm = llama_cpp.Llama(model_path=str(gguf), n_ctx=512, n_batch=256, n_threads=1,
                          n_threads_batch=1, type_k=0, type_v=0, verbose=False, seed=0)
    theirs = []
    for _ in range(args.repeats):
        toks = []
        t = time.perf_counter()
        for tok in llm.generate([1], top_k=1, temp=0.0, reset=True):
            toks.append(tok)
            if len(toks) == args.steps:
                break
        theirs.append(args.steps / (time.perf_counter() - t))
    same = toks == ours_tokens
    llm_tf = llama_cpp.Llama(model_path=str(gguf), n_ctx=256, n_batch=256, n_threads=1,
                             n_threads_batch=1, type_k=0, type_v=0, verbose=False, seed=0)
    t = time.perf_counter()
    for c in range(64):
        win = list(ids[c * 256:(c + 1) * 256])
        win[0] = 1
        llm_tf.reset()
        llm_tf.eval(win)
    theirs_tf = 64 * 256 / (time.perf_counter() - t)
    print(f"llama.cpp {llama_cpp.__version__} (1 thread, F32 KV): greedy {max(theirs):,.0f} "
          f"tokens/s (runs: {', '.join(f'{x:,.0f}' for x in theirs)}); teacher-forced "
          f"{theirs_tf:,.0f} positions/s; same greedy tokens: {same}")
    print(f"ratio janus1 / llama.cpp: greedy {max(ours) / max(theirs):.2f}, teacher-forced "
          f"{ours_tf / theirs_tf:.2f}")


if __name__ == "__main__":
    main()
