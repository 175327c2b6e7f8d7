"""Seeded fuzzing of every janus1 reader, config loader and library entry point.

Every case is a mutated input made from a real sample (the shipped stories260K files,
traces and presets written by janus1 itself) or an out-of-range argument list, run
through the public API. Cases run in worker processes under a 4 GiB address-space
limit (``RLIMIT_AS``) with a 10 s limit per case; a worker runs many cases and is
restarted after a hang, a death or every few hundred cases. Each case's input is
derived from ``(seed, target, index)`` alone, so any case can be re-run:
``--only TARGET --start INDEX --cases 1 --save DIR`` keeps its input.

Outcomes per case:

- ``accepted``: no exception;
- ``clean``: a ``janus1.errors.Janus1Error`` with a one-line message;
- ``crash``: any other exception (or a multi-line Janus1Error message), or a worker
  that died of a signal other than SIGKILL;
- ``hang``: no answer within 10 s;
- ``blow-up``: ``MemoryError``, or the worker killed under the address-space limit.

Run: ``python benchmarks/fuzz_readers.py`` (3,000 cases per target, ``--jobs 2``),
``--only gguf_meta,units`` to select targets, ``--list`` to list them. Exit status 1
when any case crashed, hung or blew up.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASE_TIMEOUT_S = 10.0
START_TIMEOUT_S = 120.0
AS_LIMIT_BYTES = 4 << 30
DEFAULT_CASES = 3000
RESTART_EVERY = 400

# ----------------------------------------------------------------------------
# mutators

INTS = [0, 1, -1, 2, 3, 7, 8, 255, 256, 0x7F, 0x80, 0x7FFF, 0xFFFF, 2**31 - 1, 2**31,
        2**32 - 1, 2**32, 2**40, 2**48, 2**62, 2**63 - 1, 2**64 - 1]
FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-45, 1e-30, 3.4028235e38, -3.4028235e38, 1e30,
          float("nan"), float("inf"), float("-inf")]
VALUES: list[Any] = [0, 1, -1, 2, 2**31, 2**40, 2**62, 2**63 - 1, -2**63, 10**12, 10**30,
                     1e300, -1e300, 1e-300, float("nan"), float("inf"), float("-inf"), 0.5,
                     -0.5, "", "x", "64x", "1e999", "-5KiB", "1TiB", "nan", "3nm", "int8",
                     True, False, None, [], [1, 2], {}, {"a": 1}, "\udcff", "a" * 300]


def _pick_int(rng: random.Random) -> int:
    v = rng.choice(INTS)
    return v if rng.random() < 0.8 else v + rng.randint(-3, 3)


def mutate_bytes(rng: random.Random, data: bytes, hot: tuple[int, int] | None = None,
                 n_ops: int | None = None) -> bytes:
    """1-4 byte-level mutations; offsets fall in ``hot`` 70% of the time."""
    b = bytearray(data)
    for _ in range(n_ops or rng.randint(1, 4)):
        if not b:
            b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
            continue
        lo, hi = (hot if hot and rng.random() < 0.7 else (0, len(b)))
        lo = min(lo, len(b) - 1)          # an earlier truncation may have cut the hot region
        hi = max(lo + 1, min(hi, len(b)))
        off = rng.randrange(lo, hi)
        op = rng.randrange(10)
        if op == 0:
            b[off] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[off] = rng.choice([0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)])
        elif op in (2, 3):
            off -= off % 4 if rng.random() < 0.7 else 0
            size = rng.choice([4, 8])
            v = _pick_int(rng) % (1 << (8 * size))
            b[off:off + size] = v.to_bytes(size, "little")
        elif op == 4:
            import struct

            off -= off % 4
            b[off:off + 4] = struct.pack("<f", rng.choice(FLOATS))
        elif op == 5:
            del b[rng.randrange(len(b)):]
        elif op == 6:
            b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 256)))
        elif op == 7:
            n = rng.randint(1, 64)
            del b[off:off + n]
        elif op == 8:
            n = rng.randint(1, 64)
            b[off:off] = b[off:off + n]
        else:
            n = rng.randint(1, 16)
            b[off:off + n] = bytes(rng.randrange(256) for _ in range(n))
    return bytes(b)


def _leaves(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _leaves(v, (*path, k)) if isinstance(v, (dict, list)) and v else [(*path, k)]
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _leaves(v, (*path, i)) if isinstance(v, (dict, list)) and v else [(*path, i)]
    return out


def _set(obj: Any, path: tuple[Any, ...], value: Any, delete: bool = False) -> None:
    for k in path[:-1]:
        obj = obj[k]
    if delete and isinstance(obj, dict):
        obj.pop(path[-1], None)
    else:
        obj[path[-1]] = value


def mutate_tree(rng: random.Random, data: Any) -> Any:
    """1-3 structural mutations of a JSON/TOML tree: a leaf set to an odd value (or
    scaled, negated), a key deleted, an unknown key added."""
    import copy

    d = copy.deepcopy(data)
    for _ in range(rng.randint(1, 3)):
        leaves = _leaves(d)
        r = rng.random()
        if not leaves or r < 0.1:
            if isinstance(d, dict):
                d[rng.choice(["bogus", "size", "dim", "level", "x"])] = rng.choice(VALUES)
            continue
        path = rng.choice(leaves)
        if r < 0.2:
            _set(d, path, None, delete=True)
            continue
        cur: Any = d
        for k in path:
            cur = cur[k]
        if isinstance(cur, (int, float)) and not isinstance(cur, bool) and rng.random() < 0.4:
            new = rng.choice([cur * 1000, -cur, cur * 10**9, cur + 1, 0, cur / 7])
        else:
            new = rng.choice(VALUES)
        _set(d, path, new)
    return d


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=True).replace("\\udcff", "?")
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}"
                               for k, x in v.items()) + "}"
    return '""'  # None has no TOML form: an empty string instead


def to_toml(d: dict[str, Any], prefix: str = "") -> str:
    """A small TOML writer (scalars, inline lists, tables, arrays of tables)."""
    lines, tables, arrays = [], [], []
    for k, v in d.items():
        key = json.dumps(str(k))
        if isinstance(v, dict) and v:
            tables.append((key, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            arrays.append((key, v))
        elif v is not None:
            lines.append(f"{key} = {_toml_value(v)}")
    out = "\n".join(lines) + "\n"
    for key, v in tables:
        name = f"{prefix}{key}"
        out += f"\n[{name}]\n" + to_toml(v, name + ".")
    for key, v in arrays:
        name = f"{prefix}{key}"
        for item in v:
            out += f"\n[[{name}]]\n" + to_toml(item, name + ".")
    return out


def mutate_text(rng: random.Random, text: str) -> str:
    """Replace a token of a text line with an odd token, or mutate the bytes."""
    lines = text.splitlines(keepends=True)
    if lines and rng.random() < 0.6:
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(lines))
            toks = lines[i].split()
            if toks:
                j = rng.randrange(len(toks))
                toks[j] = rng.choice(["0x" + "f" * rng.randint(1, 40), "-1", "9" * 30, "R",
                                      "W", "READ", "5", "", "nan", "0xZZ", "1e9", "#",
                                      str(2**62), str(2**63), "\x00", "é"])
                lines[i] = " ".join(toks) + "\n"
        return "".join(lines)
    return mutate_bytes(rng, text.encode("latin-1", "replace")).decode("latin-1")


_ODD = [0.2]  # this case's chance that an argument is odd (set per case by run_case)


def pick(rng: random.Random, normal: list[Any], odd: float | None = None) -> Any:
    """A usual value, or (with probability ``odd``, default this case's rate) an odd one."""
    p = _ODD[0] if odd is None else odd
    return rng.choice(VALUES) if rng.random() < p else rng.choice(normal)


# ----------------------------------------------------------------------------
# the environment a worker runs cases in: seed files and a scratch folder


@dataclass
class Env:
    seeds: Path
    scratch: Path
    cache: dict[str, Any] = field(default_factory=dict)

    def write(self, name: str, data: bytes | str) -> Path:
        p = self.scratch / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            p.write_bytes(data.encode("utf-8", "surrogatepass"))
        else:
            p.write_bytes(data)
        return p

    def seed(self, name: str) -> bytes:
        if name not in self.cache:
            self.cache[name] = (self.seeds / name).read_bytes()
        return self.cache[name]

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]


