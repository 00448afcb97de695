"""Judges measured against human labels: the gold sets (``gold``, ``download``), the validation itself
(``validate``), its report (``document``) and the validity line every score carries (``validity``)."""

# The gold sets by name (here, importable without loading anything, for the command line's options).
GOLD_SETS: tuple[str, ...] = ("msts", "xstest", "msts_text")
DEFAULT_GOLD_SETS: tuple[str, ...] = ("msts", "xstest")
