"""The invocation metrics every SageMaker model has, on an endpoint variant or an inference component."""

from __future__ import annotations

from functools import cache

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch


NAMESPACE = "AWS/SageMaker"


class _CreatedWhenNeeded(type(cloudwatch.Metric)):
    """jsii's metaclass registers each new instance under its JavaScript reference at once; a `SageMakerMetric` is
    registered when it is created in JavaScript (jsii's `Kernel.create` does that)."""

    def __call__(cls, *args, **kwargs):
        return type.__call__(cls, *args, **kwargs)


class SageMakerMetric(cloudwatch.Metric, metaclass=_CreatedWhenNeeded):
    """A metric in the `AWS/SageMaker` namespace that keeps its name and dimensions in Python too, and exists in CDK's
    JavaScript only once something there needs it.

    A model's constructs make several metrics (rollback alarms, wake-up alarms) that only an alarm of
    `constructs.metric_alarm` reads, in Python: creating each in JavaScript would be a round trip per metric for
    nothing. The metric is created, with the same props, the first time jsii asks for its reference: when it is
    passed to CDK (a `cloudwatch.Alarm`, a dashboard) or one of its `cloudwatch.Metric` members is called.
    """

    def __init__(self, dimensions: dict[str, str], metric_name: str, statistic: str, period: cdk.Duration) -> None:
        # No super().__init__ here: that would create it in JavaScript now (see __getattr__).
        self._props = {"namespace": NAMESPACE, "metric_name": metric_name, "dimensions_map": dimensions, "statistic": statistic, "period": period}
        self.name_in_python = metric_name
        self.dimensions_in_python = dict(dimensions)

    def __getattr__(self, name: str):
        # Only reached for what the instance lacks: jsii reads `__jsii_ref__` for every use of the object in CDK.
        if name != "__jsii_ref__" or "_props" not in self.__dict__:
            raise AttributeError(name)
        cloudwatch.Metric.__init__(self, **self.__dict__.pop("_props"))  # sets __jsii_ref__, as at construction
        return self.__jsii_ref__


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
