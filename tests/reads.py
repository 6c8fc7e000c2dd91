"""Reading the warehouse in a test: a read-only connection, closed after the query."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cityhealth.core.settings import settings


def query(sql: str, params: list | None = None, *,
          warehouse: Path | None = None) -> list[tuple]:
    """The rows of ``sql`` in ``warehouse`` (default: the deployment's)."""
    con = duckdb.connect(str(warehouse or settings().warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
