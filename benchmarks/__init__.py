"""Benchmark scripts behind benchmarks/README.md: learning curve, Ray scaling, server memory, sentence splitters.

They run from a checkout of the repository (``python -m benchmarks.learning_curve``)
and are not installed. The evaluation and speed measurements that the CLI
runs (``sitrep evaluate``, ``sitrep bench``) live in ``sitrep/``.
"""