def prepare_seeds(folder: Path) -> None:
    """Write the samples every target starts from (deterministic)."""
    import numpy as np

    from janus1.decoder.checkpoint import load_checkpoint
    from janus1.decoder.hf_export import export_hf
    from janus1.models import asset_path, load_spec
    from janus1.trace import TraceChunk, decode_trace, write_trace

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("stories260K.bin", "stories260K-q8_0-gs8.bin", "stories260K.gguf",
                 "tok512.bin", "tok512.model"):
        shutil.copyfile(asset_path("stories260K", name), folder / name)
    # a llama2.c version-1 export of the same weights (export.py version1_export layout)
    ck = load_checkpoint("stories260k")
    s, w = ck.spec, ck.weights
    import struct

    hdr = struct.pack("<Ii7iB", 0x616B3432, 1, s.dim, s.hidden_dim, s.n_layers, s.n_heads,
                      s.n_kv_heads, s.vocab_size, s.seq_len, 1)
    parts = [hdr.ljust(256, b"\0")]
    for a in (w.rms_att, w.rms_ffn, w.rms_final, w.token_embedding, w.wq, w.wk, w.wv, w.wo,
              w.w1, w.w2, w.w3):
        parts.append(np.ascontiguousarray(a, "<f4").tobytes())
    (folder / "stories260K-v1.bin").write_bytes(b"".join(parts))
    export_hf(ck, folder / "hf")
    spec = load_spec("stories260k")
    chunks = list(decode_trace(spec, context=3, n_layers=1, chunk_accesses=1024))
    a = np.concatenate([c.addr for c in chunks])[:600]
    k = np.concatenate([c.kind for c in chunks])[:600]
    sizes = np.full(a.size, 8, np.int64)
    sizes[::7] = 64
    write_trace(folder / "t.npy", [a])
    write_trace(folder / "t.npz", [TraceChunk(addr=a, kind=k, size=sizes)])
    for ext in ("din", "ramulator", "dramsim3"):
        write_trace(folder / f"t.{ext}", [TraceChunk(addr=a[:200], kind=k[:200])])


