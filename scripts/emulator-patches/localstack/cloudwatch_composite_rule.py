"""Reviewed patch for LocalStack 4.14.0's composite alarm evaluation (applied
by scripts/localstack.sh; idempotent; fails loudly if the code moved).

Gap: LocalStack evaluates a composite rule only in the flat form
`ALARM("a") OR ALARM("b")`. CDK's AlarmRule.anyOf renders the same rule
wrapped in parentheses, `(ALARM("a") OR ALARM("b"))`, so LocalStack logged
"unsupported expression" and never evaluated any of our composites. AWS
evaluates them. The patch removes parentheses that enclose the whole rule
before LocalStack's own check, so exactly the rules LocalStack can evaluate
(ORs of ALARM()) are evaluated, and any other rule (AND, NOT, AT_LEAST, nested
groups) is still refused by LocalStack and reported, not guessed at.
Not covered (LocalStack has no code for it): ActionsSuppressor.
"""
import os
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from _patchlib import patch  # noqa: E402

FILE = "services/cloudwatch/provider_v2.py"
MARK = "# landing-to-lake patch: outer parentheses of a composite rule"

patch(
    FILE,
    '''    def _evaluate_composite_alarm(self, context, composite_alarm, triggering_alarm):
        store = self.get_store(context.account_id, context.region)
        alarm_rule = composite_alarm.alarm["AlarmRule"]''',
    f'''    def _evaluate_composite_alarm(self, context, composite_alarm, triggering_alarm):
        store = self.get_store(context.account_id, context.region)
        alarm_rule = _ltl_strip_enclosing_parens(composite_alarm.alarm["AlarmRule"])  {MARK}''',
    package="localstack",
)
patch(
    FILE,
    '''            alarm_rule = composite_alarm.alarm["AlarmRule"]
            rule_expression_validation_result = self._validate_alarm_rule_expression(alarm_rule)''',
    f'''            alarm_rule = _ltl_strip_enclosing_parens(composite_alarm.alarm["AlarmRule"])  {MARK}
            rule_expression_validation_result = self._validate_alarm_rule_expression(alarm_rule)''',
    package="localstack",
)
patch(
    FILE,
    '''def create_message_response_update_composite_alarm_state_sns(''',
    f'''import re as _ltl_re  {MARK}


def _ltl_strip_enclosing_parens(rule):  {MARK}
    original = rule
    # Only a pure OR of ALARM() may be unwrapped: LocalStack splits on "OR" and
    # would read "ALARM(a) AND ALARM(b)" as an OR.
    if _ltl_re.search(r"\\b(AND|NOT|AT_LEAST|TRUE|FALSE|OK|INSUFFICIENT_DATA)\\b", _ltl_re.sub(r'"[^"]*"', '""', rule)):
        return original
    rule = rule.strip()
    while rule.startswith("(") and rule.endswith(")"):
        depth = 0
        for i, ch in enumerate(rule):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(rule) - 1:
                return rule  # the first "(" closes before the end: not one enclosing group
        rule = rule[1:-1].strip()
    return rule


def create_message_response_update_composite_alarm_state_sns(''',
    package="localstack",
)
