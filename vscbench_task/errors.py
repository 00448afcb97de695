"""The one exception type every user-fixable problem raises, so every command ends the same way.

A ``VSCBenchError`` is a problem with the data, a run's files, a judge or a setting that the user can
fix; its message says what is wrong and how to fix it. The ``vscbench`` command prints it and exits 1;
usage errors (bad options) exit 2, as argparse does. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class VSCBenchError(Exception):
    """A problem the user can fix; the message names it and the fix."""
