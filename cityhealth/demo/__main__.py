"""``python -m cityhealth.demo`` (``make demo``): the plan period lived through Airflow."""

import sys

from cityhealth.demo.runner import main

sys.exit(main())
