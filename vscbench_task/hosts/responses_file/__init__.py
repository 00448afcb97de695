"""Any generator as a host: ``vscbench export`` writes the benchmark's requests (``export``), and a JSON
Lines file of ``{"doc_key": ..., "response": ...}`` is read back as a run (``reader``)."""
