"""The quality gate: Great Expectations suites on each loaded batch (see gate.py).

Great Expectations logs its own start-up at INFO, some two hundred lines of "Skipping
registering function …" per import; a task log should show the gate's lines, so those
loggers report warnings only.
"""

import logging

for _name in ("great_expectations._docs_decorators", "great_expectations.expectations.registry"):
    logging.getLogger(_name).setLevel(logging.WARNING)
