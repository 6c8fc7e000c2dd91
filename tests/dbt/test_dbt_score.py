"""The dbt metadata stays complete: dbt-score lints the parsed project.

``dbt parse`` writes a manifest into a scratch target folder (no warehouse is opened),
then ``dbt-score lint`` scores it. The project must score at least 9.5 of 10, and the
rules the project has fully met stay met: every model and seed names an owner, every
macro has a description, every published view shows an example query. A failure lists
the failing rules of each item.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cityhealth.core.settings import DBT_PROJECT_DIR

MIN_PROJECT_SCORE = 9.5
# rules every item must pass (a violation fails the test whatever the score)
ALWAYS = {
    "dbt_score.rules.generic.has_owner",
    "dbt_score.rules.generic.seed_has_owner",
    "dbt_score.rules.generic.has_description",
    "dbt_score.rules.generic.seed_has_description",
    "dbt_score.rules.macros.macro_has_description",
    "dbt_score.rules.macros.macro_arguments_have_description",
}
PARSE_TIMEOUT = 600
LINT_TIMEOUT = 300


def _tool(name: str) -> str:
    """The console script of the running interpreter's environment (else on PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (pip install -e '.[dev]')")
    return found


def _run(args: list[str], *, timeout: int, cwd: Path, env: dict[str, str]
         ) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"{' '.join(args[:2])} took longer than {timeout} s:\n{expired.stdout}")


def _failing_rules(evaluables: dict) -> dict[str, list[str]]:
    """item -> ['rule (severity): message', ...] for every item with a violation."""
    failing = {}
    for item, evaluation in sorted(evaluables.items()):
        lines = [f"{rule.rsplit('.', 1)[-1]} ({result['severity']}): {result['message']}"
                 for rule, result in sorted(evaluation["results"].items())
                 if result["result"] != "OK"]
        if lines:
            failing[item] = lines
    return failing


@pytest.fixture(scope="module")
def lint(tmp_path_factory: pytest.TempPathFactory) -> dict:
    scratch = tmp_path_factory.mktemp("dbt_score")
    env = {**os.environ,
           "CITYHEALTH_WAREHOUSE": str(scratch / "parse.duckdb"),  # never opened by parse
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
           "DBT_USE_COLORS": "False"}
    parsed = _run([_tool("dbt"), "parse", "--project-dir", str(DBT_PROJECT_DIR),
                   "--profiles-dir", str(DBT_PROJECT_DIR),
                   "--target-path", str(scratch / "target"), "--log-path", str(scratch / "logs"),
                   "--no-partial-parse"],
                  timeout=PARSE_TIMEOUT, cwd=scratch, env=env)
    manifest = scratch / "target" / "manifest.json"
    assert parsed.returncode == 0 and manifest.exists(), parsed.stdout[-3000:] + parsed.stderr
    # cwd: the repository, so that a [tool.dbt-score] section of pyproject.toml applies
    linted = _run([_tool("dbt-score"), "lint", "--manifest", str(manifest), "--format", "json",
                   "--fail-project-under", "0", "--fail-any-item-under", "0"],
                  timeout=LINT_TIMEOUT, cwd=DBT_PROJECT_DIR.parent, env=env)
    assert linted.returncode == 0, linted.stdout[-3000:] + linted.stderr
    return json.loads(linted.stdout)


def test_the_project_scores_at_least_9_5(lint: dict) -> None:
    score = lint["project"]["score"]
    failing = _failing_rules(lint["evaluables"])
    report = "\n".join(f"{item}:\n  " + "\n  ".join(lines) for item, lines in failing.items())
    assert score >= MIN_PROJECT_SCORE, (
        f"dbt-score {score:.2f} < {MIN_PROJECT_SCORE}; failing rules:\n{report}")


def test_owners_descriptions_and_published_examples_are_complete(lint: dict) -> None:
    missing = []
    for item, evaluation in sorted(lint["evaluables"].items()):
        for rule, result in sorted(evaluation["results"].items()):
            if result["result"] == "OK":
                continue
            published = item.startswith("model.") and ".pub_" in item
            if rule in ALWAYS or (published and rule.endswith(".has_example_sql")):
                missing.append(f"{item}: {rule.rsplit('.', 1)[-1]}: {result['message']}")
    assert not missing, "\n".join(missing)
