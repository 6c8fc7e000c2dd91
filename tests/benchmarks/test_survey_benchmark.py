"""The survey ingestion benchmark, end to end at a tiny size, so that the script cannot rot."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from benchmarks import survey_ingest

FIGURES = ("rows", "file_bytes", "generation_seconds", "reference_seconds",
           "reference_peak_rss_bytes", "reference_utf8_seconds", "ingest_seconds",
           "ratio_ingest_reference", "ingest_peak_rss_bytes", "validation_seconds",
           "ratio_validation_ingest", "validation_peak_rss_bytes", "reference_pandas_seconds",
           "reference_pandas_scaled_seconds", "ratio_pandas_ingest")
LABELS = ("CPUs", "RAM", "rows", "file size", "generation", "reference (DuckDB, gb18030)",
          "ingest (ingest_source)", "ratio ingest / reference", "ingest peak RSS",
          "validation (validate_pending)", "ratio validation / ingest", "validation peak RSS",
          "reference (pandas, scaled)", "ratio pandas / ingest", "DuckDB memory limit",
          "rounds")


def test_benchmark_prints_and_writes_every_figure(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    environment = dict(os.environ)
    result = survey_ingest.main(["--rows", "2000", "--workdir", str(tmp_path),
                                "--pandas-rows", "1000", "--memory-limit", "512MB",
                                "--rounds", "2"])
    printed = capsys.readouterr().out
    assert result["memory_limit"] == "512MB"
    assert dict(os.environ) == environment  # the limit was the platform steps' alone

    for key in FIGURES:
        assert isinstance(result[key], int | float) and result[key] > 0, key
    assert result["rows"] == 2000
    # the pandas reference reads at most --pandas-rows rows, its time scaled to the export
    assert result["reference_pandas_rows"] == 1000
    assert result["reference_pandas_scaled_seconds"] == pytest.approx(
        2 * result["reference_pandas_seconds"])
    assert result["ratio_pandas_ingest"] == pytest.approx(
        result["reference_pandas_scaled_seconds"] / result["ingest_seconds"])
    assert result["machine"]["cpu_count"] >= 1 and result["machine"]["total_ram_bytes"] > 0
    assert set(result["ingest_phases_seconds"]) >= {"sha256_and_archive_copy", "load"}
    assert result["reference_mode"] == "one file"  # small enough for DuckDB's buffer
    assert result["errors"] == {}
    # the UTF-8 reference and the ingest ran twice, alternately: the best of each counts
    rounds = result["rounds"]
    assert len(rounds) == 2
    assert result["reference_utf8_seconds"] == min(r["reference_utf8_seconds"] for r in rounds)
    assert result["ingest_seconds"] == min(r["ingest_seconds"] for r in rounds)
    assert all(r["ratio_ingest_reference"] == pytest.approx(
        r["ingest_seconds"] / r["reference_utf8_seconds"]) for r in rounds)
    # the headline ratio is against DuckDB's UTF-8 reader; the GB18030 one is information
    assert result["ratio_ingest_reference"] == pytest.approx(
        result["ingest_seconds"] / result["reference_utf8_seconds"])
    assert result["ratio_ingest_reference_gb18030"] == pytest.approx(
        result["ingest_seconds"] / result["reference_seconds"])
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


def test_a_step_that_hangs_is_killed_with_its_children(tmp_path: Path) -> None:
    from benchmarks.child import StepTimeout, run_step

    pid_file = tmp_path / "grandchild.pid"
    started = time.monotonic()
    with pytest.raises(StepTimeout, match=r"os.system did not finish within 1 s"):
        run_step("os", "system", f"sleep 60 & echo $! > {pid_file}; wait", timeout=1)
    assert time.monotonic() - started < 10
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _running(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(grandchild)  # the whole process group went


def _running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_step_that_timed_out_keeps_the_other_figures(tmp_path: Path) -> None:
    export = {"rows": 10, "bytes": 1000, "generation_seconds": 1.0, "reused": True}
    reference = {"seconds": 4.0, "cpu_seconds": 4.0, "peak_rss_bytes": 1, "mode": "one file"}
    utf8 = {"seconds": 2.0, "cpu_seconds": 2.0, "peak_rss_bytes": 1}
    ingest = {"seconds": 3.0, "cpu_seconds": 3.0, "peak_rss_bytes": 1, "phases": {},
              "load_phases": {}, "warehouse_bytes": 1}
    hung = {"error": "benchmarks.survey_ingest.step_validate did not finish within 60 s; "
                     "its processes were killed", "timed_out": True}
    info = {"cpu_count": 2, "total_ram_bytes": 1, "load_average_1min": 0.0}
    result = survey_ingest.figures(export, reference, utf8, ingest, hung, info)
    assert result["ratio_ingest_reference"] == 1.5
    assert result["validation_seconds"] is None and result["ratio_validation_ingest"] is None
    assert result["errors"] == {"validation": hung["error"]}
    printed = survey_ingest.report(result)
    assert "NOT MEASURED: validation" in printed and "within 60 s" in printed
