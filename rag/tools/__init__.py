"""Tooling the serving runtime never imports: the benchmark (`bench`, `bench_corpus`) and the
evaluation (`evaluate`), reached through `python -m rag bench|eval`."""
