"""The project's benchmarks, run as modules from the repository root: ``python -m benchmarks.bench_judge``."""
