"""The offline weight image: layout, memory map, round trip and corrupt-file errors."""

import struct

import numpy as np
import pytest

from janus1.decoder.checkpoint import load_checkpoint
from janus1.decoder.export_image import (ALIGN, IMAGE_MAGIC, IMAGE_VERSION, decoder_from_image,
                                         memory_map, read_image, write_image)
from janus1.decoder.fixed_ref import FixedDecoder
from janus1.errors import FormatError


@pytest.fixture(scope="module")
def dec():
    return FixedDecoder.from_checkpoint(load_checkpoint("stories260k"))


@pytest.fixture()
def image(dec, tmp_path):
    p = tmp_path / "stories260K.j1fx"
    write_image(dec, p)
    return p


def test_image_round_trips_to_bit_identical_logits(dec, image):
    back = decoder_from_image(image)
    dec.reset()
    for pos, t in enumerate([1, 403, 407, 261, 378, 11]):
        assert np.array_equal(dec.step_int(t, pos), back.step_int(t, pos))
    assert back.spec == dec.spec and back.config == dec.config


def test_memory_map_is_aligned_packed_and_covers_every_tensor(dec, image):
    mm = memory_map(image)
    s = dec.spec
    by = {m["name"]: m for m in mm}
    # INT8 packed weights: one byte per weight; one exponent byte per row
    assert by["wq_m"]["bytes"] == s.n_layers * s.q_dim * s.dim and by["wq_m"]["dtype"] == "int8"
    assert by["wq_e"]["bytes"] == s.n_layers * s.q_dim
    assert by["emb_m"]["bytes"] == s.vocab_size * s.dim
    assert "cls_m" not in by           # tied classifier stored once
    assert all(m["offset"] % ALIGN == 0 for m in mm)
    spans = sorted((m["offset"], m["offset"] + m["bytes"]) for m in mm)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))       # no overlap
    n_weights = sum(a.size for a in (load_checkpoint("stories260k").weights.arrays()[k]
                                     for k in ("wq", "wk", "wv", "wo", "w1", "w2", "w3",
                                               "token_embedding")))
    assert sum(m["bytes"] for m in mm if m["name"].endswith("_m") and m["dtype"] == "int8") \
        == n_weights


def test_header_fields(image):
    buf = image.read_bytes()
    magic, ver, n = struct.unpack_from("<8sII", buf, 0)
    assert magic == IMAGE_MAGIC and ver == IMAGE_VERSION and n == len(read_image(image).sections)
    assert struct.unpack_from("<Q", buf, 40)[0] == len(buf)


@pytest.mark.parametrize("corrupt, msg", [
    (lambda b: b"XXXXXXXX" + b[8:], r"magic b'XXXXXXXX' is not a janus1 fixed-point image$"),
    (lambda b: b[:8] + struct.pack("<I", 9) + b[12:], r"image version 9 is not supported"),
    (lambda b: b[:-10], r"header says \d+ bytes, file has \d+ \(truncated\?\)$"),
    (None, r"section '\w+': data CRC mismatch$"),
    (lambda b: b[:20], r"shorter than the 64-byte header$"),
])
def test_corrupt_images_raise_one_line_format_errors(image, tmp_path, corrupt, msg):
    bad = tmp_path / "bad.j1fx"
    buf = image.read_bytes()
    # flip a byte inside the last data block (not the zero padding) for the CRC case
    if "CRC" in msg:
        mm = memory_map(image)
        last = max(mm, key=lambda m: m["offset"])
        i = last["offset"]
        buf = buf[:i] + bytes([buf[i] ^ 0x01]) + buf[i + 1:]
        bad.write_bytes(buf)
    else:
        bad.write_bytes(corrupt(buf))
    with pytest.raises(FormatError, match=msg) as ei:
        read_image(bad)
    assert "\n" not in str(ei.value)


def test_missing_image_is_a_format_error(tmp_path):
    with pytest.raises(FormatError, match=r"no such image file$"):
        read_image(tmp_path / "none.j1fx")
