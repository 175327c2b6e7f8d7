"""Time llama.cpp (llama-cpp-python) on one GGUF file, in a child process (``python -m``).

Arguments: MODEL THREADS PROMPT DECODE REPACK(0|1). Prints one JSON object: llama.cpp's
wall-clock seconds of the prompt's ``eval`` and of each decode ``eval`` (``perf_counter``
around the binding's call; its own overhead, a copy of one row of logits, is included). A child process isolates llama.cpp: a crash
in its native code (seen here with its AMX/repacked buffers on some quantized files) ends
the child, not janus1, and the parent retries without the extra buffer types.

Prefill: one ``eval`` of PROMPT tokens (one batch). Decode: DECODE single-token ``eval``
calls after the prompt, so the KV cache holds PROMPT..PROMPT+DECODE-1 positions.
"""

from __future__ import annotations

import json
import sys
import time


def disable_extra_bufts() -> None:
    """Load models without llama.cpp's extra (repacked/AMX) buffer types: on this host
    they crashed Q8_0/Q4_0 evaluation (a segmentation fault in the repacked kernels)."""
    import llama_cpp
    import llama_cpp.llama as _ll

    default = llama_cpp.llama_model_default_params

    def no_extra_bufts():  # type: ignore[no-untyped-def]
        p = default()
        p.use_extra_bufts = False
        return p

    _ll.llama_cpp.llama_model_default_params = no_extra_bufts  # type: ignore[assignment]


def main(argv: list[str]) -> int:
    path, threads, prompt, decode, repack = argv[0], int(argv[1]), int(argv[2]), int(argv[3]), argv[4] == "1"
    import llama_cpp

    if not repack:
        disable_extra_bufts()
    n_ctx = prompt + decode + 8
    llm = llama_cpp.Llama(model_path=path, n_ctx=n_ctx, n_batch=max(prompt, 8), n_ubatch=max(prompt, 8),
                          n_threads=threads, n_threads_batch=threads, verbose=False, seed=0,
                          no_perf=False)
    toks = [10 + (i * 7919) % 30000 for i in range(prompt + decode)]
    # warm-up: page the weights in and build the graphs once
    llm.eval(toks[:8])
    llm.eval(toks[8:9])
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(toks[:prompt])
    prompt_s = time.perf_counter() - t0
    step_s = []
    for t in toks[prompt:prompt + decode]:
        t0 = time.perf_counter()
        llm.eval([t])
        step_s.append(time.perf_counter() - t0)
    out = {"prompt_s": prompt_s, "prompt_tokens": prompt, "decode_step_s": step_s}
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
