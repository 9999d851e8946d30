"""DuckDB I/O: recreate the raw schemas and append Arrow tables straight into them (never via CSV)."""
from __future__ import annotations

from pathlib import Path
from types import TracebackType

import duckdb
import pyarrow as pa

from leadscore.generator.tables import SCHEMAS, TABLES, TableSpec

ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
    "DATE": pa.date32(),
    "BOOLEAN": pa.bool_(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
}


def arrow_schema(spec: TableSpec) -> pa.Schema:
    """The Arrow schema matching a table spec."""
    return pa.schema([(name, ARROW_TYPES[sql_type]) for name, sql_type in spec])


def create_table_sql(name: str, spec: TableSpec) -> str:
    """``create table`` statement of a table spec."""
    columns = ", ".join(f'"{column}" {sql_type}' for column, sql_type in spec)
    return f"create table {name} ({columns})"


class DuckDBWriter:
    """Writes generator tables into a DuckDB file, dropping and recreating the generator's schemas first.

    Parameters
    ----------
    path : pathlib.Path
        DuckDB file; its parent directory is created.
    tables : dict, optional
        The tables to create (name to spec); every table of :data:`TABLES` by default.
    """

    def __init__(self, path: Path, tables: dict[str, TableSpec] | None = None) -> None:
        self.path = Path(path)
        self.tables = dict(TABLES if tables is None else tables)
        self.rows: dict[str, int] = {name: 0 for name in self.tables}
        self._con: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> "DuckDBWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path))
        for schema in SCHEMAS:
            self._con.execute(f"drop schema if exists {schema} cascade")
            self._con.execute(f"create schema {schema}")
        for name, spec in self.tables.items():
            self._con.execute(create_table_sql(name, spec))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def append(self, name: str, table: pa.Table) -> None:
        """Append an Arrow table whose columns are exactly the table's spec, in order and type."""
        assert self._con is not None, "use DuckDBWriter as a context manager"
        expected = arrow_schema(self.tables[name])
        table = table.select(expected.names).cast(expected)
        if table.num_rows == 0:
            return
        self._con.register("generator_frame", table)
        columns = ", ".join(f'"{column}"' for column in expected.names)
        self._con.execute(f"insert into {name} ({columns}) select {columns} from generator_frame")
        self._con.unregister("generator_frame")
        self.rows[name] += table.num_rows
