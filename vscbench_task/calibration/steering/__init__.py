"""Activation steering, without a host: direction files and the fitting math (``directions``), and where
in a Hugging Face vision-language model the directions go and how they are added (``hooks``). The
lmms-eval glue (the ``vscbench_steer`` model plugin, ``steer fit``'s requests) is in ``hosts.lmms_eval``."""
