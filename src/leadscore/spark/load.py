"""Copy tables from a DuckDB warehouse into the Spark catalog: the raw sources, and trained models to import.

The copy goes through Parquet files: DuckDB writes them, Spark reads them and saves managed tables, so both
engines build from byte-identical inputs.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb

# The schemas of the raw data contract (../shared/data-contract.md), as the generator writes them.
RAW_SCHEMAS = ("salesforce", "segment", "marketing", "signals", "product")


def list_tables(connection: duckdb.DuckDBPyConnection, schemas: Sequence[str]) -> list[tuple[str, str]]:
    """(schema, table) of every base table in the given schemas, sorted."""
    placeholders = ", ".join("?" for _ in schemas)
    rows = connection.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_type = 'BASE TABLE' and table_schema in ({placeholders}) order by 1, 2",
        list(schemas),
    ).fetchall()
    return [(str(schema), str(table)) for schema, table in rows]


def export_tables(
    connection: duckdb.DuckDBPyConnection, tables: Iterable[tuple[str, str]], out_dir: Path
) -> list[tuple[str, str, Path]]:
    """Write each DuckDB table to ``out_dir/<schema>/<table>.parquet``; returns (schema, table, file)."""
    written = []
    for schema, table in tables:
        path = out_dir / schema / f"{table}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        connection.execute(f"copy (select * from \"{schema}\".\"{table}\") to '{path}' (format parquet)")
        written.append((schema, table, path))
    return written


def register_tables(session: Any, files: Iterable[tuple[str, str, Path]], schema_map: dict[str, str]) -> None:
    """Save each Parquet file as a managed Spark table ``<mapped schema>.<table>``, replacing any older copy.

    DuckDB's timestamps carry no time zone and Spark reads them as ``timestamp_ntz``; warehouses that feed
    Spark usually hold plain ``timestamp`` columns, so they are converted (the session runs in UTC, so wall
    clock values are unchanged).
    """
    from pyspark.sql import functions
    from pyspark.sql.types import TimestampNTZType

    for schema, table, path in files:
        target_schema = schema_map.get(schema, schema)
        session.sql(f"create database if not exists `{target_schema}`")
        frame = session.read.parquet(str(path.resolve()))
        for field in frame.schema.fields:
            if isinstance(field.dataType, TimestampNTZType):
                frame = frame.withColumn(field.name, functions.col(field.name).cast("timestamp"))
        frame.write.mode("overwrite").format("parquet").saveAsTable(f"`{target_schema}`.`{table}`")
