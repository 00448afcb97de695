"""Two judges compared on the same runs (``vscbench compare-judges``): the figures (``compare``) and their
Markdown (``document``)."""
