"""VSCBench (visual safety calibration of vision-language models), scored by the tools people run.

Layout by concern, imports pointing down only:

* ``dataset/`` — the official metadata, the evaluation items, the prepared image directory and how it
  is prepared from the authors' archive;
* ``scoring/`` — the host-neutral scoring core: response records, judgements, the keyword judge, the
  metric specs, the one scoring entry point (``scoring.score``), bootstrap, paired metrics, agreement;
* ``llm_judge/`` — the official LLM judge (the only part that does network);
* ``judges`` — judges by name, for the commands that let a user choose one;
* ``lmms/`` — the lmms-eval glue (task hooks, generated aggregations, reading lmms-eval outputs);
* ``rescore``, ``report/`` — re-scoring a logged run and writing a report (the only part that plots);
* ``demo/`` — the embedded default (stand-in images, a tiny random VLM); ``cli`` — the ``vscbench`` command;
* ``task_yaml/`` — the lmms-eval task folder (``vscbench tasks-dir``).
"""

__version__ = "0.2.0"
