"""A CloudWatch alarm on a metric, written as CDK's `cloudwatch.Alarm` writes it, from fewer jsii objects.

An `Alarm` costs a dozen round trips to CDK's JavaScript (the metric copied with its period and statistic, the
alarm, its action bound through a callback); a portfolio has two or three alarms per model. This one creates the
`CfnAlarm` at the construct path an `Alarm(scope, id)` puts its resource at (`<id>/Resource`), so the template and
its logical ids are the same, and reads a `SageMakerMetric`'s name and dimensions in Python.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct
from constructs.invocation_metrics import NAMESPACE, SageMakerMetric

# CloudWatch's statistics; anything else (p90, tm99...) is an extended statistic (AWS::CloudWatch::Alarm).
STATISTICS = frozenset({"SampleCount", "Average", "Sum", "Minimum", "Maximum"})
GREATER_THAN_OR_EQUAL_TO_THRESHOLD = "GreaterThanOrEqualToThreshold"
GREATER_THAN_THRESHOLD = "GreaterThanThreshold"


def metric_alarm(
    scope: Construct,
    id: str,
    *,
    metric: cloudwatch.Metric,
    statistic: str,
    period_s: int,
    threshold: float,
    evaluation_periods: int,
    comparison_operator: str,
    alarm_description: str,
    alarm_actions: Sequence[str] | None = None,
    datapoints_to_alarm: int | None = None,
    treat_missing_data: str = "notBreaching",
) -> cloudwatch.CfnAlarm:
    """An alarm on `metric` (its namespace, name and dimensions) over `statistic` per `period_s`, in alarm after
    `datapoints_to_alarm` breaching periods of `evaluation_periods` (default: all of them)."""
    if isinstance(metric, SageMakerMetric):
        namespace, metric_name, dimensions = NAMESPACE, metric.name_in_python, metric.dimensions_in_python
    else:
        namespace, metric_name, dimensions = metric.namespace, metric.metric_name, metric.dimensions or {}
    return cloudwatch.CfnAlarm(
        Construct(scope, id),
        "Resource",
        alarm_description=alarm_description,
        alarm_actions=alarm_actions,
        namespace=namespace,
        metric_name=metric_name,
        dimensions=[cloudwatch.CfnAlarm.DimensionProperty(name=name, value=value) for name, value in dimensions.items()],
        period=period_s,
        threshold=threshold,
        evaluation_periods=evaluation_periods,
        comparison_operator=comparison_operator,
        datapoints_to_alarm=datapoints_to_alarm,
        treat_missing_data=treat_missing_data,
        **({"statistic": statistic} if statistic in STATISTICS else {"extended_statistic": statistic}),
    )
