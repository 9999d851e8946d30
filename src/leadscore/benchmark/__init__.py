"""Benchmark: how the package's nightly run grows from ten thousand to a million leads.

``python -m leadscore.benchmark --leads 10000 100000 1000000`` generates a dataset per scale, runs each stage of
the dbt project in a fresh process (generation, staging, feature marts, training, scoring with top factors,
monitoring, then a full build that reuses the champion), measures wall time and peak memory, runs the pandas
reference of the same job (:mod:`leadscore.benchmark.reference`), and writes ``benchmarks/results.json`` and
``benchmarks/results.md``. See ``docs/benchmark.md``.
"""
