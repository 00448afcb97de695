"""``vscbench annotate``: human labels on a sample of a run's responses, in a local labelling page.

* ``sample`` — the stratified sample (part x safe/unsafe [x the judge's class]) and its weights;
* ``labels`` — the labels file: one gold-file line per label, appended and fsynced as it is given;
* ``server`` and ``page.html`` — the labelling page on 127.0.0.1, behind a per-session token;
* ``agreement`` — two annotators' agreement, the disagreements to adjudicate, the merged gold file.

The labels file is a ``vscbench validate-judge --gold-file`` file: labels made here validate any judge on
the user's own model's answers, SRA_s included (docs: the LLM judge guide).
"""