# ----------------------------------------------------------------------------
# targets: each builds its input from ``rng`` (in ``env.scratch``) and runs it


def _stories_spec(env: Env) -> Any:
    from janus1.models import load_spec

    return env.once("spec", lambda: load_spec("stories260k"))


def _decode_some(ckpt: Any, steps: int = 3) -> None:
    from janus1.decoder.checkpoint import make_decoder
    from janus1.decoder.evaluate import generate

    dec = make_decoder(ckpt)
    tok = ckpt.tokenizer
    prompt = tok.encode("Once upon a time") if tok is not None else [1]
    generate(dec, prompt, steps)


def t_llama2c(rng: random.Random, env: Env) -> None:
    from janus1.decoder.checkpoint import load_checkpoint
    from janus1.models import load_spec

    name = rng.choice(["stories260K.bin", "stories260K-q8_0-gs8.bin", "stories260K-v1.bin"])
    data = env.seed(name)
    hot = (0, 28) if name == "stories260K.bin" else (0, 256)
    p = env.write("model.bin", mutate_bytes(rng, data, hot))
    load_spec(p)
    _decode_some(load_checkpoint(p, tokenizer=env.seeds / "tok512.bin"))


def _gguf_header_end(env: Env) -> int:
    def end() -> int:
        import gguf

        return int(gguf.GGUFReader(str(env.seeds / "stories260K.gguf")).data_offset)

    return int(env.once("gguf_end", end))


def gguf_fields(data: bytes) -> list[tuple[int, int]]:
    """(offset, size) of every integer field of a valid GGUF header: counts, lengths,
    value and element types, scalar values, tensor n_dims, dims, types and offsets
    (layout: ggml docs/gguf.md)."""
    import struct

    scalar = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    out = [(4, 4), (8, 8), (16, 8)]
    n_t, n_kv = struct.unpack_from("<QQ", data, 8)
    pos = 24

    def string(pos: int) -> int:
        out.append((pos, 8))
        return pos + 8 + struct.unpack_from("<Q", data, pos)[0]

    def value(pos: int, t: int) -> int:
        if t in scalar:
            out.append((pos, scalar[t]))
            return pos + scalar[t]
        if t == 8:
            return string(pos)
        et, n = struct.unpack_from("<IQ", data, pos)
        out.extend([(pos, 4), (pos + 4, 8)])
        pos += 12
        if et in scalar and n > 4:  # long numeric arrays: the first and last elements
            out.extend([(pos, scalar[et]), (pos + (n - 1) * scalar[et], scalar[et])])
            return pos + n * scalar[et]
        for _ in range(n):
            pos = value(pos, et)
        return pos

    for _ in range(n_kv):
        pos = string(pos)
        t = struct.unpack_from("<I", data, pos)[0]
        out.append((pos, 4))
        pos = value(pos + 4, t)
    for _ in range(n_t):
        pos = string(pos)
        nd = struct.unpack_from("<I", data, pos)[0]
        out.extend([(pos, 4)] + [(pos + 4 + 8 * i, 8) for i in range(nd)]
                   + [(pos + 4 + 8 * nd, 4), (pos + 8 + 8 * nd, 8)])
        pos += 16 + 8 * nd
    return out


def t_gguf_meta(rng: random.Random, env: Env) -> None:
    from janus1.models import load_spec
    from janus1.models.tokenizer import load_tokenizer

    data = env.seed("stories260K.gguf")
    if rng.random() < 0.4:  # probe one header field with an odd integer
        fields = env.once("gguf_fields", lambda: gguf_fields(data))
        off, size = rng.choice(fields)
        b = bytearray(data)
        b[off:off + size] = (_pick_int(rng) % (1 << (8 * size))).to_bytes(size, "little")
        mutated = bytes(b)
    else:
        mutated = mutate_bytes(rng, data, (0, _gguf_header_end(env)))
    p = env.write("m.gguf", mutated)
    load_spec(p)
    tok = load_tokenizer(p)
    tok.decode(tok.encode("Once upon a time, a cat."))


def t_gguf_tensors(rng: random.Random, env: Env) -> None:
    from janus1.decoder.checkpoint import load_checkpoint

    data = env.seed("stories260K.gguf")
    end = _gguf_header_end(env)
    hot = (0, end) if rng.random() < 0.4 else (end, len(data))
    p = env.write("m.gguf", mutate_bytes(rng, data, hot))
    _decode_some(load_checkpoint(p))


def t_tokenizer_bin(rng: random.Random, env: Env) -> None:
    from janus1.models.tokenizer import load_tokenizer

    p = env.write("tok.bin", mutate_bytes(rng, env.seed("tok512.bin"), (0, 64)))
    tok = load_tokenizer(p)
    tok.decode(tok.encode("Once upon a time, a cat sat.\nThe end. é ü 😀"))


def t_sentencepiece(rng: random.Random, env: Env) -> None:
    from janus1.models.tokenizer import load_tokenizer

    p = env.write("tok.model", mutate_bytes(rng, env.seed("tok512.model")))
    tok = load_tokenizer(p)
    tok.decode(tok.encode("Once upon a time, a cat sat.\nThe end. é ü 😀", max_tokens=50))


