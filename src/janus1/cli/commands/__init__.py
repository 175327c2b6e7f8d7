"""One module per ``janus1`` sub-command; each defines ``command``."""
