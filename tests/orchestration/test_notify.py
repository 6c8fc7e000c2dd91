"""Failure notifications reach the log file and a real SMTP server on loopback."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest

from cityhealth.core import settings as settings_module
from cityhealth.orchestration import notify


class _SmtpSink(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message (a real server of ours on 127.0.0.1)."""

    received: list[str] = []

    def handle(self) -> None:
        self.wfile.write(b"220 sink ready\r\n")
        data_mode, lines = False, []
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if data_mode:
                if line == ".":
                    _SmtpSink.received.append("\n".join(lines))
                    data_mode = False
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line)
                continue
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250 sink\r\n")
            elif verb == "DATA":
                data_mode = True
                self.wfile.write(b"354 go ahead\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server() -> Iterator[int]:
    _SmtpSink.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpSink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


class _TI:
    dag_id = "annual_health_check"
    task_id = "dept_ee.validate"


class _Run:
    run_id = "scheduled__2025"


def context() -> dict:
    return {
        "task_instance": _TI(),
        "dag_run": _Run(),
        "data_interval_start": pendulum.datetime(2024, 12, 31, 16, tz="UTC"),
        "exception": RuntimeError("dept_ee 2025 (batch x): 1 of 7 expectations failed\nline2"),
    }


def test_failure_goes_to_log_and_smtp(cityhealth_home: Path, smtp_server: int,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYHEALTH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CITYHEALTH_SMTP_PORT", str(smtp_server))
    monkeypatch.setenv("CITYHEALTH_SMTP_RECIPIENTS", "ops@example.org")
    settings_module.settings.cache_clear()
    notify.on_failure(context())
    log_text = settings_module.settings().notify_log_file.read_text(encoding="utf-8")
    assert "annual_health_check.dept_ee.validate failed for 2025" in log_text
    assert "1 of 7 expectations failed" in log_text
    assert len(_SmtpSink.received) == 1
    assert "Period: 2025" in _SmtpSink.received[0]


def test_without_smtp_only_the_log_is_written(cityhealth_home: Path) -> None:
    used = notify.send(notify.failure_from_context(context()))
    assert len(used) == 1 and used[0].startswith("log:")


def test_an_unreachable_smtp_server_does_not_raise(cityhealth_home: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYHEALTH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CITYHEALTH_SMTP_PORT", "1")
    monkeypatch.setenv("CITYHEALTH_SMTP_RECIPIENTS", "ops@example.org")
    settings_module.settings.cache_clear()
    used = notify.send(notify.failure_from_context(context()))
    assert [u.split(":")[0] for u in used] == ["log"]


class _Dag:
    tags = ["monthly", "supervision"]


def test_a_monthly_dag_names_its_month() -> None:
    monthly = {**context(), "dag": _Dag(),
               "data_interval_start": pendulum.datetime(2025, 6, 30, 22, tz="UTC")}
    failure = notify.failure_from_context(monthly)
    assert failure.period == "2025-07"
    assert failure.subject.endswith("failed for 2025-07")


def test_colour_codes_never_reach_the_log_or_the_mail(cityhealth_home: Path, smtp_server: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """dbt colours its messages; the exception text of a task may carry the escapes."""
    monkeypatch.setenv("CITYHEALTH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CITYHEALTH_SMTP_PORT", str(smtp_server))
    monkeypatch.setenv("CITYHEALTH_SMTP_RECIPIENTS", "ops@example.org")
    settings_module.settings.cache_clear()
    coloured = {
        **context(),
        "exception": RuntimeError(
            "dbt build failed (1 node(s)):\n"
            "- unit_test test_x [fail]: \x1b[0;1m@@\x1b[0m\x1b[33m,\x1b[0mid\r\n"
            "\x1b[31mERROR\x1b[0m creating \x1b[1;32mmarts.fct_x\x1b[0m\x07"
        ),
    }
    failure = notify.failure_from_context(coloured)
    failure = notify.Failure(**{**failure.__dict__, "task_id": "\x1b[31mdbt.models\x1b[0m"})
    assert failure.subject == "[城市体检] annual_health_check.dbt.models failed for 2025"
    body = failure.body()
    assert "- unit_test test_x [fail]: @@,id\nERROR creating marts.fct_x\n" in body
    assert "Task:   dbt.models\n" in body

    notify.send(failure)
    log_text = settings_module.settings().notify_log_file.read_text(encoding="utf-8")
    assert len(_SmtpSink.received) == 1
    for text in (log_text, _SmtpSink.received[0]):
        assert "ERROR creating marts.fct_x" in text
        assert "\x1b" not in text and "[31m" not in text and "[0m" not in text
        assert "\x07" not in text


class _RunWithoutLogicalDate:
    run_id = "manual__2026-03-10"
    conf: dict = {}
    run_after = pendulum.datetime(2026, 3, 10, 2, tz="UTC")


def test_a_run_without_logical_date_names_the_period_it_covers() -> None:
    """A REST trigger with logical_date null has no data interval: the run's date decides."""
    failure = notify.failure_from_context({**context(), "dag_run": _RunWithoutLogicalDate(),
                                           "data_interval_start": None})
    assert failure.period == "2025"
    assert "unknown" not in failure.body()


def test_a_task_stopped_at_its_time_limit_says_so_in_plain_words(
        cityhealth_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk.exceptions import AirflowTaskTimeout

    monkeypatch.setenv("CITYHEALTH_TASK_TIMEOUT_SECONDS", "5400")
    settings_module.settings.cache_clear()
    failure = notify.failure_from_context(
        {**context(), "exception": AirflowTaskTimeout("Timeout, PID: 4242")})
    body = failure.body()
    assert "任务运行超过时限，已被中止" in body
    assert "limit of 5400 s (CITYHEALTH_TASK_TIMEOUT_SECONDS)" in body
    assert "Timeout, PID: 4242" in body