def t_safetensors(rng: random.Random, env: Env) -> None:
    from janus1.decoder.checkpoint import load_checkpoint

    data = (env.seeds / "hf" / "model.safetensors").read_bytes() if "st" not in env.cache \
        else env.cache["st"]
    env.cache["st"] = data
    hlen = int.from_bytes(data[:8], "little") + 8
    folder = env.scratch / "hf"
    folder.mkdir()
    shutil.copyfile(env.seeds / "hf" / "config.json", folder / "config.json")
    shutil.copyfile(env.seeds / "hf" / "tokenizer.bin", folder / "tokenizer.bin")
    (folder / "model.safetensors").write_bytes(
        mutate_bytes(rng, data, (0, hlen) if rng.random() < 0.6 else (hlen, len(data))))
    _decode_some(load_checkpoint(folder), steps=2)


def t_hf_config(rng: random.Random, env: Env) -> None:
    from janus1.decoder.checkpoint import load_checkpoint
    from janus1.models import load_spec
    from janus1.workload.analysis import analyze

    cfg = json.loads((env.seeds / "hf" / "config.json").read_text())
    folder = env.scratch / "hf"
    folder.mkdir()
    if rng.random() < 0.85:
        text = json.dumps(mutate_tree(rng, cfg), allow_nan=True)
    else:
        text = mutate_bytes(rng, json.dumps(cfg).encode()).decode("latin-1")
    (folder / "config.json").write_text(text, encoding="utf-8", errors="surrogateescape")
    spec = load_spec(folder)
    analyze(spec, context=min(spec.seq_len, 64))
    if rng.random() < 0.3:
        os.symlink(env.seeds / "hf" / "model.safetensors", folder / "model.safetensors")
        shutil.copyfile(env.seeds / "hf" / "tokenizer.bin", folder / "tokenizer.bin")
        _decode_some(load_checkpoint(folder), steps=2)


def _trace_target(ext: str) -> Callable[[random.Random, Env], None]:
    def run(rng: random.Random, env: Env) -> None:
        from janus1.trace import read_trace

        data = env.seed(f"t.{ext}")
        if ext in ("npy", "npz"):
            mutated = mutate_bytes(rng, data, (0, 160))
        else:
            mutated = mutate_text(rng, data.decode()).encode("latin-1", "replace")
        name = f"t.{ext}" if rng.random() < 0.8 else "t.trace"
        p = env.write(name, mutated)
        fmt = None if name != "t.trace" or rng.random() < 0.5 else ext
        kw: dict[str, Any] = {}
        if rng.random() < 0.2:
            kw["chunk_accesses"] = pick(rng, [1, 7, 1024])
        if rng.random() < 0.2:
            kw["access_bytes"] = pick(rng, [1, 8, 64])
        n = 0
        for c in read_trace(p, fmt=fmt, **kw):
            n += len(c)
        assert n >= 0

    run.__name__ = f"t_trace_{ext}"
    return run


# ---- presets (every kind) ----

def _preset_loader(kind: str) -> Callable[[Path, Env], None]:
    def models(p: Path, env: Env) -> None:
        from janus1.config import from_dict, load_toml
        from janus1.models import ModelSpec
        from janus1.trace import decode_trace
        from janus1.workload.analysis import analyze

        spec = from_dict(ModelSpec, load_toml(p), source=str(p))
        analyze(spec, context=min(spec.seq_len, 128))
        next(iter(decode_trace(spec, context=0, n_layers=1)))

    def devices(p: Path, env: Env) -> None:
        from janus1.workload.analysis import analyze
        from janus1.workload.device import load_device

        analyze(_stories_spec(env), context=64, device=load_device(p))

    def designs(p: Path, env: Env) -> None:
        from janus1.design import load_design, ppa

        ppa(load_design(p), _stories_spec(env), context=256)

    def hierarchies(p: Path, env: Env) -> None:
        from janus1.sim.config import load_hierarchy

        load_hierarchy(p)

    def packages(p: Path, env: Env) -> None:
        from janus1.config import from_dict, load_toml
        from janus1.tech.thermal import PackageSpec, solve_junction

        pkg = from_dict(PackageSpec, load_toml(p), source=str(p))
        solve_junction(lambda t: 2.0, 25.0, pkg)

    def datapaths(p: Path, env: Env) -> None:
        from janus1.hw.datapath import load_datapath  # type: ignore[import-not-found]

        load_datapath(p)

    def generic(p: Path, env: Env) -> None:
        from janus1.config import load_toml

        load_toml(p)

    typed = {"models": models, "devices": devices, "designs": designs,
             "hierarchies": hierarchies, "packages": packages, "datapaths": datapaths}
    return typed.get(kind, generic)


def untyped_kinds() -> list[str]:
    """Preset kinds the harness can only parse as TOML (add a loader above for them)."""
    from janus1.presets import preset_kinds

    return [k for k in preset_kinds() if _preset_loader(k).__name__ == "generic"]


