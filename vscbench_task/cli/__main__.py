"""``python -m vscbench_task.cli``: the ``vscbench`` command."""

import sys

from vscbench_task.cli import main

sys.exit(main())
