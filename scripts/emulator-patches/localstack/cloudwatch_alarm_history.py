"""Reviewed patch for LocalStack 4.14.0's DescribeAlarmHistory (applied by
scripts/localstack.sh; idempotent; fails loudly if the code moved).

Gaps, against what CloudWatch does:
1. A state-change history item was stamped with the alarm's *previous* state
   change time, not the time of the change it records; CloudWatch stamps the
   change itself (so "ALARM to OK" after a given StartDate is found).
2. StartDate/EndDate were compared with naive local timestamps and the call
   failed with 500 ("can't compare offset-naive and offset-aware datetimes").
   Both sides are compared as UTC instants.
"""
import os
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from _patchlib import patch  # noqa: E402

FILE = "services/cloudwatch/provider_v2.py"
MARK = "# landing-to-lake patch: alarm history times"

patch(
    FILE,
    '''        alarm_history_item = AlarmHistoryItem(
            Timestamp=alarm.alarm["StateUpdatedTimestamp"],''',
    f'''        alarm_history_item = AlarmHistoryItem(
            Timestamp=current_time.astimezone(datetime.UTC),  {MARK}''',
    package="localstack",
)
patch(
    FILE,
    '''        if start_date:
            history = [h for h in history if (date := h.get("Timestamp")) and date >= start_date]
        if end_date:
            history = [h for h in history if (date := h.get("Timestamp")) and date <= end_date]''',
    f'''        def _utc(d):  {MARK}
            return d.astimezone(datetime.UTC)  # naive values are local time, as datetime.now() made them

        if start_date:
            history = [h for h in history if (date := h.get("Timestamp")) and _utc(date) >= _utc(start_date)]
        if end_date:
            history = [h for h in history if (date := h.get("Timestamp")) and _utc(date) <= _utc(end_date)]''',
    package="localstack",
)
