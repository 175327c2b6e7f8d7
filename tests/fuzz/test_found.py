"""Regression tests for every cause issue 11 found, each built from its reproducer.

Each test first states the reproducer (the one edit that used to crash, hang or blow
up) and then asserts the one-line janus1 error that replaces it.
"""

from __future__ import annotations

import json
import shutil
import struct
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from janus1.errors import ConfigError, FormatError, InputError, Janus1Error
from janus1.models import asset_path, load_spec
from janus1.models.tokenizer import load_tokenizer
from janus1.models.weights import load_weights

GGUF = asset_path("stories260K", "stories260K.gguf")
BIN = asset_path("stories260K", "stories260K.bin")
TOK = asset_path("stories260K", "tok512.bin")


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and msg.strip()
    return msg


def _gguf_with(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    data = bytearray(GGUF.read_bytes())
    edit(data)
    p = tmp_path / "m.gguf"
    p.write_bytes(bytes(data))
    return p


# ---- 1. a GGUF array declaring 2^40 elements: looped past EOF and grew to 24 GB ----

def _token_type_count_offset(data: bytes) -> int:
    key = b"tokenizer.ggml.token_type"
    i = data.index(key) + len(key)
    # value type u32 (9 = array), element type u32 (5 = int32), then the u64 count
    assert struct.unpack_from("<II", data, i) == (9, 5)
    return i + 8


@pytest.mark.parametrize("reader", [load_spec, load_tokenizer, load_weights])
def test_gguf_array_count_2_40(tmp_path: Path, reader) -> None:  # type: ignore[no-untyped-def]
    def edit(d: bytearray) -> None:
        off = _token_type_count_offset(bytes(d))
        assert struct.unpack_from("<Q", d, off)[0] == 512      # the vocabulary
        struct.pack_into("<Q", d, off, 1 << 40)
    p = _gguf_with(tmp_path, edit)
    t0 = time.perf_counter()
    with pytest.raises(FormatError) as exc:
        reader(p)
    assert time.perf_counter() - t0 < 5.0  # refused from the header, not after a long loop
    # 2^40 int32 elements need 4 TiB; the file has about 1 MB left
    assert "token_type declares 1099511627776 items" in _one_line(exc)


# ---- 2. GGUF: a tensor with a changed dimension (np.stack ValueError); bad UTF-8 ----

def test_gguf_tensor_dimension_changed(tmp_path: Path) -> None:
    name = b"blk.0.attn_q.weight"

    def edit(d: bytearray) -> None:
        i = bytes(d).index(name) + len(name)
        assert struct.unpack_from("<I2Q", d, i) == (2, 64, 64)  # n_dims 2, ne (64, 64)
        struct.pack_into("<Q", d, i + 12, 32)                    # ne[1] 64 -> 32 rows
    p = _gguf_with(tmp_path, edit)
    with pytest.raises(FormatError) as exc:
        load_weights(p)
    assert "blk.0.attn_q.weight has shape (32, 64), the model needs (64, 64)" in _one_line(exc)


def test_gguf_string_not_utf8(tmp_path: Path) -> None:
    def edit(d: bytearray) -> None:
        i = bytes(d).index(b"general.name") + len(b"general.name")
        assert struct.unpack_from("<IQ", d, i) == (8, 5) and d[i + 12:i + 17] == b"llama"
        d[i + 12] = 0xFF                                          # "\xffllama"
    p = _gguf_with(tmp_path, edit)
    for reader in (load_spec, load_tokenizer):
        with pytest.raises(FormatError) as exc:
            reader(p)
        assert "not UTF-8" in _one_line(exc)


# ---- 3. a one-byte-corrupted SentencePiece model (UnicodeDecodeError) ----

def test_sentencepiece_one_byte(tmp_path: Path) -> None:
    spm = pytest.importorskip("sentencepiece")
    data = bytearray(asset_path("stories260K", "tok512.model").read_bytes())
    data[4] = 0xFF  # inside the first piece's string: no longer UTF-8
    p = tmp_path / "t.model"
    p.write_bytes(bytes(data))
    sp = spm.SentencePieceProcessor(model_file=str(p))
    with pytest.raises(UnicodeDecodeError):  # the reproducer: the library itself raises
        [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    with pytest.raises(FormatError) as exc:
        load_tokenizer(p)
    assert "corrupt SentencePiece model" in _one_line(exc)


# ---- 4. HF config.json values of the wrong type or non-finite; a 7 TiB RoPE table ----

def _hf_folder(tmp_path: Path, **changes: object) -> Path:
    cfg = {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172,
           "num_hidden_layers": 5, "num_attention_heads": 8, "num_key_value_heads": 4,
           "vocab_size": 512, "max_position_embeddings": 512, "rms_norm_eps": 1e-5}
    cfg.update(changes)
    d = tmp_path / "hf"
    d.mkdir(exist_ok=True)
    (d / "config.json").write_text(json.dumps(cfg, allow_nan=True))
    return d


@pytest.mark.parametrize("key,value,expect", [
    ("hidden_size", "64x", "expected an integer"),
    ("hidden_size", None, "expected an integer"),
    ("num_hidden_layers", [5], "expected an integer"),
    ("vocab_size", float("nan"), "expected an integer"),
    ("intermediate_size", float("inf"), "expected an integer"),
    ("rms_norm_eps", float("nan"), "must be finite"),
    ("rms_norm_eps", -1e-5, "rms_norm_eps must be > 0"),
    ("rope_theta", 0.0, "rope_theta must be > 1"),
    ("rope_theta", "big", "expected a number"),
    ("max_position_embeddings", 1e12, "must be <= 16777216"),
    ("tie_word_embeddings", "yes", "expected true or false"),
])
def test_hf_config_values(tmp_path: Path, key: str, value: object, expect: str) -> None:
    with pytest.raises(FormatError) as exc:
        load_spec(_hf_folder(tmp_path, **{key: value}))
    msg = _one_line(exc)
    assert "config.json" in msg and key in msg and expect in msg


def test_rope_and_kv_tables_checked_before_allocating(tmp_path: Path) -> None:
    """The largest context a spec may declare (2^24) is accepted by the reader, but the
    decoder refuses its 21 GB KV cache against the 1 GiB buffer limit before allocating."""
    from janus1.decoder.float_ref import FloatDecoder
    from janus1.models.weights import load_spec_and_weights

    spec, w = load_spec_and_weights(BIN)
    big = spec.replace(seq_len=1 << 24)
    t0 = time.perf_counter()
    with pytest.raises(FormatError) as exc:
        FloatDecoder(big, w)
    assert time.perf_counter() - t0 < 5.0
    assert "KV cache and RoPE tables" in _one_line(exc) and "limit of 1.0 GiB" in str(exc.value)


# ---- 5. traces ----

def _npy_bytes(header: str, payload: bytes = b"\0" * 24) -> bytes:
    h = header.encode("latin-1")
    h += b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + payload


@pytest.mark.parametrize("header", [
    "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), ",   # unterminated: TokenError
    "{'descr': '<i8', 'fortran_order': False, 'shape': (3,)",
    "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), } ) (",
    "{'descr': '<i8', 'fortran_order': False, 'shape': (1099511627776,), }",
    "{'descr': 'O', 'fortran_order': False, 'shape': (3,), }",
])
def test_corrupt_npy_header(tmp_path: Path, header: str) -> None:
    from janus1.trace import read_trace

    p = tmp_path / "t.npy"
    p.write_bytes(_npy_bytes(header))
    with pytest.raises(FormatError) as exc:
        list(read_trace(p))
    assert str(p) in _one_line(exc)


def test_npz_member_not_npy(tmp_path: Path) -> None:
    from janus1.trace import read_trace

    p = tmp_path / "t.npz"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("addr", b"not an array")   # numpy returned raw bytes: AttributeError
    with pytest.raises(FormatError) as exc:
        list(read_trace(p))
    assert ".npz keys" in _one_line(exc)
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("addr.npy", b"not an array either")
    with pytest.raises(FormatError) as exc:
        list(read_trace(p))
    assert "corrupt .npz member 'addr'" in _one_line(exc)


def test_npz_member_declaring_2_40_elements(tmp_path: Path) -> None:
    from janus1.trace import read_trace

    p = tmp_path / "t.npz"
    header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1099511627776,), }"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("addr.npy", _npy_bytes(header))  # used to raise MemoryError (8 TiB)
    with pytest.raises(FormatError) as exc:
        list(read_trace(p))
    assert "declares 8796093022208 bytes" in _one_line(exc)


