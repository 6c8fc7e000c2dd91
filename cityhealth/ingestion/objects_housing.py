"""The 住房(楼栋) register of the four-level check (体检信息采集表, CSV or XLSX): rows of
raw.check_objects with object_kind 'housing' (see object_register)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from cityhealth.ingestion import object_register
from cityhealth.ingestion.registry import Source

KIND = "housing"


def headings() -> dict[str, str]:
    """Field -> column heading as delivered (the quality gate names cells by it)."""
    return object_register.headings(KIND)


def parse(source: Source, period: str, path: Path) -> pd.DataFrame:
    return object_register.parse(source, period, path, KIND)


def load(con: duckdb.DuckDBPyConnection, source: Source, period: str, path: Path,
         batch_id: str) -> int:
    return object_register.load_objects(con, source, period, path, batch_id, KIND)
