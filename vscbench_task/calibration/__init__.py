"""Calibration methods, as the project defines them (never "the paper's"): the fixed calibration split
(``split``), the prompt-based methods' reminder and demonstrations (``prompting``), the paired comparison
of a method with the baseline (``compare``) and, in ``steering``, activation steering's direction files,
fitting math and hooks. Nothing here knows a host: the lmms-eval glue (task variants, the
``vscbench_steer`` model plugin, ``steer fit``'s input capture) lives in ``hosts.lmms_eval``."""
