"""Benchmarks: ``python -m bench`` (ingest, reports, HTTP, against the native tools) and ``bench.identity``."""
