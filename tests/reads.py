"""Reading the warehouse in a test: a read-only connection, closed after the query."""

from __future__ import annotations

import duckdb

from cityhealth.core.settings import settings


def query(sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(settings().warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
