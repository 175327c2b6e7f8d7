"""Typed exceptions. Anything derived from :class:`Janus1Error` is a user error:
the CLI prints its message on one line to stderr and exits with code 2."""

from __future__ import annotations

__all__ = ["Janus1Error", "ConfigError", "InputError", "FormatError"]


class Janus1Error(Exception):
    """Base class of every error caused by bad input (not by a bug)."""


class ConfigError(Janus1Error):
    """A configuration value is malformed, unknown or impossible."""


class InputError(Janus1Error):
    """An input (a file, a preset name, a command-line value) cannot be used."""


class FormatError(InputError):
    """A file exists but is truncated, corrupt or of an unsupported kind."""
