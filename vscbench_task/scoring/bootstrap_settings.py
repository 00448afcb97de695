"""The bootstrap's settings (seed, resamples, confidence level): defaults and their checks.

Kept apart from ``bootstrap`` (which needs numpy) so the command line can show and check them without
loading it.
"""

from __future__ import annotations

DEFAULT_SEED = 20250526
DEFAULT_RESAMPLES = 2000
DEFAULT_LEVEL = 0.95
# Beyond this the intervals do not get better (their Monte Carlo error is already far below the third
# decimal) while memory grows with it: 20,000 replicates of 450 clusters take ~70 MB.
MAX_RESAMPLES = 20_000
# Fewer draws do not make an interval: with 1 resample the "95% interval" is one replicate's value, which
# can exclude the figure's own point; from 100 on, each bound interpolates between replicates a few places
# in from either end of the sorted draws. The command line refuses fewer (the report guide says why).
MIN_RESAMPLES = 100
