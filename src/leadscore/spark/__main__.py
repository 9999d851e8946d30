"""``python -m leadscore.spark load|compare``: the steps of ``make test-spark`` around the two dbt builds."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb

from leadscore.spark.compare import compare_frames
from leadscore.spark.load import RAW_SCHEMAS, export_tables, list_tables, register_tables
from leadscore.spark.session import open_session, spark_settings
from leadscore.warehouse import to_pandas

# Tables compared by default, with their keys, and the columns that record the build's own time.
DEFAULT_TABLES = {
    "lead_features": ["lead_id", "as_of_date"],
    "lead_scores": ["lead_id"],
    "account_scores": ["account_domain"],
    # named as CRM fields by the crm_field_mapping seed: lead_id is "id"
    "crm_lead_score_sync_full": ["id"],
    # Spark has built twice, DuckDB once: one row per lead on both shows the second build appended nothing
    "lead_score_history": ["lead_id"],
}
# Columns that record the build itself (its time and invocation), and the history's fingerprint, a hash of the
# synced columns as text, which each engine writes its own way (doubles print differently).
BUILD_TIME_COLUMNS = ["scored_at", "ai_scored_at__c", "scoring_run_id", "score_fingerprint"]


def _profiles_path() -> Path:
    return Path(os.environ.get("DBT_PROFILES_DIR", ".")) / "profiles.yml"


def _load(arguments: argparse.Namespace) -> int:
    """Raw schemas, then the trained models to import, from DuckDB into the Spark catalog."""
    out_dir = Path(arguments.parquet_dir)
    with duckdb.connect(arguments.duckdb, read_only=True) as connection:
        raw = export_tables(connection, list_tables(connection, RAW_SCHEMAS), out_dir / "raw")
        imported_tables = [tuple(name.split(".", 1)) for name in arguments.import_table]
        imported = export_tables(connection, imported_tables, out_dir / "import")
    session = open_session(spark_settings(_profiles_path(), target=arguments.target))
    register_tables(session, raw, {})
    register_tables(session, imported, {schema: arguments.import_schema for schema, _, _ in imported})
    print(f"loaded {len(raw)} raw tables and imported {len(imported)} model tables into Spark "
          f"(schema {arguments.import_schema})")
    session.stop()
    return 0


def _compare(arguments: argparse.Namespace) -> int:
    """Every compared table, DuckDB build against Spark build; exit status 1 on any difference."""
    tables = DEFAULT_TABLES
    if arguments.table:
        tables = {spec.split(":")[0]: spec.split(":")[1].split(",") for spec in arguments.table}
    session = open_session(spark_settings(_profiles_path(), target=arguments.target))
    all_equal = True
    with duckdb.connect(arguments.duckdb, read_only=True) as connection:
        for table, key in tables.items():
            expected = to_pandas(connection.sql(f"select * from {arguments.schema}.{table}"), sort_by=key)
            actual = to_pandas(session.table(f"{arguments.schema}.{table}"), sort_by=key)
            diff = compare_frames(table, expected, actual, key, ignore_columns=BUILD_TIME_COLUMNS,
                                  rel_tol=arguments.rel_tol, abs_tol=arguments.abs_tol)
            print(diff.report())
            all_equal = all_equal and diff.is_equal
    session.stop()
    print("spark build matches the duckdb build" if all_equal else "!!! spark build differs from the duckdb build")
    return 0 if all_equal else 1


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen step."""
    parser = argparse.ArgumentParser(prog="python -m leadscore.spark", description=__doc__)
    parser.add_argument("--target", default="spark", help="dbt-spark target in profiles.yml (its Spark settings)")
    steps = parser.add_subparsers(dest="step", required=True)
    load = steps.add_parser("load", help="copy raw data and trained models from DuckDB into Spark")
    load.add_argument("--duckdb", required=True, help="DuckDB warehouse holding the raw schemas")
    load.add_argument("--parquet-dir", default="data/spark/parquet", help="where the Parquet copies go")
    load.add_argument("--import-table", action="append", default=[], metavar="SCHEMA.TABLE",
                      help="a DuckDB table of trained models to import (repeatable)")
    load.add_argument("--import-schema", default="ml_import", help="Spark schema the imported tables go to")
    load.set_defaults(run=_load)
    compare = steps.add_parser("compare", help="compare the Spark build with the DuckDB build row for row")
    compare.add_argument("--duckdb", required=True, help="DuckDB warehouse built from the same raw data")
    compare.add_argument("--schema", default="analytics", help="schema of the compared models on both engines")
    compare.add_argument("--table", action="append", metavar="NAME:KEY1,KEY2",
                         help=f"table and key to compare (repeatable); default {', '.join(DEFAULT_TABLES)}")
    compare.add_argument("--rel-tol", type=float, default=1e-9, help="relative tolerance for floats")
    compare.add_argument("--abs-tol", type=float, default=1e-9, help="absolute tolerance for floats")
    compare.set_defaults(run=_compare)
    arguments = parser.parse_args(argv)
    return arguments.run(arguments)


if __name__ == "__main__":
    sys.exit(main())
