"""Report work shared among processes: this one and helper processes.

Writing a report set is one core's work page after page (tables, charts, maps, the
page's font, then its PDF). The pages are independent, so a run shares them among
``CITYHEALTH_REPORT_WORKERS`` processes (one per core by default): this process does the
first share, and each other share goes to a helper, ``python -m <module> ...``, which
prints what it wrote as one JSON object. Helpers stay in this process's group, so that
whatever stops the task stops them too, and any still running at the end is killed.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from cityhealth.core.settings import settings

log = logging.getLogger(__name__)

T = TypeVar("T")


class HelperError(RuntimeError):
    """A helper process failed or ran out of time; the message names its share."""


def shares(items: Sequence[T], workers: int | None = None) -> list[list[T]]:
    """``items`` dealt round-robin into at most ``workers`` non-empty shares (default:
    the setting); the first is this process's."""
    count = max(1, min(workers or settings().report_workers, len(items)))
    return [list(items[k::count]) for k in range(count)] if items else [[]]


class Helper:
    """One helper process: ``python -m module *args``, its share named by ``what``."""

    def __init__(self, module: str, args: Sequence[str], what: str) -> None:
        self.what = what
        self.process = subprocess.Popen([sys.executable, "-m", module, *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)

    def result(self) -> Any:
        """What the helper printed (JSON); its log lines are logged here as warnings."""
        limit = settings().task_timeout or None
        try:
            out, err = self.process.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            raise HelperError(f"{self.what}: took longer than {limit:.0f} s; stopped") from None
        if self.process.returncode != 0:
            tail = "\n".join((err or "").strip().splitlines()[-5:])
            raise HelperError(f"{self.what} failed (exit {self.process.returncode}): {tail}")
        for line in (err or "").splitlines():
            if line.strip():
                log.warning("%s", line)
        return json.loads(out)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@contextmanager
def helpers() -> Iterator[list[Helper]]:
    """A list to start helpers into; every one still running at the end is killed."""
    started: list[Helper] = []
    try:
        yield started
    finally:
        for helper in started:
            helper.stop()


def print_result(value: Any) -> None:
    """A helper's answer to its parent: one JSON object on standard output."""
    print(json.dumps(value, ensure_ascii=False))
