"""Failure notifications: a log file always, e-mail when SMTP is configured.

Used as the ``on_failure_callback`` of every DAG (through ``default_args``), so a
data engineer learns which DAG, task and period failed and why, without opening
the UI. Channels are configured in cityhealth.core.settings (CITYHEALTH_NOTIFY_LOG,
CITYHEALTH_SMTP_*).
"""

from __future__ import annotations

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

from cityhealth.core.settings import TASK_TIMEOUT_ENV, settings

log = logging.getLogger(__name__)
ERROR_LINES = 8

# Control characters but tab and newline (escape sequences are removed before, by the
# same pattern as dbt's messages): a mail or the log file would show them as garbage.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def plain(text: object) -> str:
    """``text`` without terminal escape sequences or control characters (newlines kept)."""
    from cityhealth.warehouse.dbt import strip_ansi

    text = strip_ansi(text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


@dataclass(frozen=True)
class Failure:
    dag_id: str
    task_id: str
    run_id: str
    period: str
    error: str

    @property
    def subject(self) -> str:
        subject = f"[城市体检] {self.dag_id}.{self.task_id} failed for {self.period}"
        return " ".join(plain(subject).split())  # one line, whatever the fields held

    def body(self) -> str:
        lines = plain(self.error).strip().splitlines()[:ERROR_LINES]
        return plain(f"DAG:    {self.dag_id}\nTask:   {self.task_id}\nPeriod: {self.period}\n"
                     f"Run:    {self.run_id}\n\n") + "\n".join(lines) + "\n"


def failure_from_context(context: dict) -> Failure:
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    start = context.get("data_interval_start")
    tags = set(getattr(context.get("dag"), "tags", None) or ())
    cadence = "monthly" if "monthly" in tags else "quarterly" if "quarterly" in tags \
        else "annual"
    conf = getattr(dag_run, "conf", None) or {}
    if conf.get("check_year"):
        period = str(conf["check_year"])
    else:
        from cityhealth.orchestration.pipeline import run_period

        try:  # conf period, data interval, or – no logical date – the run's date
            period = run_period(cadence, start, dag_run)
        except (ValueError, TypeError, AttributeError):
            period = "unknown"
    return Failure(
        dag_id=getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", "unknown"),
        task_id=getattr(ti, "task_id", "unknown"),
        run_id=getattr(dag_run, "run_id", None) or str(context.get("run_id", "unknown")),
        period=period,
        error=_error_text(context.get("exception")),
    )


def _error_text(exception: object) -> str:
    """The exception as a reader needs it; Airflow's own timeout said in plain words."""
    if exception is None:
        return "no exception recorded"
    if type(exception).__name__ == "AirflowTaskTimeout":
        limit = settings().task_timeout
        return (f"任务运行超过时限，已被中止；请检查任务日志中最后执行的步骤 (the task ran longer "
                f"than its limit of {limit:g} s ({TASK_TIMEOUT_ENV}) and Airflow stopped it; "
                f"the last step in its log is the one that did not finish: {exception})")
    return str(exception)


def send(failure: Failure) -> list[str]:
    """Deliver on every configured channel; returns the channels used. Never raises."""
    cfg = settings()
    used = []
    try:
        cfg.notify_log_file.parent.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        with open(cfg.notify_log_file, "a", encoding="utf-8") as out:
            out.write(f"--- {stamp} {failure.subject}\n{failure.body()}\n")
        used.append(f"log:{cfg.notify_log_file}")
    except OSError as error:
        log.error("cannot write notification log %s: %s", cfg.notify_log_file, error)
    if cfg.smtp_host and cfg.smtp_recipients:
        message = EmailMessage()
        message["Subject"] = failure.subject
        message["From"] = cfg.smtp_sender
        message["To"] = ", ".join(cfg.smtp_recipients)
        message.set_content(failure.body())
        try:
            with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=10) as smtp:
                smtp.send_message(message)
            used.append(f"smtp:{cfg.smtp_host}:{cfg.smtp_port}")
        except (OSError, smtplib.SMTPException) as error:
            log.error("cannot send failure e-mail via %s: %s", cfg.smtp_host, error)
    return used


def on_failure(context: dict) -> None:
    """Airflow on_failure_callback."""
    send(failure_from_context(context))
