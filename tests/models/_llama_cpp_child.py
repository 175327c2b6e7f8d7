"""Child process for the llama.cpp comparison tests (a crash in native code ends the
child, not pytest). Usage:

    python _llama_cpp_child.py quantize SRC DST FTYPE
    python _llama_cpp_child.py logits MODEL TOKENS.npy OUT.npy

``logits`` writes llama.cpp's (T, vocab) float32 logits of one ``eval`` of the tokens
(``logits_all=True``, one thread). The model is created without llama.cpp's extra
(repacked / AMX) buffer types, which crash on some quantized files on this machine.
"""

from __future__ import annotations

import ctypes
import sys

import numpy as np


def quantize(src: str, dst: str, ftype: int) -> None:
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = 1
    rc = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(params))
    if rc != 0:
        raise SystemExit(f"llama_model_quantize returned {rc}")


def logits(model: str, tokens_path: str, out_path: str) -> None:
    import llama_cpp

    from janus1.measure._llama_run import disable_extra_bufts

    disable_extra_bufts()
    toks = [int(t) for t in np.load(tokens_path)]
    llm = llama_cpp.Llama(model_path=model, n_ctx=len(toks), n_batch=len(toks),
                          n_ubatch=len(toks), n_threads=1, n_threads_batch=1,
                          logits_all=True, verbose=False, seed=0)
    llm.eval(toks)
    np.save(out_path, np.asarray(llm.scores[:len(toks)], dtype=np.float32))


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    if cmd == "quantize":
        quantize(args[0], args[1], int(args[2]))
    else:
        logits(*args)