def test_one_access_of_2_40_bytes(tmp_path: Path) -> None:
    from janus1.trace import TraceChunk, read_trace, write_trace
    from janus1.trace.formats import MAX_ACCESS_BYTES

    p = tmp_path / "t.npz"
    write_trace(p, [TraceChunk(addr=np.array([0, 64]), size=np.array([8, 1 << 40]))])
    with pytest.raises(FormatError) as exc:  # the simulator used to walk 2^34 lines
        list(read_trace(p))
    assert f"'size' must be in 1..{MAX_ACCESS_BYTES}" in _one_line(exc)
    with pytest.raises(Janus1Error):
        list(read_trace(p, access_bytes=1 << 40))


# ---- 6. library entry points with out-of-range arguments ----

@pytest.mark.parametrize("temp", [1e300, float("nan"), float("inf"), -300.0])
def test_macro_temperature(temp: float) -> None:
    from janus1.tech import macro

    with pytest.raises(ConfigError) as exc:
        macro("sram", 1 << 20, "3nm", temperature_c=temp)
    assert "temperature" in _one_line(exc)


@pytest.mark.parametrize("call", [
    lambda: __import__("janus1.tech", fromlist=["x"]).tile_cycles(32, 32, 10**400, 64, 64),
    lambda: __import__("janus1.tech", fromlist=["x"]).macro("sram", 10**30, 3),
    lambda: __import__("janus1.tech", fromlist=["x"]).macro("sram", 1 << 20, float("inf")),
])
def test_tech_huge_values(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError):
        call()


