"""Failure notifications reach the log file and a real SMTP server on loopback."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest

from cityhealth import notify
from cityhealth import settings as settings_module


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
