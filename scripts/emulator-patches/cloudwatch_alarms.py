"""Reviewed patch for MiniStack 1.5.33's CloudWatch emulation (applied by
scripts/emulator.sh after install; idempotent; fails loudly if the code it
patches has moved, so a MiniStack upgrade is re-reviewed, not silently broken).

Gaps it closes, each standing in for an AWS behaviour the pipeline relies on:
1. CloudFormation refused AWS::CloudWatch::Alarm with `Metrics` (metric math).
   AWS accepts them; we store them so the stack deploys and DescribeAlarms
   shows them. (MiniStack cannot evaluate math: those alarms stay
   INSUFFICIENT_DATA in the emulator, and the e2e suite says so.)
2. CloudFormation had no AWS::CloudWatch::CompositeAlarm. We provision it
   through MiniStack's own PutCompositeAlarm implementation.
3. Alarm evaluation ignored dimensions (every alarm on a metric name saw every
   dataset's datapoints). AWS evaluates exactly the alarm's dimension set.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _patchlib import patch  # noqa: E402

MARK = "# landing-to-lake patch"


# 1. metric-math alarms in CloudFormation
patch(
    "services/cloudformation/provisioners.py",
    '''    if props.get("Metrics"):
        raise ValueError(
            "AWS::CloudWatch::Alarm Properties.Metrics (metric math) is not supported; "
            "use MetricName and Namespace."
        )
    metric_name = props.get("MetricName")''',
    f'''    if props.get("Metrics"):  {MARK}: store metric-math alarms (not evaluated)
        return {{
            "AlarmName": name,
            "AlarmArn": f"arn:aws:cloudwatch:{{get_region()}}:{{get_account_id()}}:alarm:{{name}}",
            "AlarmDescription": props.get("AlarmDescription", "") or "",
            "Metrics": props["Metrics"],
            "EvaluationPeriods": int(props.get("EvaluationPeriods", 1)),
            "Threshold": float(props.get("Threshold", 0)),
            "ComparisonOperator": props.get("ComparisonOperator"),
            "TreatMissingData": props.get("TreatMissingData", "missing") or "missing",
            "StateValue": _cw._alarms[name]["StateValue"] if name in _cw._alarms else "INSUFFICIENT_DATA",
            "StateReason": "Metric math is not evaluated by the emulator",
            "StateUpdatedTimestamp": int(time.time()),
            "ActionsEnabled": True,
            "AlarmActions": [str(a) for a in props.get("AlarmActions") or []],
            "OKActions": [str(a) for a in props.get("OKActions") or []],
            "InsufficientDataActions": [str(a) for a in props.get("InsufficientDataActions") or []],
            "Dimensions": [],
            "AlarmConfigurationUpdatedTimestamp": int(time.time()),
        }}
    metric_name = props.get("MetricName")''',
)

# 2. composite alarms in CloudFormation
patch(
    "services/cloudformation/provisioners.py",
    '''    "AWS::CloudWatch::Dashboard": {
        "create": _cw_dashboard_create,''',
    f'''    "AWS::CloudWatch::CompositeAlarm": {{  {MARK}: composite alarms
        "create": lambda logical_id, props, stack_name: _lt_composite_put(
            props.get("AlarmName") or _physical_name(stack_name, logical_id, max_len=255), props),
        "update": lambda physical_id, old_props, new_props, stack_name: _lt_composite_put(physical_id, new_props),
        "delete": lambda physical_id, props: _cw._composite_alarms.pop(physical_id, None),
    }},
    "AWS::CloudWatch::Dashboard": {{
        "create": _cw_dashboard_create,''',
)
patch(
    "services/cloudformation/provisioners.py",
    '''def _cw_metric_alarm_create(logical_id, props, stack_name):''',
    f'''def _lt_composite_put(name, props):  {MARK}
    data = {{k: props[k] for k in ("AlarmRule", "AlarmDescription", "ActionsEnabled", "AlarmActions", "OKActions", "InsufficientDataActions") if k in props}}
    data["AlarmName"] = name
    _cw._put_composite_alarm({{}}, data, False, True)
    return name, {{"Arn": f"arn:aws:cloudwatch:{{get_region()}}:{{get_account_id()}}:alarm:{{name}}"}}


def _cw_metric_alarm_create(logical_id, props, stack_name):''',
)

# 3. evaluate alarms on their own dimension set
patch(
    "services/cloudwatch.py",
    '''    all_pts = []
    for (k_ns, k_mn, _), pts in _metrics.items():
        if k_ns == ns and k_mn == mn:
            all_pts.extend(pts)''',
    f'''    all_pts = []
    want = _dims_key(_dims_from_list(alarm.get("Dimensions") or []))  {MARK}: dimensions
    for (k_ns, k_mn, k_dims), pts in _metrics.items():
        if k_ns == ns and k_mn == mn and k_dims == want:
            all_pts.extend(pts)''',
)