@pytest.mark.parametrize("kw", [{"context": 10**30}, {"batch": 10**30},
                                {"context": float("nan")}, {"group_size": 0},
                                {"scale_bytes": float("inf")}, {"context": "4k"}])
def test_analyze_out_of_range(kw: dict[str, object]) -> None:
    from janus1.workload.analysis import analyze

    args: dict[str, object] = {"context": 128}
    args.update(kw)
    with pytest.raises(InputError):
        analyze(load_spec("llama-2-7b"), **args)  # type: ignore[arg-type]


@pytest.mark.parametrize("kw", [{"chunk_accesses": 10**12}, {"access_bytes": 1 << 40},
                                {"batch": 10**9}, {"context": -1}, {"tokens": 1.5},
                                {"precision": 8}])
def test_model_trace_out_of_range(kw: dict[str, object]) -> None:
    from janus1.trace import decode_trace, model_trace

    with pytest.raises(ConfigError if "precision" not in kw else Janus1Error):
        next(iter(model_trace(load_spec("stories260k"), **kw)))  # type: ignore[arg-type]
    with pytest.raises(Janus1Error):
        next(iter(decode_trace(load_spec("stories260k"), **kw)))  # type: ignore[arg-type]


def test_ppa_out_of_range() -> None:
    from janus1.design import load_design, ppa

    d = load_design("janus-1")
    for kw in ({"context": 10**30}, {"batch": -1}, {"precision": "int3"}):
        with pytest.raises(Janus1Error):
            ppa(d, load_spec("llama-2-7b"), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("item", ["clock=1e308", "clock=nan", "compute.tiles=1e30",
                                  "tiers.0.capacity=\"1e300B\"", "ambient_c=inf",
                                  "name.x=1", "compute.rows=9223372036854775807"])
def test_load_design_overrides(item: str) -> None:
    from janus1.design import load_design

    with pytest.raises(ConfigError) as exc:
        load_design("janus-1", [item])
    _one_line(exc)


@pytest.mark.parametrize("item", ["level.0.size=1e300", "clock=1e308", "level.0.size=\"1TiB\"",
                                  "level.0.mshrs=1e12", "memory.latency=nan",
                                  "level.0.name.x=1"])
def test_load_hierarchy_overrides(item: str) -> None:
    from janus1.sim.config import load_hierarchy

    with pytest.raises(ConfigError) as exc:
        load_hierarchy("two-level", [item])
    _one_line(exc)


# ---- 7. non-finite results from corrupted checkpoints ----

def test_weight_flt_max_stops_generation(tmp_path: Path) -> None:
    from janus1.decoder.checkpoint import load_checkpoint, make_decoder
    from janus1.decoder.evaluate import generate, perplexity

    data = bytearray(BIN.read_bytes())
    # the first float of rms_att (after the 28-byte header and the 512 x 64 embedding)
    struct.pack_into("<f", data, 28 + 4 * 512 * 64, 3.4028235e38)
    p = tmp_path / "m.bin"
    p.write_bytes(bytes(data))
    shutil.copyfile(TOK, tmp_path / "tok512.bin")
    ck = load_checkpoint(p)          # every weight is finite: the file is accepted
    dec = make_decoder(ck)
    with pytest.raises(FormatError) as exc:  # used to print <unk> tokens and exit 0
        generate(dec, [1, 403], 5)
    assert str(p) in _one_line(exc) and "non-finite logits" in str(exc.value)
    with pytest.raises(FormatError) as exc:  # used to print "perplexity nan"
        perplexity(dec, [1] + list(range(3, 200)), context=64)
    assert str(p) in _one_line(exc)


@pytest.mark.parametrize("key,value,expect", [
    ("llama.rope.freq_base", -1.0, "must be > 1"),
    ("llama.attention.layer_norm_rms_epsilon", -1e-5, "must be > 0"),
    ("llama.attention.layer_norm_rms_epsilon", float("nan"), "must be finite"),
])
def test_implausible_gguf_header_values(tmp_path: Path, key: str, value: float,
                                        expect: str) -> None:
    k = key.encode()

    def edit(d: bytearray) -> None:
        i = bytes(d).index(k) + len(k)
        assert struct.unpack_from("<I", d, i)[0] == 6   # float32
        struct.pack_into("<f", d, i + 4, value)
    if key == "llama.rope.freq_base" and k not in GGUF.read_bytes():
        k = b"llama.attention.layer_norm_rms_epsilon"  # stories260K stores no freq_base
        key, expect = "llama.attention.layer_norm_rms_epsilon", "must be > 0"
    p = _gguf_with(tmp_path, edit)
    with pytest.raises(FormatError) as exc:
        load_spec(p)
    assert key in _one_line(exc) and expect in str(exc.value)
