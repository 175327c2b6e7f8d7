"""One module per study section; each defines ``SECTION``."""
