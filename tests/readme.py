"""The README's commands, read from the README itself, for the tests that run them.

The README speaks of ``var/`` (the default ``CITYHEALTH_HOME``) and ``.venv/``; a test
runs a command as written, in a scratch folder where ``var`` is the test's platform
home and ``.venv`` the project's environment.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from cityhealth.core.settings import REPO_ROOT

README = REPO_ROOT / "README.md"

# The two set-up commands: checked from a fresh clone, not from inside the test suite
# (`make test` is the suite; `make demo` is what the suite's DAG tests run in parts).
SET_UP = ("make demo", "make test")


def _blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(rf"```{language}\n(.*?)```", text, re.S)]


def commands() -> list[str]:
    """Every shell command of the README: its bash blocks and its inline `.venv/bin/...`."""
    found = []
    for block in _blocks("bash"):
        for command in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+#.*$", "", command).strip()
            if command:
                found.append(" ".join(command.split()))
    text = README.read_text(encoding="utf-8")
    for match in re.finditer(r"`(\.venv/bin/python -c \"[^`]*\")`", text):
        command = " ".join(match.group(1).split())
        if command not in found:
            found.append(command)
    return found


def sql_blocks() -> list[str]:
    return [block.strip() for block in _blocks("sql")]


def command(starting: str) -> str:
    """The one README command that starts with (or, after ``VAR=value``s, runs) ``starting``."""
    matches = [c for c in commands() if _program(c).startswith(starting)]
    assert len(matches) == 1, f"README commands starting {starting!r}: {matches}"
    return matches[0]


def _program(command: str) -> str:
    return re.sub(r"^(\w+=\S+\s+)+", "", command)


def workdir(tmp: Path, home: Path) -> Path:
    """A folder where ``var`` is ``home`` and ``.venv`` the project's environment."""
    tmp.mkdir(parents=True, exist_ok=True)
    for name, target in (("var", home), (".venv", REPO_ROOT / ".venv")):
        link = tmp / name
        if link.is_symlink() and Path(os.readlink(link)) != target:
            link.unlink()  # a folder reused for another home must not lead to the old one
        if not link.is_symlink():
            link.symlink_to(target)
    return tmp


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({"CITYHEALTH_HOME": str(home), **extra})
    return env


def run(command: str, cwd: Path, env: dict[str, str], timeout: float = 300,
        stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run a README command with bash, as a user would paste it."""
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=timeout, check=False,
                          start_new_session=True)
