"""The CloudWatch alarms that roll a SageMaker deployment back: server errors and tail latency."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct
from loadmaster.limits import (
    BATCH_PERCENT_RANGE,
    DEFAULT_BATCH_PERCENT,
    DEFAULT_BATCH_WAIT_S,
    DEFAULT_ROLLBACK_ERRORS_PER_MINUTE,
    DEFAULT_ROLLBACK_LATENCY_MS,
)
from constructs.metric_alarm import GREATER_THAN_OR_EQUAL_TO_THRESHOLD, GREATER_THAN_THRESHOLD, metric_alarm


@dataclass(frozen=True)
class DeploymentGuardrails:
    """How an update rolls out and when it rolls back.

    :param batch_percent: copies or instances updated at a time, 5 to 50% (SageMaker's range for capacity percent).
        Default: 25.
    :param wait: time between batches, for the alarms to see the new version. Default: 60 s.
    :param rollback_errors_per_minute: 5XX errors per minute, two minutes running, that roll back. Default: 5.
    :param rollback_latency: p90 model latency, two minutes running, that rolls back. Default: 10 s.
    :param blue_green: dedicated endpoints only: shift all traffic to a new fleet at once (doubling instances during
        the update) instead of rolling batches. Default: False.
    """

    batch_percent: int = DEFAULT_BATCH_PERCENT
    wait: cdk.Duration = cdk.Duration.seconds(DEFAULT_BATCH_WAIT_S)
    rollback_errors_per_minute: int = DEFAULT_ROLLBACK_ERRORS_PER_MINUTE
    rollback_latency: cdk.Duration = cdk.Duration.millis(DEFAULT_ROLLBACK_LATENCY_MS)
    blue_green: bool = False

    @property
    def wait_s(self) -> int:
        return _seconds(self.wait)

    @property
    def rollback_latency_ms(self) -> int:
        return _milliseconds(self.rollback_latency)

    def problems(self) -> list[str]:
        found = []
        low, high = BATCH_PERCENT_RANGE
        if not low <= self.batch_percent <= high:
            found.append(f"batch_percent must be {low} to {high}, got {self.batch_percent}")
        if self.rollback_errors_per_minute < 1:
            found.append(f"rollback_errors_per_minute must be at least 1, got {self.rollback_errors_per_minute}")
        return found


# A Duration's length is a round trip to CDK's JavaScript; every model's guardrails ask for the same few.
@cache
def _seconds(duration: cdk.Duration) -> int:
    return duration.to_seconds()


@cache
def _milliseconds(duration: cdk.Duration) -> int:
    return duration.to_milliseconds()


class RollbackAlarms(Construct):
    """Two alarms a deployment's AutoRollbackConfiguration names: 5XX errors and p90 `ModelLatency` (microseconds).

    :param errors: the `Invocation5XXErrors` metric of the component or variant.
    :param latency: the `ModelLatency` metric of the component or variant.
    :param guardrails: the thresholds.
    """

    EVALUATION_MINUTES = 2

    def __init__(self, scope: Construct, id: str, *, errors: cloudwatch.Metric, latency: cloudwatch.Metric, guardrails: DeploymentGuardrails) -> None:
        super().__init__(scope, id)
        self.errors = metric_alarm(
            self,
            "Errors",
            alarm_description="Server errors during or after a deployment: roll it back",
            metric=errors,
            statistic="Sum",
            period_s=60,
            threshold=guardrails.rollback_errors_per_minute,
            evaluation_periods=self.EVALUATION_MINUTES,
            comparison_operator=GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        )
        self.latency = metric_alarm(
            self,
            "Latency",
            alarm_description="p90 model latency above its limit during or after a deployment: roll it back",
            metric=latency,
            statistic="p90",
            period_s=60,
            threshold=guardrails.rollback_latency_ms * 1000,  # ModelLatency is in microseconds
            evaluation_periods=self.EVALUATION_MINUTES,
            comparison_operator=GREATER_THAN_THRESHOLD,
        )

    @property
    def alarm_names(self) -> list[str]:
        return [self.errors.ref, self.latency.ref]
