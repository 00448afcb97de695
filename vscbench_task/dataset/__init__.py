"""The benchmark's data: the official metadata (``metadata``), what each model request holds
(``items``), where the prepared images live (``datadir``), how they get there from the authors'
archive (``archive``, ``prepare``) and how an image is decoded safely (``images``).

Host-neutral: nothing here imports lmms-eval, ``datasets``, torch, httpx or matplotlib.
"""
