"""python -m cityhealth.expectations: validate every loaded batch and print the outcome."""

from __future__ import annotations

import sys

from cityhealth.expectations.gate import validate_pending

if __name__ == "__main__":
    results = validate_pending()
    for result in results:
        print(("OK   " if result.success else "FAIL ") + result.summary())
    print(f"{len(results)} batches validated, {sum(not r.success for r in results)} quarantined")
    sys.exit(0 if all(r.success for r in results) else 1)
