"""``vscbench report``: one or many models' lmms-eval outputs -> Markdown/HTML report, figures, JSON.

``tables`` computes the numbers, ``document`` decides what the report says, ``markdown`` and ``html``
render it, ``plots`` draws the figures, ``write`` puts them on disk.
"""
