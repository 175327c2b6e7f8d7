"""Decoders and their evaluation: the float reference (numpy, llama2.c run.c layout),
quantized variants, generation, perplexity and comparison.

The fixed-point decoder (``fixed_ref``) and its sanity model live beside these
modules; everything here works on any object with ``spec``, ``reset()`` and
``step(token, pos) -> (vocab,) float64 logits``.
"""

from ._blas import blas_threads
from .checkpoint import Checkpoint, load_checkpoint
from .evaluate import compare, generate, perplexity
from .float_ref import FloatDecoder, GPT2FloatDecoder, Sampler, StepDecoder
from .quant import QuantScheme, parse_scheme

__all__ = ["Checkpoint", "load_checkpoint", "FloatDecoder", "GPT2FloatDecoder", "Sampler",
           "StepDecoder", "QuantScheme", "parse_scheme", "generate", "perplexity", "compare",
           "blas_threads"]
