"""The housing register benchmark, end to end at a small size, so that the script cannot
rot: every figure measured, the ingested rows those of the sheet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import objects_ingest


def test_benchmark_measures_ingest_against_duckdb(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    rows = 22_000  # beyond the demo's buildings: some repeated under new ids
    result = objects_ingest.main(["--rows", str(rows), "--workdir", str(tmp_path),
                                  "--step-timeout", "600"])
    printed = capsys.readouterr().out
    assert result["errors"] == {}
    assert result["ingest_rows"] == rows
    assert result["validation_success"] is True
    for key in ("reference_seconds", "ingest_seconds", "validation_seconds",
                "reference_peak_rss_bytes", "ingest_peak_rss_bytes", "file_bytes"):
        assert result[key] > 0, key
    assert result["ratio_ingest_reference"] == pytest.approx(
        result["ingest_seconds"] / result["reference_seconds"])
    for label in ("buildings", "reference (DuckDB read_csv)", "ingest (ingest_source)",
                  "ratio ingest / reference", "validation (validate_pending)"):
        assert label in printed, label
    assert json.loads((tmp_path / "results.json").read_text(encoding="utf-8")) == \
        json.loads(json.dumps(result))
    assert not (tmp_path / "home").exists()