def _preset_target(kind: str) -> Callable[[random.Random, Env], None]:
    def run(rng: random.Random, env: Env) -> None:
        from janus1.presets import load_preset, preset_names

        names = preset_names(kind)
        data = load_preset(kind, rng.choice(names))
        text = to_toml(mutate_tree(rng, data))
        if rng.random() < 0.2:
            text = mutate_bytes(rng, text.encode()).decode("latin-1")
        p = env.write(f"{kind}.toml", text)
        _preset_loader(kind)(p, env)

    run.__name__ = f"t_preset_{kind}"
    return run


def t_set_paths(rng: random.Random, env: Env) -> None:
    from janus1.presets import load_preset, preset_names

    kind = rng.choice(["designs", "hierarchies"])
    name = rng.choice(preset_names(kind))
    data = load_preset(kind, name)
    leaves = _leaves(data)
    items = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.8 and leaves:
            path = [str(k) for k in rng.choice(leaves)]
            if kind == "hierarchies" and path[0] == "level" and rng.random() < 0.5:
                path[1] = str(data["level"][int(path[1])].get("name", path[1]))
        else:
            path = [rng.choice(["bogus", "level", "compute", "tiers", "memory", "0", ""])
                    for _ in range(rng.randint(1, 3))]
        value = rng.choice(["nan", "inf", "-inf", "1e308", "-1", "0", str(2**63 - 1),
                            str(2**70), '"64x"', "[]", "{}", "true", '"1e999B"', '"-5KiB"',
                            '"1TiB"', "1e-300", "64x", '"3nm"', "[1, 2]", "", "0.5"])
        items.append(".".join(path) + "=" + value)
    if kind == "designs":
        from janus1.design import load_design, ppa

        ppa(load_design(name, items), _stories_spec(env), context=256)
    else:
        from janus1.sim.config import load_hierarchy

        load_hierarchy(name, items)


def t_units(rng: random.Random, env: Env) -> None:
    from janus1 import units

    if rng.random() < 0.7:
        num = rng.choice(["1", "1.5", "-3", ".5", "1e3", "1e999", "1e-999", "0", "nan",
                          "inf", "9" * 400, "1.", "+2", "", "0x10", "1_000"])
        pre = rng.choice(["", "k", "K", "M", "G", "T", "P", "Ki", "Mi", "Gi", "Ti", "m", "u",
                          "µ", "n", "p", "X", "kk"])
        unit = rng.choice(["B", "Hz", "s", "J", "W", "B/s", "b", "", "bytes"])
        s: Any = num + rng.choice(["", " "]) + pre + unit
    else:
        s = pick(rng, ["32KiB", "1GHz"], odd=0.8)
    for fn in (units.parse_bytes, units.parse_hz, units.parse_seconds, units.parse_joules,
               units.parse_watts, units.parse_bandwidth):
        try:
            fn(s)
        except Exception as exc:
            from janus1.errors import Janus1Error

            if not isinstance(exc, Janus1Error):
                raise
    units.format_bytes(pick(rng, [0, 1024, 5e9], odd=0.3)
                       if rng.random() < 0.5 else rng.choice([1.0, 2**70, -5.0]))


# ---- library entry points with out-of-range arguments ----

def t_api_macro(rng: random.Random, env: Env) -> None:
    from janus1.tech import macro

    macro(pick(rng, ["sram", "edram", "mram"]), pick(rng, [1 << 20, 224 << 20, 4096]),
          pick(rng, [3, "3nm", 22, "N3E", 45]),
          banks=pick(rng, [1, 4, 16]), block_bytes=pick(rng, [64, 32]),
          io_bits=pick(rng, [None, 512]), temperature_c=pick(rng, [27.0, 85.0, None, -40.0]))


def t_api_tile(rng: random.Random, env: Env) -> None:
    from janus1.tech import tile_cycles

    tile_cycles(pick(rng, [32, 128]), pick(rng, [32, 128]), pick(rng, [1, 64, 4096]),
                pick(rng, [64, 4096]), pick(rng, [1, 4096]),
                dataflow=pick(rng, ["os", "ws", "is"], 0.2),
                precision=pick(rng, ["int8", "int4", "fp16"], 0.2))


def t_api_analyze(rng: random.Random, env: Env) -> None:
    from janus1.models import load_spec
    from janus1.workload.analysis import analyze
    from janus1.workload.device import load_device

    spec = load_spec(rng.choice(["stories260k", "llama-2-7b", "gpt2", "llama-3-8b"]))
    dev = load_device(rng.choice(["rtx-4060", "edge-box", "janus-1"])) \
        if rng.random() < 0.5 else None
    analyze(spec, context=pick(rng, [1, 128, 4096]), batch=pick(rng, [1, 8]),
            precision=pick(rng, ["fp16", "int8", "int4"], 0.2),
            kv_precision=pick(rng, [None, "int8"], 0.2), group_size=pick(rng, [None, 32, 128]),
            device=dev, counting=pick(rng, ["causal", "genz"], 0.2),
            scale_bytes=pick(rng, [2.0, 4.0], 0.3), zero_bytes=pick(rng, [0.0, 2.0], 0.3))


