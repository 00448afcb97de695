"""The bootstrap's settings (seed, resamples, confidence level): defaults and their checks.

Kept apart from ``bootstrap`` (which needs numpy) so the command line can show and check them without
loading it.
"""

from __future__ import annotations

DEFAULT_SEED = 20250526
DEFAULT_RESAMPLES = 2000
DEFAULT_LEVEL = 0.95
