"""The survey ingestion benchmark, end to end at a tiny size, so that the script cannot rot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import survey_ingest

FIGURES = ("rows", "file_bytes", "generation_seconds", "reference_seconds",
           "reference_peak_rss_bytes", "reference_utf8_seconds", "ingest_seconds",
           "ratio_ingest_reference", "ingest_peak_rss_bytes", "validation_seconds",
           "ratio_validation_ingest", "validation_peak_rss_bytes")
LABELS = ("CPUs", "RAM", "rows", "file size", "generation", "reference (DuckDB, gb18030)",
          "ingest (ingest_source)", "ratio ingest / reference", "ingest peak RSS",
          "validation (validate_pending)", "ratio validation / ingest", "validation peak RSS")


def test_benchmark_prints_and_writes_every_figure(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = survey_ingest.main(["--rows", "2000", "--workdir", str(tmp_path)])
    printed = capsys.readouterr().out

    for key in FIGURES:
        assert isinstance(result[key], int | float) and result[key] > 0, key
    assert result["rows"] == 2000
    assert result["machine"]["cpu_count"] >= 1 and result["machine"]["total_ram_bytes"] > 0
    assert set(result["ingest_phases_seconds"]) >= {"sha256", "archive_copy", "load"}
    assert result["reference_mode"] == "one file"  # small enough for DuckDB's buffer
    for label in LABELS:
        assert label in printed, label
    assert json.loads((tmp_path / "results.json").read_text(encoding="utf-8")) == \
        json.loads(json.dumps(result))
    assert not (tmp_path / "home").exists()  # the platform home is removed unless --keep

    # the export is generated once and reused by the next run of the same size
    again = survey_ingest.export_for(tmp_path, 2000, survey_ingest.YEAR, survey_ingest.SEED,
                                     log=lambda text: None)
    assert again["reused"] and again["bytes"] == result["file_bytes"]


def test_pieces_for_the_reference_cut_at_line_ends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["答卷编号,所在区县".encode("gb18030")] + [
        f"{n},南昌县{'东' * (n % 7)}".encode("gb18030") for n in range(1, 200)]
    export = tmp_path / "export.csv"
    export.write_bytes(b"\r\n".join(lines) + b"\r\n")
    monkeypatch.setattr(survey_ingest, "PIECE_BYTES", 100)

    pieces = survey_ingest.step_split(str(export), str(tmp_path / "pieces"))["pieces"]

    files = sorted((tmp_path / "pieces").glob("piece_*.csv"))
    assert len(files) == pieces > 1
    header = lines[0] + b"\r\n"
    body = b""
    for file in files:
        data = file.read_bytes()
        assert len(data) <= 100 and data.startswith(header) and data.endswith(b"\r\n")
        body += data[len(header):]
    assert header + body == export.read_bytes()