def t_api_trace(rng: random.Random, env: Env) -> None:
    from janus1.models import load_spec
    from janus1.trace import MemoryMap, model_trace

    spec = load_spec(rng.choice(["stories260k", "llama-2-7b"]))
    mm = None
    if rng.random() < 0.3:
        mm = MemoryMap(weights_base=pick(rng, [0, 4096]), kv_base=pick(rng, [4 << 30]),
                       act_base=pick(rng, [12 << 30]))
    it = model_trace(spec, phase=pick(rng, ["decode", "prefill"], 0.2),
                     precision=pick(rng, ["int8", "fp16"], 0.2), context=pick(rng, [0, 3, 100]),
                     batch=pick(rng, [1, 2]), memory_map=mm, tokens=pick(rng, [1, 2]),
                     access_bytes=pick(rng, [8, 64]), chunk_accesses=pick(rng, [1024, 1 << 16]),
                     n_layers=pick(rng, [None, 1]))
    for _, c in zip(range(2), it):
        assert len(c) >= 0


def t_api_ppa(rng: random.Random, env: Env) -> None:
    from janus1.design import load_design, ppa
    from janus1.models import load_spec

    design = load_design(rng.choice(["janus-1", "edge-tpu-like", "orin-like"]))
    spec = load_spec(rng.choice(["stories260k", "llama-2-7b"]))
    ppa(design, spec, context=pick(rng, [256, 4096]), precision=pick(rng, ["int4", "int8"], .2),
        kv_precision=pick(rng, [None, "int8"], 0.2), batch=pick(rng, [1, 4]))


def t_api_loaders(rng: random.Random, env: Env) -> None:
    from janus1.design import load_design
    from janus1.models import load_spec
    from janus1.presets import load_preset, preset_kinds
    from janus1.sim.config import load_hierarchy
    from janus1.workload import load_device

    name = pick(rng, ["stories260k", "janus-1", "two-level", "rtx-4060", "x.toml", "/nope",
                      str(env.scratch), "a/b.gguf"], 0.3)
    fn = rng.choice(["spec", "design", "device", "hierarchy", "preset"])
    overrides = [rng.choice(["a=1", "level.0.size=nan", "=", "x", "clock=1e308"])] \
        if rng.random() < 0.3 else []
    if fn == "spec":
        load_spec(name)
    elif fn == "design":
        load_design(name, overrides)
    elif fn == "device":
        load_device(name)
    elif fn == "hierarchy":
        load_hierarchy(name, overrides)
    else:
        load_preset(pick(rng, preset_kinds(), 0.3), name)


def t_api_decoder(rng: random.Random, env: Env) -> None:
    from janus1.decoder.checkpoint import load_checkpoint
    from janus1.decoder.float_ref import FloatDecoder, Sampler

    ck = env.once("ckpt", lambda: load_checkpoint("stories260k"))
    which = rng.randrange(5)
    if which == 0:
        dec = env.once("dec", lambda: FloatDecoder(ck.spec, ck.weights))
        dec.step(pick(rng, [1, 5, 511]), pick(rng, [0, 1, 511]))
    elif which == 1:
        FloatDecoder(ck.spec, ck.weights, batch=pick(rng, [1, 2]),
                     max_seq_len=pick(rng, [None, 16]))
    elif which == 2:
        import numpy as np

        s = Sampler(temperature=pick(rng, [0.0, 0.8, 1.0]), topp=pick(rng, [0.9, 1.0]),
                    seed=pick(rng, [0, 1]))
        s.sample(np.linspace(-1, 1, 512))
    elif which == 4:
        from janus1.decoder.checkpoint import make_decoder
        from janus1.decoder.evaluate import generate

        c = load_checkpoint(pick(rng, ["stories260k"], 0.2),
                            tokenizer=pick(rng, [None, str(env.seeds / "tok512.bin")], 0.2))
        dec = make_decoder(c, numerics=pick(rng, ["float"], 0.1),
                           weights=pick(rng, ["none", "int8", "int4-g32", "fp16"], 0.2),
                           kv=pick(rng, ["none", "int8", "int4-g8"], 0.2),
                           batch=pick(rng, [1, 2], 0.2))
        generate(dec, [1, 403], pick(rng, [1, 3], 0.2),
                 sampler=Sampler(temperature=pick(rng, [0.0, 0.9], 0.2)))
    else:
        tok = ck.tokenizer
        if rng.random() < 0.5:
            tok.encode(pick(rng, ["Once upon", "é\n\n x"], 0.4),
                       max_tokens=pick(rng, [None, 1, 10], 0.3))
        else:
            tok.decode([pick(rng, [1, 2, 100, 511], 0.3) for _ in range(rng.randint(0, 5))])


def targets() -> dict[str, Callable[[random.Random, Env], None]]:
    """Every fuzz target by name (one per preset kind, so new kinds are covered)."""
    from janus1.presets import preset_kinds

    out: dict[str, Callable[[random.Random, Env], None]] = {
        "llama2c_bin": t_llama2c, "gguf_meta": t_gguf_meta, "gguf_tensors": t_gguf_tensors,
        "tokenizer_bin": t_tokenizer_bin, "sentencepiece": t_sentencepiece,
        "safetensors": t_safetensors, "hf_config": t_hf_config,
    }
    for ext in ("npy", "npz", "din", "ramulator", "dramsim3"):
        out[f"trace_{ext}"] = _trace_target(ext)
    for kind in preset_kinds():
        out[f"preset_{kind}"] = _preset_target(kind)
    out.update({"set_paths": t_set_paths, "units": t_units, "api_macro": t_api_macro,
                "api_tile": t_api_tile, "api_analyze": t_api_analyze,
                "api_trace": t_api_trace, "api_ppa": t_api_ppa, "api_loaders": t_api_loaders,
                "api_decoder": t_api_decoder})
    return out


