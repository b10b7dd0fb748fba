"""Asynchronous inference as plain data: SageMaker's limits, how an async endpoint scales, how many instances it
runs and what they cost, and whether a model fits. No CDK, SciPy or pydantic import.

An async endpoint queues each request (its payload in S3, or inline up to 128,000 bytes), processes it on
one of its instances and writes the response to S3, optionally telling SNS topics; it is the one instance-based
hosting that may scale to zero instances, requests arriving meanwhile waiting in the queue (SageMaker developer
guide, "Asynchronous inference" and "Autoscale an asynchronous endpoint").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from loadmaster import limits
from loadmaster.scaling import MetricAlarm, Scaling, ScalableDimension, ScalingMetric, Step, StepScaling, TargetTracking

# SageMaker's limits on requests (real-time and async) are `loadmaster.limits`', cited there.
BACKLOG_METRIC_PERIOD_S = 60

# Target tracking cannot leave zero instances (the per-instance backlog divides by no instance): a step policy,
# +1 instance, run by an alarm on HasBacklogWithoutCapacity wakes the endpoint. The figures are the developer
# guide's ("Autoscale an asynchronous endpoint", "Optional: Define a scaling policy that scales up from zero"):
# Average over 60 s, 2 of 2 datapoints >= 1, missing data "missing"; the policy aggregates by Average, cooldown 300 s.
HAS_BACKLOG_WITHOUT_CAPACITY = MetricAlarm(
    namespace="AWS/SageMaker",
    metric_name="HasBacklogWithoutCapacity",
    statistic="Average",
    period_s=60,
    threshold=1,
    comparison="GreaterThanOrEqualToThreshold",
    evaluation_periods=2,
    datapoints_to_alarm=2,
    treat_missing_data="missing",
)
WAKE_FROM_ZERO = StepScaling(
    alarm=HAS_BACKLOG_WITHOUT_CAPACITY,
    steps=(Step(adjustment=1, lower=0),),
    cooldown_s=300,
    adjustment_type="ChangeInCapacity",
    metric_aggregation="Average",
)


def backlog_per_instance(target: float) -> MetricAlarm:
    """The metric async target tracking follows; its threshold is the target, as the policy's own alarm has it."""
    return MetricAlarm(
        namespace="AWS/SageMaker", metric_name="ApproximateBacklogSizePerInstance", statistic="Average", period_s=BACKLOG_METRIC_PERIOD_S, threshold=target
    )


def backlog_scaling(
    min_instances: int,
    max_instances: int,
    *,
    target: float = limits.DEFAULT_BACKLOG_PER_INSTANCE,
    scale_in_cooldown_s: int = limits.DEFAULT_SCALE_IN_COOLDOWN_S,
    scale_out_cooldown_s: int = limits.DEFAULT_SCALE_OUT_COOLDOWN_S,
) -> Scaling:
    """An async endpoint's instances between `min_instances` (0: scale to zero, woken by `WAKE_FROM_ZERO`) and
    `max_instances`, tracking `target` queued requests per instance."""
    tracking = TargetTracking(
        metric=ScalingMetric.BACKLOG_SIZE_PER_INSTANCE,
        target=target,
        scale_in_cooldown_s=scale_in_cooldown_s,
        scale_out_cooldown_s=scale_out_cooldown_s,
        custom_metric=backlog_per_instance(target),
    )
    return Scaling(
        dimension=ScalableDimension.INSTANCES,
        min=min_instances,
        max=max_instances,
        target_tracking=(tracking,),
        wake_from_zero=WAKE_FROM_ZERO if min_instances == 0 else None,
    )


@dataclass(frozen=True)
class Request:
    """What one request of a model asks: its payload, how long it runs, and whether its callers can wait for the
    result in S3 rather than in the HTTP response."""

    payload_mb: float
    processing_s: float
    callers_wait_for_s3: bool

    def needs_more_than_real_time(self) -> list[str]:
        """Why a real-time endpoint (inference component or dedicated) cannot serve this request; empty if it can."""
        reasons = []
        if self.payload_mb > limits.REAL_TIME_MAX_PAYLOAD_MB:
            reasons.append(f"its {self.payload_mb:g} MB payload is above the {limits.REAL_TIME_MAX_PAYLOAD_MB:.2f} MB a real-time request takes")
        if self.processing_s > limits.REAL_TIME_MAX_PROCESSING_S:
            reasons.append(f"its {self.processing_s:g} s processing is above the {limits.REAL_TIME_MAX_PROCESSING_S} s a real-time endpoint waits")
        return reasons

    def async_refusals(self) -> list[str]:
        """Why an async endpoint cannot serve this request; empty if it can."""
        reasons = []
        if not self.callers_wait_for_s3:
            reasons.append("its callers cannot wait for the result in S3 (request.callers_wait_for_s3 is false)")
        if self.payload_mb > limits.ASYNC_MAX_PAYLOAD_MB:
            reasons.append(f"its {self.payload_mb:g} MB payload is above the {limits.ASYNC_MAX_PAYLOAD_MB} MB (1 GB) an async request takes")
        if self.processing_s > limits.ASYNC_MAX_PROCESSING_S:
            reasons.append(f"its {self.processing_s:g} s processing is above the {limits.ASYNC_MAX_PROCESSING_S} s an async request may run")
        return reasons


def instances_for(concurrency: float, max_concurrent_per_instance: int | None, *, min_instances: int, max_instances: int) -> int:
    """Instances an async endpoint runs while `concurrency` requests are in processing (Little's law: arrivals per
    second x processing seconds), each instance taking `max_concurrent_per_instance` at a time (None: SageMaker's
    choice, counted as 1, the figure that never undercounts), within its scaling bounds."""
    per_instance = max_concurrent_per_instance or 1
    return max(min_instances, min(max_instances, math.ceil(concurrency / per_instance)))


def hourly_cost(price_per_instance_hour: float | None, instances: int) -> float | None:
    """What `instances` cost per hour at the instance type's hosting price: async endpoints are billed per
    instance-hour (Amazon SageMaker AI pricing, "Asynchronous Inference"), and the catalog's price is the real-time
    one, which we take to be the same (unverified). An unknown price gives an unknown cost, except that no instance
    costs nothing whatever its price."""
    if instances == 0:
        return 0.0
    return None if price_per_instance_hour is None else price_per_instance_hour * instances
