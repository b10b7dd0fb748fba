"""Waking a scalable target that autoscaling took to zero: an inference component's copies, an asynchronous
endpoint's instances."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct
from constructs.metric_alarm import metric_alarm
from loadmaster.scaling import StepScaling, wake_on_no_capacity
from policies.scalable_capacity import ScalableCapacity, step_scaling_policy

# An inference component's wake-up: +1 copy once a request failed for want of one (its figures, cited, in
# loadmaster.scaling, where the plan takes them from).
COMPONENT_WAKE = wake_on_no_capacity()


class ScaleFromZero(Construct):
    """Adds capacity when work arrives at a target with none.

    Target tracking alone never leaves zero (at zero there is no per-copy or per-instance metric), so a CloudWatch
    alarm drives a step-scaling policy, after which target tracking takes over: on `NoCapacityInvocationFailures`
    for an inference component (`COMPONENT_WAKE`), on `HasBacklogWithoutCapacity` for an asynchronous endpoint
    (`loadmaster.async_inference.WAKE_FROM_ZERO`).

    :param capacity: the target's `ScalableCapacity` (min 0).
    :param no_capacity_metric: the metric the alarm watches, with the dimensions of the scaled resource; `wake` sets
        its statistic and period.
    :param wake: the alarm's and the policy's figures. Default: `COMPONENT_WAKE`.
    :param description: the alarm's description. Default: one saying a request found no copy.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        capacity: ScalableCapacity,
        no_capacity_metric: cloudwatch.Metric,
        wake: StepScaling = COMPONENT_WAKE,
        description: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.policy = step_scaling_policy(self, "StepPolicy", capacity=capacity, policy=wake, name=f"{capacity.resource_id.replace('/', '-')}-scale-from-zero")
        alarm = wake.alarm
        self.alarm = metric_alarm(
            self,
            "NoCapacityAlarm",
            alarm_description=description or f"Requests to {capacity.resource_id} failed for lack of capacity: add a copy",
            metric=no_capacity_metric,
            statistic=alarm.statistic,
            period_s=alarm.period_s,
            threshold=alarm.threshold,
            evaluation_periods=alarm.evaluation_periods,
            datapoints_to_alarm=alarm.datapoints_to_alarm,
            comparison_operator=alarm.comparison,
            treat_missing_data=alarm.treat_missing_data,
            alarm_actions=[self.policy.ref],  # a scaling policy's Ref is its ARN
        )