# ----------------------------------------------------------------------------
# the worker process

def _where(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in tb if "janus1" in f.filename] or list(tb)
    f = frames[-1] if frames else None
    loc = f"{Path(f.filename).name}:{f.lineno}" if f else "?"
    deep = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
    return loc if loc == deep else f"{loc} (raised in {deep})"


def run_case(fn: Callable[[random.Random, Env], None], rng: random.Random,
             env: Env) -> dict[str, Any]:
    """Run one case and classify it."""
    import warnings

    from janus1.errors import Janus1Error

    # some cases change one argument in twenty, others half of them
    _ODD[0] = rng.choice([0.03, 0.1, 0.25, 0.5])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(rng, env)
    except Janus1Error as exc:
        msg = str(exc)
        if "\n" in msg or not msg.strip():
            return {"outcome": "crash", "detail": f"{type(exc).__name__} with a "
                    f"{'multi-line' if msg.strip() else 'empty'} message at {_where(exc)}"}
        return {"outcome": "clean", "detail": msg[:160]}
    except MemoryError as exc:
        return {"outcome": "blow-up", "detail": f"MemoryError at {_where(exc)}"}
    except BaseException as exc:  # noqa: BLE001 - classifying is the point
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {"outcome": "crash",
                "detail": f"{type(exc).__name__}: {str(exc)[:100]!r} at {_where(exc)}"}
    return {"outcome": "accepted", "detail": ""}


def worker_main(seeds: str, scratch: str, seed: int) -> None:
    """Read ``target index`` lines on stdin, answer JSON lines on the real stdout."""
    out = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    import janus1.decoder.checkpoint  # noqa: F401 - warm the imports before the clock runs
    import janus1.design  # noqa: F401
    import janus1.models.weights  # noqa: F401
    import janus1.trace  # noqa: F401
    import janus1.workload  # noqa: F401

    try:
        import gguf  # noqa: F401
        import safetensors.numpy  # noqa: F401
        import sentencepiece  # noqa: F401
    except ImportError:
        pass
    table = targets()
    env = Env(seeds=Path(seeds), scratch=Path(scratch))
    out.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        name, index = line.split()
        shutil.rmtree(env.scratch, ignore_errors=True)
        env.scratch.mkdir(parents=True)
        rng = random.Random(f"{seed}/{name}/{index}")
        res = run_case(table[name], rng, env)
        out.write(json.dumps(res) + "\n")


# ----------------------------------------------------------------------------
# the parent: workers, time limits, tallies


def _limit_child() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT_BYTES, AS_LIMIT_BYTES))
    os.setsid()


