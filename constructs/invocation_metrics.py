"""The invocation metrics every SageMaker model has, on an endpoint variant or an inference component."""

from __future__ import annotations

from functools import cache

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch


NAMESPACE = "AWS/SageMaker"


class SageMakerMetric(cloudwatch.Metric):
    """A metric in the `AWS/SageMaker` namespace that keeps its name and dimensions in Python too: an alarm on it
    (`constructs.metric_alarm`) then reads them without a round trip each to CDK's JavaScript."""

    def __init__(self, dimensions: dict[str, str], metric_name: str, statistic: str, period: cdk.Duration) -> None:
        super().__init__(namespace=NAMESPACE, metric_name=metric_name, dimensions_map=dimensions, statistic=statistic, period=period)
        self.name_in_python = metric_name
        self.dimensions_in_python = dict(dimensions)


def sagemaker_metric(dimensions: dict[str, str], metric_name: str, statistic: str, period: cdk.Duration | None) -> cloudwatch.Metric:
    """A metric in the `AWS/SageMaker` namespace, per minute unless said otherwise."""
    return SageMakerMetric(dimensions, metric_name, statistic, period or _one_minute())


@cache
def _one_minute() -> cdk.Duration:
    """One `Duration` for every metric (a model has several): durations do not change, and each is a jsii object."""
    return cdk.Duration.minutes(1)


class InvocationMetrics:
    """`metric_*` helpers for a class whose `metric_dimensions` say what it is in CloudWatch."""

    metric_dimensions: dict[str, str]

    def metric(self, metric_name: str, *, statistic: str = "Average", period: cdk.Duration | None = None) -> cloudwatch.Metric:
        return sagemaker_metric(self.metric_dimensions, metric_name, statistic, period)

    def metric_invocations(self) -> cloudwatch.Metric:
        return self.metric("Invocations", statistic="Sum")

    def metric_invocation_5xx_errors(self) -> cloudwatch.Metric:
        return self.metric("Invocation5XXErrors", statistic="Sum")

    def metric_model_latency(self) -> cloudwatch.Metric:
        """Microseconds the container took to respond, p90 by default (latency objectives are set on tails)."""
        return self.metric("ModelLatency", statistic="p90")
