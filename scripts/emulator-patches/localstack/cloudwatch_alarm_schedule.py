"""Reviewed patch for LocalStack 4.14.0's metric alarm scheduler (applied by
scripts/localstack.sh; idempotent; fails loudly if the code moved).

Gap: LocalStack evaluated a metric alarm once every EvaluationPeriods x Period
(every 5 minutes for our 5-minute alarms, so a breach could wait that long to
be seen). CloudWatch evaluates standard-resolution alarms every minute, over
the last EvaluationPeriods x Period of data; high-resolution ones every Period.
The patch schedules the evaluation every min(Period, 60) seconds; what an
evaluation looks at is unchanged.
"""
import os
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from _patchlib import patch  # noqa: E402

patch(
    "services/cloudwatch/alarm_scheduler.py",
    '''        period = alarm_details["Period"]
        evaluation_periods = alarm_details["EvaluationPeriods"]
        schedule_period = evaluation_periods * period
''',
    '''        period = alarm_details["Period"]
        # landing-to-lake patch: evaluated every minute (every Period when shorter), as CloudWatch does
        schedule_period = min(period, 60)
''',
    package="localstack",
)