class Worker:
    """One worker process with a line reader that honours a deadline."""

    def __init__(self, seeds: Path, scratch: Path, seed: int) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
        for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                  "NUMBA_NUM_THREADS"):
            env[k] = "1"
        self.scratch = scratch
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", str(seeds),
             str(scratch), str(seed)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            preexec_fn=_limit_child, env=env)
        self.buf = b""
        self.cases = 0
        line = self.readline(START_TIMEOUT_S)
        if line is None or not json.loads(line).get("ready"):
            self.kill()
            raise RuntimeError("fuzz worker failed to start")

    def readline(self, timeout: float) -> str | None:
        """The next line, or None at the deadline or when the worker dies."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def run(self, name: str, index: int) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.cases += 1
        try:
            self.proc.stdin.write(f"{name} {index}\n".encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            return self._dead()
        line = self.readline(CASE_TIMEOUT_S)
        if line is not None:
            return json.loads(line)
        if self.proc.poll() is None:
            self.kill()
            return {"outcome": "hang", "detail": f"no answer in {CASE_TIMEOUT_S:.0f} s"}
        return self._dead()

    def _dead(self) -> dict[str, Any]:
        self.proc.wait()
        rc = self.proc.returncode
        if rc == -signal.SIGKILL:
            return {"outcome": "blow-up", "detail": "worker killed (SIGKILL)"}
        return {"outcome": "crash", "detail": f"worker died (exit status {rc})"}

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        self.proc.wait()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


OUTCOMES = ("accepted", "clean", "crash", "hang", "blow-up")


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    seconds: float = 0.0
    causes: dict[str, list[int]] = field(default_factory=dict)


def run_fuzz(names: list[str], cases: int, start: int, seed: int, jobs: int,
             time_budget: float | None, save: Path | None,
             progress: bool = True) -> dict[str, Tally]:
    """Run ``cases`` cases of each target (round-robin), ``jobs`` workers in parallel."""
    tmp = Path(tempfile.mkdtemp(prefix="janus1-fuzz-"))
    try:
        seeds = tmp / "seeds"
        prepare_seeds(seeds)
        work = [(n, i) for i in range(start, start + cases) for n in names]
        tallies = {n: Tally() for n in names}
        lock = threading.Lock()
        t_end = None if time_budget is None else time.monotonic() + time_budget
        nxt = [0]
        done = [0]
        t0 = time.monotonic()

        def job(k: int) -> None:
            scratch = tmp / f"scratch{k}"
            w: Worker | None = None
            try:
                while True:
                    with lock:
                        if nxt[0] >= len(work) or (t_end and time.monotonic() > t_end):
                            return
                        name, index = work[nxt[0]]
                        nxt[0] += 1
                    if w is None or not w.alive or w.cases >= RESTART_EVERY:
                        if w is not None:
                            w.kill()
                        w = Worker(seeds, scratch, seed)
                    c0 = time.monotonic()
                    res = w.run(name, index)
                    dt = time.monotonic() - c0
                    bad = res["outcome"] not in ("accepted", "clean")
                    if bad and save is not None and scratch.exists():
                        dest = save / f"{name}-{index}"
                        shutil.rmtree(dest, ignore_errors=True)
                        shutil.copytree(scratch, dest, symlinks=True)
                    with lock:
                        t = tallies[name]
                        t.counts[res["outcome"]] += 1
                        t.seconds += dt
                        if bad:
                            key = f"{res['outcome']}: {res['detail']}"
                            t.causes.setdefault(key, []).append(index)
                        done[0] += 1
                        if progress and done[0] % 500 == 0:
                            print(f"  {done[0]}/{len(work)} cases, "
                                  f"{time.monotonic() - t0:.0f} s", file=sys.stderr)
            finally:
                if w is not None:
                    w.kill()

        threads = [threading.Thread(target=job, args=(k,)) for k in range(jobs)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        return tallies
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(tallies: dict[str, Tally], wall: float, seed: int) -> str:
    """The per-target table and the distinct causes of every bad outcome."""
    head = f"{'target':<22}{'cases':>7}{'accepted':>10}{'clean':>8}{'crashes':>9}" \
           f"{'hangs':>7}{'blow-ups':>10}{'s/case':>8}"
    lines = [head, "-" * len(head)]
    tot = dict.fromkeys(OUTCOMES, 0)
    for name, t in tallies.items():
        n = sum(t.counts.values())
        for k in OUTCOMES:
            tot[k] += t.counts[k]
        lines.append(f"{name:<22}{n:>7}{t.counts['accepted']:>10}{t.counts['clean']:>8}"
                     f"{t.counts['crash']:>9}{t.counts['hang']:>7}{t.counts['blow-up']:>10}"
                     f"{(t.seconds / n if n else 0):>8.3f}")
    n = sum(tot.values())
    lines.append("-" * len(head))
    lines.append(f"{'total':<22}{n:>7}{tot['accepted']:>10}{tot['clean']:>8}{tot['crash']:>9}"
                 f"{tot['hang']:>7}{tot['blow-up']:>10}")
    lines.append(f"wall time {wall:.0f} s, seed {seed}")
    for name, t in tallies.items():
        for cause, idx in sorted(t.causes.items()):
            lines.append(f"  {name} [{len(idx)}x, e.g. --only {name} --start {idx[0]} "
                         f"--cases 1]: {cause}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=DEFAULT_CASES, help="cases per target")
    ap.add_argument("--start", type=int, default=0, help="first case index")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default="", help="comma-separated targets (default: all)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes in parallel")
    ap.add_argument("--time-budget", type=float, default=None,
                    help="stop dispatching cases after this many seconds")
    ap.add_argument("--save", type=Path, default=None, help="keep bad cases' inputs here")
    ap.add_argument("--json", type=Path, default=None, help="also write the tallies as JSON")
    ap.add_argument("--list", action="store_true", help="list the targets and exit")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        worker_main(a.worker[0], a.worker[1], int(a.worker[2]))
        return 0
    sys.path.insert(0, str(ROOT / "src"))
    table = targets()
    if a.list:
        print("\n".join(table))
        return 0
    names = [n for n in a.only.split(",") if n] or list(table)
    unknown = [n for n in names if n not in table]
    if unknown:
        print(f"unknown targets: {', '.join(unknown)} (see --list)", file=sys.stderr)
        return 2
    if a.save is not None:
        a.save.mkdir(parents=True, exist_ok=True)
    for k in untyped_kinds():
        if f"preset_{k}" in names:
            print(f"note: preset kind {k!r} has no typed loader in _preset_loader: its TOML "
                  "is only parsed", file=sys.stderr)
    t0 = time.monotonic()
    tallies = run_fuzz(names, a.cases, a.start, a.seed, max(1, a.jobs), a.time_budget, a.save)
    wall = time.monotonic() - t0
    print(report(tallies, wall, a.seed))
    if a.json is not None:
        a.json.write_text(json.dumps({
            "wall_s": wall, "seed": a.seed,
            "targets": {n: {**t.counts, "seconds": t.seconds, "causes": t.causes}
                        for n, t in tallies.items()}}, indent=1))
    bad = sum(t.counts[k] for t in tallies.values() for k in ("crash", "hang", "blow-up"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
