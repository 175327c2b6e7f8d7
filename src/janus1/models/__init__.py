"""Model specs from presets, Hugging Face folders, GGUF files and llama2.c checkpoints.

``load_spec(src)`` accepts a preset name (see ``janus1 presets``) or a path:
a folder with ``config.json``, a ``.gguf`` file or a llama2.c ``.bin`` checkpoint.
"""

from __future__ import annotations

from pathlib import Path

from ..config import from_dict
from ..errors import ConfigError, FormatError, InputError
from ..presets import load_preset, preset_names
from .spec import ARCHS, ModelSpec

__all__ = ["ModelSpec", "ARCHS", "load_spec", "model_presets", "asset_path"]


def asset_path(*parts: str) -> Path:
    """Path of a file shipped in ``janus1/assets`` (stories260K, WikiText)."""
    from importlib import resources

    return Path(str(resources.files("janus1").joinpath("assets", *parts)))


def model_presets() -> list[str]:
    """Names of the shipped model presets."""
    return preset_names("models")


def _from_preset(name: str) -> ModelSpec:
    data = load_preset("models", name)
    return from_dict(ModelSpec, data, source=f"model preset {name}")


def load_spec(src: str | Path) -> ModelSpec:
    """Build a ModelSpec from a preset name or a model file/folder.

    Raises:
        InputError: unknown preset, missing path.
        FormatError: truncated or corrupt file.
    """
    if not isinstance(src, (str, Path)):
        raise InputError(f"a model is a preset name or a path, not {str(src)[:40]!r}")
    s = str(src)
    p = Path(s)
    try:
        exists = p.exists()
    except (OSError, ValueError) as exc:  # a name too long for the OS, a NUL byte
        raise InputError(f"{s[:80]}: not a usable path ({exc})") from None
    if not exists:
        if s.lower() in model_presets():
            return _from_preset(s)
        if any(c in s for c in "/\\") or p.suffix:
            raise InputError(f"{s}: no such file or folder")
        raise InputError(f"unknown model {s!r}: not a preset (known: "
                         f"{', '.join(model_presets())}) nor a path")
    try:
        if p.is_dir():
            from ._hf import hf_spec_fields

            fields = hf_spec_fields(p)
            return ModelSpec(**fields, name=p.name, source=f"Hugging Face config {p}/config.json")
        if p.suffix.lower() == ".gguf":
            return _from_gguf(p)
        with p.open("rb") as fh:
            magic = fh.read(4)
        if magic == b"GGUF":
            return _from_gguf(p)
        return _from_llama2c(p)
    except ConfigError as exc:
        raise FormatError(f"{p}: impossible model: {exc}") from None


def _from_llama2c(p: Path) -> ModelSpec:
    from ._llama2c import read_llama2c_header, spec_fields_from_header

    hdr = read_llama2c_header(p)
    fields = spec_fields_from_header(hdr)
    note = (f"seq_len {hdr.seq_len} from the llama2.c header (the context the model was "
            "trained at)")
    return ModelSpec(**fields, name=p.stem, source=f"llama2.c v{hdr.version} header {p}",  # type: ignore[arg-type]
                     notes=(note,))


def _from_gguf(p: Path) -> ModelSpec:
    from ._gguf import gguf_spec_fields, open_gguf

    reader = open_gguf(p)
    fields = gguf_spec_fields(reader, p)
    notes = []
    ctx = fields["seq_len"]
    trained = _matching_preset_seq_len(fields)
    if trained is not None and trained[1] != ctx:
        fields["seq_len"] = trained[1]
        notes.append(
            f"GGUF llama.context_length {ctx} is the converter's runtime default, not the "
            f"trained context; using {trained[1]} from preset {trained[0]}, which has the "
            "same architecture (its llama2.c header records the trained seq_len)")
    else:
        notes.append(f"seq_len {ctx} from GGUF {fields['arch']}.context_length")
    return ModelSpec(**fields, name=p.stem, source=f"GGUF metadata {p}", notes=tuple(notes))


def _matching_preset_seq_len(fields: dict[str, object]) -> tuple[str, int] | None:
    keys = ("arch", "dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size")
    for name in model_presets():
        spec = _from_preset(name)
        if all(getattr(spec, k) == fields.get(k, getattr(spec, k)) for k in keys) and \
                fields.get("n_kv_heads", spec.n_heads) == spec.n_kv_heads:
            return name, spec.seq_len
    return None
