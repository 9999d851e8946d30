"""The package on Apache Spark: load the same raw data into Spark, carry a trained registry over, compare builds.

``make test-spark`` drives it: ``python -m leadscore.spark load`` (raw tables and imported models from a DuckDB
warehouse into the Spark catalog the ``spark`` dbt target uses) and ``python -m leadscore.spark compare`` (the
Spark build against the DuckDB build of the same raw data, row for row).
"""
